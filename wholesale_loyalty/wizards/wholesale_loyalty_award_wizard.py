from odoo import api, fields, models

from ..tools.access import LOYALTY_MANAGER, check_caller_groups


class WholesaleLoyaltyAwardWizard(models.TransientModel):
    _name = "wholesale.loyalty.award.wizard"
    _description = "Award Loyalty Points"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade")
    program_id = fields.Many2one(related="partner_id.wholesale_program_id")
    bonus_rule_id = fields.Many2one(
        "wholesale.loyalty.bonus.rule", string="Bonus Rule", ondelete="cascade",
        domain="[('program_id', '=', program_id), ('trigger', '=', 'manual')]",
    )
    points = fields.Integer(required=True)
    reason = fields.Char(required=True, help="e.g. Review on our website, webinar attended, survey answered.")

    @api.onchange("bonus_rule_id")
    def _onchange_bonus_rule_id(self):
        if self.bonus_rule_id:
            self.points = self.bonus_rule_id.points
            self.reason = self.reason or self.bonus_rule_id.name

    def action_apply(self):
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self.ensure_one()
        self.env["wholesale.loyalty.points"]._award(
            self.partner_id, self.points, self.reason, rule=self.bonus_rule_id or None
        )
        customer = self.partner_id.commercial_partner_id
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Points awarded"),
                "message": self.env._(
                    "%(points)s points awarded to %(customer)s for %(reason)s: the balance is %(balance)s points.",
                    points=self.points, customer=customer.display_name, reason=self.reason.strip(),
                    balance=customer.wholesale_points_balance,
                ),
                "type": "success",
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
