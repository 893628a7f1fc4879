from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.tier_rules import next_step

TIER_STATE_FIELDS = (
    "wholesale_program_id",
    "wholesale_tier_id",
    "wholesale_tier_since",
    "wholesale_qualifying_amount",
    "wholesale_downgrade_since",
    "wholesale_tier_evaluated_on",
    "wholesale_tier_locked",
    "wholesale_tier_lock_reason",
    "wholesale_referrer_id",
    "wholesale_points_balance",
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    wholesale_program_id = fields.Many2one(
        "wholesale.loyalty.program",
        string="Loyalty Program",
        ondelete="set null",
        index=True,
        readonly=True,
        copy=False,
    )
    wholesale_tier_id = fields.Many2one(
        "wholesale.loyalty.tier",
        string="Loyalty Tier",
        ondelete="set null",
        index=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    wholesale_tier_color = fields.Integer(related="wholesale_tier_id.color")
    wholesale_tier_since = fields.Date(string="Tier Since", readonly=True, copy=False)
    wholesale_qualifying_amount = fields.Monetary(
        string="Qualifying Spend",
        currency_field="wholesale_currency_id",
        readonly=True,
        copy=False,
    )
    wholesale_currency_id = fields.Many2one(
        related="wholesale_program_id.currency_id", string="Loyalty Currency"
    )
    wholesale_downgrade_since = fields.Date(
        string="Below Tier Since",
        readonly=True,
        copy=False,
        help="First day the qualifying spend fell below the tier; the downgrade waits for "
        "the program's grace period.",
    )
    wholesale_tier_evaluated_on = fields.Date(readonly=True, copy=False)
    wholesale_next_tier_id = fields.Many2one(
        "wholesale.loyalty.tier", string="Next Tier", compute="_compute_wholesale_next_tier"
    )
    wholesale_amount_to_next_tier = fields.Monetary(
        string="Spend to Next Tier",
        currency_field="wholesale_currency_id",
        compute="_compute_wholesale_next_tier",
    )
    wholesale_tier_locked = fields.Boolean(string="Tier Locked", copy=False, tracking=True)
    wholesale_tier_lock_reason = fields.Char(string="Lock Reason", copy=False, tracking=True)
    wholesale_referrer_id = fields.Many2one(
        "res.partner", string="Referred By", ondelete="set null", index=True, copy=False
    )
    wholesale_tier_history_ids = fields.One2many(
        "wholesale.loyalty.tier.history", "partner_id", string="Tier History"
    )
    wholesale_points_balance = fields.Integer(
        string="Points Balance",
        readonly=True,
        copy=False,
        help="Sum of the customer's ledger entries, kept up to date by every points movement.",
    )
    wholesale_points_pending = fields.Integer(
        string="Pending Points", compute="_compute_wholesale_points_pending",
        help="Points of posted invoices that earn once they are paid.",
    )
    wholesale_points_expiring_30d = fields.Integer(
        string="Expiring in 30 Days", compute="_compute_wholesale_points_expiring"
    )
    wholesale_expiry_reminded_on = fields.Date(readonly=True, copy=False)
    wholesale_ledger_ids = fields.One2many("wholesale.loyalty.ledger", "partner_id", string="Points Ledger")

    @api.depends("wholesale_tier_id", "wholesale_qualifying_amount", "wholesale_program_id")
    def _compute_wholesale_next_tier(self):
        ladders = {}
        for partner in self:
            program = partner.wholesale_program_id
            if not program:
                partner.wholesale_next_tier_id = False
                partner.wholesale_amount_to_next_tier = 0.0
                continue
            if program not in ladders:
                ladders[program] = program._ladder()
            step = next_step(ladders[program], partner.wholesale_tier_id.id or None)
            partner.wholesale_next_tier_id = step.tier_id if step else False
            partner.wholesale_amount_to_next_tier = (
                max(step.threshold - partner.wholesale_qualifying_amount, 0.0) if step else 0.0
            )

    def _compute_wholesale_points_pending(self):
        heads = self.commercial_partner_id
        invoices = self.env["account.move"].search([
            ("commercial_partner_id", "in", heads.ids),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "not in", ("paid", "in_payment", "reversed")),
        ])
        points_service = self.env["wholesale.loyalty.points"]
        holding = points_service._invoices_holding_points(invoices)
        pending = dict.fromkeys(heads.ids, 0)
        for invoice in invoices:
            program = points_service._program_of(invoice)
            if program.points_trigger == "paid" and invoice.id not in holding:
                pending[invoice.commercial_partner_id.id] += points_service.invoice_points(invoice, program)
        for partner in self:
            partner.wholesale_points_pending = pending.get(partner.commercial_partner_id.id, 0)

    def _compute_wholesale_points_expiring(self):
        today = fields.Date.context_today(self)
        groups = dict(self.env["wholesale.loyalty.ledger"].sudo()._read_group(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("remaining_points", ">", 0),
                ("expiry_date", ">=", today),
                ("expiry_date", "<=", today + relativedelta(days=30)),
            ],
            ["partner_id"],
            ["remaining_points:sum"],
        ))
        for partner in self:
            partner.wholesale_points_expiring_30d = groups.get(partner.commercial_partner_id, 0)

    @api.constrains("wholesale_tier_locked", "wholesale_tier_lock_reason")
    def _check_wholesale_lock_reason(self):
        for partner in self:
            if partner.wholesale_tier_locked and not (partner.wholesale_tier_lock_reason or "").strip():
                raise ValidationError(
                    self.env._(
                        "Locking the tier of %(partner)s needs a reason.",
                        partner=partner.display_name,
                    )
                )

    @api.constrains("wholesale_tier_id", "wholesale_program_id")
    def _check_wholesale_tier_program(self):
        for partner in self:
            tier = partner.wholesale_tier_id
            if tier and tier.program_id != partner.wholesale_program_id:
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s belongs to program %(program)s, not to the program of "
                        "%(partner)s.",
                        tier=tier.name,
                        program=tier.program_id.name,
                        partner=partner.display_name,
                    )
                )

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + list(TIER_STATE_FIELDS)

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        # New customers join their program (and its entry tier) straight away.
        heads = partners.filtered(lambda partner: not partner.parent_id)
        if heads and not self.env.context.get("wholesale_engine"):
            self.env["wholesale.loyalty.tier.engine"].evaluate_partners(heads, "realtime")
        return partners

    def write(self, vals):
        manual = not self.env.context.get("wholesale_engine") and (
            "wholesale_tier_id" in vals or "wholesale_tier_locked" in vals
        )
        before = {}
        if manual:
            heads = self.filtered(lambda partner: partner.is_company or not partner.parent_id)
            before = {partner: partner.wholesale_tier_id for partner in heads}
        result = super().write(vals)
        if manual:
            self.env["wholesale.loyalty.tier.history"]._record_manual_changes(before, vals)
        return result

    def action_wholesale_lock_tier(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Lock Loyalty Tier"),
            "res_model": "wholesale.loyalty.tier.lock.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }

    def action_wholesale_unlock_tier(self):
        self.commercial_partner_id.write(
            {"wholesale_tier_locked": False, "wholesale_tier_lock_reason": False}
        )
        self.commercial_partner_id.wholesale_recompute_tier()
        return True

    def action_wholesale_recompute_tier(self):
        self.wholesale_recompute_tier()
        return True

    def wholesale_recompute_tier(self):
        """Re-evaluate the loyalty tier of these customers (their commercial partners) now.

        Returns the result of :meth:`wholesale_status` after the evaluation.
        """
        commercial = self.commercial_partner_id
        self.env["wholesale.loyalty.tier.engine"].evaluate_partners(commercial, reason="manual")
        return self.wholesale_status()

    def wholesale_status(self):
        """Loyalty status of each partner, read from its commercial partner.

        :return: one dict per partner with the keys ``partner_id``, ``program``, ``tier``,
            ``tier_since``, ``qualifying_amount``, ``next_tier``, ``amount_to_next_tier``,
            ``points_balance``, ``points_expiring_30d`` and ``discount_percent``.
        """
        statuses = []
        for partner in self:
            head = partner.commercial_partner_id
            statuses.append(
                {
                    "partner_id": partner.id,
                    "commercial_partner_id": head.id,
                    "program": head.wholesale_program_id.name or False,
                    "tier": head.wholesale_tier_id.name or False,
                    "tier_since": fields.Date.to_string(head.wholesale_tier_since) or False,
                    "qualifying_amount": head.wholesale_qualifying_amount,
                    "next_tier": head.wholesale_next_tier_id.name or False,
                    "amount_to_next_tier": head.wholesale_amount_to_next_tier,
                    "discount_percent": head.wholesale_tier_id.discount_percent or 0.0,
                    "tier_locked": head.wholesale_tier_locked,
                    **head._wholesale_points_status(),
                }
            )
        return statuses

    def _wholesale_points_status(self):
        self.ensure_one()
        return {
            "points_balance": self.wholesale_points_balance,
            "points_pending": self.wholesale_points_pending,
            "points_expiring_30d": self.wholesale_points_expiring_30d,
            "point_value": self.wholesale_program_id.point_value or 0.0,
        }

    def wholesale_award_points(self, points, reason, reference=None):
        """Award ``points`` to each customer (their commercial partner) for ``reason``.

        Loyalty administrators only. With a ``reference`` (e.g. the CRM's id of the review
        or webinar) the call is idempotent: a second call with the same reference awards
        nothing and returns the existing entry.

        :return: ids of the ledger entries (new or existing), one per customer.
        """
        points_service = self.env["wholesale.loyalty.points"]
        entries = self.env["wholesale.loyalty.ledger"]
        for partner in self.commercial_partner_id:
            entries |= points_service.award(partner, points, reason, reference)
        return entries.ids

    def action_wholesale_award_points(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Award Points"),
            "res_model": "wholesale.loyalty.award.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }

    def action_wholesale_view_ledger(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Points of %(partner)s", partner=self.commercial_partner_id.name),
            "res_model": "wholesale.loyalty.ledger",
            "view_mode": "list,form",
            "domain": [("partner_id", "=", self.commercial_partner_id.id)],
        }

    @api.model
    def _cron_wholesale_recalculate_tiers(self, batch_size=2000, batches_per_call=25):
        self.env["wholesale.loyalty.tier.engine"].run_scheduled(
            batch_size=batch_size, batches_per_call=batches_per_call
        )
