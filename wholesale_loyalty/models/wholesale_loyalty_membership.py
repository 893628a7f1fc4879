from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, format_date

from ..tools.batches import run_in_batches
from ..tools.membership_rules import Purchase, layout_memberships

STATES = [
    ("active", "Active"),
    ("expired", "Expired"),
    ("refunded", "Ended by credit note"),
    ("cancelled", "Cancelled"),
]
# Invoices whose fee is paid: Odoo's own states of a fully paid invoice.
PAID_STATES = ("paid", "in_payment")


class WholesaleLoyaltyMembership(models.Model):
    """A paid tier: the fee invoice line of a tier's membership product, once paid, gives
    the customer at least that tier from ``date_start`` to ``date_end`` (see
    :meth:`_tier_floors`, which the tier engine reads).

    Nobody edits a membership: :meth:`_sync_invoices` derives them all from the fee invoices
    (paid, unpaid again, credited) whenever one of those changes, so running it twice
    changes nothing.
    """

    _name = "wholesale.loyalty.membership"
    _description = "Wholesale Loyalty Paid Membership"
    _order = "date_start desc, id desc"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, ondelete="restrict", index=True, readonly=True
    )
    program_id = fields.Many2one(
        "wholesale.loyalty.program", required=True, ondelete="restrict", index=True, readonly=True
    )
    tier_id = fields.Many2one("wholesale.loyalty.tier", required=True, ondelete="restrict", index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, ondelete="restrict", index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    move_id = fields.Many2one(
        "account.move", string="Fee Invoice", ondelete="set null", index="btree_not_null", readonly=True
    )
    # Kept when the line goes (a draft invoice edited): the membership stays on record, cancelled.
    move_line_id = fields.Many2one("account.move.line", string="Fee Invoice Line", ondelete="set null", readonly=True)
    product_id = fields.Many2one(
        "product.product", string="Membership Product", ondelete="restrict", readonly=True,
        help="The product the fee was invoiced for.",
    )
    refund_move_id = fields.Many2one(
        "account.move", string="Credit Note", ondelete="set null", readonly=True,
        help="The credit note of the fee that ended this membership.",
    )
    amount = fields.Monetary(string="Fee", readonly=True, help="Untaxed fee, in company currency.")
    months = fields.Integer(readonly=True, help="Duration bought, as the tier gave it when the fee was paid.")
    paid_on = fields.Date(readonly=True, help="Day the fee was paid.")
    date_start = fields.Date(string="Start Date", readonly=True, index=True)
    date_end = fields.Date(
        string="End Date", readonly=True, index=True,
        help="Last day the membership gives the tier; for one ended by a credit note, the credit note's date.",
    )
    state = fields.Selection(STATES, required=True, default="active", index=True, readonly=True)
    is_renewal = fields.Boolean(
        string="Renewal", compute="_compute_is_renewal",
        help="Paid while an earlier membership of the same tier ran: it starts when that one ends.",
    )

    _sql_constraints = [
        ("move_line_unique", "UNIQUE(move_line_id)", "An invoice line buys one membership only."),
        ("months_positive", "CHECK(months > 0)", "A membership lasts at least one month."),
    ]

    @api.depends("paid_on", "date_start")
    def _compute_is_renewal(self):
        for membership in self:
            membership.is_renewal = bool(
                membership.paid_on and membership.date_start and membership.date_start > membership.paid_on
            )

    @api.depends("tier_id", "partner_id", "date_end")
    def _compute_display_name(self):
        for membership in self:
            membership.display_name = self.env._(
                "%(customer)s: %(tier)s until %(date)s",
                customer=membership.partner_id.display_name, tier=membership.tier_id.name,
                date=format_date(self.env, membership.date_end) if membership.date_end else "",
            )

    # ------------------------------------------------------------------ what the engine reads

    @api.model
    def _tier_floors(self, program, partner_ids, today):
        """{customer id: tier id} of the customers of ``partner_ids`` holding a membership of
        ``program`` on ``today``: the highest tier when they hold several."""
        if not partner_ids:
            return {}
        self.flush_model(["partner_id", "program_id", "tier_id", "state", "date_start", "date_end"])
        self.env["wholesale.loyalty.tier"].flush_model(["threshold_amount"])
        return dict(self.env.execute_query(SQL(
            """SELECT DISTINCT ON (m.partner_id) m.partner_id, m.tier_id
                 FROM wholesale_loyalty_membership m
                 JOIN wholesale_loyalty_tier t ON t.id = m.tier_id
                WHERE %(held)s AND m.partner_id = ANY(%(partners)s)
             ORDER BY m.partner_id, t.threshold_amount DESC, t.id DESC""",
            held=self._held_condition(SQL.identifier("m"), program, today), partners=list(partner_ids),
        )))

    @api.model
    def _floor_holders_query(self, program, today):
        """SELECT of the ids of the customers holding a membership of ``program`` on
        ``today``, or None when nobody does (then the engine adds no condition at all)."""
        self.flush_model(["partner_id", "program_id", "state", "date_start", "date_end"])
        table = SQL.identifier("wholesale_loyalty_membership")
        held = self._held_condition(table, program, today)
        if not self.env.execute_query(SQL("SELECT 1 FROM wholesale_loyalty_membership WHERE %s LIMIT 1", held)):
            return None
        return SQL("SELECT wholesale_loyalty_membership.partner_id FROM wholesale_loyalty_membership WHERE %s", held)

    @api.model
    def _held_condition(self, alias, program, today):
        """The one rule of who holds a paid tier on a day: an active membership running then."""
        return SQL(
            "%(m)s.program_id = %(program)s AND %(m)s.state = 'active'"
            " AND %(m)s.date_start <= %(today)s AND %(m)s.date_end >= %(today)s",
            m=alias, program=program.id, today=today,
        )

    @api.model
    def _held_by(self, customers):
        """{(customer id, program id): (tier, last day)} of the paid tiers ``customers`` hold
        today (the highest when several); the last day counts the renewals after it."""
        # sudo: the customer's form shows its paid tier to whoever sees its tier; callers
        # keep only the programs of the current companies (``_wholesale_visible_program``).
        running = self.sudo().search([("partner_id", "in", customers.ids), ("state", "=", "active")])
        today = {program: program._today() for program in running.program_id}
        held, last_day = {}, {}
        for membership in running.sorted(lambda m: (m.tier_id.threshold_amount, m.tier_id.id)):
            key = (membership.partner_id.id, membership.program_id.id)
            chain = (*key, membership.tier_id.id)
            last_day[chain] = max(last_day.get(chain, membership.date_end), membership.date_end)
            if membership.date_start <= today[membership.program_id] <= membership.date_end:
                held[key] = membership.tier_id
        return {key: (tier, last_day[(*key, tier.id)]) for key, tier in held.items()}

    # ------------------------------------------------------------------ following the invoices

    @api.model
    def _sync_invoices(self, moves):
        """Bring the memberships bought by these customer invoices (and by the invoices these
        credit notes credit) in line with them: a paid fee line has its membership, a fee no
        longer paid (payment removed, invoice reset or cancelled) cancels it, a posted credit
        note of the fee ends it. The customers whose memberships changed are re-evaluated and
        told. Idempotent: what is already in line is left alone."""
        # sudo: memberships follow the invoices' objective state; whoever posts, pays or
        # credits an invoice (an accountant, a sales rep) needs no loyalty rights for that.
        memberships = self.sudo()
        moves = moves.sudo()
        invoices = moves.filtered(lambda move: move.move_type == "out_invoice") | moves.filtered(
            lambda move: move.move_type == "out_refund"
        ).reversed_entry_id
        if not invoices:
            return memberships
        tiers = memberships._tiers_by_product()
        existing = memberships.search([("move_id", "in", invoices.ids)])
        fee_lines = invoices.invoice_line_ids.filtered(
            lambda line: (line.product_id.id, line.company_id.id) in tiers
        )
        if not fee_lines and not existing:
            return memberships
        created, revived, cancelled = memberships._match_fee_lines(fee_lines, existing, tiers)
        changed, events = memberships._lay_out(existing | created, created | revived)
        changed |= created | revived | cancelled
        events += [(membership, "cancelled") for membership in cancelled]
        memberships._after_changes(changed.partner_id, events)
        return changed

    @api.model
    def _tiers_by_product(self):
        """{(product id, company id): tier} of the tiers customers can buy."""
        tiers = self.env["wholesale.loyalty.tier"].sudo().search([
            ("membership_available", "=", True), ("membership_product_id", "!=", False),
        ])
        return {(tier.membership_product_id.id, tier.company_id.id): tier for tier in tiers}

    @api.model
    def _match_fee_lines(self, fee_lines, existing, tiers):
        """Create the memberships of fee lines newly paid, revive those paid again and cancel
        those whose fee is no longer paid, or no longer a fee (a draft invoice edited):
        (created, revived, cancelled)."""
        by_line = {membership.move_line_id.id: membership for membership in existing if membership.move_line_id}
        vals_list, revived = [], self.browse()
        for line in fee_lines.filtered(lambda line: self._is_paid(line.move_id)):
            vals = self._membership_vals(line, tiers[line.product_id.id, line.company_id.id])
            membership = by_line.get(line.id)
            if membership is None:
                vals_list.append(vals)
            elif membership.state == "cancelled":
                membership.write(vals)
                revived |= membership
        # The product bought is checked, not the tier's product now: a tier may be sold by
        # another product later without undoing what was paid for.
        cancelled = existing.filtered(
            lambda membership: membership.state != "cancelled" and not (
                membership.move_line_id.product_id == membership.product_id and self._is_paid(membership.move_id)
            )
        )
        cancelled.write({"state": "cancelled"})
        return self.create(vals_list), revived, cancelled

    @api.model
    def _is_paid(self, invoice):
        return invoice.state == "posted" and invoice.payment_state in PAID_STATES

    @api.model
    def _membership_vals(self, line, tier):
        invoice = line.move_id
        # Several units of the product buy as many periods.
        units = max(int(line.quantity), 1)
        return {
            "partner_id": invoice.commercial_partner_id.id,
            "program_id": tier.program_id.id,
            "tier_id": tier.id,
            "company_id": invoice.company_id.id,
            "move_id": invoice.id,
            "move_line_id": line.id,
            "product_id": line.product_id.id,
            "amount": -line.balance,
            "months": tier.membership_months * units,
            "paid_on": self._paid_on(invoice),
            "state": "active",
        }

    @api.model
    def _paid_on(self, invoice):
        """Day the fee was paid: the last payment's date (an invoice of zero: its own date)."""
        return (
            self.env["wholesale.loyalty.points"]._payment_date(invoice)
            or invoice.invoice_date
            or fields.Date.context_today(self)
        )

    @api.model
    def _lay_out(self, seeds, bought):
        """Date and state every membership of the customers and tiers of ``seeds`` (see
        ``layout_memberships``): (the memberships changed, the events to tell), an event
        being (membership, ``started`` | ``renewed`` | ``refunded`` | ``expired``). The
        memberships of ``bought`` were just paid for."""
        changed, events = self.browse(), []
        if not seeds:
            return changed, events
        chains = self.search([
            ("partner_id", "in", seeds.partner_id.ids), ("tier_id", "in", seeds.tier_id.ids),
            ("state", "!=", "cancelled"),
        ])
        by_chain = defaultdict(lambda: self.browse())
        for membership in chains:
            by_chain[membership.partner_id.id, membership.tier_id.id] |= membership
        refunds = self._fee_refunds(chains)
        for members in by_chain.values():
            today = members.program_id[:1]._today()
            periods = layout_memberships([
                Purchase(m.id, m.paid_on, m.months, m.id in refunds and refunds[m.id].invoice_date or None)
                for m in members
            ])
            for membership in members:
                period = periods[membership.id]
                vals = {
                    "date_start": period.date_start,
                    "date_end": period.date_end,
                    "state": "refunded" if period.refunded else "expired" if period.date_end < today else "active",
                    "refund_move_id": refunds[membership.id] if period.refunded else self.env["account.move"],
                }
                before = membership.state
                if any(membership[name] != value for name, value in vals.items()):
                    membership.write({**vals, "refund_move_id": vals["refund_move_id"].id})
                    changed |= membership
                if membership in bought and membership.state == "active":
                    events.append((membership, "renewed" if membership.is_renewal else "started"))
                elif before != membership.state and membership.state in ("refunded", "expired"):
                    events.append((membership, membership.state))
        return changed, events

    @api.model
    def _fee_refunds(self, memberships):
        """{membership id: the posted credit note that credits its fee}, the earliest one."""
        refunds = {}
        for membership in memberships.filtered("move_id"):
            notes = membership.move_id.reversal_move_ids.filtered(
                lambda move, product=membership.product_id: move.state == "posted"
                and move.move_type == "out_refund"
                and product in move.invoice_line_ids.product_id
            ).sorted(lambda move: (move.invoice_date or move.date, move.id))
            if notes:
                refunds[membership.id] = notes[0]
        return refunds

    @api.model
    def _after_changes(self, customers, events):
        """Re-evaluate ``customers``, then tell them what happened to their memberships
        (after: the mail shows the tier they hold now)."""
        if customers:
            self.env["wholesale.loyalty.tier.engine"]._evaluate_partners(customers, "membership")
        if events:
            self._tell(events)

    @api.model
    def _tell(self, events):
        """A note on the customer's chatter for each event, and a mail to the customer for
        each but a cancellation (the customer asked for nothing, the accountant undid it)."""
        lang_envs = self.browse().union(*(m for m, _e in events)).partner_id._wholesale_lang_envs()
        mailed = self.browse()
        for membership, event in events:
            env = lang_envs[membership.partner_id.id]
            membership.partner_id.message_post(
                body=Markup("<p>%s</p>") % membership._event_summary(event, env),
                subtype_xmlid="mail.mt_note",
            )
            if event != "cancelled" and membership.partner_id.email:
                mailed |= membership
        template = self.env.ref("wholesale_loyalty.mail_template_membership", raise_if_not_found=False)
        if template and mailed:
            template.send_mail_batch(mailed.ids)

    def _event_summary(self, event, env):
        """What happened to this membership, in words, in the language of ``env``."""
        self.ensure_one()
        names = {
            "tier": self.tier_id.with_env(env).name,
            "program": self.program_id.with_env(env).name,
            "start": format_date(env, self.date_start),
            "end": format_date(env, self.date_end),
            "invoice": self.move_id.name or "",
        }
        if event == "started":
            return env._("Paid membership %(tier)s of %(program)s from %(start)s to %(end)s (invoice %(invoice)s).",
                         **names)
        if event == "renewed":
            return env._("Paid membership %(tier)s of %(program)s renewed until %(end)s (invoice %(invoice)s).",
                         **names)
        if event == "refunded":
            return env._("Paid membership %(tier)s of %(program)s ended on %(end)s by credit note %(refund)s.",
                         refund=self.refund_move_id.name or "", **names)
        if event == "expired":
            return env._("Paid membership %(tier)s of %(program)s ended on %(end)s.", **names)
        return env._("Paid membership %(tier)s of %(program)s cancelled: invoice %(invoice)s is no longer paid.",
                     **names)

    # ------------------------------------------------------------------ scheduled

    @api.model
    def _cron_end_expired(self, batch_size=200):
        """End the memberships whose last day has passed and re-evaluate their customers.
        Idempotent: an ended membership is not selected again, and each batch commits its
        states with its mails."""
        running = self.sudo().search(
            [("state", "=", "active"), ("date_end", "<", fields.Date.context_today(self))],
            order="partner_id, id",
        )
        # Today is the program's (its company's timezone), as for the tier engine.
        today = {program: program._today() for program in running.program_id}
        expired = running.filtered(lambda membership: membership.date_end < today[membership.program_id])
        run_in_batches(self.env, expired, batch_size, self._end_expired, commit=True)

    @api.model
    def _end_expired(self, memberships):
        memberships.write({"state": "expired"})
        self._after_changes(memberships.partner_id, [(membership, "expired") for membership in memberships])
