from odoo import fields, models

from odoo.addons.wholesale_loyalty.tools.access import LOYALTY_USER, check_caller_groups


class WholesaleLoyaltyKpiTier(models.TransientModel):
    """One tier of the KPI screen: its members, their outstanding points and the liability."""

    _name = "wholesale.loyalty.kpi.tier"
    _description = "Wholesale Loyalty KPIs per Tier"
    _order = "id"

    kpi_id = fields.Many2one("wholesale.loyalty.kpi", required=True, ondelete="cascade", index=True)
    tier_id = fields.Many2one("wholesale.loyalty.tier", ondelete="cascade")
    currency_id = fields.Many2one(related="kpi_id.currency_id")
    customer_count = fields.Integer(string="Customers")
    share_percent = fields.Float(string="Share (%)", digits=(16, 1))
    points_outstanding = fields.Integer()
    liability_amount = fields.Monetary(string="Liability")
    points_expiring_30d = fields.Integer(string="Expiring in 30 Days")
    points_expiring_90d = fields.Integer(string="Expiring in 90 Days")

    def _partner_domain(self):
        self.ensure_one()
        return [("program_id", "=", self.kpi_id.program_id.id), ("tier_id", "=", self.tier_id.id)]

    def action_open_customers(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.tier_id.name or self.env._("Without tier"),
            "res_model": "wholesale.loyalty.member",
            "view_mode": "list,form",
            "domain": self._partner_domain(),
        }

    def action_open_ledger(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        program = self.kpi_id.program_id
        if self.tier_id:
            holders = [("partner_id.wholesale_member_ids", "any",
                        [("program_id", "=", program.id), ("tier_id", "=", self.tier_id.id)])]
        else:
            holders = [("partner_id.wholesale_member_ids", "not any",
                        [("program_id", "=", program.id), ("tier_id", "!=", False)])]
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Points of %(tier)s", tier=self.tier_id.name or self.env._("customers without tier")),
            "res_model": "wholesale.loyalty.ledger",
            "view_mode": "list,form",
            "domain": [("program_id", "=", program.id), *holders],
            "context": {"group_by": ["partner_id"]},
        }
