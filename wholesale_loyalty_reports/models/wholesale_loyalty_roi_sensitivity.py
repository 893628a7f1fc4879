from odoo import fields, models

VARIABLES = [
    ("churn_reduction_percent", "Churn reduction (X)"),
    ("uplift_percent", "Revenue uplift (Y)"),
    ("program_cost", "Program cost (V)"),
]


class WholesaleLoyaltyRoiSensitivity(models.Model):
    """ROI of a scenario when one input moves by a relative change, the others fixed.
    Lines are rebuilt whenever the scenario's inputs change."""

    _name = "wholesale.loyalty.roi.sensitivity"
    _description = "Wholesale Loyalty ROI Sensitivity"
    _order = "scenario_id, variable, change_percent"

    scenario_id = fields.Many2one(
        "wholesale.loyalty.roi.scenario", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="scenario_id.company_id", store=True, index=True)
    user_id = fields.Many2one(related="scenario_id.user_id", store=True)
    currency_id = fields.Many2one(related="scenario_id.currency_id")
    variable = fields.Selection(VARIABLES, required=True)
    change_percent = fields.Integer(string="Change (%)", required=True, aggregator=None)
    value = fields.Float(digits=(16, 2), aggregator=None, help="The input's value after the change.")
    revenue_gain = fields.Monetary(aggregator="avg")
    roi_percent = fields.Float(string="ROI (%)", digits=(16, 2), aggregator="avg")
