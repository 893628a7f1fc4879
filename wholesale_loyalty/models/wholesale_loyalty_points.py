import logging
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_date, formatLang

from ..tools.batches import run_in_batches
from ..tools.points_rules import EXPIRING_SOON_DAYS, expiry_for, points_for_amount, points_to_hold

_logger = logging.getLogger(__name__)
# Invoices paid in full: Odoo's own states of a paid invoice.
PAID_STATES = ("paid", "in_payment")


class EarnBook(NamedTuple):
    """What invoices earned, read at once: their earn entries, {earn entry id: the entries
    reversing it} and {entry id: points still standing} of both."""

    earned: object  # wholesale.loyalty.ledger
    reversals: dict
    nets: dict


class _EarnedReversals:
    """Reversals of earned points gathered over a batch of invoices and booked together. A
    give-back in between books what is gathered first, so that every entry finds the lots as
    booking them one by one would have left them."""

    def __init__(self, points):
        self.points = points
        self.ledger = points.env["wholesale.loyalty.ledger"].sudo()
        self.entries = self.ledger
        self.vals_list, self.lots = [], []

    def add(self, earned, points, move, note, reversals_before):
        self.vals_list.append(self.points._reversal_vals(earned, points, move, note, reversals_before))
        # A reversal of earned points takes them from the lot they created first.
        self.lots.append(earned.id)

    def give_back(self, consumer, points, cause, note):
        self._book()
        self.entries |= self.points._give_back(consumer, points, cause, note)

    def post(self):
        self._book()
        return self.entries

    def _book(self):
        if not self.vals_list:
            return
        self.ledger._lock_accounts(self.points.env["res.partner"].browse(
            {vals["partner_id"] for vals in self.vals_list}
        ))
        self.entries |= self.ledger._create_entries(self.vals_list, preferred_lots=self.lots)
        self.vals_list, self.lots = [], []


class WholesaleLoyaltyPoints(models.AbstractModel):
    """Everything that moves points: earning, bonuses, redeeming, reversing, expiring.

    The ledger is the only source of truth. Each movement is a new entry; lots keep their
    ``remaining_points`` and consuming entries record the lots they used. Every method
    locks the customer's account first (see ``_lock_accounts`` of the ledger) so that two transactions
    never spend the same points.
    """

    _name = "wholesale.loyalty.points"
    _description = "Wholesale Loyalty Points Service"

    def _open_accounts(self, partners):
        """Archived accounts for the points customers hold in programs they are no member of,
        so that every point has an account: for ledgers written before entries pointed to their
        account (``member_id``), which new entries find or open themselves."""
        self.env["wholesale.loyalty.ledger"].flush_model()
        written = self.env.execute_query(SQL(
            """INSERT INTO wholesale_loyalty_member AS m
                      (partner_id, program_id, company_id, active, points_balance, qualifying_amount,
                       tier_locked, create_uid, write_uid, create_date, write_date)
               SELECT l.partner_id, l.program_id, pr.company_id, FALSE, SUM(l.points), 0, FALSE,
                      %(uid)s, %(uid)s, %(now)s, %(now)s
                 FROM wholesale_loyalty_ledger l
                 JOIN wholesale_loyalty_program pr ON pr.id = l.program_id
                WHERE l.partner_id = ANY(%(ids)s)
                  AND NOT EXISTS (SELECT 1 FROM wholesale_loyalty_member e
                                   WHERE e.partner_id = l.partner_id AND e.program_id = l.program_id)
             GROUP BY l.partner_id, l.program_id, pr.company_id
            ON CONFLICT (partner_id, program_id) DO NOTHING
            RETURNING m.id""",
            uid=self.env.uid, now=fields.Datetime.now(), ids=partners.commercial_partner_id.ids,
        ))
        self.env["wholesale.loyalty.member"].browse(row[0] for row in written)._sql_written(["points_balance"])

    def _tier(self, customer, program):
        """The tier ``customer`` holds in ``program`` (an empty tier when none)."""
        return self.env["wholesale.loyalty.member"]._tier_in(customer, program)

    def _merge_ledgers(self, src_partners, dst_customer):
        """Two customers merged: the entries of the merged-away partners move to the surviving
        customer, none is lost. An entry whose cause (kind and reference) the survivor already
        has keeps it apart with the merged partner's id, as each gave its own points."""
        ledger = self.env["wholesale.loyalty.ledger"]
        ledger.flush_model()
        sources = (src_partners - dst_customer).ids
        if not sources:
            return
        self.env.cr.execute(SQL(
            """UPDATE wholesale_loyalty_ledger l
                  SET reference = l.reference || ':merged:' || l.partner_id
                WHERE l.partner_id = ANY(%s) AND l.reference IS NOT NULL
                  AND EXISTS (SELECT 1 FROM wholesale_loyalty_ledger d
                               WHERE d.partner_id <> l.partner_id
                                 AND d.partner_id = ANY(%s)
                                 AND d.program_id = l.program_id AND d.kind = l.kind
                                 AND d.reference = l.reference
                                 AND (d.partner_id = %s OR d.partner_id < l.partner_id))""",
            sources, [*sources, dst_customer.id], dst_customer.id,
        ))
        # The entries, with the tier history and paid tiers, move to the survivor's accounts.
        self.env["wholesale.loyalty.member"]._merge_accounts(sources, dst_customer)
        # One customer owed points, the other had some: the merged lots pay the debt first.
        standing = self.env["wholesale.loyalty.ledger"]._refresh_balances(dst_customer, with_open_points=True)
        ledger.sudo().search(
            [("partner_id", "=", dst_customer.id), ("remaining_points", ">", 0)], order="id"
        )._pay_debt(standing)

    # ------------------------------------------------------------------ writing entries
    # Entries are made by ``wholesale.loyalty.ledger._create_entries``, which keeps the lots.

    def _new_lot_expiry(self, customer, program):
        """Expiry of points a customer receives today: its tier may keep them forever."""
        return expiry_for(fields.Date.context_today(self), program.points_validity_months,
                          program._points_never_expire(self._tier(customer, program)))

    # ------------------------------------------------------------------ standing of entries

    def _nets(self, entries):
        """{entry id: points still standing}: an entry's points plus the standing of the entries
        that reverse it (a give-back reverses a reversal, which reverses an earning)."""
        if not entries:
            return {}
        self.env["wholesale.loyalty.ledger"].flush_model()
        rows = self.env.execute_query(SQL(
            """WITH RECURSIVE tree(root_id, id, points) AS (
                    SELECT id, id, points FROM wholesale_loyalty_ledger WHERE id = ANY(%s)
                  UNION ALL
                    SELECT tree.root_id, l.id, l.points
                      FROM wholesale_loyalty_ledger l JOIN tree ON l.reversed_entry_id = tree.id
               )
               SELECT root_id, SUM(points) FROM tree GROUP BY root_id""",
            entries.ids,
        ))
        return dict(rows)

    # ------------------------------------------------------------------ giving points back

    def _give_back(self, consumer, points, cause, note):
        """Reverse ``points`` of a consuming entry (a redemption, a credit note's reversal).

        What the customer owes is paid first; then the points go back to the lots the entry
        took them from, as far as those lots are still open and may legitimately hold them;
        the rest stays on the new entry as a lot of its own, so that the balance is always
        the open lots minus the debt."""
        partner, program = consumer.partner_id, consumer.program_id
        self.env["wholesale.loyalty.ledger"]._lock_accounts(partner)
        today = fields.Date.context_today(self)
        open_points = sum(lot.remaining for lot in consumer._open_lots().get((partner.id, program.id), []))
        balance_after = self.env["wholesale.loyalty.ledger"]._balance(partner, program) + points
        to_lots = min(max(max(balance_after, 0) - open_points, 0), points)
        returns, sources = self._returns_to_lots(consumer, points, to_lots, today)
        kept = to_lots - sum(taken for _lot_id, taken in returns)
        vals = self._reversal_vals(
            consumer, points, cause, note, remaining_points=kept,
            expiry_date=self._given_back_expiry(consumer, sources, today) if kept else False,
        )
        return self.env["wholesale.loyalty.ledger"]._create_entries([vals], returns=[returns])

    def _returnable(self, consumer):
        """[(lot, points)] the consuming entry still holds of each lot, in the order it took them."""
        held = {}
        for allocation in consumer.allocation_ids:
            held[allocation.lot_id] = held.get(allocation.lot_id, 0) + allocation.points
        given_back = self.env["wholesale.loyalty.ledger"].sudo().search(
            [("reversed_entry_id", "=", consumer.id), ("points", ">", 0)]
        )
        for allocation in given_back.allocation_ids:
            held[allocation.lot_id] = held.get(allocation.lot_id, 0) - allocation.points
        return [(lot, points) for lot, points in held.items() if points > 0]

    def _returns_to_lots(self, consumer, points, to_lots, today):
        """([(lot id, points)] going back to open lots, lots that could not take all theirs)."""
        returnable = self._returnable(consumer)
        lots = self.env["wholesale.loyalty.ledger"].sudo().browse([lot.id for lot, _points in returnable])
        closed = self._closed_lots(lots, today)
        capacity = self._lot_capacities(lots, consumer, points)
        returns, sources, left = [], lots.browse(), to_lots
        for lot, held in returnable:
            take = 0 if lot.id in closed else min(left, held, capacity[lot.id])
            if take > 0:
                returns.append((lot.id, take))
                left -= take
            if take < held:
                sources |= lot
        return returns, sources

    def _closed_lots(self, lots, today):
        """Ids of lots past their expiry or already expired: points never go back into them,
        or the next expiry run would expire the same lot a second time."""
        expired = self.env["wholesale.loyalty.ledger.allocation"].sudo().search(
            [("lot_id", "in", lots.ids), ("entry_id.kind", "=", "expire")]
        ).lot_id
        return set(expired.ids) | {lot.id for lot in lots if lot.expiry_date and lot.expiry_date < today}

    def _lot_capacities(self, lots, consumer, points):
        """{lot id: points it may still take back}: what the lot stands for after the reversals
        of its own points, less what other entries still use of it, less what it holds."""
        nets = self._nets(lots)
        used = dict(self.env.execute_query(SQL(
            """SELECT a.lot_id, SUM(CASE WHEN e.points < 0 THEN a.points ELSE -a.points END)
                 FROM wholesale_loyalty_ledger_allocation a
                 JOIN wholesale_loyalty_ledger e ON e.id = a.entry_id
                 JOIN wholesale_loyalty_ledger c
                   ON c.id = CASE WHEN e.points < 0 THEN e.id ELSE e.reversed_entry_id END
                WHERE a.lot_id = ANY(%s) AND c.id <> %s
                  AND c.reversed_entry_id IS DISTINCT FROM a.lot_id
                GROUP BY a.lot_id""",
            lots.ids, consumer.id,
        ))) if lots else {}
        capacity = {}
        for lot in lots:
            # Giving back a reversal of this very lot makes it stand for those points again.
            regained = points if consumer.reversed_entry_id == lot else 0
            capacity[lot.id] = max(nets.get(lot.id, 0) + regained - used.get(lot.id, 0) - lot.remaining_points, 0)
        return capacity

    def _given_back_expiry(self, consumer, sources, today):
        """Points that cannot go back into their lots keep the latest expiry of those lots,
        so that giving points back never makes them live longer than they would have."""
        if not sources:
            return self._new_lot_expiry(consumer.partner_id, consumer.program_id)
        dates = sources.mapped("expiry_date")
        return False if not all(dates) else max(dates)

    # ------------------------------------------------------------------ earning

    def _program_of(self, invoice):
        return invoice.commercial_partner_id._wholesale_program_in(invoice.company_id).with_env(self.env)

    def _earn_book(self, invoices):
        """What the invoices earned, in one search: their :class:`EarnBook`."""
        ledger = self.env["wholesale.loyalty.ledger"].sudo()
        if not invoices:
            return EarnBook(ledger, {}, {})
        entries = ledger.search([
            "|",
            "&", ("kind", "=", "earn"), ("move_id", "in", invoices.ids),
            "&", ("kind", "=", "reversal"),
            ("reversed_entry_id", "any", [("kind", "=", "earn"), ("move_id", "in", invoices.ids)]),
        ], order="id")
        earned = entries.filtered(lambda entry: entry.kind == "earn")
        reversals = {}
        for entry in entries - earned:
            reversals[entry.reversed_entry_id.id] = reversals.get(entry.reversed_entry_id.id, ledger) | entry
        return EarnBook(earned, reversals, self._nets(entries))

    def _active_earn_entries(self, invoices, book=None):
        """{invoice id: its earn entry in force}: the last one no reset of the invoice closed."""
        book = book or self._earn_book(invoices)
        earned, reversals = book.earned, book.reversals
        active = {}
        for entry in earned:
            # A reversal booked on the invoice itself is a reset to draft or a cancellation.
            if not any(reversal.move_id == entry.move_id for reversal in reversals.get(entry.id, ())):
                active[entry.move_id.id] = entry
        return active

    def _invoices_holding_points(self, invoices):
        """Ids of the invoices that have earned and were not reset since."""
        return set(self._active_earn_entries(invoices))

    def _invoice_points(self, invoice, program=None, down_payment_moves=None):
        """Points this customer invoice earns under its program (0 when none applies);
        ``down_payment_moves``: see :meth:`_moves_with_down_payments`."""
        program = program or self._program_of(invoice)
        if not program:
            return 0
        # Reversing a rebate credit note gives a reward back: no purchase (only reversals can be).
        if invoice.reversed_entry_id and program._rebate_documents(invoice):
            return 0
        base = self._points_base(invoice, down_payment_moves)
        return program._points_for(base, self._tier(invoice.commercial_partner_id, program))

    def _points_base(self, invoice, down_payment_moves=None):
        """What an invoice's points are counted on (untaxed, company currency): its goods, of
        the categories its program counts (see ``_counted_lines`` of the program). A down
        payment is money in advance for an order, not a purchase: a down-payment invoice
        counts nothing, and the invoice that deducts it counts the goods in full, so that an
        order's invoices earn the points rule on their total. A deduction counts back only
        while down-payment invoices still back it (posted, not credited)."""
        goods = self._goods_amount(invoice, down_payment_moves)
        if invoice.id not in self._known_down_payment_moves(invoice, down_payment_moves):
            return goods
        return goods - self._unbacked_deductions(self._down_payment_lines(invoice))

    def _goods_amount(self, move, down_payment_moves=None):
        """A customer invoice's or credit note's untaxed amount (signed, company currency)
        without its down-payment lines, and with product categories set on its program, of
        its counted lines only."""
        program = self._program_of(move)
        by_category = program and program._counts_by_category()
        with_down_payments = move.id in self._known_down_payment_moves(move, down_payment_moves)
        if not by_category and not with_down_payments:
            return move.amount_untaxed_signed
        lines = move.invoice_line_ids._wholesale_goods()
        if by_category:
            lines = program._counted_lines(lines)
        return -sum(lines.mapped("balance"))

    def _down_payment_lines(self, move):
        return move.invoice_line_ids.filtered(lambda line: line.display_type == "product" and line.is_downpayment)

    def _moves_with_down_payments(self, moves):
        """Ids of ``moves`` and of their credit notes that have down-payment lines, in one
        query: most documents have none, and their points need no look at their lines."""
        if not moves:
            return set()
        self.env["account.move.line"].flush_model(["move_id", "is_downpayment"])
        self.env["account.move"].flush_model(["reversed_entry_id"])
        rows = self.env.execute_query(SQL(
            """SELECT DISTINCT line.move_id
                 FROM account_move_line line
                 JOIN account_move move ON move.id = line.move_id
                WHERE line.is_downpayment AND (move.id = ANY(%(ids)s) OR move.reversed_entry_id = ANY(%(ids)s))""",
            ids=moves.ids,
        ))
        return {move_id for (move_id,) in rows}

    def _known_down_payment_moves(self, moves, down_payment_moves):
        return self._moves_with_down_payments(moves) if down_payment_moves is None else down_payment_moves

    def _unbacked_deductions(self, down_payment_lines):
        """The part of the down payments deducted by these lines that no posted down-payment
        invoice backs any more (a down payment credited after it was deducted)."""
        unbacked = 0.0
        for deduction in down_payment_lines.filtered(lambda line: line.balance > 0):
            backing_lines = deduction.sale_line_ids.invoice_lines.filtered(
                lambda line: line.move_id.state == "posted" and line.move_id._is_downpayment()
            )
            backing = max(-sum(backing_lines.mapped("balance")), 0.0)
            unbacked += max(deduction.balance - backing, 0.0)
        return unbacked

    def _invoices_deducting(self, invoices, down_payment_moves):
        """Posted invoices that deduct the down payments invoiced by ``invoices``."""
        with_down_payments = invoices.filtered(lambda move: move.id in down_payment_moves)
        down_payments = with_down_payments.invoice_line_ids.filtered("is_downpayment").sale_line_ids
        if not down_payments:
            return self.env["account.move"]
        return down_payments.invoice_lines.move_id.filtered(
            lambda move: move.move_type == "out_invoice" and move.state == "posted" and not move._is_downpayment()
        ) - invoices

    def _earn_for_invoices(self, invoices, trigger, first_posting=None):
        """Give the points of customer invoices that reached their program's trigger.
        ``first_posting``: moves among them posted for the first time, which have neither
        ledger entries nor credit notes yet (nothing of them is looked up)."""
        self = self.sudo()  # the ledger is written on behalf of whoever posts or pays
        invoices = invoices.sudo()
        ledger = self.env["wholesale.loyalty.ledger"]
        vals_list = []
        # Only invoices whose program earns on this event are looked up in the ledger: paying
        # an invoice that earned when it was posted reads nothing more.
        posted = invoices.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
            and self._program_of(m).points_trigger == trigger
        )
        new = posted & first_posting if first_posting else posted.browse()
        book = self._earn_book(posted - new)
        active = self._active_earn_entries(posted - new, book)
        times_earned = {}
        for entry in book.earned:
            times_earned[entry.move_id.id] = times_earned.get(entry.move_id.id, 0) + 1
        lang_envs = posted.commercial_partner_id._wholesale_lang_envs()
        down_payment_moves = self._moves_with_down_payments(posted - new) | {
            move.id for move in new if any(move.invoice_line_ids.mapped("is_downpayment"))
        }
        for invoice in posted:
            program = self._program_of(invoice)
            if invoice.id in active:
                continue
            points = self._invoice_points(invoice, program, down_payment_moves)
            if points <= 0:
                continue
            customer = invoice.commercial_partner_id
            vals = ledger._entry_vals(
                customer, program, "earn", points, move=invoice,
                reference=f"invoice:{invoice.id}:{times_earned.get(invoice.id, 0)}",
                expiry_date=self._new_lot_expiry(customer, program),
                note=lang_envs[customer.id]._("Invoice %(invoice)s", invoice=invoice.name),
            )
            tier = self._tier(customer, program)
            vals["points_multiplier"] = program._multiplier(tier)
            vals_list.append(vals)
        # No lock first: earning decides nothing on the balance or the lots, and storing the
        # balances after the entries (see ``_refresh_balances``) updates the accounts' rows,
        # which makes a concurrent movement of the same customer fail and be retried. Bonuses,
        # given once per cause, take the lock themselves (see ``_give_bonuses``).
        entries = ledger._create_entries(vals_list)
        self._give_first_order_bonus(entries)
        self._sync_advance_order_bonuses(self._orders_of(entries.move_id))
        # Credit notes posted before the invoice earned (paid trigger) already lower what it holds.
        credited = (entries.move_id - new).filtered("reversal_move_ids")
        self._sync_invoice_points(credited, down_payment_moves=down_payment_moves)
        return entries

    def _sync_unlinked_refunds(self, refunds):
        """A credit note linked to no invoice gives money back all the same: while posted, it
        takes the points its untaxed amount is worth at the tier the customer holds when it
        is posted (no minimum: it is no order); no longer posted, it gives them back. Rebate
        credit notes give back no purchase and take nothing."""
        self = self.sudo()  # the ledger is written on behalf of whoever credits
        refunds = refunds.sudo().filtered(lambda move: move.move_type == "out_refund" and not move.reversed_entry_id)
        if not refunds:
            return
        taken = self.env["wholesale.loyalty.ledger"].sudo().search(
            [("move_id", "in", refunds.ids), ("kind", "=", "adjust")], order="id"
        )
        nets = self._nets(taken)
        for refund in refunds:
            entries = taken.filtered(lambda entry, refund=refund: entry.move_id == refund)
            held = sum(nets.get(entry.id, 0) for entry in entries)
            if refund.state == "posted" and held < 0:
                continue  # it took its points when it was posted
            target = -self._unlinked_refund_points(refund) if refund.state == "posted" else 0
            if target < held:
                self._take_for_refund(refund, held - target, len(entries))
            elif target > held:
                self._give_back_for_refund(refund, entries, target - held, nets)

    def _unlinked_refund_points(self, refund):
        """Points a credit note linked to no invoice takes when it is posted."""
        program = self._program_of(refund)
        if not program or program._rebate_documents(refund):
            return 0
        tier = self._tier(refund.commercial_partner_id, program)
        return points_for_amount(
            -program._counted_amount(refund), program.points_amount_step, program.points_per_step,
            program._multiplier(tier), rounding=program.currency_id.rounding,
        )

    def _take_for_refund(self, refund, points, taken_before):
        customer, program = refund.commercial_partner_id, self._program_of(refund)
        env = customer._wholesale_lang_env()
        self.env["wholesale.loyalty.ledger"]._lock_accounts(customer)
        ledger = self.env["wholesale.loyalty.ledger"]
        ledger._create_entries([ledger._entry_vals(
            customer, program, "adjust", -points, move=refund, reference=f"refund:{refund.id}:{taken_before}",
            note=env._("Credit note %(refund)s", refund=refund.name or refund.display_name),
        )])

    def _give_back_for_refund(self, refund, entries, points, nets):
        env = refund.commercial_partner_id._wholesale_lang_env()
        note = env._("Credit note %(refund)s no longer posted", refund=refund.name or refund.display_name)
        for entry in entries.sorted("id", reverse=True):
            back = min(points, -nets.get(entry.id, 0))
            if back > 0:
                self._give_back(entry, back, refund, note)
                points -= back

    def _sync_invoice_points(self, invoices, causes=None, reason=None, down_payment_moves=None):
        """Bring what each customer invoice holds to what it earns now: its points rule (at the
        multiplier it earned with) on its net untaxed amount after its posted credit notes;
        nothing when it is not posted. A credit note reset to draft or cancelled gives back
        exactly what it took, and what a credit note takes is computed from the credit notes
        posted now. ``down_payment_moves``: see :meth:`_moves_with_down_payments`, when the
        caller has it for these invoices already."""
        self = self.sudo()
        ledger = self.env["wholesale.loyalty.ledger"].sudo()
        invoices = invoices.sudo().filtered(lambda m: m.move_type == "out_invoice")
        down_payment_moves = set(self._known_down_payment_moves(invoices, down_payment_moves))
        # What an invoice holds depends on the down payments it deducts being still invoiced.
        deducting = self._invoices_deducting(invoices, down_payment_moves)
        if deducting:
            causes = (causes or self.env["account.move"]) | invoices
            invoices |= deducting
            down_payment_moves |= self._moves_with_down_payments(deducting)
        book = self._earn_book(invoices)
        earned = book.earned
        if not earned:
            return ledger
        active = self._active_earn_entries(invoices, book)
        reversing = _EarnedReversals(self)
        for invoice in earned.move_id:
            in_force = active.get(invoice.id, ledger)
            in_force = in_force if self._holds_earnings(invoice, in_force.program_id) else ledger
            self._close_earnings(earned.filtered(lambda e, inv=invoice: e.move_id == inv) - in_force,
                                 invoice, reason, book, reversing)
            if in_force:
                self._sync_earned(in_force, invoice, causes or self.env["account.move"], book, reversing,
                                  down_payment_moves)
        return reversing.post()

    def _holds_earnings(self, invoice, program):
        """Whether an invoice keeps what it earned: while posted, and with the ``paid``
        trigger only while paid (a payment removed takes the points back until it is paid
        again)."""
        if invoice.state != "posted":
            return False
        return program.points_trigger != "paid" or invoice.payment_state in PAID_STATES

    def _close_earnings(self, earned, invoice, reason, book, reversing):
        """Earn entries of an invoice no longer posted (or re-posted since), or no longer paid
        under the ``paid`` trigger, give back all they hold."""
        if not earned:
            return
        nets = book.nets
        lang_envs = earned.partner_id._wholesale_lang_envs()
        for entry in earned.filtered(lambda e: nets.get(e.id, 0) > 0):
            env = lang_envs[entry.partner_id.id]
            note = reason or (env._("Invoice cancelled") if invoice.state == "cancel"
                              else env._("Invoice no longer paid") if invoice.state == "posted"
                              else env._("Invoice reset to draft"))
            reversing.add(entry, nets[entry.id], invoice, note, len(book.reversals.get(entry.id, ())))

    def _sync_earned(self, earned, invoice, causes, book, reversing, down_payment_moves):
        ledger = self.env["wholesale.loyalty.ledger"].sudo()
        reversals_of, nets = book.reversals, book.nets
        reversals = reversals_of.get(earned.id, ledger).filtered(lambda r: r.points < 0).sorted("id", reverse=True)
        env = earned.partner_id._wholesale_lang_env()

        def give_back(reversal, points, refund, note):
            reversing.give_back(reversal, points, refund, note)
            # The give-back stands under the reversal, which stands under the earn entry.
            nets[reversal.id] = nets.get(reversal.id, 0) + points
            nets[earned.id] = nets.get(earned.id, 0) + points

        for reversal in reversals:
            refund = reversal.move_id
            if refund.move_type == "out_refund" and refund.state != "posted" and nets.get(reversal.id, 0) < 0:
                give_back(reversal, -nets[reversal.id], refund, env._(
                    "Credit note %(refund)s no longer posted", refund=refund.name or refund.display_name,
                ))
        held, target = nets.get(earned.id, 0), self._points_to_hold(earned, invoice, down_payment_moves)
        posted_refunds = invoice.reversal_move_ids.filtered(
            lambda r: r.move_type == "out_refund" and r.state == "posted"
        ).sorted("id")
        # Taken back by a credit note of the invoice, or by a down payment it deducts that is no
        # longer invoiced (never by the invoice itself: that would read as a reset).
        cause = (causes & posted_refunds)[-1:] or posted_refunds[-1:] or (causes - invoice)[-1:]
        if held > target and cause:
            reversing.add(earned, held - target, cause, self._taking_note(env, cause),
                          len(reversals_of.get(earned.id, ())))
        elif held < target:
            left = target - held
            for reversal in reversals.filtered(lambda r: r.move_id in posted_refunds or (
                r.move_id.move_type == "out_invoice" and r.move_id != invoice and r.move_id.state == "posted"
            )):
                points = min(left, -nets.get(reversal.id, 0))
                if points > 0:
                    give_back(reversal, points, reversal.move_id, env._(
                        "Credit notes of %(invoice)s recounted", invoice=invoice.name,
                    ))
                    left -= points

    def _taking_note(self, env, cause):
        if cause.move_type == "out_refund":
            return env._("Credit note %(refund)s", refund=cause.name)
        return env._("Down payment %(invoice)s no longer invoiced", invoice=cause.name or cause.display_name)

    def _points_to_hold(self, earned, invoice, down_payment_moves):
        """What an invoice holds after its posted credit notes (company currency, untaxed)."""
        refunds = invoice.reversal_move_ids.filtered(lambda r: r.move_type == "out_refund" and r.state == "posted")
        net = self._points_base(invoice, down_payment_moves) + sum(
            self._goods_amount(refund, down_payment_moves) for refund in refunds)
        rule = self._earned_rule(earned, earned.program_id, down_payment_moves)
        return points_to_hold(earned.points, net, rule, rounding=earned.program_id.currency_id.rounding)

    def _earned_rule(self, earned, program, down_payment_moves=None):
        """The points rule as it applied when ``earned`` was booked (same multiplier)."""
        rounding = program.currency_id.rounding
        multiplier = earned.points_multiplier
        if not multiplier:  # booked before the multiplier was recorded: derived from the points
            untaxed = self._points_base(earned.move_id, down_payment_moves)
            base = points_for_amount(untaxed, program.points_amount_step, program.points_per_step, rounding=rounding)
            multiplier = earned.points / base if base else 1.0
        return lambda amount: points_for_amount(
            amount, program.points_amount_step, program.points_per_step, multiplier,
            program.points_min_order_amount, rounding=rounding,
        )

    def _reversal_vals(self, entry, points, move, note, reversals_before=None, remaining_points=None,
                       expiry_date=False):
        """An entry reversing ``points`` of ``entry`` because of ``move`` (an invoice, a credit
        note or an order); ``reversals_before`` is how many entries reversed it already."""
        if reversals_before is None:
            reversals_before = self.env["wholesale.loyalty.ledger"].sudo().search_count(
                [("reversed_entry_id", "=", entry.id)]
            )
        return self.env["wholesale.loyalty.ledger"]._entry_vals(
            entry.partner_id, entry.program_id, "reversal", -points if entry.points > 0 else points,
            company=entry.company_id, reversed_entry=entry, note=note, member=entry.member_id,
            move=move if move._name == "account.move" else None,
            order=move if move._name == "sale.order" else entry.sale_order_id,
            reference=f"reversal:{entry.id}:{move._name}:{move.id}:{reversals_before}",
            remaining_points=remaining_points, expiry_date=expiry_date,
        )

    # ------------------------------------------------------------------ bonuses

    def _bonus_vals(self, customer, program, points, reference, note, rule=None):
        return self.env["wholesale.loyalty.ledger"]._entry_vals(
            customer, program, "bonus", points, bonus_rule=rule, reference=reference, note=note,
            expiry_date=self._new_lot_expiry(customer, program),
        )

    def _give_bonuses(self, grants):
        """Give [(customer, program, rule, reference, note)]: each cause once per customer."""
        ledger = self.env["wholesale.loyalty.ledger"].sudo()
        if not grants:
            return ledger
        given = {(entry.partner_id.id, entry.program_id.id, entry.reference) for entry in ledger.search([
            ("kind", "=", "bonus"),
            ("partner_id", "in", list({customer.id for customer, *_rest in grants})),
            ("reference", "in", list({reference for *_rest, reference, _note in grants})),
        ])}
        vals_list = []
        liability = self.env["wholesale.loyalty.liability"]
        for customer, program, rule, reference, note in grants:
            if (customer.id, program.id, reference) not in given:
                given.add((customer.id, program.id, reference))
                if liability._over_budget(program, rule.points):
                    self.env["wholesale.loyalty.award.request"]._request(customer, program, rule.points, note,
                                                                         reference, rule)
                    continue
                vals_list.append(self._bonus_vals(customer, program, rule.points, reference, note, rule=rule))
        if vals_list:
            # Whoever gives the same bonus at the same time waits here, then fails to serialize
            # and is retried, and then finds it given: never the same cause twice.
            ledger._lock_accounts(self.env["res.partner"].browse({vals["partner_id"] for vals in vals_list}))
        return ledger._create_entries(vals_list)

    def _give_bonus(self, customer, program, rule, reference, note):
        return self._give_bonuses([(customer, program, rule, reference, note)])

    def _rules(self, program, trigger):
        if program.id not in self.env["wholesale.loyalty.bonus.rule"]._program_ids_with_rules(trigger):
            return self.env["wholesale.loyalty.bonus.rule"]
        return program.bonus_rule_ids.filtered(lambda rule: rule.active and rule.trigger == trigger)

    def _give_first_order_bonus(self, earn_entries):
        lang_envs = earn_entries.partner_id._wholesale_lang_envs()
        grants = []
        for entry in earn_entries:
            env = lang_envs[entry.partner_id.id]
            grants += [
                (entry.partner_id, entry.program_id, rule, f"first_order:{rule.id}",
                 env._("First order bonus (%(rule)s)", rule=rule.with_env(env).name))
                for rule in self._rules(entry.program_id, "first_order")
            ]
        self._give_bonuses(grants)

    def _bonuses_for_paid_invoices(self, invoices):
        """Early-payment bonuses for the payer and referral bonuses for the referrer."""
        self = self.sudo()
        invoices = invoices.sudo()
        for invoice in invoices.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted"):
            program = self._program_of(invoice)
            if program:
                self._give_early_payment_bonus(invoice, program)
            self._give_referral_bonus(invoice)

    # ------------------------------------------------------------------ orders ahead of delivery

    def _orders_of(self, moves):
        """Orders of these documents whose program gives bonuses for ordering ahead: the
        others need no look at their orders."""
        self = self.sudo()  # reads the programs' rules for whoever posts, pays or cancels
        # Most databases have no such rule: then no document's program is read.
        if not self.env["wholesale.loyalty.bonus.rule"]._program_ids_with_rules("advance_order") or not any(
            self._has_advance_order_rules(self._program_of(move)) for move in moves.sudo()
        ):
            return self.env["sale.order"]
        return moves.sudo().line_ids.sale_line_ids.order_id

    def _has_advance_order_rules(self, program):
        """Whether the program has, or had, rules for ordering ahead (an archived rule's
        bonuses still go back with their orders)."""
        return program.id in self.env["wholesale.loyalty.bonus.rule"]._program_ids_with_rules("advance_order")

    def _sync_advance_order_bonuses(self, orders):
        """An order confirmed at least a rule's days ahead of its delivery date holds that
        rule's bonus once one of its invoices holds its points (the best rule it meets, once
        per order). Cancelled, back to quotation, its invoices no longer holding points, or
        its delivery date moved closer, it gives back what it no longer earns."""
        self = self.sudo()  # the ledger is written on behalf of whoever confirms or invoices
        if not self.env["wholesale.loyalty.bonus.rule"]._program_ids_with_rules("advance_order"):
            return  # no program has such rules: no order's program is read
        orders = orders.sudo().filtered(
            lambda order: self._has_advance_order_rules(order._wholesale_customer_program()))
        if not orders:
            return
        ledger = self.env["wholesale.loyalty.ledger"].sudo()
        bonuses = ledger.search([
            ("kind", "=", "bonus"), ("sale_order_id", "in", orders.ids),
            ("bonus_rule_id.trigger", "=", "advance_order"),
        ], order="id")
        nets = self._nets(bonuses)
        earning = self._orders_holding_points(orders)
        requests = self.env["wholesale.loyalty.award.request"].sudo().search([
            ("sale_order_id", "in", orders.ids), ("state", "=", "pending"),
        ])
        reversing = _EarnedReversals(self)
        for order in orders:
            entries = bonuses.filtered(lambda entry, order=order: entry.sale_order_id == order)
            held = sum(nets.get(entry.id, 0) for entry in entries)
            rule = self._advance_order_rule(order) if order.id in earning else self.env["wholesale.loyalty.bonus.rule"]
            waiting = requests.filtered(lambda request, order=order: request.sale_order_id == order)
            if rule.points > held:
                # Once asked, the same bonus is not asked again: a refusal stands.
                self._give_advance_order_bonus(order, rule, rule.points - held, len(entries))
                continue
            if held > rule.points:
                self._take_advance_order_bonus(order, entries, held - rule.points, nets, reversing)
            # Bonuses awaiting approval above the liability budget that the order no longer earns.
            waiting._withdraw()
        reversing.post()

    def _orders_holding_points(self, orders):
        """Ids of the confirmed orders one of whose invoices holds the points it earned."""
        invoices = orders.invoice_ids.filtered(lambda move: move.move_type == "out_invoice" and move.state == "posted")
        book = self._earn_book(invoices)
        holding = {
            invoice_id for invoice_id, entry in self._active_earn_entries(invoices, book).items()
            if book.nets.get(entry.id, 0) > 0
        }
        return {
            order.id for order in orders
            if order.state == "sale" and any(invoice.id in holding for invoice in order.invoice_ids)
        }

    def _advance_order_rule(self, order):
        """The rule an order meets for ordering ahead: the best one whose days ahead lie between
        its confirmation and its delivery date, counted on the earlier of the delivery date
        asked at confirmation and the one asked now (moving it later adds nothing)."""
        rules = self._rules(order._wholesale_customer_program(), "advance_order")
        delivery = min(filter(None, (order.commitment_date, order.wholesale_commitment_date_confirmed)), default=None)
        if not rules or not delivery or not order.commitment_date or not order.date_order:
            return self.env["wholesale.loyalty.bonus.rule"]
        days_ahead = (delivery.date() - order.date_order.date()).days
        met = rules.filtered(lambda rule: days_ahead >= rule.days_ahead)
        return met.sorted(lambda rule: (rule.points, rule.days_ahead))[-1:]

    def _give_advance_order_bonus(self, order, rule, points, given_before):
        customer, program = order.partner_id.commercial_partner_id, rule.program_id
        env = customer._wholesale_lang_env()
        reference = f"advance_order:{order.id}:{given_before}"
        note = env._("Ordered %(order)s ahead of delivery (%(rule)s)", order=order.name, rule=rule.with_env(env).name)
        # Like every bonus rule: above the liability budget the points wait for approval.
        if self.env["wholesale.loyalty.liability"]._over_budget(program, points):
            self.env["wholesale.loyalty.award.request"]._request(customer, program, points, note, reference, rule,
                                                                 order=order)
            return
        self.env["wholesale.loyalty.ledger"]._lock_accounts(customer)
        vals = self._bonus_vals(customer, program, points, reference, note, rule=rule)
        vals.update(sale_order_id=order.id, contact_id=order.partner_id.id)
        self.env["wholesale.loyalty.ledger"]._create_entries([vals])

    def _take_advance_order_bonus(self, order, entries, points, nets, reversing):
        env = order.partner_id.commercial_partner_id._wholesale_lang_env()
        note = env._("%(order)s no longer ordered ahead of delivery", order=order.name)
        for entry in entries.sorted("id", reverse=True):
            taken = min(points, nets.get(entry.id, 0))
            if taken > 0:
                reversing.add(entry, taken, order, note, None)
                points -= taken

    def _give_early_payment_bonus(self, invoice, program):
        rules = self._rules(program, "early_payment")
        if not rules:
            return
        paid_on = invoice._wholesale_payment_date()
        if not paid_on or not invoice.invoice_date_due:
            return
        days_early = (invoice.invoice_date_due - paid_on).days
        met = rules.filtered(lambda rule: days_early >= rule.days_early)
        best = met.sorted(lambda rule: (rule.days_early, rule.points))[-1:]
        if best:
            env = invoice.commercial_partner_id._wholesale_lang_env()
            self._give_bonus(
                invoice.commercial_partner_id, program, best, f"early_payment:{invoice.id}",
                env._("Paid %(invoice)s %(days)s days early", invoice=invoice.name,
                      days=formatLang(env, days_early, digits=0)),
            )

    def _give_referral_bonus(self, invoice):
        customer = invoice.commercial_partner_id
        referrer = customer.wholesale_referrer_id.commercial_partner_id
        program = referrer and referrer._wholesale_program_in(invoice.company_id)
        if not referrer or not program or referrer == customer:
            return
        env = referrer._wholesale_lang_env()
        for rule in self._rules(program, "referral"):
            self._give_bonus(
                referrer, program, rule, f"referral:{customer.id}",
                env._("Referral of %(customer)s", customer=customer.name),
            )

    def _award(self, customer, points, reason, reference=None, rule=None):
        """Manual award (managers); idempotent per reference."""
        if not self.env.user.has_group("wholesale_loyalty.group_wholesale_loyalty_manager"):
            raise AccessError(self.env._("Only loyalty administrators can award points."))
        if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
            raise UserError(self.env._("Award a whole number of points above zero."))
        if not (reason or "").strip():
            raise UserError(self.env._("Give the reason for awarding points."))
        customer = customer.commercial_partner_id
        program = customer and customer._wholesale_program_in(self.env.company)
        if not program:
            raise UserError(
                self.env._("%(customer)s is not a member of a loyalty program.", customer=customer.display_name)
            )
        ledger = self.env["wholesale.loyalty.ledger"].sudo()
        if reference:
            existing = ledger.search([
                ("partner_id", "=", customer.id), ("program_id", "=", program.id),
                ("kind", "=", "bonus"), ("reference", "=", reference),
            ])
            if existing:
                return existing
        self = self.sudo()  # the manager's right was checked above
        if self.env["wholesale.loyalty.liability"]._over_budget(program, points):
            self.env["wholesale.loyalty.award.request"]._request(customer, program, points, reason.strip(),
                                                                 reference, rule)
            return ledger
        self.env["wholesale.loyalty.ledger"]._lock_accounts(customer)
        vals = self._bonus_vals(customer, program, points, reference, reason.strip(), rule=rule)
        return ledger._create_entries([vals])

    # ------------------------------------------------------------------ redeeming

    def _redeem_orders(self, orders):
        """Take the points of confirmed orders, checking the balance under the row lock."""
        self = self.sudo()
        orders = orders.sudo()
        for order in orders.filtered("wholesale_points_redeemed"):
            customer = order.partner_id.commercial_partner_id
            program = customer._wholesale_program_in(order.company_id)
            if not program:
                raise UserError(self.env._("%(customer)s is not a member of a loyalty program.",
                                           customer=customer.display_name))
            balance = self.env["wholesale.loyalty.ledger"]._lock_accounts(customer).get((customer.id, program.id), 0)
            # An order confirmed again still holds what its posted invoices used.
            redemptions = self._redemptions(order)
            wanted = order.wholesale_points_redeemed + sum(self._nets(redemptions).values())
            if wanted <= 0:
                continue
            if wanted > balance:
                raise UserError(self.env._(
                    "Order %(order)s uses %(wanted)s points but %(customer)s has only %(balance)s left; "
                    "another order may have used them. Remove the points discount or redeem fewer points.",
                    order=order.name, wanted=wanted, customer=customer.display_name, balance=balance,
                ))
            note = customer._wholesale_lang_env()._("Redeemed on %(order)s", order=order.name)
            self.env["wholesale.loyalty.ledger"]._create_entries([
                self._redeem_vals(order, program, wanted, note, redeemed_before=len(redemptions)),
            ])

    def _redeem_vals(self, order, program, points, note, move=None, redeemed_before=None):
        """A redemption of ``points`` on ``order``; ``redeemed_before``: how many redemptions the
        order has already, when the caller has just read them."""
        if redeemed_before is None:
            redeemed_before = self._redeem_count(order)
        return self.env["wholesale.loyalty.ledger"]._entry_vals(
            order.partner_id.commercial_partner_id, program, "redeem", -points, order=order, move=move,
            reference=f"order:{order.id}:{redeemed_before}", note=note,
        )

    def _redeem_count(self, order):
        return self.env["wholesale.loyalty.ledger"].sudo().search_count(
            [("sale_order_id", "=", order.id), ("kind", "=", "redeem")]
        )

    def _redemptions(self, orders):
        return self.env["wholesale.loyalty.ledger"].sudo().search(
            [("sale_order_id", "in", orders.ids), ("kind", "=", "redeem")], order="id"
        )

    def _restore_orders(self, orders):
        """Cancelled orders give back the points that are not on a posted invoice."""
        return self._sync_order_redemptions(orders)

    def _sync_order_redemptions(self, orders, cause=None):
        """Bring the points each order holds to what its documents say. Points come back
        only together with money: a confirmed order holds all it redeemed; a cancelled one
        what its posted invoices used; a posted credit note of the points line gives back
        the points of the amount it credits, and takes them again when reset or cancelled.
        Never more comes back than was redeemed."""
        self = self.sudo()
        ledger = self.env["wholesale.loyalty.ledger"].sudo()
        redemptions = self._redemptions(orders.sudo())
        entries = ledger
        for order in redemptions.sale_order_id:
            own = redemptions.filtered(lambda entry, order=order: entry.sale_order_id == order)
            standing = self._nets(own)
            out = -sum(standing.values())
            delta = self._points_order_holds(order) - out
            move = cause.filtered(lambda m, order=order: order in m.line_ids.sale_line_ids.order_id)[-1:] \
                if cause else self.env["account.move"]
            if delta > 0:
                self.env["wholesale.loyalty.ledger"]._lock_accounts(own.partner_id)
                entries |= ledger._create_entries([self._redeem_vals(
                    order, own[-1].program_id, delta, self._order_note(order, move, giving_back=False), move=move,
                )])
            for redeemed in own.sorted("id", reverse=True):
                points = min(-delta, -standing.get(redeemed.id, 0))
                if points > 0:
                    entries |= self._give_back(
                        redeemed, points, move or order, self._order_note(order, move, giving_back=True)
                    )
                    delta += points
        return entries

    def _order_note(self, order, move, giving_back):
        # In the customer's language: it reads the note on its ledger.
        env = order.partner_id.commercial_partner_id._wholesale_lang_env()
        if move.move_type == "out_refund":
            if giving_back:
                return env._("Credit note %(refund)s", refund=move.name)
            return env._("Credit note %(refund)s no longer posted", refund=move.name)
        if move:
            if giving_back:
                return env._("Invoice %(invoice)s no longer posted", invoice=move.name)
            return env._("Invoice %(invoice)s of %(order)s posted", invoice=move.name, order=order.name)
        if giving_back:
            return env._("Order %(order)s cancelled", order=order.name)
        return env._("Used again on %(order)s", order=order.name)

    def _points_order_holds(self, order):
        redeemed = order.wholesale_points_redeemed
        invoiced, credited = self._points_on_invoices(order)
        holds = (max(redeemed, invoiced) if order.state == "sale" else invoiced) - credited
        return min(max(holds, 0), redeemed)

    def _points_on_invoices(self, order):
        """(points on posted invoices, points on posted credit notes) of the order's points
        lines, in proportion to the amount of each line they carry."""
        invoiced = credited = 0.0
        for line in order.order_line.filtered("wholesale_points_redeemed"):
            if line.currency_id.is_zero(line.price_subtotal):
                continue
            moved = line.invoice_lines.filtered(
                lambda aml, line=line: aml.move_id.state == "posted" and aml.product_id == line.product_id
            )
            per_amount = line.wholesale_points_redeemed / line.price_subtotal
            invoiced += per_amount * sum(moved.filtered(lambda aml: aml.move_id.move_type == "out_invoice")
                                         .mapped("price_subtotal"))
            credited += per_amount * sum(moved.filtered(lambda aml: aml.move_id.move_type == "out_refund")
                                         .mapped("price_subtotal"))
        return round(invoiced), round(credited)

    # ------------------------------------------------------------------ scheduled actions

    @api.model
    def _expire_lots(self, today=None, batch_size=200):
        """Expire what is left of lots past their expiry date, ``batch_size`` customers at a
        time. Safe to run again. Returns the number of lots expired."""
        self = self.sudo()
        today = today or fields.Date.context_today(self)
        lots = self.env["wholesale.loyalty.ledger"].search(
            [("expiry_date", "<", today), ("remaining_points", ">", 0)], order="partner_id, id"
        )
        by_customer = {}
        for lot in lots:
            by_customer.setdefault(lot.partner_id, []).append(lot.id)
        groups = [(partner, lots.browse(ids)) for partner, ids in by_customer.items()]
        run = run_in_batches(
            self.env, groups, batch_size, lambda chunk: self._expire(chunk, today), commit=True,
            isolate="Points expiry", describe=lambda group: f"customer {group[0].id}", logger=_logger,
        )
        return sum(len(customer_lots) for _partner, customer_lots in run.succeeded)

    def _expire(self, groups, today):
        ledger = self.env["wholesale.loyalty.ledger"]
        lots = ledger.union(*[customer_lots for _partner, customer_lots in groups])
        self.env["wholesale.loyalty.ledger"]._lock_accounts(lots.partner_id)
        lots.invalidate_recordset(["remaining_points"])
        lots = lots.filtered(lambda lot: lot.remaining_points > 0)
        earlier = dict(self.env["wholesale.loyalty.ledger.allocation"]._read_group(
            [("lot_id", "in", lots.ids), ("entry_id.kind", "=", "expire")], ["lot_id"], ["__count"]
        ))
        lang_envs = lots.partner_id._wholesale_lang_envs()
        # Each expiry takes what is left of its own lot, which it names as the lot to take from.
        ledger._create_entries([ledger._entry_vals(
            lot.partner_id, lot.program_id, "expire", -lot.remaining_points, date=today, company=lot.company_id,
            member=lot.member_id,
            reference=self._expiry_reference(lot, earlier.get(lot, 0)),
            note=self._expiry_note(lang_envs[lot.partner_id.id], lot),
        ) for lot in lots], preferred_lots=lots.ids)

    def _expiry_note(self, env, lot):
        # In the customer's language (``env``): it reads the note on its ledger.
        return env._("Expired on %(date)s", date=format_date(env, lot.expiry_date))

    def _expiry_reference(self, lot, earlier):
        # A lot expires once; should it ever expire again, the reference says which time.
        return f"expire:{lot.id}" if not earlier else f"expire:{lot.id}:{earlier + 1}"

    @api.model
    def _send_expiry_reminders(self, today=None, batch_size=200):
        """Weekly mail to customers with points expiring within 30 days, once a week."""
        self = self.sudo()
        today = today or fields.Date.context_today(self)
        horizon = today + relativedelta(days=EXPIRING_SOON_DAYS)
        groups = self.env["wholesale.loyalty.ledger"]._read_group(
            [("expiry_date", ">=", today), ("expiry_date", "<=", horizon), ("remaining_points", ">", 0)],
            ["partner_id", "program_id"], ["remaining_points:sum"],
        )
        accounts = self.env["wholesale.loyalty.member"].with_context(active_test=False).search([
            ("partner_id", "in", [partner.id for partner, _program, _points in groups]),
        ])
        reminded = {(member.partner_id, member.program_id): member.expiry_reminded_on for member in accounts}
        week_ago = today - relativedelta(days=6)
        due = [
            (partner, points) for partner, program, points in groups
            if partner.email and (not reminded.get((partner, program))
                                  or reminded[partner, program] < week_ago)
        ]
        template = self.env.ref("wholesale_loyalty.mail_template_points_expiry")

        def remind(chunk):
            partners = self.env["res.partner"].union(*[partner for partner, _points in chunk])
            template.send_mail_batch(partners.ids)
            self._queue_expiry_events(partners, today, horizon)
            # Mails of a committed batch are never queued twice.
            accounts.filtered(lambda member: member.partner_id in partners).write(
                {"expiry_reminded_on": today}
            )  # as the points service (sudo above)

        run = run_in_batches(
            self.env, due, batch_size, remind, commit=True,
            isolate="Points expiry reminder", describe=lambda group: f"customer {group[0].id}", logger=_logger,
        )
        return len(run.succeeded)

    def _queue_expiry_events(self, partners, today, horizon):
        """A ``points.will_expire`` event per customer reminded and program: what expires by
        ``horizon``, each company told of its own program's points."""
        events = self.env["wholesale.loyalty.event"]
        if not events._listening({"points.will_expire"}):
            return
        groups = self.env["wholesale.loyalty.ledger"]._read_group(
            [("partner_id", "in", partners.ids), ("expiry_date", ">=", today), ("expiry_date", "<=", horizon),
             ("remaining_points", ">", 0)],
            ["partner_id", "program_id"], ["remaining_points:sum", "expiry_date:min"],
        )
        events._queue_batch([
            ("points.will_expire", program.company_id.id, partner.id, {
                **events._partner_data(partner),
                "program_id": program.id,
                "points": points,
                "first_expiry_date": first_expiry,
                "expiring_by": horizon,
            })
            for partner, program, points, first_expiry in groups
        ])

    @api.model
    def _cron_expire_points(self):
        self._expire_lots()

    @api.model
    def _cron_send_expiry_reminders(self):
        self._send_expiry_reminders()
