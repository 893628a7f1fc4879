from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.access import LOYALTY_MANAGER, check_caller_groups


class WholesaleLoyaltyTierLockWizard(models.TransientModel):
    _name = "wholesale.loyalty.tier.lock.wizard"
    _description = "Lock a Customer's Loyalty Tier"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade")
    program_id = fields.Many2one(related="partner_id.wholesale_program_id")
    tier_id = fields.Many2one(
        "wholesale.loyalty.tier",
        required=True,
        ondelete="cascade",
        domain="[('program_id', '=', program_id)]",
    )
    reason = fields.Char(required=True, help="Why this customer is an exception to the rules.")

    @api.model
    def default_get(self, fields_list):
        check_caller_groups(self.env, LOYALTY_MANAGER)  # it reads the customer's or program's settings
        values = super().default_get(fields_list)
        partner = self.env["res.partner"].browse(values.get("partner_id")).exists()
        if partner and "tier_id" in fields_list:
            values["tier_id"] = partner.wholesale_tier_id.id
        return values

    def action_apply(self):
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self.ensure_one()
        partner = self.partner_id._wholesale_ensure_enrolled()
        if not partner.wholesale_program_id:
            raise UserError(
                self.env._("%(partner)s is not a member of a loyalty program.", partner=partner.display_name)
            )
        if not (self.reason or "").strip():
            raise UserError(self.env._("Give the reason for locking the tier."))
        partner.write({
            "wholesale_tier_id": self.tier_id.id,
            "wholesale_tier_locked": True,
            "wholesale_tier_lock_reason": self.reason.strip(),
        })
        return {"type": "ir.actions.act_window_close"}
