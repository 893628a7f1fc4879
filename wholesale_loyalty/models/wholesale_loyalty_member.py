
from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, ormcache

from ..tools.points_rules import EXPIRING_SOON_DAYS

# The member's tier state, written by the tier engine with SQL (see its ``_write_states``).
STATE_FIELDS = [
    "program_id", "tier_id", "tier_since", "qualifying_amount", "downgrade_since", "tier_evaluated_on", "active",
]


def forget_dependents(records, tree):
    """Drop the cached values of the fields of ``tree`` (the trigger tree of a field of
    ``records``, whose fields are all computed on reading) that depend on ``records``. The
    records are found as ``modified`` finds them, except that a relation without an inverse
    is followed in the cache only: a record that is not in the cache holds no value to drop."""
    if not records:
        return
    records.env.cache.invalidate([(field, records.ids) for field in tree.root])
    for field, subtree in tree.items():
        model = records.env[field.model_name]
        inverse = next((
            invf for invf in model.pool.field_inverses[field]
            if invf.type != "many2one_reference" and not (invf.type in ("one2many", "many2many") and invf.domain)
        ), None)
        if inverse:
            related = records[inverse.name]
        else:
            related = records.env.cache.get_records(model, field, all_contexts=True).filtered(
                lambda record, fname=field.name, ids=set(records.ids): not ids.isdisjoint(record[fname]._ids)
            )
        forget_dependents(related, subtree)


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
            """SELECT id, partner_id, program_id, tier_id, tier_since, qualifying_amount, downgrade_since,
                      COALESCE(tier_locked, FALSE) AS tier_locked, tier_lock_reason, points_balance
                 FROM wholesale_loyalty_member
                WHERE partner_id = ANY(%s) AND company_id = %s AND active""",
            partners.ids, company.id,
        ))
        # The entries a document writes next find these accounts without a query.
        self._remember_accounts([(row["id"], row["partner_id"], row["program_id"]) for row in rows])
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
        if self._unstored_dependents(tuple(sorted(fnames))) is None:
            # sudo: cache bookkeeping, whoever moved the points
            self.sudo().modified(fnames)
        else:
            # Only fields computed on reading depend on these: their values in the cache are
            # all there is to drop, found without searching the records that show them (every
            # contact of the customer, its quotations) on each document. As ``modified`` does,
            # the fields with no value in the cache are left out from the start.
            cache, company = self.env.cache, self._fields["company_id"]
            tree = self.pool.get_trigger_tree(
                [self._fields[fname] for fname in fnames],
                select=lambda field: field != company and cache.contains_field(field),
            )
            forget_dependents(self.sudo().with_context(active_test=False), tree)
        # The statements write the company with the program: reading every member's program
        # again to compute it would cost the engine more than its own upsert.
        self.env.remove_to_compute(self._fields["company_id"], self)

    @ormcache("fnames")
    def _unstored_dependents(self, fnames):
        """The fields that depend on the member fields ``fnames`` (through any path), or None
        when one of them is stored: that one must be recomputed, which ``modified`` does.
        The member's company follows its program and is written with it (see
        :meth:`_sql_written`)."""
        company = self._fields["company_id"]
        dependents = {
            dependent
            for fname in fnames
            for dependent in self.pool.get_dependent_fields(self._fields[fname])
            if dependent != company
        }
        if any(dependent.store for dependent in dependents):
            return None
        return frozenset(dependents)

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

    # ------------------------------------------------------------------ rows that point to the account
    # Ledger entries, tier history and paid tiers point to their member (``member_id``) and keep
    # its partner and program, which integrators read: ``_link_rows`` keeps the three together.

    ledger_ids = fields.One2many("wholesale.loyalty.ledger", "member_id", string="Points Ledger", readonly=True)
    tier_history_ids = fields.One2many(
        "wholesale.loyalty.tier.history", "member_id", string="Tier History", readonly=True,
    )

    @api.model
    def _link_rows(self, vals_list):
        """Complete the values of rows about to point to a member: a row given a member takes its
        partner and program, a row given a partner and a program takes their member (an archived
        account is opened for a customer who has none in that program, so that every row has
        one). A member that is not the one of the row's partner and program is refused, before
        anything is written. Members the transaction already read (the points service's lock
        reads every account of the customers it locks) cost no query; the others are looked up,
        or opened, for the whole batch in one query."""
        given = [vals for vals in vals_list if vals.get("member_id")]
        if given:
            self._check_given_members(given)
        missing = [vals for vals in vals_list
                   if not vals.get("member_id") and vals.get("partner_id") and vals.get("program_id")]
        if not missing:
            return vals_list
        accounts = self._known_accounts()
        pairs = {(vals["partner_id"], vals["program_id"]) for vals in missing} - accounts.keys()
        if pairs:
            accounts.update(self._accounts_of(pairs))
        for vals in missing:
            vals["member_id"] = accounts[vals["partner_id"], vals["program_id"]]
        return vals_list

    @api.model
    def _check_given_members(self, given):
        # sudo: only the member's partner and program are read, to compare them with the row's
        members = self.sudo().browse([vals["member_id"] for vals in given])
        for vals, member in zip(given, members, strict=True):
            vals.setdefault("partner_id", member.partner_id.id)
            vals.setdefault("program_id", member.program_id.id)
            if (vals["partner_id"], vals["program_id"]) != (member.partner_id.id, member.program_id.id):
                raise ValidationError(self.env._(
                    "The loyalty account %(account)s belongs to %(partner)s in program %(program)s; "
                    "it cannot hold a row of another customer or program.",
                    account=member.display_name, partner=member.partner_id.display_name,
                    program=member.program_id.name,
                ))

    @api.model
    def _known_accounts(self):
        """{(partner id, program id): member id} of the members whose partner and program this
        transaction has in memory."""
        cache = self.env.cache
        partner_field, program_field = self._fields["partner_id"], self._fields["program_id"]
        members = cache.get_records(self, partner_field) & cache.get_records(self, program_field)
        return {
            (partner_id, program_id): member_id
            for member_id, partner_id, program_id in zip(
                members._ids, cache.get_values(members, partner_field), cache.get_values(members, program_field),
                strict=True,
            )
            if partner_id and program_id and isinstance(member_id, int)  # not a member being edited in a form
        }

    @api.model
    def _remember_accounts(self, rows):
        """Keep in memory the partner and program of the members of ``rows`` [(member id,
        partner id, program id)] just read by SQL, so that rows made for them next find them."""
        if not rows:
            return
        members = self.browse([row[0] for row in rows])
        self.env.cache.insert_missing(members, self._fields["partner_id"], [row[1] for row in rows])
        self.env.cache.insert_missing(members, self._fields["program_id"], [row[2] for row in rows])

    @api.model
    def _accounts_of(self, pairs):
        """{(partner id, program id): member id} of ``pairs``, opening an archived account, without
        points yet, for each pair that has none: one query."""
        self.flush_model(["partner_id", "program_id"])
        partner_ids, program_ids = zip(*pairs, strict=True)
        rows = self.env.execute_query(SQL(
            """WITH wanted AS (SELECT DISTINCT * FROM unnest(%(partners)s::int[], %(programs)s::int[])
                                                 AS w(partner_id, program_id)),
                    opened AS (
                        INSERT INTO wholesale_loyalty_member AS m
                               (partner_id, program_id, company_id, active, points_balance, qualifying_amount,
                                tier_locked, create_uid, write_uid, create_date, write_date)
                        SELECT w.partner_id, w.program_id, pr.company_id, FALSE, 0, 0, FALSE,
                               %(uid)s, %(uid)s, %(now)s, %(now)s
                          FROM wanted w
                          JOIN wholesale_loyalty_program pr ON pr.id = w.program_id
                         WHERE NOT EXISTS (SELECT 1 FROM wholesale_loyalty_member e
                                            WHERE e.partner_id = w.partner_id AND e.program_id = w.program_id)
                        ON CONFLICT (partner_id, program_id) DO NOTHING
                        RETURNING m.id, m.partner_id, m.program_id)
               SELECT id, partner_id, program_id, TRUE FROM opened
               UNION ALL
               SELECT m.id, m.partner_id, m.program_id, FALSE
                 FROM wholesale_loyalty_member m
                 JOIN wanted w ON w.partner_id = m.partner_id AND w.program_id = m.program_id""",
            partners=list(partner_ids), programs=list(program_ids), uid=self.env.uid, now=fields.Datetime.now(),
        ))
        opened_partner_ids = [partner_id for _id, partner_id, _program_id, opened in rows if opened]
        if opened_partner_ids:
            self.env["res.partner"].browse(opened_partner_ids).invalidate_recordset(["wholesale_member_ids"])
        self._remember_accounts([row[:3] for row in rows])
        return {(partner_id, program_id): member_id for member_id, partner_id, program_id, _opened in rows}

    @api.model
    def _merge_accounts(self, src_partner_ids, dst_partner):
        """Merged customers: the survivor gets an account in every program the merged-away
        partners had one in (archived where it had none), and their ledger entries, tier history
        and paid tiers move to it. Their own accounts are then left without rows."""
        if not src_partner_ids:
            return
        self.env.flush_all()
        self.env.execute_query(SQL(
            """INSERT INTO wholesale_loyalty_member AS m
                      (partner_id, program_id, company_id, active, points_balance, qualifying_amount,
                       tier_locked, create_uid, write_uid, create_date, write_date)
               SELECT DISTINCT %(dst)s, s.program_id, s.company_id, FALSE, 0, 0, FALSE,
                      %(uid)s, %(uid)s, %(now)s, %(now)s
                 FROM wholesale_loyalty_member s
                WHERE s.partner_id = ANY(%(sources)s)
            ON CONFLICT (partner_id, program_id) DO NOTHING""",
            dst=dst_partner.id, sources=list(src_partner_ids), uid=self.env.uid, now=fields.Datetime.now(),
        ))
        for table in ("wholesale_loyalty_ledger", "wholesale_loyalty_tier_history", "wholesale_loyalty_membership"):
            self.env.execute_query(SQL(
                """UPDATE %(table)s t SET partner_id = d.partner_id, member_id = d.id
                     FROM wholesale_loyalty_member s
                     JOIN wholesale_loyalty_member d ON d.partner_id = %(dst)s AND d.program_id = s.program_id
                    WHERE t.member_id = s.id AND s.partner_id = ANY(%(sources)s)""",
                table=SQL.identifier(table), dst=dst_partner.id, sources=list(src_partner_ids),
            ))
        self.env.invalidate_all()
