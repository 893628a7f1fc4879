from odoo import fields, models


class WholesaleLoyaltySimulationSensitivity(models.Model):
    """Customers and cost of one tier at one value of the setting a sensitivity run varies.
    Costs add up over the tiers of a step, so that a stacked graph shows the total."""

    _name = "wholesale.loyalty.simulation.sensitivity"
    _description = "Wholesale Loyalty What-if Sensitivity"
    _order = "simulation_id, step, tier_sequence, id"

    simulation_id = fields.Many2one(
        "wholesale.loyalty.simulation", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="simulation_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="simulation_id.currency_id")
    step = fields.Integer(aggregator=None)
    value = fields.Float(digits=(16, 2), aggregator=None, help="The varied setting's value at this step.")
    tier_name = fields.Char(string="Tier")
    tier_sequence = fields.Integer(aggregator=None)
    member_count = fields.Integer(string="Customers")
    cost = fields.Monetary(help="Discounts, points value and rebates of the tier's customers.")
