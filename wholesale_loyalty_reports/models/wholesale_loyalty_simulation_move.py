from odoo import fields, models


class WholesaleLoyaltySimulationMove(models.Model):
    """A customer whose tier the proposed settings of a what-if simulation change."""

    _name = "wholesale.loyalty.simulation.move"
    _description = "Wholesale Loyalty What-if Mover"
    _order = "simulation_id, direction desc, qualifying_amount desc, id"

    simulation_id = fields.Many2one(
        "wholesale.loyalty.simulation", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="simulation_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="simulation_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, ondelete="cascade")
    qualifying_amount = fields.Monetary(string="Qualifying Spend")
    current_tier_id = fields.Many2one("wholesale.loyalty.tier", string="Current Tier", ondelete="set null")
    proposed_tier_name = fields.Char(string="Proposed Tier")
    direction = fields.Selection([("up", "Up"), ("down", "Down")], required=True)

    def action_open_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
