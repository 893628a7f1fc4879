from collections import defaultdict
from contextlib import contextmanager
from datetime import date, timedelta
from typing import NamedTuple

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount, formatLang

from ...tools.payment_discounts import (
    Prepayment,
    Settlement,
    allocate_prepayments,
    days_early,
    discount_rate_on_total,
    prepayment_discount,
    settle_with_discount,
)
from ...tools.percentages import percent_digits

_MISSING = object()

# What ``WholesalePaymentDiscount._presented_as`` may present, and the methods of Odoo 18's
# early payment discount that read it: {(model, field): ((model, method), ...)}. A new Odoo
# version that reads these elsewhere would book wholesale schedules wrongly: the contract
# test (tests/test_payment_terms_odoo_contract.py) checks each pair in Odoo's source.
_ODOO_EPD_READERS = {
    # The payment term's single discount switches Odoo's 'mixed' tax lines on.
    ("account.payment.term", "early_discount"): (
        ("account.move.line", "_compute_epd_key"),
        ("account.move.line", "_compute_epd_needed"),
    ),
    # Its one percentage: the tax reduction of 'mixed' invoices, and the base and tax
    # effect of the discount booked on payment.
    ("account.payment.term", "discount_percentage"): (
        ("account.move.line", "_compute_epd_needed"),
        ("account.move", "_get_invoice_counterpart_amls_for_early_payment_discount_per_payment_term_line"),
    ),
    # The discounted amount stored on the receivable line at posting: what the discount
    # journal item of a payment balances.
    ("account.move.line", "discount_amount_currency"): (
        ("account.move", "_get_invoice_counterpart_amls_for_early_payment_discount_per_payment_term_line"),
    ),
    ("account.move.line", "discount_balance"): (
        ("account.move", "_get_invoice_counterpart_amls_for_early_payment_discount_per_payment_term_line"),
    ),
}


class EarlyPaymentOffer(NamedTuple):
    """What the customer pays, and saves, when paying an invoice by ``pay_by``."""

    pay_by: date
    percent: float
    amount_due: float
    saving: float


class PaymentMoney(NamedTuple):
    """Money of one payment free for an invoice's discount: in the payment's currency and in
    the invoice's."""

    line: object
    free: float
    free_in_invoice_currency: float


class WholesalePaymentDiscount(models.AbstractModel):
    """Cash discounts of wholesale payment terms, on payments and on invoices.

    Odoo books an early payment discount from the one percentage of the payment term and from
    the discounted amounts it stored on the invoice's receivable line at posting. A wholesale
    schedule gives a percentage per invoice and payment date instead. The methods here compute
    it, and present it to Odoo's own code while that code books it (see ``_presented_as``), so
    that the cash discount account, the tax lines and their tags are exactly Odoo's.
    """

    _name = "wholesale.payment.discount"
    _description = "Wholesale Payment Discounts"

    # ------------------------------------------------------------------ early payment

    @api.model
    def _schedule_applies(self, move):
        """Whether ``move`` is a customer invoice whose payment terms have an early schedule."""
        return move.move_type == "out_invoice" and move.invoice_payment_term_id.wholesale_has_early_schedule

    @api.model
    def _mixed_schedule_applies(self, move):
        """Customer documents whose tax is reduced on the invoice ('mixed' computation)."""
        term = move.invoice_payment_term_id
        return (
            move.move_type in ("out_invoice", "out_refund")
            and term.wholesale_has_early_schedule
            and term.early_pay_discount_computation == "mixed"
        )

    @api.model
    def _early_choice(self, move, payment_date):
        """The schedule's discount for paying ``move`` on ``payment_date``."""
        term = move.invoice_payment_term_id
        date_ref = move.invoice_date or move.date or fields.Date.context_today(self)
        due = move.invoice_date_due or term._wholesale_due_date(date_ref)
        return term._wholesale_early_choice(days_early(payment_date, due))

    @api.model
    def _invoice_percent(self, move):
        """The largest discount the invoice can earn: paid on its invoice date. In the 'mixed'
        computation the tax is reduced on the invoice by that discount, as Odoo does with its
        single discount."""
        term = move.invoice_payment_term_id
        date_ref = move.invoice_date or move.date or fields.Date.context_today(self)
        return term._wholesale_early_choice(days_early(date_ref, term._wholesale_due_date(date_ref))).percent

    @api.model
    def _eligible(self, move, currency, payment_date):
        """Odoo's eligibility test for schedule invoices; context ``wholesale_discount_off``
        lets an accountant switch the discount off."""
        if self.env.context.get("wholesale_discount_off") or move.currency_id != currency:
            return False
        return self._early_choice(move, payment_date or fields.Date.context_today(self)).percent > 0

    @api.model
    def _cash_discount(self, move, payment_date, paid=None):
        """(choice, Settlement) of paying ``move`` on ``payment_date``, in invoice currency:
        all of its open amount by default, or with a payment of ``paid``, pro rata."""
        choice = self._early_choice(move, payment_date)
        term_lines = self._open_term_lines(move)
        residual = abs(sum(term_lines.mapped("amount_residual_currency")))
        rate = discount_rate_on_total(
            choice.percent,
            move.invoice_payment_term_id.early_pay_discount_computation,
            abs(move.amount_total),
            abs(move.amount_untaxed),
        )
        currency = move.currency_id
        if paid is None:
            return choice, Settlement(residual, currency.round(residual * rate))
        return choice, settle_with_discount(paid, residual, rate, currency.decimal_places)

    @api.model
    def _open_term_lines(self, move):
        return move.line_ids.filtered(lambda line: line.display_type == "payment_term" and not line.reconciled)

    @api.model
    def _in_company_currency(self, line, amount):
        """``amount`` of ``line``'s currency at the line's own rate."""
        if not line.amount_currency or line.currency_id == line.company_currency_id:
            return line.company_currency_id.round(amount)
        return line.company_currency_id.round(amount * abs(line.balance / line.amount_currency))

    @api.model
    def _adjust_installments(self, installments, payment_date):
        """Odoo's installments read the discounted amounts stored on the receivable line at
        posting; a schedule's depend on the payment date."""
        for installment in installments:
            line = installment["line"]
            if installment["type"] != "early_payment_discount" or not self._schedule_applies(line.move_id):
                continue
            _choice, settlement = self._cash_discount(line.move_id, payment_date)
            line_sign = 1 if line.amount_residual_currency >= 0 else -1
            discount_currency = line_sign * settlement.discount
            discount = line_sign * self._in_company_currency(line, settlement.discount)
            sign = line.move_id.direction_sign
            installment.update({
                "amount_residual_currency": line.amount_residual_currency - discount_currency,
                "amount_residual": line.amount_residual - discount,
                "amount_residual_currency_unsigned": -sign * (line.amount_residual_currency - discount_currency),
                "amount_residual_unsigned": -sign * (line.amount_residual - discount),
                "discount_amount_currency": discount_currency,
                "discount_amount": discount,
            })
        return installments

    @api.model
    @contextmanager
    def _presented_for_booking(self, move):
        """Present the discount of the payment being registered to Odoo's booking code.

        The payment date comes from context ``wholesale_payment_date`` (today otherwise); a
        partial payment passes its settlement in ``wholesale_settlements`` ({line id:
        Settlement}). Odoo scales the tax effect by the share of the invoice still open, and
        the percentage given here by the share of that the payment settles.
        """
        term_line = self._open_term_lines(move)[:1]
        payment_date = self.env.context.get("wholesale_payment_date") or fields.Date.context_today(self)
        choice, settlement = self._cash_discount(move, payment_date)
        settlement = self.env.context.get("wholesale_settlements", {}).get(term_line.id, settlement)
        residual = abs(term_line.amount_residual_currency)
        percent = choice.percent * settlement.settled / residual if residual else 0.0
        sign = 1 if term_line.amount_currency >= 0 else -1
        discount = self._in_company_currency(term_line, settlement.discount)
        with self._presented_as(move.invoice_payment_term_id, {"discount_percentage": percent}), \
                self._presented_as(term_line, {
                    "discount_amount_currency": term_line.amount_currency - sign * settlement.discount,
                    "discount_balance": term_line.balance - sign * discount,
                }):
            yield

    @api.model
    @contextmanager
    def _presented_as(self, record, values):
        """Let Odoo's code read ``values`` on ``record`` for the duration of the block.

        Odoo's early payment discount reads one percentage on the payment term and the
        discounted amounts stored on the receivable line at posting; a wholesale schedule has
        a percentage per invoice and payment date. Rather than copy Odoo's booking (accounts,
        tax lines, tags, rounding), the schedule's values are shown to Odoo's own methods
        while they run. The only place that does so: ``_ODOO_EPD_READERS`` lists which field
        each Odoo method reads, and anything else is refused.

        The values live in the record cache only: nothing is written to the database, and
        what the cache held before is put back afterwards.
        """
        if not record:
            yield
            return
        record.ensure_one()
        unknown = [fname for fname in values if (record._name, fname) not in _ODOO_EPD_READERS]
        if unknown:
            raise ValueError(f"{record._name} fields {unknown} are not read by Odoo's early payment discount")
        record.flush_recordset(list(values))  # never shadow a pending write
        cache = self.env.cache
        saved = {}
        for fname, value in values.items():
            field = record._fields[fname]
            saved[field] = cache.get(record, field, _MISSING)
            cache.set(record, field, field.convert_to_cache(value, record, validate=False))
        try:
            yield
        finally:
            for field, value in saved.items():
                if value is _MISSING:
                    record.invalidate_recordset([field.name], flush=False)
                else:
                    cache.set(record, field, value)

    @api.model
    def _early_payment_offers(self, move, from_date=None):
        """The cash discounts the schedule still offers on ``move``: one ``EarlyPaymentOffer``
        per date where the discount steps down (each rule, and where the daily premium starts
        and reaches its cap), the earliest first. Dates before the invoice date or before
        ``from_date`` (today by default) are gone; a paid invoice offers nothing."""
        if not self._schedule_applies(move) or move.state == "cancel" or move.payment_state in (
            "paid", "in_payment", "reversed",
        ):
            return []
        term = move.invoice_payment_term_id
        date_ref = move.invoice_date or move.date or fields.Date.context_today(self)
        due = move.invoice_date_due or term._wholesale_due_date(date_ref)
        start = max(date_ref, from_date or fields.Date.context_today(self))
        currency = move.currency_id
        offers = {}
        for days, _choice in term._wholesale_example_days("early"):
            pay_by = due - timedelta(days=days)
            if pay_by < start or pay_by in offers:
                continue
            choice, settlement = self._cash_discount(move, pay_by)
            if currency.is_zero(settlement.discount):
                continue
            offers[pay_by] = EarlyPaymentOffer(
                pay_by, choice.percent, currency.round(settlement.settled - settlement.discount), settlement.discount
            )
        return [offers[pay_by] for pay_by in sorted(offers)]

    # ------------------------------------------------------------------ prepayment

    @api.model
    def _prepayment_product(self):
        # From the registry's cache of xml ids, not ``env.ref``: that checks the record exists
        # with a query, and every invoice posted reads the product.
        return self.env["product.product"].browse(
            self.env["ir.model.data"]._xmlid_to_res_id("wholesale_loyalty.product_prepayment_discount")
        )

    @api.model
    def _apply_prepayment_discount(self, invoice):
        """Add the prepayment discount line to a draft customer invoice (rule % x min(prepaid
        amount, invoice total), with the invoice's taxes), and reserve the money it is based
        on, so that no other invoice is discounted on it."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only accounting users can apply a prepayment discount."))
        self._check_prepayment_invoice(invoice)
        # What a removed discount line reserved is free again: the new line reserves anew.
        # sudo: nobody deletes a reservation by hand; the accountant's right was checked above.
        invoice.wholesale_prepayment_reservation_ids.sudo().unlink()
        self._lock_outstanding_payments(invoice)
        parts = self._prepaid_parts(invoice)
        if not parts:
            raise UserError(self._nothing_prepaid_message(invoice))
        discount = prepayment_discount(parts, invoice.currency_id.decimal_places)
        note = self._prepayment_note(invoice, parts)
        invoice.write({"invoice_line_ids": [
            Command.create(vals) for vals in self._prepayment_line_vals(invoice, discount, note)
        ]})
        self.env["wholesale.prepayment.reservation"].sudo().create(self._reservation_vals(invoice, parts))
        invoice.message_post(body=note)
        return True

    @api.model
    def _check_prepayment_discounts(self, invoices):
        """Check the prepayment discount of each of these invoices again as they are posted,
        against the invoice as it is then: its amount, date and customer, and the money that
        customer still has received early enough and free of other discounts. A discount
        above what it gives now is refused with what it gives; one that holds reserves its
        money again, as it is now."""
        product = self._prepayment_product()
        for invoice in invoices.filtered(lambda move: move.move_type == "out_invoice"):
            lines = invoice.invoice_line_ids.filtered(lambda line: line.product_id == product)
            if not lines:
                continue
            currency = invoice.currency_id
            given = -sum(lines.mapped("price_total"))
            self._lock_outstanding_payments(invoice)
            # Payment terms changed with the customer may give no prepayment discount at all.
            rules = invoice.invoice_payment_term_id.wholesale_has_prepayment_rules
            parts = self._prepaid_parts(invoice, cap=invoice.amount_total + given) if rules else []
            allowed = prepayment_discount(parts, currency.decimal_places)
            # Each discount line is rounded on its own: one cent a line is rounding, not money.
            if currency.compare_amounts(given - allowed, currency.rounding * len(lines)) > 0:
                raise UserError(self.env._(
                    "%(invoice)s cannot be posted: its prepayment discount of %(given)s is more than the "
                    "%(allowed)s the invoice gives now (its amount, date or customer, or the money received "
                    "in advance, changed since the discount was applied). Remove the prepayment discount "
                    "line and apply it again.",
                    invoice=self._invoice_label(invoice), given=currency.format(given),
                    allowed=currency.format(allowed),
                ))
            # sudo: reservations are the discount's own records; the discount was just checked.
            invoice.wholesale_prepayment_reservation_ids.sudo().unlink()
            self.env["wholesale.prepayment.reservation"].sudo().create(self._reservation_vals(invoice, parts))

    @api.model
    def _flag_unbacked_posted_discounts(self, payment_moves):
        """An activity on each posted invoice whose prepayment discount was based on money of
        these payments, reset to draft or cancelled: the discount is no longer backed and
        the accountant corrects it (a credit note of the amount named)."""
        # Invoices hold no money received in advance: only payments and statement lines can.
        payment_moves = payment_moves.filtered(lambda move: not move.is_invoice(include_receipts=True))
        if not payment_moves:
            return
        reservations = self.env["wholesale.prepayment.reservation"].sudo().search([
            ("payment_line_id.move_id", "in", payment_moves.ids), ("move_id.state", "=", "posted"),
            *self.env["wholesale.prepayment.reservation"]._holding_domain(),
        ])
        for invoice in reservations.move_id:
            held = reservations.filtered(lambda reservation, invoice=invoice: reservation.move_id == invoice)
            amount = invoice.currency_id.format(sum(held.mapped("discount_amount")))
            payments = ", ".join(held.payment_line_id.move_id.mapped("display_name"))
            # sudo: the invoice's accountant is told, whoever cancelled the payment.
            invoice.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Prepayment discount no longer backed"),
                note=self.env._(
                    "The prepayment discount of this invoice was based on %(payments)s, which is no longer "
                    "posted: %(amount)s of discount is no longer backed by money received in advance. "
                    "Correct it, e.g. with a credit note of that amount.",
                    payments=payments, amount=amount,
                ),
                user_id=invoice.invoice_user_id.id or self.env.uid,
            )

    @api.model
    def _invoice_label(self, invoice):
        """How a refusal names an invoice at the start of its sentence. A draft has no number
        yet ("/", shown as "Draft Invoice"): it is named by its customer and amount."""
        if invoice.name and invoice.name != "/":
            return self.env._("Invoice %(number)s", number=invoice.name)
        return self.env._(
            "The draft invoice of %(customer)s for %(amount)s",
            customer=invoice.commercial_partner_id.display_name,
            amount=invoice.currency_id.format(invoice.amount_total),
        )

    @api.model
    def _holder_label(self, invoice):
        """An invoice named in the middle of a sentence: its number, or for a draft without
        one ("Draft Invoice") also its amount, so that the accountant can find it."""
        if invoice.name and invoice.name != "/":
            return invoice.display_name
        return self.env._("%(invoice)s for %(amount)s", invoice=invoice.display_name,
                          amount=invoice.currency_id.format(invoice.amount_total))

    @api.model
    def _nothing_prepaid_message(self, invoice):
        values = {
            "invoice": self._invoice_label(invoice),
            "customer": invoice.commercial_partner_id.display_name,
            "term": invoice.invoice_payment_term_id.display_name,
        }
        holders = self._reserving_invoices(invoice)
        if holders:
            return self.env._(
                "%(invoice)s: the money %(customer)s paid in advance is already the base of the "
                "prepayment discount of %(holders)s; the same money is discounted once.",
                holders=", ".join(self._holder_label(holder) for holder in holders), **values,
            )
        return self.env._(
            "%(invoice)s: %(customer)s paid nothing in advance early enough for a "
            "prepayment discount of payment terms %(term)s.",
            **values,
        )

    @api.model
    def _check_prepayment_invoice(self, invoice):
        if invoice.move_type != "out_invoice":
            raise UserError(self.env._(
                "%(move)s is not a customer invoice: prepayment discounts apply to customer invoices only.",
                move=invoice.display_name,
            ))
        if invoice.state != "draft":
            raise UserError(self.env._(
                "%(invoice)s is no longer a draft: a prepayment discount can only be added "
                "before the invoice is confirmed.",
                invoice=self._invoice_label(invoice),
            ))
        if not invoice.invoice_payment_term_id:
            raise UserError(self.env._(
                "%(invoice)s has no payment terms: choose payment terms with a prepayment discount first.",
                invoice=self._invoice_label(invoice),
            ))
        if not invoice.invoice_payment_term_id.wholesale_has_prepayment_rules:
            raise UserError(self.env._(
                "%(invoice)s: its payment terms %(term)s give no prepayment discount.",
                invoice=self._invoice_label(invoice), term=invoice.invoice_payment_term_id.display_name,
            ))
        if invoice.invoice_line_ids.filtered(lambda line: line.product_id == self._prepayment_product()):
            raise UserError(self.env._(
                "%(invoice)s already has its prepayment discount. Remove its prepayment discount line "
                "to compute it again.",
                invoice=self._invoice_label(invoice),
            ))

    @api.model
    def _prepaid_parts(self, invoice, cap=None):
        """Parts of the invoice covered by money received early enough for a discount: the down
        payments it deducts, and the customer's outstanding payments up to what is due
        (``cap``: the invoice's total by default)."""
        term = invoice.invoice_payment_term_id
        rules = term._wholesale_rules("prepayment")
        invoice_date = invoice.invoice_date or fields.Date.context_today(self)
        digits = invoice.currency_id.decimal_places
        down_payments = self._down_payments(invoice)
        parts = allocate_prepayments(
            down_payments, invoice_date, rules, sum(prepayment.amount for prepayment in down_payments), digits
        )
        return parts + allocate_prepayments(
            self._outstanding_payments(invoice), invoice_date, rules,
            invoice.amount_total if cap is None else cap, digits,
        )

    @api.model
    def _outstanding_credit_lines(self, invoice):
        """The customer's payments not yet fully matched with invoices: their receivable items."""
        receivable = invoice.line_ids.filtered(lambda line: line.display_type == "payment_term").account_id
        return self.env["account.move.line"].search([
            ("account_id", "in", receivable.ids),
            ("parent_state", "=", "posted"),
            ("partner_id", "=", invoice.commercial_partner_id.id),
            ("reconciled", "=", False),
            ("amount_residual", "<", 0.0),
            # Payments and bank statement lines; a credit note is no money received.
            ("move_id.move_type", "=", "entry"),
            ("company_id", "=", invoice.company_id.id),
        ], order="date, id")

    @api.model
    def _lock_outstanding_payments(self, invoice):
        """Serialize discounts on the same payments: two accountants applying a discount at once
        would each see the money free. A write (not only a lock) makes the later transaction
        fail on commit and retry, when it sees the first one's reservation."""
        credits = self._outstanding_credit_lines(invoice)
        if credits:
            self.env.cr.execute(SQL(
                "UPDATE account_move_line SET write_date = write_date WHERE id IN %s", tuple(credits.ids)
            ))

    @api.model
    def _outstanding_payments(self, invoice):
        """Money of the customer's outstanding payments that no other invoice's prepayment
        discount holds, in the invoice's currency; each with its ``PaymentMoney`` source."""
        credits = self._outstanding_credit_lines(invoice)
        held = self.env["wholesale.prepayment.reservation"]._held_amounts(credits, except_moves=invoice)
        prepayments = []
        for line in credits:
            free = line.currency_id.round(-line.amount_residual_currency - held.get(line.id, 0.0))
            if line.currency_id.compare_amounts(free, 0.0) <= 0:
                continue
            in_invoice_currency = self._in_invoice_currency(invoice, line, free)
            prepayments.append(
                Prepayment(line.date, in_invoice_currency, PaymentMoney(line, free, in_invoice_currency))
            )
        return prepayments

    @api.model
    def _in_invoice_currency(self, invoice, line, amount):
        """``amount`` of ``line``'s currency in the invoice's, at the rate of the payment date."""
        if line.currency_id == invoice.currency_id:
            return amount
        return line.currency_id._convert(amount, invoice.currency_id, invoice.company_id, line.date)

    @api.model
    def _reservation_vals(self, invoice, parts):
        """Reservations of the payments' money the ``parts`` are based on (down payments need
        none: the invoice deducts them itself)."""
        currency = invoice.currency_id
        vals_list = []
        for part in parts:
            if not isinstance(part.source, PaymentMoney):
                continue
            line, free, free_in_invoice_currency = part.source
            if currency.compare_amounts(part.amount, free_in_invoice_currency) >= 0:
                base = free  # all of it: no conversion may round it above what is free
            else:
                base = min(
                    currency._convert(part.amount, line.currency_id, invoice.company_id, line.date), free
                )
            vals_list.append({
                "move_id": invoice.id,
                "payment_line_id": line.id,
                "payment_id": line.payment_id.id,
                "base_amount": base,
                "invoice_base_amount": part.amount,
                "discount_percent": part.choice.percent,
                "discount_amount": currency.round(part.amount * part.choice.percent / 100.0),
            })
        return vals_list

    @api.model
    def _reserving_invoices(self, invoice):
        """Other invoices whose prepayment discounts hold the customer's outstanding money."""
        credits = self._outstanding_credit_lines(invoice)
        Reservation = self.env["wholesale.prepayment.reservation"]
        # sudo: only the names of the invoices are shown, to explain a refusal.
        return Reservation.sudo().search([
            ("payment_line_id", "in", credits.ids), ("move_id", "!=", invoice.id), *Reservation._holding_domain()
        ]).move_id

    @api.model
    def _release_unbacked_prepayment_discounts(self, invoices):
        """Remove the prepayment discount of draft ``invoices`` whose money another invoice now
        holds, or that their payments no longer have (an invoice reset to draft after it was
        cancelled or reversed: its money was free meanwhile). Returns the invoices changed."""
        product = self._prepayment_product()
        released = self.env["account.move"]
        for invoice in invoices.filtered(lambda move: move.state == "draft" and move.move_type == "out_invoice"):
            lines = invoice.invoice_line_ids.filtered(lambda line: line.product_id == product)
            reservations = invoice.wholesale_prepayment_reservation_ids
            if not lines or (reservations and self._reservations_backed(invoice, reservations)):
                continue
            if not reservations and self._down_payments(invoice):
                continue  # based on down payments the invoice deducts itself
            reservations.sudo().unlink()  # sudo: the discount they backed goes with them, below
            invoice.write({"invoice_line_ids": [Command.unlink(line.id) for line in lines]})
            invoice.message_post(body=self.env._(
                "Prepayment discount removed: the money it was based on is no longer available to "
                "this invoice. Apply the prepayment discount again to discount what is available now."
            ))
            released |= invoice
        return released

    @api.model
    def _reservations_backed(self, invoice, reservations):
        """Whether the payments still have the money ``reservations`` hold, besides what
        the other invoices' discounts hold."""
        lines = reservations.payment_line_id
        held = self.env["wholesale.prepayment.reservation"]._held_amounts(lines, except_moves=invoice)
        wanted = reservations._unmatched_amounts()
        for line in lines:
            if line.parent_state != "posted":
                return False
            free = -line.amount_residual_currency - held.get(line.id, 0.0)
            if line.currency_id.compare_amounts(wanted.get(line.id, 0.0), free) > 0:
                return False
        return True

    @api.model
    def _down_payments(self, invoice):
        """Down payments this invoice deducts whose invoices are paid, received on the date of
        their last payment."""
        prepayments = []
        for line in invoice.invoice_line_ids.filtered(lambda line: line.is_downpayment and line.price_total < 0):
            down_invoices = line.sale_line_ids.invoice_lines.move_id.filtered(
                lambda move: move != invoice and move.move_type == "out_invoice" and move.state == "posted"
                and move.payment_state in ("paid", "in_payment")
            )
            paid_on = down_invoices.line_ids.matched_credit_ids.credit_move_id.mapped("date")
            if paid_on:
                prepayments.append(Prepayment(max(paid_on), -line.price_total))
        return prepayments

    @api.model
    def _prepayment_note(self, invoice, parts):
        # In the customer's language: the note names the discount line of its invoice.
        env = invoice.commercial_partner_id._wholesale_lang_env()
        currency = invoice.currency_id
        term = invoice.invoice_payment_term_id.with_env(env)
        return "; ".join(
            env._(
                "Prepayment discount: %(percent)s%% of %(amount)s paid %(days)s before the invoice date",
                percent=formatLang(env, part.choice.percent, digits=percent_digits(part.choice.percent)),
                amount=format_amount(env, part.amount, currency),
                days=term._wholesale_days_label(part.choice.days_early),
            )
            for part in parts
        )

    @api.model
    def _prepayment_line_vals(self, invoice, discount, note):
        """One discount line per set of taxes of the invoice's goods, so that the discount
        lowers each tax in proportion: ``discount`` includes taxes, the lines are untaxed."""
        goods = invoice.invoice_line_ids.filtered(
            lambda line: line.display_type == "product" and not line.is_downpayment and line.price_total > 0
        )
        total = sum(goods.mapped("price_total"))
        if invoice.currency_id.is_zero(total):
            raise UserError(self.env._("%(invoice)s has nothing to discount.", invoice=self._invoice_label(invoice)))
        # Price units follow each line's own tax convention (included or excluded), so the
        # discount is spread on them in the proportion subtotal / total.
        by_taxes = defaultdict(float)
        for line in goods:
            by_taxes[line.tax_ids] += line.price_unit * line.quantity * (1 - (line.discount or 0.0) / 100.0)
        product = self._prepayment_product()
        return [
            {
                "product_id": product.id,
                "name": note,
                "quantity": 1,
                "price_unit": -invoice.currency_id.round(discount * gross / total),
                "tax_ids": [Command.set(taxes.ids)],
            }
            for taxes, gross in by_taxes.items()
        ]
