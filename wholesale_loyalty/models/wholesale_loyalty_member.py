
from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..tools.points_rules import EXPIRING_SOON_DAYS

# The member's tier state, written by the tier engine with SQL (see its ``_write_states``).
STATE_FIELDS = [
    "program_id", "tier_id", "tier_since", "qualifying_amount", "downgrade_since", "tier_evaluated_on", "active",
]


class WholesaleLoyaltyMember(models.Model):
    """A customer's account in one loyalty program: its tier, qualifying spend, grace,
    lock and points balance.

    One per customer (commercial partner) and program. A customer is an active member of at
    most one program per company, so that companies sharing customers each run their own
    program. A customer who leaves a program keeps its account, archived, with the points
    it holds there; joining again brings it back.
    """

    _name = "wholesale.loyalty.member"
    _description = "Wholesale Loyalty Member"
    _order = "program_id, partner_id"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade", readonly=True,
    )
    program_id = fields.Many2one(
        "wholesale.loyalty.program", string="Program", required=True, index=True, ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="program_id.currency_id")
    active = fields.Boolean(
        default=True, readonly=True,
        help="Archived: the customer left the program; its points there are kept.",
    )
    tier_id = fields.Many2one(
        "wholesale.loyalty.tier", string="Tier", index=True, ondelete="set null", readonly=True,
    )
    tier_color = fields.Integer(related="tier_id.color")
    tier_since = fields.Date(readonly=True)
    qualifying_amount = fields.Monetary(string="Qualifying Spend", readonly=True)
    downgrade_since = fields.Date(
        string="Below Tier Since", readonly=True,
        help="First day the qualifying spend fell below the tier; the downgrade waits for the "
        "program's grace period.",
    )
    downgrade_on = fields.Date(
        string="Downgrade On", compute="_compute_downgrade_on",
        help="Day the customer moves down to the tier the spend earns, unless the spend reaches "
        "the tier again before: below tier since, plus the program's grace days.",
    )
    tier_evaluated_on = fields.Date(
        string="Evaluated On", readonly=True,
        help="Day of the last evaluation that changed the program, tier or qualifying spend.",
    )
    tier_locked = fields.Boolean(string="Tier Locked", readonly=True)
    tier_lock_reason = fields.Char(string="Lock Reason", readonly=True)
    next_tier_id = fields.Many2one("wholesale.loyalty.tier", string="Next Tier", compute="_compute_next_tier")
    amount_to_next_tier = fields.Monetary(string="Spend to Next Tier", compute="_compute_next_tier")
    points_balance = fields.Integer(
        string="Points Balance", readonly=True,
        help="Sum of the customer's ledger entries in this program, kept up to date by every points movement.",
    )
    expiry_reminded_on = fields.Date(readonly=True)
    tier_risk_warned = fields.Char(
        readonly=True,
        help="The tier and day of the last tier-loss warning sent, so that each risk is warned of once.",
    )

    # ---- What the account's form shows beside its state: points to come, points about to
    # expire, what the tier needs to stay, the paid tier and the history (each computed for
    # the whole batch at once).
    points_pending = fields.Integer(
        string="Pending Points", compute="_compute_points_pending",
        help="Points of posted invoices that earn once they are paid.",
    )
    points_expiring_30d = fields.Integer(string="Expiring in 30 Days", compute="_compute_points_expiring")
    points_value = fields.Monetary(
        string="Points Value", compute="_compute_points_value",
        help="What the points balance is worth when redeemed, at the program's point value.",
    )
    keep_tier_id = fields.Many2one(
        "wholesale.loyalty.tier", string="Tier at Risk", compute="_compute_keep_tier",
        help="The tier the customer loses without new spend (rolling periods), on the day below.",
    )
    keep_tier_amount = fields.Monetary(
        string="Spend to Keep Tier", compute="_compute_keep_tier",
        help="What the customer must buy before the day below to keep its tier.",
    )
    keep_tier_by = fields.Date(
        string="Keep Tier By", compute="_compute_keep_tier",
        help="The first day the spend of the rolling period falls below the tier without new purchases "
        "(for a customer already below it: the downgrade day).",
    )
    membership_tier_id = fields.Many2one(
        "wholesale.loyalty.tier", string="Paid Tier", compute="_compute_membership",
        help="The tier a paid membership gives the customer today, whatever its spend.",
    )
    membership_until = fields.Date(
        string="Paid Tier Until", compute="_compute_membership",
        help="Last day of the paid membership, renewals included.",
    )
    tier_history_ids = fields.Many2many(
        "wholesale.loyalty.tier.history", string="Tier History", compute="_compute_tier_history",
    )

    _sql_constraints = [
        ("partner_program_unique", "UNIQUE(partner_id, program_id)",
         "A customer has one account per loyalty program."),
    ]

    def init(self):
        # One active program per customer and company: the engine moves a customer between
        # programs of a company by archiving one account before it activates the other.
        self.env.cr.execute(SQL(
            """CREATE UNIQUE INDEX IF NOT EXISTS wholesale_loyalty_member_company_unique
                   ON wholesale_loyalty_member (partner_id, company_id) WHERE active"""
        ))

    @api.depends("partner_id", "program_id")
    def _compute_display_name(self):
        for member in self:
            member.display_name = f"{member.partner_id.display_name} ({member.program_id.name})"

    @api.depends("downgrade_since", "program_id.downgrade_grace_days")
    def _compute_downgrade_on(self):
        for member in self:
            member.downgrade_on = member.program_id._downgrade_on(member.downgrade_since)

    @api.depends("tier_id", "qualifying_amount", "program_id")
    def _compute_next_tier(self):
        for member in self:
            tier, missing = member.program_id._next_tier(member.tier_id.id, member.qualifying_amount) \
                if member.active else (False, 0.0)
            member.next_tier_id = tier
            member.amount_to_next_tier = missing

    @api.constrains("tier_locked", "tier_lock_reason")
    def _check_lock_reason(self):
        for member in self:
            if member.tier_locked and not (member.tier_lock_reason or "").strip():
                raise ValidationError(self.env._(
                    "Locking the tier of %(partner)s needs a reason.", partner=member.partner_id.display_name,
                ))

    @api.constrains("tier_id", "program_id")
    def _check_tier_program(self):
        for member in self:
            tier = member.tier_id
            if tier and tier.program_id != member.program_id:
                raise ValidationError(self.env._(
                    "Tier %(tier)s belongs to program %(program)s, not to the program of %(partner)s.",
                    tier=tier.name, program=tier.program_id.name, partner=member.partner_id.display_name,
                ))

    @api.model
    def _of(self, partners, company):
        """{commercial partner id: its active member in ``company``} of ``partners``."""
        heads = partners.commercial_partner_id
        if not heads.ids or not company:
            return {}
        members = self.sudo().search([
            ("partner_id", "in", heads.ids), ("company_id", "=", company.id),
        ])
        return {member.partner_id.id: member.with_env(self.env) for member in members}

    @api.model
    def _states_of(self, partners, company):
        """{commercial partner id: its active member's state (a dict of the stored fields)}
        for ``partners`` in ``company``, read with one query."""
        if not partners.ids or not company:
            return {}
        self.flush_model()
        rows = self.env.execute_query_dict(SQL(
            """SELECT partner_id, program_id, tier_id, tier_since, qualifying_amount, downgrade_since,
                      COALESCE(tier_locked, FALSE) AS tier_locked, tier_lock_reason, points_balance
                 FROM wholesale_loyalty_member
                WHERE partner_id = ANY(%s) AND company_id = %s AND active""",
            partners.ids, company.id,
        ))
        return {row["partner_id"]: row for row in rows}

    @api.model
    def _tier_in(self, partner, program):
        """The tier ``partner`` (its commercial partner) holds in ``program``, or an empty tier."""
        # Read through the partner's views: one query for every partner prefetched with it.
        seen = partner.commercial_partner_id.with_company(program.company_id).sudo()
        if seen.wholesale_program_id == program:
            return seen.wholesale_tier_id.with_env(self.env)
        return self.env["wholesale.loyalty.tier"]

    @api.model
    def _search_members(self, domain, company):
        """SQL selecting the commercial partner ids whose active member in ``company``
        matches ``domain`` (a domain on this model)."""
        query = self.sudo()._search([*domain, ("company_id", "=", company.id)])
        return query.subselect("wholesale_loyalty_member.partner_id")

    def _sql_written(self, fnames):
        """Forget the cached values of ``fnames`` SQL just wrote on these members, and of
        what is computed from them (the partner's views, the quotation's next tier, ...)."""
        self.invalidate_recordset(fnames)
        # sudo: cache bookkeeping, whoever moved the points; the partners' views depend on
        # these fields and are dropped with them
        self.sudo().modified(fnames)
        # The statements write the company with the program: reading every member's program
        # again to compute it would cost the engine more than its own upsert.
        self.env.remove_to_compute(self._fields["company_id"], self)

    # ---- The figures of the account's form (see the fields of the same block above)

    def _compute_points_pending(self):
        points_service = self.env["wholesale.loyalty.points"]
        pending = defaultdict(int)
        for company, members in self.grouped("company_id").items():
            # sudo: the account's own invoices, counted for whoever may read the account
            invoices = self.env["account.move"].sudo().search([
                ("commercial_partner_id", "in", members.partner_id.ids),
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "not in", ("paid", "in_payment", "reversed")),
            ])
            holding = points_service._invoices_holding_points(invoices)
            down_payment_moves = points_service._moves_with_down_payments(invoices)
            for invoice in invoices:
                program = points_service._program_of(invoice)
                if program.points_trigger == "paid" and invoice.id not in holding:
                    points = points_service._invoice_points(invoice, program, down_payment_moves)
                    pending[invoice.commercial_partner_id.id, program.id] += points
        for member in self:
            member.points_pending = pending[member.partner_id.id, member.program_id.id] if member.active else 0

    def _compute_points_expiring(self):
        today = fields.Date.context_today(self)
        # sudo: the account's own lots, summed for whoever may read the account
        groups = self.env["wholesale.loyalty.ledger"].sudo()._read_group(
            [
                ("partner_id", "in", self.partner_id.ids),
                ("program_id", "in", self.program_id.ids),
                ("remaining_points", ">", 0),
                ("expiry_date", ">=", today),
                ("expiry_date", "<=", today + relativedelta(days=EXPIRING_SOON_DAYS)),
            ],
            ["partner_id", "program_id"],
            ["remaining_points:sum"],
        )
        expiring = {(partner.id, program.id): points for partner, program, points in groups}
        for member in self:
            member.points_expiring_30d = expiring.get((member.partner_id.id, member.program_id.id), 0)

    @api.depends("points_balance", "program_id.point_value")
    def _compute_points_value(self):
        for member in self:
            program = member.program_id
            member.points_value = program.currency_id.round(member.points_balance * program.point_value)

    @api.depends("tier_id", "qualifying_amount", "program_id", "active")
    def _compute_keep_tier(self):
        forecast = self.env["wholesale.loyalty.tier.forecast"]
        risks = {}
        for program, members in self.filtered("active").grouped("program_id").items():
            risks.update({(partner_id, program.id): risk
                          for partner_id, risk in forecast._risks(program, members.partner_id.ids).items()})
        for member in self:
            risk = risks.get((member.partner_id.id, member.program_id.id))
            member.keep_tier_id = risk.tier_id if risk else False
            member.keep_tier_amount = risk.amount if risk else 0.0
            member.keep_tier_by = risk.keep_by if risk else False

    def _compute_membership(self):
        held = self.env["wholesale.loyalty.membership"]._held_by(self.partner_id)
        for member in self:
            tier, until = held.get((member.partner_id.id, member.program_id.id), (False, False))
            member.membership_tier_id = tier
            member.membership_until = until

    def _compute_tier_history(self):
        # sudo: the account's own history, shown to whoever may read the account
        history = self.env["wholesale.loyalty.tier.history"].sudo().search(
            [("partner_id", "in", self.partner_id.ids), ("program_id", "in", self.program_id.ids)],
        )
        by_account = defaultdict(list)
        for entry in history:
            by_account[entry.partner_id.id, entry.program_id.id].append(entry.id)
        for member in self:
            member.tier_history_ids = by_account[member.partner_id.id, member.program_id.id]
