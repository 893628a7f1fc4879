import io
import logging
import re
from collections import defaultdict
from datetime import timedelta

import xlsxwriter

from odoo import api, fields, models
from odoo.tools import SQL, float_is_zero, formatLang

from ..tools.batches import run_in_batches
from ..tools.liability_rules import deferred_revenue, expected_cost, observed_share, released_share, trued_up

_logger = logging.getLogger(__name__)


class WholesaleLoyaltyLiability(models.AbstractModel):
    """The points liability in the books: every ledger entry of a program that books it
    moves money on the program's liability account, in a posted journal entry of its own.

    A lot (earned or bonus points) grows the liability: under ``deferral`` an invoice's lot
    defers D = G x S / (G + S) of its revenue (S: the points' stand-alone selling price), a
    lot without revenue is charged to the expense account at its expected cost; under
    ``provision`` every lot is charged to the expense account at its expected cost. An entry
    that consumes lots releases their money through its allocations: a redemption D x
    consumed / (P x r), a credit note or a reversal its share D x taken / P, an expiry what is
    left. A lot left with no points releases what is left of it, so that only open lots carry
    a liability. A give-back puts back, into the lots it returns points to, the money its
    consuming entry released of them. Entries are never changed: a reversal is a new entry.
    """

    _name = "wholesale.loyalty.liability"
    _description = "Wholesale Loyalty Points Liability"

    # ------------------------------------------------------------------ booking ledger entries

    @api.model
    def _book(self, entries):
        """Book what ``entries`` (just created by the ledger, lots kept) move on the liability."""
        # sudo: the liability is booked on behalf of whoever caused the points, who need not
        # be an accountant; only the programs' own accounts and journal are written.
        self = self.sudo()
        entries = entries.sudo().filtered(lambda entry: entry.program_id.liability_method != "none")
        if not entries:
            return
        booking = _Booking(self.env)
        lots = entries.filtered(lambda entry: entry.points > 0 and not entry.reversed_entry_id)
        give_backs = entries.filtered(lambda entry: entry.points > 0 and entry.reversed_entry_id)
        for lot in lots:
            self._book_lot(booking, lot)
        for consumer in entries.filtered(lambda entry: entry.points < 0):
            self._book_consumer(booking, consumer)
        booking.close_emptied_lots(entries.filtered(lambda entry: entry.points < 0))
        for give_back in give_backs:
            self._book_give_back(booking, give_back)
        booking.save()
        redemptions = (entries | give_backs.reversed_entry_id).filtered(lambda entry: entry.kind == "redeem")
        self._sync_redemptions(redemptions.sale_order_id)
        self._check_budgets(entries.program_id)

    # ------------------------------------------------------------------ opening balance

    @api.model
    def _book_opening(self, programs):
        """Book the liability of the points customers already hold when a program starts
        booking it: its open lots that carry none yet (earned while the method was ``none``)
        carry their expected cost (remaining points x point value x expected share), in one
        journal entry per program dated today. Under deferral the revenue of those points was
        recognised in full when they were earned: the catch-up is charged to the deferred
        revenue account of the period, as a provision would be (points that brought no revenue
        go to the expense account, as they would have). The lots then carry it like
        any other, so redemption and expiry release it. Idempotent: a lot booked carries its
        points, and is never booked again. Returns the journal entries posted."""
        self = self.sudo()  # books on behalf of the program, see _book
        moves = self.env["account.move"]
        for program in programs.sudo().filtered(lambda program: program.liability_method != "none"):
            lots = self.env["wholesale.loyalty.ledger"].search([
                ("program_id", "=", program.id), ("points", ">", 0), ("remaining_points", ">", 0),
                "|", ("liability_points", "=", False), ("liability_points", "=", 0),
            ], order="id")
            if lots:
                moves |= self._book_opening_lots(program, lots)
        return moves

    def _book_opening_lots(self, program, lots):
        booking = _Booking(self.env)
        share = booking.share(program)
        by_line = defaultdict(float)  # (account, partner): amount
        amounts = {}
        for lot in lots:
            amount = program.currency_id.round(expected_cost(lot.remaining_points, program.point_value, share))
            source = self._opening_source(lot)
            amounts[lot.id] = amount
            by_line[self._counter_account(program, lot.kind, source), lot.partner_id] += amount
            booking.lots[lot.id] = {
                "deferred": amount, "released": 0.0, "open": amount, "points": lot.remaining_points,
                "share": share, "source": source, "program": program, "last": None,
            }
        booking.save()
        move = self.env["account.move"]
        if not program.currency_id.is_zero(sum(by_line.values())):
            move = move.create(self._opening_move_vals(program, lots[0], by_line))
            move.action_post()
        self.env.cr.execute(SQL(
            """UPDATE wholesale_loyalty_ledger l SET liability_booked = v.amount, liability_move_id = %s
                 FROM unnest(%s::int[], %s::float[]) AS v(id, amount) WHERE l.id = v.id""",
            move.id or None, list(amounts), list(amounts.values()),
        ))
        lots.invalidate_recordset(["liability_booked", "liability_move_id"])
        return move

    def _opening_source(self, lot):
        """Where an opened lot's liability comes from: under deferral, an invoice's points
        from the revenue they were earned with ("opening", at their expected cost, not D);
        points without revenue from the expense account, as when they are given."""
        program = lot.program_id
        if program.liability_method == "deferral" and not (lot.kind == "earn" and lot.move_id):
            return "expense"
        return "opening"

    def _opening_move_vals(self, program, lot, by_line):
        """The opening entry: a line per customer on the liability (the tie-out reads it by
        customer) against the account its points' cost comes from."""
        date, lock_date = self._entry_date(lot, self.env["account.move"], fields.Date.context_today(self))
        label = self._label(self.env._("opening balance of the points held"), lock_date)
        line_ids = []
        for (account, partner), amount in by_line.items():
            for line_account, signed in ((account, amount), (program.liability_account_id, -amount)):
                line_ids.append((0, 0, {
                    "account_id": line_account.id, "partner_id": partner.id, "name": label,
                    "debit": signed if signed > 0 else 0.0, "credit": -signed if signed < 0 else 0.0,
                }))
        return {
            "move_type": "entry",
            "journal_id": program.liability_journal_id.id,
            "company_id": program.company_id.id,
            "date": date,
            "ref": self.env._("Points liability opening: %(program)s", program=program.name),
            "wholesale_liability_program_id": program.id,
            "line_ids": line_ids,
        }

    # ------------------------------------------------------------------ budget

    @api.model
    def _over_budget(self, program, points):
        """Whether giving ``points`` without revenue takes the program's points liability
        above its budget (never without a budget or a liability in the books)."""
        program = program.sudo()
        if program.liability_method == "none" or not program.liability_budget:
            return False
        liability = self._tie_out(program)[program.id]["ledger"]
        cost = expected_cost(points, program.point_value, self._shares(program)[program.id])
        return program.currency_id.compare_amounts(liability + cost, program.liability_budget) > 0

    @api.model
    def _check_budgets(self, programs):
        """Tell a program's followers when its points liability reaches 80% and 100% of its
        budget, once per level reached (falling below 80% arms the warnings again)."""
        programs = programs.sudo().filtered(lambda program: program.liability_budget > 0)
        if not programs:
            return
        tie_outs = self._tie_out(programs)
        for program in programs:
            percent = 100.0 * tie_outs[program.id]["ledger"] / program.liability_budget
            level = "100" if percent >= 100 else "80" if percent >= 80 else False
            if level == (program.liability_budget_alert or False):
                continue
            if level and int(level) > int(program.liability_budget_alert or 0):
                program.message_post(
                    body=self.env._(
                        "The points liability of %(program)s has reached %(percent)s%% of its budget "
                        "(%(liability)s of %(budget)s): points given without revenue now wait for a loyalty "
                        "administrator's approval above it.",
                        program=program.name, percent=round(percent, 1),
                        liability=formatLang(
                            self.env, tie_outs[program.id]["ledger"], currency_obj=program.currency_id),
                        budget=formatLang(self.env, program.liability_budget, currency_obj=program.currency_id),
                    ),
                    partner_ids=program.user_id.partner_id.ids, subtype_xmlid="mail.mt_comment",
                )
            # The warning given is the service's own record: no user writes it (see the program's write).
            self.env.cr.execute(SQL(
                "UPDATE wholesale_loyalty_program SET liability_budget_alert = %s WHERE id = %s", level or None,
                program.id,
            ))
            program.invalidate_recordset(["liability_budget_alert"])

    def _book_lot(self, booking, lot):
        program = lot.program_id
        share = booking.share(program)
        amount, source = self._lot_liability(lot, share)
        # Points that paid what the customer owed are gone at once: only those kept are owed.
        if lot.remaining_points < lot.points:
            amount = amount * lot.remaining_points / lot.points
        amount = program.currency_id.round(amount)
        booking.new_lot(lot, amount, lot.remaining_points, share, source)

    def _lot_liability(self, lot, share):
        """(liability, source) of a lot's points at ``share``: an invoice's points under
        deferral carry D of its revenue, other points their expected cost. G is the base the
        points were earned on (see ``_points_base``): an invoice deducting a down payment
        earns on its goods in full, so its revenue is allocated on them too, not on its net."""
        program = lot.program_id
        cost = expected_cost(lot.points, program.point_value, share)
        if lot.liability_source == "opening":  # booked at its expected cost when the books opened
            return cost, "opening"
        if lot.kind == "earn" and program.liability_method == "deferral" and lot.move_id:
            invoice = lot.move_id
            # Its lines are at hand when it is posted: no query to know whether it deducts a down payment.
            down_payment_moves = set(invoice.ids) if any(invoice.invoice_line_ids.mapped("is_downpayment")) else set()
            goods = self.env["wholesale.loyalty.points"]._points_base(invoice, down_payment_moves)
            return deferred_revenue(goods, cost), "revenue"
        return cost, "expense"

    # ------------------------------------------------------------------ expected share and true-up

    @api.model
    def _shares(self, programs):
        """{program id: share (%) of points expected to be redeemed}: the fixed one, or with
        ``observed``, the share observed on the program's closed lots once they are enough."""
        shares = {program.id: program.expected_redemption_percent for program in programs}
        observed = programs.filtered(lambda program: program.redemption_estimate == "observed")
        for program_id, share in self._observed_shares(observed).items():
            if share is not None:
                shares[program_id] = share
        return shares

    @api.model
    def _observed_shares(self, programs):
        """{program id: observed share (%) or None}: points redeemed against points expired
        among the program's closed lots (no points left), in one query."""
        if not programs:
            return {}
        self.env["wholesale.loyalty.ledger"].flush_model()
        self.env["wholesale.loyalty.ledger.allocation"].flush_model()
        rows = self.env.execute_query(SQL(
            """SELECT lot.program_id,
                      COALESCE(SUM(a.points) FILTER (WHERE e.kind = 'redeem'), 0)
                    - COALESCE(SUM(a.points) FILTER (WHERE e.kind = 'reversal' AND e.points > 0
                                                       AND c.kind = 'redeem'), 0),
                      COALESCE(SUM(a.points) FILTER (WHERE e.kind = 'expire'), 0)
                 FROM wholesale_loyalty_ledger lot
                 JOIN wholesale_loyalty_ledger_allocation a ON a.lot_id = lot.id
                 JOIN wholesale_loyalty_ledger e ON e.id = a.entry_id
            LEFT JOIN wholesale_loyalty_ledger c ON c.id = e.reversed_entry_id
                WHERE lot.program_id = ANY(%s) AND lot.points > 0 AND lot.remaining_points = 0
                GROUP BY lot.program_id""",
            programs.ids,
        ))
        shares = dict.fromkeys(programs.ids)
        for program_id, redeemed, expired in rows:
            shares[program_id] = observed_share(redeemed, expired)
        return shares

    @api.model
    def _true_up(self, programs=None, batch_size=500):
        """Count the open lots of each program booking its liability at the share expected
        now: the cumulative catch-up of every lot whose share changed, one journal entry per
        lot, in batches. Safe to run again: a lot trued up carries the new share. Returns the
        number of lots trued up."""
        self = self.sudo()  # scheduled: books on behalf of the programs
        programs = programs or self.env["wholesale.loyalty.program"].search([("liability_method", "!=", "none")])
        shares = self._shares(programs)
        lots = self.env["wholesale.loyalty.ledger"]
        for program in programs:
            lots |= lots.search([
                ("program_id", "=", program.id), ("points", ">", 0), ("remaining_points", ">", 0),
                ("liability_points", ">", 0), ("liability_share", "!=", shares[program.id]),
            ], order="id")
        run = run_in_batches(
            self.env, lots, batch_size, lambda chunk: self._true_up_lots(chunk, shares), commit=True,
            isolate="Points liability true-up", describe=lambda lot: f"lot {lot.id}", logger=_logger,
        )
        return len(run.succeeded)

    def _true_up_lots(self, lots, shares):
        booking = _Booking(self.env)
        consumed = self._consumed_by_kind(lots)
        for lot in lots:
            share = shares[lot.program_id.id]
            deferred, _source = self._lot_liability(lot, share)
            deferred = deferred * lot.liability_points / lot.points
            redeemed, taken = consumed.get(lot.id, (0, 0))
            carried = lot.program_id.currency_id.round(trued_up(deferred, lot.liability_points, share, redeemed, taken))
            booking.true_up(lot, lot.program_id.currency_id.round(deferred), carried, share)
        booking.save()

    def _consumed_by_kind(self, lots):
        """{lot id: (points redeemed, points taken back)} net of what came back to the lot."""
        rows = self.env.execute_query(SQL(
            """SELECT a.lot_id,
                      SUM(CASE WHEN e.points < 0 THEN a.points ELSE -a.points END)
                          FILTER (WHERE COALESCE(c.kind, e.kind) = 'redeem'),
                      SUM(CASE WHEN e.points < 0 THEN a.points ELSE -a.points END)
                          FILTER (WHERE COALESCE(c.kind, e.kind) IN ('reversal', 'adjust'))
                 FROM wholesale_loyalty_ledger_allocation a
                 JOIN wholesale_loyalty_ledger e ON e.id = a.entry_id
            LEFT JOIN wholesale_loyalty_ledger c ON c.id = e.reversed_entry_id AND e.points > 0
                WHERE a.lot_id = ANY(%s) AND a.liability_amount IS NOT NULL
                GROUP BY a.lot_id""",
            lots.ids,
        ))
        return {lot_id: (redeemed or 0, taken or 0) for lot_id, redeemed, taken in rows}

    @api.model
    def _cron_true_up(self):
        self._true_up()

    def _book_consumer(self, booking, consumer):
        for allocation in consumer.allocation_ids:
            lot = allocation.lot_id
            state = booking.lot_state(lot)
            share = state["share"] if consumer.kind == "redeem" else 100.0
            amount = released_share(state["deferred"], state["points"], share, allocation.points)
            booking.release(consumer, allocation, lot, min(amount, state["open"]))

    def _book_give_back(self, booking, give_back):
        consumer = give_back.reversed_entry_id
        held = self._held_by(consumer, give_back)
        for allocation in give_back.allocation_ids:
            points, money = held.get(allocation.lot_id.id, (0, 0.0))
            amount = money * allocation.points / points if points > 0 else 0.0
            booking.restore(give_back, allocation, consumer, -min(amount, money))
        kept = give_back.remaining_points
        if kept > 0:
            points = sum(points for points, _money in held.values()) - sum(give_back.allocation_ids.mapped("points"))
            money = sum(money for _points, money in held.values()) - sum(booking.restored(give_back))
            amount = money * kept / points if points > 0 else 0.0
            source = self._source_of(consumer)
            booking.new_lot(give_back, give_back.program_id.currency_id.round(max(amount, 0.0)), kept,
                            give_back.program_id.expected_redemption_percent, source, consumer=consumer)

    # ------------------------------------------------------------------ redemptions

    @api.model
    def _sync_redemptions(self, orders, cause=None):
        """Release the money the points of each order took from their lots as the invoices
        carrying its points line are posted: of what its redemptions hold (M), the share of
        the points it holds that posted invoices carry, net of credit notes, is released in
        the books; the rest waits, still part of the liability. ``cause``: the documents
        posted, reset or cancelled, which date the entries."""
        if not orders:
            return
        self = self.sudo()  # booked on behalf of whoever invoices; see _book
        ledger = self.env["wholesale.loyalty.ledger"]
        redemptions = ledger.search([
            ("sale_order_id", "in", orders.ids), ("kind", "=", "redeem"),
            ("program_id.liability_method", "!=", "none"),
        ], order="id")
        if not redemptions:
            return
        points = self.env["wholesale.loyalty.points"]
        money = self._redemption_money(redemptions)
        nets = points._nets(redemptions)
        moves_vals, entries, deltas = [], [], []
        for order in redemptions.sale_order_id:
            own = redemptions.filtered(lambda entry, order=order: entry.sale_order_id == order)
            last, program = own[-1], own[-1].program_id
            held = -sum(nets.get(entry.id, 0) for entry in own)
            invoiced, credited = points._points_on_invoices(order)
            used = min(max(invoiced - credited, 0), held)
            total = sum(money.get(entry.id, 0.0) for entry in own)
            target = program.currency_id.round(total * used / held) if held > 0 else 0.0
            delta = program.currency_id.round(-target - sum(own.mapped("liability_booked")))
            if program.currency_id.is_zero(delta):
                continue
            # Dated like the document that moved it: the one posted now, else the last posted
            # document carrying the order's points line.
            carrying = order.order_line.filtered("wholesale_points_redeemed").invoice_lines.move_id
            document = ((cause or self.env["account.move"]) & carrying or carrying).filtered(
                lambda move: move.state == "posted"
            ).sorted("id")[-1:]
            account = self._counter_account(program, "redeem", "revenue")
            moves_vals.append(self._move_vals(last, [(account, delta)], document=document,
                                              text=document.name or order.name))
            entries.append(last.id)
            deltas.append(delta)
        if not moves_vals:
            return
        moves = self.env["account.move"].create(moves_vals)
        moves.action_post()
        self.env.cr.execute(SQL(
            """UPDATE wholesale_loyalty_ledger l
                  SET liability_booked = COALESCE(l.liability_booked, 0) + v.delta, liability_move_id = v.move_id
                 FROM unnest(%s::int[], %s::float[], %s::int[]) AS v(id, delta, move_id) WHERE l.id = v.id""",
            entries, deltas, moves.ids,
        ))
        ledger.invalidate_model(["liability_booked", "liability_move_id"])

    def _redemption_money(self, redemptions):
        """{redemption id: money it holds}: what it took from its lots, less what its
        give-backs put back into lots or kept as lots of their own."""
        self.env["wholesale.loyalty.ledger"].flush_model()
        self.env["wholesale.loyalty.ledger.allocation"].flush_model()
        return dict(self.env.execute_query(SQL(
            """SELECT r.id,
                      COALESCE((SELECT SUM(a.liability_amount) FROM wholesale_loyalty_ledger_allocation a
                                 WHERE a.entry_id = r.id), 0)
                    + COALESCE((SELECT SUM(a.liability_amount) FROM wholesale_loyalty_ledger_allocation a
                                  JOIN wholesale_loyalty_ledger g ON g.id = a.entry_id
                                 WHERE g.reversed_entry_id = r.id AND g.points > 0), 0)
                    - COALESCE((SELECT SUM(g.liability_deferred) FROM wholesale_loyalty_ledger g
                                 WHERE g.reversed_entry_id = r.id AND g.points > 0), 0)
                 FROM wholesale_loyalty_ledger r WHERE r.id = ANY(%s)""",
            redemptions.ids,
        )))

    def _held_by(self, consumer, give_back):
        """{lot id: (points, money)} a consuming entry still holds of each lot it used, before
        ``give_back``: what it took less what earlier give-backs returned."""
        held = defaultdict(lambda: [0, 0.0])
        for allocation in consumer.allocation_ids:
            held[allocation.lot_id.id][0] += allocation.points
            held[allocation.lot_id.id][1] += allocation.liability_amount
        earlier = self.env["wholesale.loyalty.ledger"].search(
            [("reversed_entry_id", "=", consumer.id), ("points", ">", 0), ("id", "<", give_back.id)]
        )
        for allocation in earlier.allocation_ids:
            held[allocation.lot_id.id][0] -= allocation.points
            held[allocation.lot_id.id][1] += allocation.liability_amount
        return {lot_id: tuple(value) for lot_id, value in held.items()}

    def _source_of(self, consumer):
        sources = consumer.allocation_ids.lot_id.mapped("liability_source")
        return "revenue" if {"revenue", "opening"} & set(sources) else "expense"

    # ------------------------------------------------------------------ journal entries

    def _counter_account(self, program, kind, source):
        """The account a movement of the liability goes against: a redemption under deferral
        releases revenue; otherwise the lot's money goes back where it came from."""
        if program.liability_method == "deferral" and (kind == "redeem" or source in ("revenue", "opening")):
            return program.liability_revenue_account_id
        return program.liability_expense_account_id

    def _entry_date(self, entry, document=None, date=None):
        """The date of an entry's booking: its document's date (an invoice's points are dated
        like the invoice), else the day of the entry (today for a redemption released later);
        ``(date, lock date)`` when a locked period moves it to the first open day."""
        document = entry.move_id if document is None else document
        if date:
            pass
        elif document and document.state == "posted":
            date = document.date
        else:
            date = fields.Date.context_today(self) if entry.kind == "redeem" else entry.date
        journal = entry.program_id.liability_journal_id
        violated = entry.company_id._get_violated_lock_dates(date, False, journal)
        if not violated:
            return date, None
        lock_date = max(lock for lock, _name in violated)
        return lock_date + timedelta(days=1), lock_date

    def _label(self, text, lock_date):
        label = self.env._("Points liability: %(entry)s", entry=text)
        if lock_date:
            label = self.env._("%(label)s (the period up to %(lock)s is locked)", label=label, lock=lock_date)
        return label

    def _move_vals(self, entry, lines, document=None, text=None, date=None):
        """A journal entry moving ``lines`` ([(account, signed amount on the liability)]) for
        ``entry``: positive amounts credit the liability and debit the account. ``document``
        (an invoice or credit note) dates it and is its source, instead of the entry's."""
        program = entry.program_id
        document = entry.move_id if document is None else document
        date, lock_date = self._entry_date(entry, document, date)
        label = self._label(text or entry.note or entry.reference or entry.kind, lock_date)
        currency = program.currency_id
        move_lines = []
        total = 0.0
        for account, amount in lines:
            total += amount
            move_lines.append(self._line(account, entry, label, amount))
        move_lines.append(self._line(program.liability_account_id, entry, label, -currency.round(total)))
        return {
            "move_type": "entry",
            "journal_id": program.liability_journal_id.id,
            "company_id": entry.company_id.id,
            "date": date,
            "ref": document.name or entry.reference or False,
            "wholesale_liability_program_id": program.id,
            "wholesale_liability_source_id": document.id or False,
            "line_ids": [(0, 0, vals) for vals in move_lines],
        }

    def _line(self, account, entry, label, amount):
        return {
            "account_id": account.id,
            "partner_id": entry.partner_id.id,
            "name": label,
            "debit": amount if amount > 0 else 0.0,
            "credit": -amount if amount < 0 else 0.0,
        }

    # ------------------------------------------------------------------ tie-out

    @api.model
    def _tie_out(self, programs, by_customer=False):
        """{program id: {"ledger", "books", "difference"[, "lines"]}}: what the open lots of
        each program (and its redemptions not invoiced yet) carry, against the balance of its
        liability account on its entries, in one query summing and rounding per customer;
        ``by_customer`` adds a line per customer with its name."""
        result = {program.id: {"ledger": 0.0, "books": 0.0, "difference": 0.0, "lines": []} for program in programs}
        ids = [program.id for program in programs if program.id]
        if not ids:
            return result
        self.env["wholesale.loyalty.ledger"].flush_model()
        self.env["wholesale.loyalty.ledger.allocation"].flush_model()
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model()
        rows = self.env.execute_query(SQL(
            """WITH figures AS (
                    SELECT program_id, partner_id,
                           SUM(COALESCE(liability_deferred, 0) - COALESCE(liability_released, 0)) AS ledger,
                           0 AS books
                      FROM wholesale_loyalty_ledger
                     WHERE program_id = ANY(%(ids)s) AND points > 0
                     GROUP BY program_id, partner_id
                 UNION ALL
                    SELECT r.program_id, r.partner_id, COALESCE(r.liability_booked, 0)
                         + COALESCE((SELECT SUM(a.liability_amount) FROM wholesale_loyalty_ledger_allocation a
                                      WHERE a.entry_id = r.id), 0)
                         + COALESCE((SELECT SUM(a.liability_amount) FROM wholesale_loyalty_ledger_allocation a
                                       JOIN wholesale_loyalty_ledger g ON g.id = a.entry_id
                                      WHERE g.reversed_entry_id = r.id AND g.points > 0), 0)
                         - COALESCE((SELECT SUM(g.liability_deferred) FROM wholesale_loyalty_ledger g
                                      WHERE g.reversed_entry_id = r.id AND g.points > 0), 0), 0
                      FROM wholesale_loyalty_ledger r
                     WHERE r.program_id = ANY(%(ids)s) AND r.kind = 'redeem'
                 UNION ALL
                    SELECT move.wholesale_liability_program_id, line.partner_id, 0, SUM(line.credit - line.debit)
                      FROM account_move_line line
                      JOIN account_move move ON move.id = line.move_id
                      JOIN wholesale_loyalty_program program ON program.id = move.wholesale_liability_program_id
                     WHERE move.wholesale_liability_program_id = ANY(%(ids)s) AND move.state = 'posted'
                       AND line.account_id = program.liability_account_id
                     GROUP BY move.wholesale_liability_program_id, line.partner_id
               )
               SELECT figures.program_id, figures.partner_id,
                      ROUND(SUM(figures.ledger)::numeric, MAX(currency.decimal_places)),
                      ROUND(SUM(figures.books)::numeric, MAX(currency.decimal_places)),
                      MAX(partner.complete_name)
                 FROM figures
                 JOIN wholesale_loyalty_program program ON program.id = figures.program_id
                 JOIN res_company company ON company.id = program.company_id
                 JOIN res_currency currency ON currency.id = company.currency_id
            LEFT JOIN res_partner partner ON partner.id = figures.partner_id
                GROUP BY figures.program_id, figures.partner_id
                ORDER BY figures.program_id, figures.partner_id""",
            ids=ids,
        ))
        for program_id, partner_id, ledger, books, name in rows:
            tie_out = result[program_id]
            ledger, books = float(ledger), float(books)
            tie_out["ledger"] += ledger
            tie_out["books"] += books
            if by_customer and (ledger or books):
                tie_out["lines"].append({
                    "partner_id": partner_id, "partner": name or "", "ledger": ledger, "books": books,
                    "difference": round(books - ledger, 6),
                })
        for program in programs:
            tie_out = result[program.id]
            # Lines are whole cents already: their sums are rounded to drop the float noise.
            round_ = program.currency_id.round if program.currency_id else (lambda amount: round(amount, 2))
            tie_out["ledger"] = round_(tie_out["ledger"])
            tie_out["books"] = round_(tie_out["books"])
            tie_out["difference"] = round_(tie_out["books"] - tie_out["ledger"])
            if by_customer:
                for line in tie_out["lines"]:
                    line["difference"] = round_(line["difference"])
            else:
                del tie_out["lines"]
        return result

    @api.model
    def _tie_out_xlsx(self, programs):
        """The tie-out of ``programs`` as a workbook, a sheet per program and a line per
        customer, headed with the fields' own (translated) names."""
        tie_outs = self._tie_out(programs, by_customer=True)
        program_fields = self.env["wholesale.loyalty.program"]._fields
        heads = [self.env["wholesale.loyalty.ledger"]._fields["partner_id"].get_description(self.env)["string"]] + [
            program_fields[name].get_description(self.env)["string"]
            for name in ("liability_ledger_amount", "liability_books_amount", "liability_difference")
        ]
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True})
        bold = workbook.add_format({"bold": True})
        money = workbook.add_format({"num_format": "#,##0.00"})
        for program in programs:
            sheet = workbook.add_worksheet(re.sub(r"[\[\]:*?/\\]", " ", program.name)[:31])
            sheet.set_column(0, 0, 40)
            sheet.set_column(1, 3, 18)
            sheet.write_row(0, 0, heads, bold)
            tie_out = tie_outs[program.id]
            for row, line in enumerate(tie_out["lines"], start=1):
                sheet.write(row, 0, line["partner"])
                sheet.write_row(row, 1, [line["ledger"], line["books"], line["difference"]], money)
            total_row = len(tie_out["lines"]) + 1
            sheet.write(total_row, 0, program.name, bold)
            sheet.write_row(total_row, 1, [tie_out["ledger"], tie_out["books"], tie_out["difference"]], money)
        workbook.close()
        return output.getvalue()


class _Booking:
    """What a batch of ledger entries moves on the liability, gathered and then written at
    once: the lots' figures and the allocations' amounts by SQL (the ledger is never written
    through the ORM), one journal entry per ledger entry."""

    def __init__(self, env):
        self.env = env
        self.service = env["wholesale.loyalty.liability"]
        self.lots = {}  # lot id: {deferred, released, open, points, share, source, new}
        self.allocation_amounts = {}
        self.lines = defaultdict(list)  # entry: [(account, amount)]
        self.restores = defaultdict(list)  # give-back id: [amounts]
        self.new_lots = {}
        self.shares = {}
        self.documents = {}  # entry id: label of an entry booked after the fact (a true-up)

    def share(self, program):
        """The share (%) expected for ``program``'s lots booked now (see ``_shares``)."""
        if program.id not in self.shares:
            self.shares.update(self.service._shares(program))
        return self.shares[program.id]

    def true_up(self, lot, deferred, carried, share):
        """Count ``lot`` at ``share``: it carries ``carried`` of its new ``deferred``; the
        change goes against the account its liability came from."""
        state = self.lot_state(lot)
        change = carried - state["open"]
        state.update(deferred=deferred, released=deferred - carried, open=carried, share=share)
        if not float_is_zero(change, precision_digits=6):
            account = self.service._counter_account(state["program"], "true_up", state["source"])
            self.lines[lot].append((account, change))
            self.documents[lot.id] = self.env._("True-up to %(share)s%% expected", share=round(share, 2))

    def lot_state(self, lot):
        if lot.id not in self.lots:
            self.lots[lot.id] = {
                "deferred": lot.liability_deferred, "released": lot.liability_released,
                "open": lot.liability_deferred - lot.liability_released, "points": lot.liability_points,
                "share": lot.liability_share, "source": lot.liability_source, "program": lot.program_id,
                "last": None,
            }
        return self.lots[lot.id]

    def new_lot(self, lot, amount, points, share, source, consumer=None):
        self.lots[lot.id] = {
            "deferred": amount, "released": 0.0, "open": amount, "points": points, "share": share,
            "source": source, "program": lot.program_id, "last": None,
        }
        self.new_lots[lot.id] = lot
        account = self.service._counter_account(lot.program_id, consumer.kind if consumer else lot.kind, source)
        self._add_line(lot, consumer or lot, account, amount)

    def release(self, consumer, allocation, lot, amount):
        state = self.lots[lot.id]
        amount = state["program"].currency_id.round(max(amount, 0.0))
        state["released"] += amount
        state["open"] -= amount
        state["last"] = (consumer, allocation)
        self.allocation_amounts[allocation.id] = amount
        account = self.service._counter_account(state["program"], consumer.kind, state["source"])
        self._add_line(consumer, consumer, account, -amount)

    def _add_line(self, entry, consumer, account, amount):
        """A line of ``entry``'s journal entry; a redemption's money is released by its
        invoices (see ``_sync_redemptions``), not when the points are taken."""
        if consumer.kind != "redeem":
            self.lines[entry].append((account, amount))

    def close_emptied_lots(self, consumers):
        """A lot a consuming entry left with no points releases what is left of it."""
        if not consumers:
            return
        for state in self.lots.values():
            if not state["last"] or float_is_zero(state["open"], precision_digits=6):
                continue
            consumer, allocation = state["last"]
            if allocation.lot_id.remaining_points:
                continue
            amount = state["open"]
            state["released"] += amount
            state["open"] = 0.0
            self.allocation_amounts[allocation.id] += amount
            account = self.service._counter_account(state["program"], consumer.kind, state["source"])
            self._add_line(consumer, consumer, account, -amount)

    def restore(self, give_back, allocation, consumer, amount):
        """Put ``-amount`` back into the lot of ``allocation`` (``amount`` is negative)."""
        lot = allocation.lot_id
        state = self.lot_state(lot)
        amount = state["program"].currency_id.round(amount)
        state["released"] += amount
        state["open"] -= amount
        self.allocation_amounts[allocation.id] = amount
        self.restores[give_back.id].append(-amount)
        account = self.service._counter_account(state["program"], consumer.kind, state["source"])
        self._add_line(give_back, consumer, account, -amount)

    def restored(self, give_back):
        return self.restores.get(give_back.id, [])

    def save(self):
        cr = self.env.cr
        ledger = self.env["wholesale.loyalty.ledger"]
        booked = {}
        moves_vals, move_entries = [], []
        for entry, lines in self.lines.items():
            total = sum(amount for _account, amount in lines)
            booked[entry.id] = total
            lines = [(account, amount) for account, amount in lines
                     if not float_is_zero(amount, precision_digits=6)]
            if lines:
                moves_vals.append(self._move_vals(entry, lines))
                move_entries.append(entry.id)
        moves = self.env["account.move"].create(moves_vals)
        moves.action_post()
        move_of = dict(zip(move_entries, moves.ids, strict=True))
        ids = list(self.lots)
        if ids:
            cr.execute(SQL(
                """UPDATE wholesale_loyalty_ledger l
                      SET liability_deferred = v.deferred, liability_released = v.released,
                          liability_points = v.points, liability_share = v.share, liability_source = v.source
                     FROM unnest(%s::int[], %s::float[], %s::float[], %s::int[], %s::float[], %s::varchar[])
                          AS v(id, deferred, released, points, share, source)
                    WHERE l.id = v.id""",
                ids, [self.lots[i]["deferred"] for i in ids], [self.lots[i]["released"] for i in ids],
                [self.lots[i]["points"] or 0 for i in ids], [self.lots[i]["share"] or 0.0 for i in ids],
                [self.lots[i]["source"] or None for i in ids],
            ))
        if booked:
            entry_ids = list(booked)
            cr.execute(SQL(
                """UPDATE wholesale_loyalty_ledger l
                      SET liability_booked = COALESCE(l.liability_booked, 0) + v.booked,
                          liability_move_id = COALESCE(l.liability_move_id, v.move_id)
                     FROM unnest(%s::int[], %s::float[], %s::int[]) AS v(id, booked, move_id) WHERE l.id = v.id""",
                entry_ids, [booked[i] for i in entry_ids], [move_of.get(i) for i in entry_ids],
            ))
        if self.allocation_amounts:
            cr.execute(SQL(
                """UPDATE wholesale_loyalty_ledger_allocation a SET liability_amount = v.amount
                     FROM unnest(%s::int[], %s::float[]) AS v(id, amount) WHERE a.id = v.id""",
                list(self.allocation_amounts), list(self.allocation_amounts.values()),
            ))
        ledger.invalidate_model([
            "liability_deferred", "liability_released", "liability_points", "liability_share", "liability_source",
            "liability_booked", "liability_move_id",
        ])
        self.env["wholesale.loyalty.ledger.allocation"].invalidate_model(["liability_amount"])

    def _move_vals(self, entry, lines):
        if entry.id in self.documents:  # a true-up: booked today, after the fact
            return self.service._move_vals(
                entry, self._merged(lines), document=self.env["account.move"], text=self.documents[entry.id],
                date=fields.Date.context_today(self.service),
            )
        return self.service._move_vals(entry, self._merged(lines))

    def _merged(self, lines):
        merged = defaultdict(float)
        for account, amount in lines:
            merged[account] += amount
        return [(account, amount) for account, amount in merged.items()
                if not float_is_zero(amount, precision_digits=6)]
