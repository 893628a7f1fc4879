from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare, float_round, format_amount, format_date, ormcache

from ..tools.access import LOYALTY_MANAGER, check_caller_groups
from ..tools.batches import run_in_batches
from ..tools.membership_rules import Credit, Purchase, layout_memberships
from ..tools.tier_rules import local_today

STATES = [
    ("to_approve", "To Approve"),
    ("active", "Active"),
    ("expired", "Expired"),
    ("refunded", "Ended by credit note"),
    ("cancelled", "Cancelled"),
]
# Invoices whose fee is paid: Odoo's own states of a fully paid invoice.
PAID_STATES = ("paid", "in_payment")
# What the customer is mailed about (the rest is a note on its chatter): what it holds changed.
MAILED_EVENTS = ("started", "renewed", "refunded", "expired")
# What endpoints are told of (see ``_queue_events``): the tier held by the fee starts or ends.
EVENT_OF = {
    "started": "paid_tier.started",
    "renewed": "paid_tier.started",
    "refunded": "paid_tier.ended",
    "expired": "paid_tier.ended",
    "cancelled": "paid_tier.ended",
}


class WholesaleLoyaltyMembership(models.Model):
    """A paid tier: the fee invoice line of a tier's membership product, once paid, gives
    the customer at least that tier from ``date_start`` to ``date_end`` (see
    :meth:`_tier_floors`, which the tier engine reads).

    What the money kept pays for: a line buys the tier's months once per unit (the quantity
    rounded up) at the tier's price for them, ``list_amount`` (the product's untaxed list
    price times the units), and gives the days of that term in proportion to the fee
    received, ``amount`` (untaxed, company currency), net of the fee's credit notes (see
    ``membership_rules``). Nothing for a fee of zero or less. A fee below the tier's price
    gives nothing until a loyalty administrator approves it (:meth:`action_approve`).

    Nobody edits a membership: :meth:`_sync_invoices` derives them all from the fee invoices
    (paid, unpaid again, credited) whenever one of those changes, so running it twice
    changes nothing.
    """

    _name = "wholesale.loyalty.membership"
    _description = "Wholesale Loyalty Paid Membership"
    _order = "date_start desc, id desc"

    member_id = fields.Many2one(
        "wholesale.loyalty.member", string="Loyalty Account", required=True, ondelete="restrict", index=True,
        readonly=True, help="The customer's account in the program: the paid tier's customer and program.",
    )
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
    list_amount = fields.Monetary(
        string="Tier Price", readonly=True,
        help="The tier's untaxed price for the months bought when the fee was paid, in company currency: a fee "
        "below it gives days in proportion, once approved.",
    )
    amount_credited = fields.Monetary(
        string="Credited", readonly=True,
        help="Part of the fee given back by credit notes, in company currency: the days it paid for are gone.",
    )
    approved_by_id = fields.Many2one(
        "res.users", string="Approved By", ondelete="restrict", readonly=True,
        help="The loyalty administrator who accepted a fee below the tier's price.",
    )
    approved_on = fields.Datetime(string="Approved On", readonly=True)
    approved_amount = fields.Monetary(
        string="Approved Fee", readonly=True,
        help="The fee the approval was given for: a different fee needs a new approval.",
    )
    approval_reason = fields.Text(readonly=True, help="Why the fee below the tier's price was accepted.")
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

    @api.depends("paid_on", "approved_on", "date_start")
    def _compute_is_renewal(self):
        for membership in self:
            membership.is_renewal = bool(
                membership.paid_on and membership.date_start
                and membership.date_start > membership._earliest_start()
            )

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")  # before an account is opened for the rows
        self.env["wholesale.loyalty.member"]._link_rows(vals_list)
        memberships = super().create(vals_list)
        if memberships:
            # _program_ids_with_memberships and _bought_product_ids, in every worker
            self.env.registry.clear_cache()
        return memberships

    def write(self, vals):
        if "product_id" in vals:
            self.env.registry.clear_cache()  # _bought_product_ids, in every worker
        if not {"member_id", "partner_id", "program_id"}.intersection(vals):
            return super().write(vals)
        # A fee paid again by another customer or for another program moves to that account.
        self.check_access("write")  # before an account is opened for it
        for membership in self:
            linked = dict(vals) if vals.get("member_id") else {
                "partner_id": membership.partner_id.id, "program_id": membership.program_id.id, **vals,
                "member_id": False,
            }
            self.env["wholesale.loyalty.member"]._link_rows([linked])
            super(WholesaleLoyaltyMembership, membership).write(linked)
        self.env.registry.clear_cache()  # _program_ids_with_memberships, in every worker
        return True

    @api.model
    @ormcache()
    def _program_ids_with_memberships(self):
        """Ids of the programs with memberships (of any state): the engine looks for paid
        tiers in those only, so that evaluating a customer of a program nobody ever paid a tier
        of asks the database nothing for them. Cleared when a membership is created or moved;
        a deleted one leaves its program here, which only costs that query."""
        self.flush_model(["program_id"])
        return frozenset(row[0] for row in self.env.execute_query(SQL(
            "SELECT DISTINCT program_id FROM wholesale_loyalty_membership"
        )))

    @api.model
    @ormcache()
    def _bought_product_ids(self):
        """Ids of the products memberships were bought with (of any state): an invoice with
        none of them on its lines has no membership to bring in line, and is not looked up.
        Cleared when a membership is created or its product changes."""
        self.flush_model(["product_id"])
        return frozenset(row[0] for row in self.env.execute_query(SQL(
            "SELECT DISTINCT product_id FROM wholesale_loyalty_membership WHERE product_id IS NOT NULL"
        )))

    @api.depends("tier_id", "partner_id", "date_end")
    def _compute_display_name(self):
        for membership in self:
            membership.display_name = self.env._(
                "%(customer)s: %(tier)s until %(date)s",
                customer=membership.partner_id.display_name, tier=membership.tier_id.name,
                date=format_date(self.env, membership.date_end) if membership.date_end else "",
            )

    # ------------------------------------------------------------------ approval

    def action_approve(self):
        """Open the approval of a fee below the tier's price (loyalty administrators only):
        the wizard records who approved it, when and why."""
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self.ensure_one()
        self._check_awaits_approval()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Approve Fee"),
            "res_model": "wholesale.loyalty.membership.approve.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_membership_id": self.id},
        }

    def _check_awaits_approval(self):
        if self.state != "to_approve":
            raise UserError(self.env._(
                "%(membership)s does not await approval: only a paid fee below the tier's price does.",
                membership=self.display_name,
            ))

    def _approve(self, reason):
        """Record that the current user accepts this fee below the tier's price for
        ``reason``; the membership then gives the days the fee pays for, from the later of
        the day paid and today. The caller checked the user's rights."""
        self.ensure_one()
        self._check_awaits_approval()
        # sudo: memberships are written by the add-on only; the caller checked that the user
        # is a loyalty administrator, and only the approval and its consequences are written.
        membership = self.sudo()
        membership.write({
            "approved_by_id": self.env.uid,
            "approved_on": fields.Datetime.now(),
            "approved_amount": membership.amount,
            "approval_reason": reason,
            "state": "active",
        })
        _changed, events = membership._lay_out(membership, membership)
        membership._after_changes(membership.partner_id, [(membership, "approved"), *events])

    # ------------------------------------------------------------------ what the engine reads

    @api.model
    def _tier_floors(self, program, partner_ids, today):
        """{customer id: tier id} of the customers of ``partner_ids`` holding a membership of
        ``program`` on ``today``: the highest tier when they hold several."""
        if not partner_ids or program.id not in self._program_ids_with_memberships():
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
        if program.id not in self._program_ids_with_memberships():
            return None
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
        note of the fee takes back the days the credited money paid for. The customers whose
        memberships changed are re-evaluated and told; a paid tier whose money went back goes
        at once (see :meth:`_unfunded`). Idempotent: what is already in line is left alone."""
        # sudo: memberships follow the invoices' objective state; whoever posts, pays or
        # credits an invoice (an accountant, a sales rep) needs no loyalty rights for that.
        memberships = self.sudo()
        moves = moves.sudo()
        tiers = memberships._tiers_by_product()
        invoices = moves.filtered(lambda move: move.move_type == "out_invoice") | moves.filtered(
            lambda move: move.move_type == "out_refund"
        ).reversed_entry_id | memberships._fee_invoices_given_back(moves, tiers)
        if not invoices:
            return memberships
        fee_lines = invoices.invoice_line_ids.filtered(
            lambda line: (line.product_id.id, line.company_id.id) in tiers
        )
        # Only an invoice with a line of a product some membership was bought with can hold one.
        bought = memberships._bought_product_ids()
        searched = invoices.filtered(lambda invoice: not bought.isdisjoint(invoice.invoice_line_ids.product_id.ids))
        existing = memberships.search([("move_id", "in", searched.ids)]) if searched else memberships
        if not fee_lines and not existing:
            return memberships
        customers = invoices.commercial_partner_id | existing.partner_id
        held_before = memberships._held_by(customers)
        created, revived, cancelled = memberships._match_fee_lines(fee_lines, existing, tiers)
        changed, events = memberships._lay_out(existing | created, created | revived)
        changed |= created | revived | cancelled
        events += [(membership, "cancelled") for membership in cancelled]
        events += [(membership, "to_approve") for membership in created | revived if membership.state == "to_approve"]
        unfunded = memberships._unfunded(held_before, memberships._held_by(customers))
        memberships._after_changes(changed.partner_id, events, unfunded)
        return changed

    @api.model
    def _fee_invoices_given_back(self, moves, tiers):
        """The fee invoices whose money ``moves`` may give back without being linked to them
        (see :meth:`_add_returned_fees`): those of the same customers and membership products."""
        lines = moves.filtered(lambda move: move.move_type in ("out_invoice", "out_refund")).invoice_line_ids
        returning = lines.filtered(lambda line: (line.product_id.id, line.company_id.id) in tiers and line.balance > 0)
        if not returning:
            return self.env["account.move"]
        return self.search([
            ("partner_id", "in", returning.move_id.commercial_partner_id.ids),
            ("product_id", "in", returning.product_id.ids),
        ]).move_id

    @api.model
    def _tiers_by_product(self):
        """{(product id, company id): tier} of the tiers customers can buy."""
        tiers = self.env["wholesale.loyalty.tier"].sudo()
        return {key: tiers.browse(tier_id) for key, tier_id in tiers._paid_tier_ids_by_product()}

    @api.model
    def _match_fee_lines(self, fee_lines, existing, tiers):
        """Create the memberships of fee lines newly paid, revive those paid again and cancel
        those whose fee is no longer paid, or no longer a fee (a draft invoice edited to a
        fee of zero or less, or to another product): (created, revived, cancelled)."""
        by_line = {membership.move_line_id.id: membership for membership in existing if membership.move_line_id}
        vals_list, revived = [], self.browse()
        for line in fee_lines.filtered(self._buys_membership):
            vals = self._membership_vals(line, tiers[line.product_id.id, line.company_id.id])
            membership = by_line.get(line.id)
            if membership is None:
                vals_list.append({**vals, "state": self._state_when_paid(vals)})
            elif membership.state == "cancelled":
                membership.write(membership._revival_vals(vals))
                revived |= membership
        # The product bought is checked, not the tier's product now: a tier may be sold by
        # another product later without undoing what was paid for.
        cancelled = existing.filtered(
            lambda membership: membership.state != "cancelled" and not (
                membership.move_line_id.product_id == membership.product_id
                and self._buys_membership(membership.move_line_id)
            )
        )
        cancelled.write({"state": "cancelled"})
        return self.create(vals_list), revived, cancelled

    @api.model
    def _buys_membership(self, line):
        """Whether a fee line buys a membership: its invoice is paid and the line brought
        money for at least one unit. Zero or less buys nothing: a fee given back on a later
        invoice is no purchase."""
        rounding = line.company_currency_id.rounding
        return (
            self._is_paid(line.move_id)
            and float_compare(line.quantity, 0.0, precision_rounding=line.product_uom_id.rounding or 0.01) > 0
            and float_compare(self._fee(line), 0.0, precision_rounding=rounding) > 0
        )

    @api.model
    def _is_paid(self, invoice):
        return invoice.state == "posted" and invoice.payment_state in PAID_STATES

    @api.model
    def _fee(self, line):
        """Untaxed money a fee line brought, in company currency: its amount less its share
        of the lines of the same product on the invoice that give money back (a discount
        line), in proportion to the lines that bring money."""
        lines = line.move_id.invoice_line_ids.filtered(lambda other: other.product_id == line.product_id)
        brought = -sum(lines.filtered(lambda other: other.balance < 0).mapped("balance"))
        kept = -sum(lines.mapped("balance"))
        if line.balance >= 0 or kept <= 0:
            return 0.0
        return line.company_currency_id.round(-line.balance * kept / brought)

    @api.model
    def _membership_vals(self, line, tier):
        invoice = line.move_id
        # Each unit begun buys a whole term; its price says how much of it the fee pays for.
        units = int(float_round(line.quantity, precision_rounding=1.0, rounding_method="UP"))
        return {
            "partner_id": invoice.commercial_partner_id.id,
            "program_id": tier.program_id.id,
            "tier_id": tier.id,
            "company_id": invoice.company_id.id,
            "move_id": invoice.id,
            "move_line_id": line.id,
            "product_id": line.product_id.id,
            "amount": self._fee(line),
            "list_amount": self._term_price(line, units),
            "amount_credited": 0.0,
            "months": tier.membership_months * units,
            "paid_on": self._paid_on(invoice),
        }

    @api.model
    def _term_price(self, line, units):
        """The tier's price for ``units`` terms, as the fee is counted: the membership
        product's list price without its taxes, in company currency on the invoice's date."""
        company = line.company_id
        product = line.product_id.with_company(company)
        taxes = product.taxes_id._filter_taxes_by_company(company)
        untaxed = taxes.compute_all(product.lst_price, currency=product.currency_id, product=product)["total_excluded"]
        price = product.currency_id._convert(
            untaxed, company.currency_id, company, line.move_id.invoice_date or fields.Date.context_today(self)
        )
        return company.currency_id.round(price * units)

    @api.model
    def _state_when_paid(self, vals, approved_amount=None):
        """``active`` for a fee that pays the tier's price (or the fee approved before),
        ``to_approve`` for one below it: it gives nothing until approved."""
        rounding = self.env["res.company"].browse(vals["company_id"]).currency_id.rounding
        if float_compare(vals["amount"], vals["list_amount"], precision_rounding=rounding) >= 0:
            return "active"
        if approved_amount is not None and float_compare(vals["amount"], approved_amount,
                                                         precision_rounding=rounding) == 0:
            return "active"
        return "to_approve"

    def _revival_vals(self, vals):
        """Values of this cancelled membership paid again: its approval holds for the fee it
        was given for only (a draft invoice edited since needs a new one)."""
        self.ensure_one()
        approved = self.approved_amount if self.approved_by_id else None
        state = self._state_when_paid(vals, approved)
        if state == "to_approve" or float_compare(vals["amount"], vals["list_amount"],
                                                  precision_rounding=self.currency_id.rounding) >= 0:
            approval = {"approved_by_id": False, "approved_on": False, "approved_amount": 0.0,
                        "approval_reason": False}
        else:
            approval = {}
        return {**vals, **approval, "state": state}

    @api.model
    def _paid_on(self, invoice):
        """Day the fee was paid: the last payment's date (an invoice of zero: its own date)."""
        return (
            invoice._wholesale_payment_date()
            or invoice.invoice_date
            or fields.Date.context_today(self)
        )

    @api.model
    def _lay_out(self, seeds, bought):
        """Date and state every membership of the customers and tiers of ``seeds`` (see
        ``layout_memberships``): (the memberships changed, the events to tell), an event
        being (membership, ``started`` | ``renewed`` | ``shortened`` | ``refunded`` |
        ``expired``). The memberships of ``bought`` were just paid for. A fee awaiting
        approval gives no day and takes no place in the chain."""
        changed, events = self.browse(), []
        if not seeds:
            return changed, events
        chains = self.search([
            ("partner_id", "in", seeds.partner_id.ids), ("tier_id", "in", seeds.tier_id.ids),
            ("state", "not in", ("cancelled", "to_approve")),
        ])
        by_chain = defaultdict(lambda: self.browse())
        for membership in chains:
            by_chain[membership.partner_id.id, membership.tier_id.id] |= membership
        credits = self._fee_credits(chains)
        for members in by_chain.values():
            today = members.program_id[:1]._today()
            periods = layout_memberships([m._purchase(credits.get(m.id, [])) for m in members])
            for membership in members:
                period = periods[membership.id]
                notes = credits.get(membership.id, [])
                vals = {
                    "date_start": period.date_start,
                    "date_end": period.date_end,
                    "state": "refunded" if period.refunded else "expired" if period.date_end < today else "active",
                    "refund_move_id": membership._ending_note(notes) if period.refunded else self.env["account.move"],
                    "amount_credited": notes[-1][1] if notes else 0.0,
                }
                before = (membership.state, membership.date_end)
                if any(membership[name] != value for name, value in vals.items()):
                    membership.write({**vals, "refund_move_id": vals["refund_move_id"].id})
                    changed |= membership
                if membership in bought and membership.state == "active":
                    events.append((membership, "renewed" if membership.is_renewal else "started"))
                elif before[0] != membership.state and membership.state in ("refunded", "expired"):
                    events.append((membership, membership.state))
                elif before[0] == membership.state == "active" and membership.date_end < before[1]:
                    events.append((membership, "shortened"))
        return changed, events

    def _earliest_start(self):
        """First day the membership may give the tier: the day its fee was paid, or the
        day it was approved when the fee was below the tier's price."""
        self.ensure_one()
        if self.approved_on:
            return max(self.paid_on, local_today(self.program_id._timezone(), self.approved_on))
        return self.paid_on

    def _purchase(self, credits):
        """This membership as the layout needs it (``credits``: see :meth:`_fee_credits`)."""
        self.ensure_one()
        return Purchase(
            self.id, self._earliest_start(), self.months,
            tuple(Credit(note.invoice_date or note.date, self._share(self.amount - credited))
                  for note, credited in credits),
            self._share(self.amount),
        )

    def _share(self, money):
        """Share of the tier's price for the term that ``money`` pays: 1 when it pays the
        price (or more), 0 for nothing."""
        self.ensure_one()
        rounding = self.currency_id.rounding
        if float_compare(money, self.list_amount, precision_rounding=rounding) >= 0:
            return 1.0
        if float_compare(money, 0.0, precision_rounding=rounding) <= 0:
            return 0.0
        return money / self.list_amount

    def _ending_note(self, credits):
        """The credit note that took the whole fee back (the first to leave nothing)."""
        return next(
            (note for note, credited in credits if self._share(self.amount - credited) <= 0.0),
            self.env["account.move"],
        )

    @api.model
    def _fee_credits(self, memberships):
        """{membership id: [(document, money credited so far)]} of the posted documents that
        give each fee back, in date order; money in company currency. A credit note of the fee
        invoice takes back its share of the fee in the invoice's currency, so that a full
        credit note leaves nothing whatever the rate of its day; the fee lines of one product
        on one invoice share it in proportion to their fees. Money given back by a document
        not linked to the fee invoice counts too (see :meth:`_add_returned_fees`)."""
        by_fee = defaultdict(lambda: self.browse())
        for membership in memberships.filtered("move_id"):
            by_fee[membership.move_id, membership.product_id] |= membership
        given_back = defaultdict(list)  # membership id: [(document, money it gives back)]
        for (invoice, product), members in by_fee.items():
            notes = invoice.reversal_move_ids.filtered(
                lambda move: move.state == "posted" and move.move_type == "out_refund"
            )
            part = 0.0
            for note in notes.sorted(_document_order):
                if product not in note.invoice_line_ids.product_id:
                    continue
                before, part = part, part + self._credited_part(invoice, note, product)
                for membership in members:
                    given_back[membership.id].append((note, membership.amount * (part - before)))
        self._add_returned_fees(memberships.filtered("move_id"), given_back)
        credits = {}
        for membership in memberships.filtered(lambda membership: membership.id in given_back):
            total = 0.0
            for document, money in sorted(given_back[membership.id], key=lambda item: _document_order(item[0])):
                total += money
                credits.setdefault(membership.id, []).append((document, membership.currency_id.round(total)))
        return credits

    @api.model
    def _add_returned_fees(self, memberships, given_back):
        """Add to ``given_back`` the money of fees given back by documents not linked to the fee
        invoice: a credit note made on its own, or a line of the product with a negative
        amount on a later invoice. Such money takes back the customer's latest memberships
        of the product paid by the document's date first, as far as their fees go."""
        by_product = defaultdict(lambda: self.browse())
        for membership in memberships:
            by_product[membership.partner_id, membership.product_id] |= membership
        for (customer, product), members in by_product.items():
            left = {
                membership.id: membership.amount - sum(money for _document, money in given_back[membership.id])
                for membership in members
            }
            for document, money in self._fee_returns(customer, product, members.move_id):
                day = _document_order(document)[0]
                for membership in members.filtered(lambda m, day=day: m.paid_on <= day).sorted(
                        lambda m: (m.paid_on, m.id), reverse=True):
                    taken = min(money, left[membership.id])
                    if taken <= 0:
                        continue
                    given_back[membership.id].append((document, taken))
                    left[membership.id] -= taken
                    money -= taken

    @api.model
    def _fee_returns(self, customer, product, fee_invoices):
        """[(document, money)] of the customer's posted documents, other than the fee invoices
        and their own credit notes, whose lines of ``product`` give money back (company
        currency, untaxed), in date order."""
        lines = self.env["account.move.line"].search([
            ("move_id.commercial_partner_id", "=", customer.id), ("product_id", "=", product.id),
            ("parent_state", "=", "posted"), ("move_id.move_type", "in", ("out_invoice", "out_refund")),
            ("move_id", "not in", fee_invoices.ids), ("move_id.reversed_entry_id", "not in", fee_invoices.ids),
            ("display_type", "=", "product"),
        ])
        returns = defaultdict(float)
        for line in lines:
            returns[line.move_id] += line.balance
        currency = customer.env.company.currency_id
        return sorted(
            ((document, money) for document, money in returns.items() if currency.compare_amounts(money, 0.0) > 0),
            key=lambda item: _document_order(item[0]),
        )

    @api.model
    def _credited_part(self, invoice, note, product):
        """Part of the money the lines of ``product`` brought on ``invoice`` that credit note
        ``note`` gives back: in the documents' currency when they share one."""
        field = "amount_currency" if note.currency_id == invoice.currency_id else "balance"
        kept = -sum(invoice.invoice_line_ids.filtered(lambda line: line.product_id == product).mapped(field))
        credited = sum(note.invoice_line_ids.filtered(lambda line: line.product_id == product).mapped(field))
        return credited / kept if kept > 0 else 0.0

    @api.model
    def _unfunded(self, held_before, held_after):
        """{customer id: tier id} of the paid tiers held before (``_held_by``) that are held
        no more, or only a lower one: the fee's money went back (a credit note, a payment
        removed, an invoice reset), so no downgrade grace keeps them."""
        unfunded = {}
        for key, (tier, _last_day) in held_before.items():
            after = held_after.get(key)
            if after is None or (after[0].threshold_amount, after[0].id) < (tier.threshold_amount, tier.id):
                unfunded[key[0]] = tier.id
        return unfunded

    @api.model
    def _after_changes(self, customers, events, unfunded=None):
        """Re-evaluate ``customers``, then tell them what happened to their memberships
        (after: the mail shows the tier they hold now). ``unfunded``: see :meth:`_unfunded`."""
        if customers:
            self.env["wholesale.loyalty.tier.engine"]._evaluate_partners(customers, "membership", unfunded=unfunded)
        if events:
            self._tell(events)

    @api.model
    def _tell(self, events):
        """A note on the customer's chatter for each event, and a mail to the customer for
        each that changes what it holds and asked for (not a cancellation, which the
        accountant did, nor a fee awaiting approval, nor an approval: the start is mailed)."""
        lang_envs = self.browse().union(*(m for m, _e in events)).partner_id._wholesale_lang_envs()
        mailed = self.browse()
        for membership, event in events:
            env = lang_envs[membership.partner_id.id]
            membership.partner_id.message_post(
                body=Markup("<p>%s</p>") % membership._event_summary(event, env),
                subtype_xmlid="mail.mt_note",
            )
            if event in MAILED_EVENTS and membership.partner_id.email:
                mailed |= membership
        template = self.env.ref("wholesale_loyalty.mail_template_membership", raise_if_not_found=False)
        if template and mailed:
            template.send_mail_batch(mailed.ids)
        self._queue_events(events)

    @api.model
    def _queue_events(self, events):
        """``paid_tier.started`` for a membership started or renewed, ``paid_tier.ended`` for
        one that expired, was credited or whose fee is no longer paid."""
        outbox = self.env["wholesale.loyalty.event"]
        kinds = [(membership, EVENT_OF.get(event), event) for membership, event in events]
        kinds = [(membership, kind, event) for membership, kind, event in kinds if kind]
        if not kinds or not outbox._listening({kind for _m, kind, _e in kinds}):
            return
        outbox._queue_batch([
            (kind, membership.company_id.id, membership.partner_id.id, membership._event_data(event))
            for membership, kind, event in kinds
        ])

    def _event_data(self, event):
        """What a ``paid_tier.*`` event says of this membership."""
        tier = self.tier_id.with_context(lang="en_US")
        return {
            **self.env["wholesale.loyalty.event"]._partner_data(self.partner_id),
            "membership_id": self.id,
            "program_id": self.program_id.id,
            "tier": {"id": tier.id, "name": tier.name},
            "reason": event,
            "date_start": self.date_start or None,
            "date_end": self.date_end or None,
            "months": self.months,
            "fee": self.amount,
            "currency": self.currency_id.name,
            "invoice_id": self.move_id.id or None,
            "invoice_name": self.move_id.name or None,
            "credit_note_id": self.refund_move_id.id or None,
        }

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
        if event == "shortened":
            return env._("Paid membership %(tier)s of %(program)s now ends on %(end)s: part of its fee was credited "
                         "(invoice %(invoice)s).", **names)
        if event == "refunded":
            return env._("Paid membership %(tier)s of %(program)s ended on %(end)s by credit note %(refund)s.",
                         refund=self.refund_move_id.name or "", **names)
        if event == "expired":
            return env._("Paid membership %(tier)s of %(program)s ended on %(end)s.", **names)
        if event in ("to_approve", "approved"):
            return self._approval_summary(event, env, names)
        return env._("Paid membership %(tier)s of %(program)s cancelled: invoice %(invoice)s is no longer paid.",
                     **names)

    def _approval_summary(self, event, env, names):
        fee = format_amount(env, self.amount, self.currency_id)
        price = format_amount(env, self.list_amount, self.currency_id)
        if event == "to_approve":
            return env._("Paid membership %(tier)s of %(program)s awaits a loyalty administrator's approval: its fee "
                         "%(fee)s is below the tier's price %(price)s (invoice %(invoice)s).",
                         fee=fee, price=price, **names)
        return env._("Paid membership %(tier)s of %(program)s: fee %(fee)s approved against the tier's price "
                     "%(price)s by %(user)s (%(reason)s).",
                     fee=fee, price=price, user=self.approved_by_id.name or "", reason=self.approval_reason or "",
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


def _document_order(move):
    """A document's place in time: its date, then its id."""
    return (move.invoice_date or move.date, move.id)
