import logging

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..tools.points_rules import Lot, allocate, expiry_for, points_for_amount, reversal_due

_logger = logging.getLogger(__name__)


class WholesaleLoyaltyPoints(models.AbstractModel):
    """Everything that moves points: earning, bonuses, redeeming, reversing, expiring.

    The ledger is the only source of truth. Each movement is a new entry; lots keep their
    ``remaining_points`` and consuming entries record the lots they used. Every method
    locks the customer's row first (see :meth:`_lock_customers`) so that two transactions
    never spend the same points.
    """

    _name = "wholesale.loyalty.points"
    _description = "Wholesale Loyalty Points Service"

    # ------------------------------------------------------------------ locking and balances

    def _lock_customers(self, partners):
        """Update the customers' stored balance: this takes their row lock, and under
        Odoo's repeatable-read transactions a concurrent spender that already changed the
        row makes this one fail with a serialization error, so that it is retried and then
        sees the points already spent."""
        self._refresh_balances(partners)

    def _refresh_balances(self, partners):
        ids = partners.commercial_partner_id.ids
        if not ids:
            return
        self.env["wholesale.loyalty.ledger"].flush_model()
        self.env.cr.execute(SQL(
            """UPDATE res_partner p
                  SET wholesale_points_balance = COALESCE(
                        (SELECT SUM(l.points) FROM wholesale_loyalty_ledger l
                          WHERE l.partner_id = p.commercial_partner_id), 0)
                WHERE p.commercial_partner_id = ANY(%s)""",
            ids,
        ))
        self.env["res.partner"].invalidate_model(["wholesale_points_balance"])

    def _balance(self, partner, program):
        self.env["wholesale.loyalty.ledger"].flush_model()
        rows = self.env.execute_query(SQL(
            "SELECT COALESCE(SUM(points), 0) FROM wholesale_loyalty_ledger WHERE partner_id = %s AND program_id = %s",
            partner.id, program.id,
        ))
        return rows[0][0]

    # ------------------------------------------------------------------ writing entries

    def _post_entries(self, vals_list):
        """Create entries; consuming ones (negative) take their points from the lots."""
        ledger = self.env["wholesale.loyalty.ledger"].sudo()
        if not vals_list:
            return ledger
        entries = ledger.create(vals_list)
        for entry in entries.filtered(lambda e: e.points < 0):
            self._consume(entry, -entry.points, entry.env.context.get("wholesale_preferred_lot"))
        for entry in entries.filtered(lambda e: e.points > 0 and e.remaining_points):
            self._absorb_debt(entry)
        self._refresh_balances(entries.partner_id)
        return entries

    def _open_lots(self, partner, program):
        self.env["wholesale.loyalty.ledger"].flush_model()
        rows = self.env.execute_query(SQL(
            """SELECT id, remaining_points, expiry_date, date FROM wholesale_loyalty_ledger
                WHERE partner_id = %s AND program_id = %s AND remaining_points > 0
                  FOR UPDATE""",
            partner.id, program.id,
        ))
        return [Lot(*row) for row in rows]

    def _consume(self, entry, points, preferred_lot_id=None):
        lots = self._open_lots(entry.partner_id, entry.program_id)
        allocations, _shortfall = allocate(lots, points, preferred_lot_id)
        self._take_from_lots(entry, allocations)

    def _take_from_lots(self, entry, allocations):
        if not allocations:
            return
        self.env["wholesale.loyalty.ledger.allocation"].sudo().create([
            {"entry_id": entry.id, "lot_id": lot_id, "points": taken} for lot_id, taken in allocations
        ])
        self.env.cr.execute(SQL(
            """UPDATE wholesale_loyalty_ledger l SET remaining_points = l.remaining_points - v.taken
                 FROM unnest(%s::int[], %s::int[]) AS v(id, taken) WHERE l.id = v.id""",
            [lot_id for lot_id, _taken in allocations], [taken for _lot_id, taken in allocations],
        ))
        self.env["wholesale.loyalty.ledger"].invalidate_model(["remaining_points"])

    def _absorb_debt(self, lot):
        """A balance below zero (a refund of points already spent) is paid back first by
        the next points earned: the new lot only keeps what exceeds the debt."""
        balance = self._balance(lot.partner_id, lot.program_id)
        open_points = sum(found.remaining for found in self._open_lots(lot.partner_id, lot.program_id))
        excess = open_points - max(balance, 0)
        if excess > 0:
            keep = max(lot.remaining_points - excess, 0)
            lot.with_context(wholesale_ledger_bookkeeping=True).write({"remaining_points": keep})

    # ------------------------------------------------------------------ earning

    def _program_of(self, invoice):
        customer = invoice.commercial_partner_id
        program = customer.wholesale_program_id
        if program and program.company_id == invoice.company_id:
            return program
        return self.env["wholesale.loyalty.program"]

    def _earn_entries(self, invoice):
        return self.env["wholesale.loyalty.ledger"].sudo().search(
            [("move_id", "=", invoice.id), ("kind", "=", "earn")], order="id"
        )

    def _net(self, entry):
        """Points of an entry still standing after the reversals that point at it."""
        reversals = self.env["wholesale.loyalty.ledger"].sudo().search([("reversed_entry_id", "=", entry.id)])
        return entry.points + sum(reversals.mapped("points"))

    def _invoices_holding_points(self, invoices):
        """Ids of the invoices whose earned points still stand: two queries for the batch."""
        ledger = self.env["wholesale.loyalty.ledger"].sudo()
        earned = ledger.search([("move_id", "in", invoices.ids), ("kind", "=", "earn")])
        reversed_points = dict(ledger._read_group(
            [("reversed_entry_id", "in", earned.ids)], ["reversed_entry_id"], ["points:sum"]
        ))
        return {entry.move_id.id for entry in earned if entry.points + reversed_points.get(entry, 0) > 0}

    def _active_earn_entry(self, invoice):
        return self._earn_entries(invoice).filtered(lambda entry: self._net(entry) > 0)[-1:]

    def invoice_points(self, invoice, program=None):
        """Points this customer invoice earns under its program (0 when none applies)."""
        program = program or self._program_of(invoice)
        if not program:
            return 0
        return program._points_for(invoice.amount_untaxed_signed, invoice.commercial_partner_id.wholesale_tier_id)

    def earn_for_invoices(self, invoices, trigger):
        """Give the points of customer invoices that reached their program's trigger."""
        self = self.sudo()  # the ledger is written on behalf of whoever posts or pays
        invoices = invoices.sudo()
        vals_list = []
        for invoice in invoices.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted"):
            program = self._program_of(invoice)
            if not program or program.points_trigger != trigger or self._active_earn_entry(invoice):
                continue
            points = self.invoice_points(invoice, program)
            if points <= 0:
                continue
            customer = invoice.commercial_partner_id
            tier = customer.wholesale_tier_id
            vals_list.append({
                "partner_id": customer.id,
                "program_id": program.id,
                "company_id": program.company_id.id,
                "date": fields.Date.context_today(self),
                "points": points,
                "kind": "earn",
                "move_id": invoice.id,
                "reference": f"invoice:{invoice.id}:{len(self._earn_entries(invoice))}",
                "expiry_date": expiry_for(
                    fields.Date.context_today(self), program.points_validity_months, tier.points_never_expire
                ),
                "note": self.env._("Invoice %(invoice)s", invoice=invoice.name),
            })
        if vals_list:
            self._lock_customers(invoices.commercial_partner_id)
        entries = self._post_entries(vals_list)
        self._give_first_order_bonus(entries)
        return entries

    def reverse_invoices(self, invoices, reason):
        """An invoice back to draft or cancelled gives back what it still holds."""
        self = self.sudo()
        invoices = invoices.sudo()
        vals_list = []
        for invoice in invoices.filtered(lambda m: m.move_type == "out_invoice"):
            for earned in self._earn_entries(invoice):
                standing = self._net(earned)
                if standing > 0:
                    vals_list.append(self._reversal_vals(earned, standing, invoice, reason))
        if vals_list:
            self._lock_customers(invoices.commercial_partner_id)
        return self._post_reversals(vals_list)

    def reverse_for_refunds(self, refunds):
        """A posted credit note takes back its share of what its invoice earned."""
        self = self.sudo()
        refunds = refunds.sudo()
        vals_list = []
        for refund in refunds.filtered(lambda m: m.move_type == "out_refund" and m.reversed_entry_id):
            invoice = refund.reversed_entry_id
            earned = self._active_earn_entry(invoice) or self._earn_entries(invoice)[-1:]
            if not earned or self.env["wholesale.loyalty.ledger"].sudo().search_count(
                [("move_id", "=", refund.id), ("kind", "=", "reversal")]
            ):
                continue
            program = earned.program_id
            refunded = sum(
                invoice.reversal_move_ids.filtered(lambda r: r.state == "posted").mapped("amount_untaxed")
            )
            tier_multiplier_points = self._earned_rule(earned, program)
            due = reversal_due(
                earned.points, invoice.amount_untaxed, refunded,
                earned.points - self._net(earned), tier_multiplier_points,
            )
            if due > 0:
                vals_list.append(self._reversal_vals(
                    earned, due, refund,
                    self.env._("Credit note %(refund)s", refund=refund.name),
                ))
        if vals_list:
            self._lock_customers(refunds.commercial_partner_id)
        return self._post_reversals(vals_list)

    def _earned_rule(self, earned, program):
        """The points rule as it applied when ``earned`` was booked (same multiplier)."""
        base = points_for_amount(
            earned.move_id.amount_untaxed, program.points_amount_step, program.points_per_step,
        )
        multiplier = earned.points / base if base else 1.0
        return lambda amount: points_for_amount(
            amount, program.points_amount_step, program.points_per_step, multiplier,
            program.points_min_order_amount,
        )

    def _reversal_vals(self, entry, points, move, note):
        return {
            "partner_id": entry.partner_id.id,
            "program_id": entry.program_id.id,
            "company_id": entry.company_id.id,
            "date": fields.Date.context_today(self),
            "points": -points if entry.points > 0 else points,
            "kind": "reversal",
            "move_id": move.id if move._name == "account.move" else False,
            "sale_order_id": move.id if move._name == "sale.order" else entry.sale_order_id.id,
            "reversed_entry_id": entry.id,
            "reference": f"reversal:{entry.id}:{move._name}:{move.id}:{self._reversal_count(entry)}",
            "note": note,
        }

    def _reversal_count(self, entry):
        return self.env["wholesale.loyalty.ledger"].sudo().search_count([("reversed_entry_id", "=", entry.id)])

    def _post_reversals(self, vals_list):
        ledger = self.env["wholesale.loyalty.ledger"].sudo()
        entries = ledger
        for vals in vals_list:
            origin = ledger.browse(vals["reversed_entry_id"])
            if vals["points"] < 0:
                # A reversal of earned points takes them from the lot they created first.
                entries |= self.with_context(wholesale_preferred_lot=origin.id)._post_entries([vals])
            else:
                entries |= self._restore_redemption(origin, vals)
        return entries

    # ------------------------------------------------------------------ bonuses

    def _bonus_vals(self, customer, program, rule, reference, note):
        today = fields.Date.context_today(self)
        return {
            "partner_id": customer.id,
            "program_id": program.id,
            "company_id": program.company_id.id,
            "date": today,
            "points": rule.points,
            "kind": "bonus",
            "bonus_rule_id": rule.id,
            "reference": reference,
            "expiry_date": expiry_for(
                today, program.points_validity_months, customer.wholesale_tier_id.points_never_expire
            ),
            "note": note,
        }

    def _give_bonus(self, customer, program, rule, reference, note):
        ledger = self.env["wholesale.loyalty.ledger"].sudo()
        if ledger.search_count([
            ("partner_id", "=", customer.id), ("program_id", "=", program.id),
            ("kind", "=", "bonus"), ("reference", "=", reference),
        ]):
            return ledger
        return self._post_entries([self._bonus_vals(customer, program, rule, reference, note)])

    def _rules(self, program, trigger):
        return program.bonus_rule_ids.filtered(lambda rule: rule.active and rule.trigger == trigger)

    def _give_first_order_bonus(self, earn_entries):
        for entry in earn_entries:
            for rule in self._rules(entry.program_id, "first_order"):
                self._give_bonus(
                    entry.partner_id, entry.program_id, rule, f"first_order:{rule.id}",
                    self.env._("First order bonus (%(rule)s)", rule=rule.name),
                )

    def bonuses_for_paid_invoices(self, invoices):
        """Early-payment bonuses for the payer and referral bonuses for the referrer."""
        self = self.sudo()
        invoices = invoices.sudo()
        for invoice in invoices.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted"):
            program = self._program_of(invoice)
            if program:
                self._give_early_payment_bonus(invoice, program)
            self._give_referral_bonus(invoice)

    def _payment_date(self, invoice):
        lines = invoice.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        counterparts = lines.matched_credit_ids.credit_move_id
        return max(counterparts.mapped("date"), default=None)

    def _give_early_payment_bonus(self, invoice, program):
        paid_on = self._payment_date(invoice)
        if not paid_on or not invoice.invoice_date_due:
            return
        days_early = (invoice.invoice_date_due - paid_on).days
        met = self._rules(program, "early_payment").filtered(lambda rule: days_early >= rule.days_early)
        best = met.sorted(lambda rule: (rule.days_early, rule.points))[-1:]
        if best:
            self._give_bonus(
                invoice.commercial_partner_id, program, best, f"early_payment:{invoice.id}",
                self.env._("Paid %(invoice)s %(days)s days early", invoice=invoice.name, days=days_early),
            )

    def _give_referral_bonus(self, invoice):
        customer = invoice.commercial_partner_id
        referrer = customer.wholesale_referrer_id.commercial_partner_id
        program = referrer.wholesale_program_id
        if not referrer or not program or referrer == customer:
            return
        for rule in self._rules(program, "referral"):
            self._give_bonus(
                referrer, program, rule, f"referral:{customer.id}",
                self.env._("Referral of %(customer)s", customer=customer.name),
            )

    def award(self, customer, points, reason, reference=None, rule=None):
        """Manual award (managers); idempotent per reference."""
        if not self.env.user.has_group("wholesale_loyalty.group_wholesale_loyalty_manager"):
            raise AccessError(self.env._("Only loyalty administrators can award points."))
        if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
            raise UserError(self.env._("Award a whole number of points above zero."))
        if not (reason or "").strip():
            raise UserError(self.env._("Give the reason for awarding points."))
        customer = customer.commercial_partner_id
        program = customer.wholesale_program_id
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
        self._lock_customers(customer)
        today = fields.Date.context_today(self)
        return self._post_entries([{
            "partner_id": customer.id,
            "program_id": program.id,
            "company_id": program.company_id.id,
            "date": today,
            "points": points,
            "kind": "bonus",
            "bonus_rule_id": rule.id if rule else False,
            "reference": reference or False,
            "expiry_date": expiry_for(
                today, program.points_validity_months, customer.wholesale_tier_id.points_never_expire
            ),
            "note": reason.strip(),
        }])

    # ------------------------------------------------------------------ redeeming

    def redeem_orders(self, orders):
        """Take the points of confirmed orders, checking the balance under the row lock."""
        self = self.sudo()
        orders = orders.sudo()
        for order in orders.filtered("wholesale_points_redeemed"):
            customer = order.partner_id.commercial_partner_id
            program = customer.wholesale_program_id
            if not program:
                raise UserError(self.env._("%(customer)s is not a member of a loyalty program.",
                                           customer=customer.display_name))
            self._lock_customers(customer)
            balance = self._balance(customer, program)
            wanted = order.wholesale_points_redeemed
            if wanted > balance:
                raise UserError(self.env._(
                    "Order %(order)s uses %(wanted)s points but %(customer)s has only %(balance)s left; "
                    "another order may have used them. Remove the points discount or redeem fewer points.",
                    order=order.name, wanted=wanted, customer=customer.display_name, balance=balance,
                ))
            self._post_entries([{
                "partner_id": customer.id,
                "program_id": program.id,
                "company_id": program.company_id.id,
                "date": fields.Date.context_today(self),
                "points": -wanted,
                "kind": "redeem",
                "sale_order_id": order.id,
                "reference": f"order:{order.id}:{self._redeem_count(order)}",
                "note": self.env._("Redeemed on %(order)s", order=order.name),
            }])

    def _redeem_count(self, order):
        return self.env["wholesale.loyalty.ledger"].sudo().search_count(
            [("sale_order_id", "=", order.id), ("kind", "=", "redeem")]
        )

    def restore_orders(self, orders):
        """Cancelled orders give their points back, to the very lots they came from."""
        self = self.sudo()
        orders = orders.sudo()
        redemptions = self.env["wholesale.loyalty.ledger"].sudo().search(
            [("sale_order_id", "in", orders.ids), ("kind", "=", "redeem")]
        )
        vals_list = []
        for redeemed in redemptions:
            standing = -self._net(redeemed)
            if standing > 0:
                vals_list.append(self._reversal_vals(
                    redeemed, standing, redeemed.sale_order_id,
                    self.env._("Order %(order)s cancelled", order=redeemed.sale_order_id.name),
                ))
        if vals_list:
            self._lock_customers(redemptions.partner_id)
        return self._post_reversals(vals_list)

    def _restore_redemption(self, redeemed, vals):
        # The reversal is not a lot of its own: the points go back into the original lots,
        # which the redemption's allocations name.
        entry = self.env["wholesale.loyalty.ledger"].sudo().create(dict(vals, remaining_points=0))
        allocations = redeemed.allocation_ids
        if allocations:
            self.env.cr.execute(SQL(
                """UPDATE wholesale_loyalty_ledger l SET remaining_points = l.remaining_points + v.points
                     FROM unnest(%s::int[], %s::int[]) AS v(id, points) WHERE l.id = v.id""",
                [alloc.lot_id.id for alloc in allocations],
                [alloc.points for alloc in allocations],
            ))
            self.env["wholesale.loyalty.ledger"].invalidate_model(["remaining_points"])
        self._refresh_balances(entry.partner_id)
        return entry

    # ------------------------------------------------------------------ expiry

    @api.model
    def expire_lots(self, today=None, batch_size=1000):
        """Expire what is left of lots past their expiry date. Safe to run again."""
        self = self.sudo()
        today = today or fields.Date.context_today(self)
        ledger = self.env["wholesale.loyalty.ledger"]
        lots = ledger.search([("expiry_date", "<", today), ("remaining_points", ">", 0)], order="id")
        done = 0
        for start in range(0, len(lots), batch_size):
            batch = lots[start:start + batch_size]
            self._lock_customers(batch.partner_id)
            entries = ledger.create([{
                "partner_id": lot.partner_id.id,
                "program_id": lot.program_id.id,
                "company_id": lot.company_id.id,
                "date": today,
                "points": -lot.remaining_points,
                "kind": "expire",
                "reversed_entry_id": False,
                "reference": f"expire:{lot.id}",
                "note": self.env._("Expired on %(date)s", date=lot.expiry_date),
            } for lot in batch])
            for entry, lot in zip(entries, batch, strict=True):
                self._take_from_lots(entry, [(lot.id, lot.remaining_points)])
            self._refresh_balances(batch.partner_id)
            done += len(batch)
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(lots) - done)
            if self.env["wholesale.loyalty.tier.engine"]._may_commit():
                # A crash loses at most the batch in progress.
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return done

    @api.model
    def send_expiry_reminders(self, today=None, batch_size=200):
        """Weekly mail to customers with points expiring within 30 days, once a week."""
        self = self.sudo()
        today = today or fields.Date.context_today(self)
        horizon = today + relativedelta(days=30)
        groups = self.env["wholesale.loyalty.ledger"]._read_group(
            [("expiry_date", ">=", today), ("expiry_date", "<=", horizon), ("remaining_points", ">", 0)],
            ["partner_id"], ["remaining_points:sum"],
        )
        week_ago = today - relativedelta(days=6)
        due = [
            partner for partner, _points in groups
            if partner.email and (not partner.wholesale_expiry_reminded_on
                                  or partner.wholesale_expiry_reminded_on < week_ago)
        ]
        template = self.env.ref("wholesale_loyalty.mail_template_points_expiry")
        done = 0
        for start in range(0, len(due), batch_size):
            batch = self.env["res.partner"].browse([p.id for p in due[start:start + batch_size]])
            for partner in batch:
                template.send_mail(partner.id)
            batch.with_context(wholesale_engine=True).write({"wholesale_expiry_reminded_on": today})
            done += len(batch)
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(due) - done)
            if self.env["wholesale.loyalty.tier.engine"]._may_commit():
                # Mails of a committed batch are never queued twice.
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return done
