from odoo import api, fields, models
from odoo.tools import float_is_zero, formatLang


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
    # Odoo groups by no float: graphs and pivots group by this label of the value instead.
    value_label = fields.Char(
        string="Varied Value", compute="_compute_value_label", store=True,
        help="The varied setting's value at this step.",
    )
    tier_name = fields.Char(string="Tier")
    tier_sequence = fields.Integer(aggregator=None)
    member_count = fields.Integer(string="Customers")
    cost = fields.Monetary(help="Discounts, points value and rebates of the tier's customers.")

    @api.depends("value")
    def _compute_value_label(self):
        # As an axis reads it: 15,000 or 2.5, in the user's number format.
        for line in self:
            whole = float_is_zero(line.value - round(line.value), precision_digits=2)
            line.value_label = formatLang(self.env, line.value, digits=0 if whole else 2)

    @api.model
    def _read_group_orderby(self, order, groupby_terms, query):
        # Labels sort as text ("10,000" before "5,000"): groups of labels follow the values
        # they stand for.
        if order and "value_label" in groupby_terms:
            order = ",".join(
                part.replace("value_label", "value:min", 1) if part.split()[:1] == ["value_label"] else part
                for part in order.split(",")
            )
        return super()._read_group_orderby(order, groupby_terms, query)
