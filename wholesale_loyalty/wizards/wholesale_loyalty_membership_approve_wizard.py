from odoo import fields, models
from odoo.exceptions import UserError

from ..tools.access import LOYALTY_MANAGER, check_caller_groups


class WholesaleLoyaltyMembershipApproveWizard(models.TransientModel):
    _name = "wholesale.loyalty.membership.approve.wizard"
    _description = "Approve a Paid Membership Fee Below the Tier's Price"

    membership_id = fields.Many2one("wholesale.loyalty.membership", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="membership_id.currency_id")
    amount = fields.Monetary(related="membership_id.amount")
    list_amount = fields.Monetary(related="membership_id.list_amount")
    reason = fields.Text(required=True, help="Why the customer gets the tier for less than its price.")

    def action_apply(self):
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self.ensure_one()
        if not (self.reason or "").strip():
            raise UserError(self.env._("Give the reason for accepting this fee."))
        self.membership_id._approve(self.reason.strip())
        return {"type": "ir.actions.act_window_close"}
