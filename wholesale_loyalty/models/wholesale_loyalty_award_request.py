from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.access import LOYALTY_MANAGER, check_caller_groups


class WholesaleLoyaltyAwardRequest(models.Model):
    """Points given without revenue (a manual award, a bonus rule) while the program's points
    liability is above its budget: they wait here for a loyalty administrator's approval,
    with an activity, instead of reaching the ledger. Earning on invoices never waits."""

    _name = "wholesale.loyalty.award.request"
    _description = "Wholesale Loyalty Points Awaiting Approval"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _rec_name = "reason"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, ondelete="cascade",
                                 index=True, readonly=True)
    program_id = fields.Many2one("wholesale.loyalty.program", required=True, ondelete="cascade", index=True,
                                 readonly=True)
    company_id = fields.Many2one(related="program_id.company_id", store=True, index=True)
    points = fields.Integer(required=True, readonly=True)
    reason = fields.Char(required=True, readonly=True)
    reference = fields.Char(readonly=True, help="The cause of the points; it gives them once.")
    bonus_rule_id = fields.Many2one("wholesale.loyalty.bonus.rule", ondelete="set null", readonly=True)
    # An order's bonus for ordering ahead goes back with the order: the approved entry keeps it.
    sale_order_id = fields.Many2one("sale.order", string="Order", ondelete="set null", readonly=True,
                                    index="btree_not_null")
    state = fields.Selection(
        [("pending", "Awaiting approval"), ("approved", "Approved"), ("refused", "Refused")],
        default="pending", required=True, readonly=True, tracking=True, index=True,
    )
    entry_id = fields.Many2one("wholesale.loyalty.ledger", string="Ledger Entry", ondelete="set null",
                               readonly=True)

    _sql_constraints = [
        ("points_positive", "CHECK(points > 0)", "Points awaiting approval are more than zero."),
        ("reference_unique", "UNIQUE(partner_id, program_id, reference)", "This cause awaits approval already."),
    ]

    def action_approve(self):
        """Give the points: a loyalty administrator accepts the liability above the budget."""
        check_caller_groups(self.env, LOYALTY_MANAGER)
        points = self.env["wholesale.loyalty.points"].sudo()  # the administrator's right is checked above
        for request in self.sudo():
            request._check_pending()
            self.env["wholesale.loyalty.ledger"]._lock_accounts(request.partner_id)
            vals = points._bonus_vals(request.partner_id, request.program_id, request.points, request.reference,
                                      request.reason, rule=request.bonus_rule_id or None)
            vals["sale_order_id"] = request.sale_order_id.id
            entry = self.env["wholesale.loyalty.ledger"]._create_entries([vals])
            request.write({"state": "approved", "entry_id": entry.id})
            request.activity_feedback(["mail.mail_activity_data_todo"])
        return True

    def action_refuse(self):
        check_caller_groups(self.env, LOYALTY_MANAGER)
        for request in self.sudo():
            request._check_pending()
            request.write({"state": "refused"})
            request.activity_unlink(["mail.mail_activity_data_todo"])
        return True

    def _withdraw(self):
        """The cause is gone (the order no longer earns its bonus): nothing waits any more."""
        pending = self.sudo().filtered(lambda request: request.state == "pending")
        pending.write({"state": "refused"})
        pending.activity_unlink(["mail.mail_activity_data_todo"])

    def _check_pending(self):
        if self.state != "pending":
            raise UserError(self.env._("These points were already approved or refused."))

    @api.model
    def _request(self, customer, program, points, reason, reference=None, rule=None, order=None):
        """Keep points awaiting approval (once per reference) and ask the program's
        responsible, or the loyalty administrators, with an activity."""
        self = self.sudo()  # written on behalf of whoever caused the points
        existing = self.search([("partner_id", "=", customer.id), ("program_id", "=", program.id),
                                ("reference", "=", reference)]) if reference else self
        if existing:
            return existing
        request = self.create({
            "partner_id": customer.id, "program_id": program.id, "points": points, "reason": reason,
            "reference": reference or False, "bonus_rule_id": rule.id if rule else False,
            "sale_order_id": order.id if order else False,
        })
        users = program.user_id or self.env.ref(LOYALTY_MANAGER).users.filtered(
            lambda user: program.company_id in user.company_ids and not user.share)[:1]
        for user in users:
            request.activity_schedule(
                "mail.mail_activity_data_todo", user_id=user.id,
                summary=self.env._("Approve %(points)s points for %(customer)s", points=points,
                                   customer=customer.display_name),
                note=self.env._("The points liability of %(program)s is above its budget.", program=program.name),
            )
        return request
