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

    def _notification(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": False,
                       "next": {"type": "ir.actions.client", "tag": "soft_reload"}},
        }

    def action_apply(self):
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self.ensure_one()
        entries = self.env["wholesale.loyalty.points"]._award(
            self.partner_id, self.points, self.reason, rule=self.bonus_rule_id or None
        )
        customer = self.partner_id.commercial_partner_id
        if not entries:  # above the program's liability budget: see wholesale.loyalty.award.request
            return self._notification(self.env._("Points awaiting approval"), self.env._(
                "%(points)s points for %(customer)s await a loyalty administrator's approval: the points "
                "liability of the program is above its budget.",
                points=self.points, customer=customer.display_name,
            ), "warning")
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
