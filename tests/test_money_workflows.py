"""Money paths of prepayment discounts and volume rebates walked as an auditor would: the same
money discounted twice, invoices copied, cancelled, reset, reversed, in a foreign currency;
rebate credit notes with the taxes of the sales they rebate, cancelled, reversed, re-settled,
in another company."""
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import WholesaleLoyaltyCommon

INVOICE_DATE = "2026-03-01"
PAID_10_DAYS_BEFORE = "2026-02-19"  # 3% rule
PAID_30_DAYS_BEFORE = "2026-01-30"  # 5% rule


@tagged("post_install", "-at_install")
class TestPrepaymentReservations(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.term = cls._prepayment_term()
        cls.product = cls.env.ref("wholesale_loyalty.product_prepayment_discount")
        cls.eur = cls.setup_other_currency("EUR", rates=[("2020-01-01", 2.0)])  # 1 company unit = 2 EUR

    # ------------------------------------------------------------------ helpers

    def _draft(self, amount=10000.0, **values):
        return self._invoice(self.customer, amount, INVOICE_DATE, post=False,
                             invoice_payment_term_id=self.term.id, **values)

    def _payment(self, amount, date, currency=None):
        payment = self.env["account.payment"].create({
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": self.customer.id,
            "amount": amount,
            "date": date,
            "journal_id": self.company_data["default_journal_bank"].id,
            "currency_id": (currency or self.env.company.currency_id).id,
        })
        payment.action_post()
        return payment

    def _payment_line(self, payment):
        return payment.move_id.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")

    def _discount(self, invoice):
        """The invoice's prepayment discount, taxes included (a positive amount)."""
        return -sum(invoice.invoice_line_ids.filtered(lambda line: line.product_id == self.product)
                    .mapped("price_total"))

    def _refused(self, invoice, message):
        with self.assertRaisesRegex(UserError, message), self.cr.savepoint():
            invoice.action_wholesale_apply_prepayment_discount()
        self.assertFalse(invoice.invoice_line_ids.filtered(lambda line: line.product_id == self.product))

    def assertPaymentNotOverReserved(self, payment, percent):
        """The money every discount is based on fits in the payment, and the discounts in the
        rule's % of it."""
        Reservation = self.env["wholesale.prepayment.reservation"]
        reservations = Reservation.search([
            ("payment_line_id", "in", self._payment_line(payment).ids), *Reservation._holding_domain()
        ])
        currency = payment.currency_id
        self.assertLessEqual(currency.compare_amounts(sum(reservations.mapped("base_amount")), payment.amount), 0)
        discounts = sum(  # in the payment's currency, at the rate the money was reserved
            reservation.discount_amount * reservation.base_amount / reservation.invoice_base_amount
            for reservation in reservations
        )
        self.assertLessEqual(currency.compare_amounts(discounts, payment.amount * percent / 100.0), 0)
        return reservations

    # ------------------------------------------------------------------ the same money once

    @freeze_time(INVOICE_DATE)
    def test_one_prepayment_discounts_one_invoice_only(self):
        payment = self._payment(1150.0, PAID_10_DAYS_BEFORE)
        first, second = self._draft(), self._draft()
        first.action_wholesale_apply_prepayment_discount()
        self.assertAlmostEqual(self._discount(first), 34.5, places=2)  # 3% of 1,150
        self._refused(second, f"already the base of the prepayment discount of {first.display_name}")
        self.assertAlmostEqual(second.amount_total, 11500.0, places=2)
        reservation = self.assertPaymentNotOverReserved(payment, 3)
        self.assertEqual(reservation.move_id, first)
        self.assertAlmostEqual(reservation.base_amount, 1150.0, places=2)

    # ------------------------------------------------------------------ checked again at posting

    def _refused_at_posting(self, invoice, given, allowed):
        with self.assertRaisesRegex(UserError, f"cannot be posted.*{given}.*{allowed}"), self.cr.savepoint():
            invoice.action_post()
        self.assertEqual(invoice.state, "draft", "nothing posted")

    @freeze_time(INVOICE_DATE)
    def test_goods_cut_after_the_discount_are_refused_at_posting(self):
        payment = self._payment(1150.0, PAID_10_DAYS_BEFORE)
        invoice = self._draft()
        invoice.action_wholesale_apply_prepayment_discount()
        goods = invoice.invoice_line_ids.filtered(lambda line: line.product_id != self.product)
        invoice.write({"invoice_line_ids": [Command.update(goods.id, {"price_unit": 100.0})]})
        self._refused_at_posting(invoice, "34.50", "3.45")
        invoice.write({"invoice_line_ids": [
            Command.unlink(line.id) for line in invoice.invoice_line_ids if line.product_id == self.product
        ]})
        invoice.action_wholesale_apply_prepayment_discount()
        invoice.action_post()
        self.assertAlmostEqual(self._discount(invoice), 3.45, places=2)  # 3% of 115
        self.assertPaymentNotOverReserved(payment, 3)

    @freeze_time(INVOICE_DATE)
    def test_invoice_date_moved_after_the_discount_is_refused_at_posting(self):
        self._payment(1150.0, PAID_10_DAYS_BEFORE)
        invoice = self._draft()
        invoice.action_wholesale_apply_prepayment_discount()
        invoice.invoice_date = "2026-02-21"  # two days after the payment: no rule
        self._refused_at_posting(invoice, "34.50", "0.00")

    @freeze_time(INVOICE_DATE)
    def test_customer_changed_after_the_discount_is_refused_at_posting(self):
        self._payment(1150.0, PAID_10_DAYS_BEFORE)
        invoice = self._draft()
        invoice.action_wholesale_apply_prepayment_discount()
        invoice.partner_id = self._customer("Other Buyer")
        self._refused_at_posting(invoice, "34.50", "0.00")

    @freeze_time(INVOICE_DATE)
    def test_prepayment_cancelled_under_a_posted_discount_is_flagged(self):
        payment = self._payment(1150.0, PAID_10_DAYS_BEFORE)
        invoice = self._draft()
        invoice.action_wholesale_apply_prepayment_discount()
        invoice.action_post()
        payment.action_draft()
        payment.action_cancel()
        [activity] = invoice.activity_ids
        self.assertIn("34.50", str(activity.note))
        self.assertIn(payment.name, str(activity.note))

    @freeze_time(INVOICE_DATE)
    def test_payment_cancelled_and_posted_again_still_backs_its_discount_once(self):
        payment = self._payment(1150.0, PAID_10_DAYS_BEFORE)
        invoice, other = self._draft(), self._draft()
        invoice.action_wholesale_apply_prepayment_discount()
        invoice.action_post()
        payment.action_draft()
        payment.action_cancel()
        reservation = invoice.wholesale_prepayment_reservation_ids
        self.assertEqual(reservation.payment_id, payment, "the reservation stays on record with its payment")
        self.assertFalse(reservation.payment_line_id)
        payment.action_draft()
        payment.action_post()
        self.assertEqual(reservation.payment_line_id, self._payment_line(payment), "it holds the new item's money")
        self._refused(other, "already the base")
        self.assertPaymentNotOverReserved(payment, 3)

    @freeze_time(INVOICE_DATE)
    def test_reservations_are_never_deleted_by_hand(self):
        self._payment(1150.0, PAID_10_DAYS_BEFORE)
        first, second = self._draft(), self._draft()
        first.action_wholesale_apply_prepayment_discount()
        billing = self._company_user("wl_reservation_billing", "account.group_account_invoice")
        reservations = first.wholesale_prepayment_reservation_ids.with_user(billing)
        with self.assertRaises(AccessError):
            reservations.unlink()
        with self.assertRaises(AccessError):
            self.env["wholesale.prepayment.reservation"].with_user(billing).create({
                "move_id": second.id, "payment_line_id": reservations.payment_line_id.id, "base_amount": 1.0,
            })
        self._refused(second.with_user(billing), "already the base")

    @freeze_time(INVOICE_DATE)
    def test_a_larger_prepayment_is_shared_between_invoices(self):
        payment = self._payment(15000.0, PAID_10_DAYS_BEFORE)
        first, second, third = self._draft(), self._draft(), self._draft()
        first.action_wholesale_apply_prepayment_discount()
        second.action_wholesale_apply_prepayment_discount()
        self.assertAlmostEqual(self._discount(first), 345.0, places=2)  # 3% of 11,500
        self.assertAlmostEqual(self._discount(second), 105.0, places=2)  # 3% of the 3,500 left
        self._refused(third, "already the base")
        reservations = self.assertPaymentNotOverReserved(payment, 3)
        self.assertAlmostEqual(sum(reservations.mapped("base_amount")), 15000.0, places=2)
        self.assertAlmostEqual(sum(reservations.mapped("discount_amount")), 450.0, places=2)  # 3% x 15,000

    @freeze_time(INVOICE_DATE)
    def test_oldest_money_is_used_first_and_each_payment_reserved_separately(self):
        old = self._payment(5750.0, PAID_30_DAYS_BEFORE)
        recent = self._payment(11500.0, PAID_10_DAYS_BEFORE)
        first, second = self._draft(), self._draft()
        first.action_wholesale_apply_prepayment_discount()
        self.assertAlmostEqual(self._discount(first), 5750 * 0.05 + 5750 * 0.03, places=2)
        second.action_wholesale_apply_prepayment_discount()
        self.assertAlmostEqual(self._discount(second), 5750 * 0.03, places=2)  # what is left of the recent one
        self.assertAlmostEqual(sum(self.assertPaymentNotOverReserved(old, 5).mapped("base_amount")), 5750.0)
        self.assertAlmostEqual(sum(self.assertPaymentNotOverReserved(recent, 3).mapped("base_amount")), 11500.0)

    # ------------------------------------------------------------------ released

    @freeze_time(INVOICE_DATE)
    def test_cancelled_invoice_releases_its_money_and_does_not_get_it_back(self):
        self._payment(1150.0, PAID_10_DAYS_BEFORE)
        first, second = self._draft(), self._draft()
        first.action_wholesale_apply_prepayment_discount()
        first.button_cancel()
        second.action_wholesale_apply_prepayment_discount()
        self.assertAlmostEqual(self._discount(second), 34.5, places=2)
        # Back to draft, the cancelled invoice may not keep a discount the money of which is gone.
        first.button_draft()
        self.assertEqual(first.state, "draft")
        self.assertAlmostEqual(self._discount(first), 0.0, places=2)
        self.assertAlmostEqual(first.amount_total, 11500.0, places=2)
        self.assertIn("Prepayment discount removed", first.message_ids[0].body)
        self.assertAlmostEqual(self._discount(second), 34.5, places=2)

    @freeze_time(INVOICE_DATE)
    def test_cancelled_invoice_reset_keeps_its_discount_when_the_money_is_still_free(self):
        self._payment(1150.0, PAID_10_DAYS_BEFORE)
        first, second = self._draft(), self._draft()
        first.action_wholesale_apply_prepayment_discount()
        first.action_post()
        first.button_cancel()
        first.button_draft()
        self.assertAlmostEqual(self._discount(first), 34.5, places=2)
        self._refused(second, "already the base")

    @freeze_time(INVOICE_DATE)
    def test_removed_discount_line_releases_its_money(self):
        payment = self._payment(1150.0, PAID_10_DAYS_BEFORE)
        first, second = self._draft(), self._draft()
        first.action_wholesale_apply_prepayment_discount()
        first.invoice_line_ids.filtered(lambda line: line.product_id == self.product).unlink()
        second.action_wholesale_apply_prepayment_discount()
        self.assertAlmostEqual(self._discount(second), 34.5, places=2)
        self._refused(first, "already the base")
        self.assertPaymentNotOverReserved(payment, 3)

    @freeze_time(INVOICE_DATE)
    def test_removed_line_applied_again_reserves_once(self):
        payment = self._payment(1150.0, PAID_10_DAYS_BEFORE)
        invoice = self._draft()
        invoice.action_wholesale_apply_prepayment_discount()
        invoice.invoice_line_ids.filtered(lambda line: line.product_id == self.product).unlink()
        invoice.action_wholesale_apply_prepayment_discount()
        self.assertAlmostEqual(self._discount(invoice), 34.5, places=2)
        self.assertEqual(len(self.assertPaymentNotOverReserved(payment, 3)), 1)

    # ------------------------------------------------------------------ reset, posted, paid

    @freeze_time(INVOICE_DATE)
    def test_invoice_reset_to_draft_and_posted_again_keeps_its_discount(self):
        payment = self._payment(11500.0, PAID_30_DAYS_BEFORE)
        invoice, other = self._draft(), self._draft()
        invoice.action_wholesale_apply_prepayment_discount()
        invoice.action_post()
        self.assertAlmostEqual(invoice.amount_total, 10925.0, places=2)
        invoice.button_draft()
        invoice.action_post()
        self.assertAlmostEqual(invoice.amount_total, 10925.0, places=2)
        self._refused(other, "already the base")
        # The payment settles the invoice: the 575 left of it was part of the discount's base.
        credit = self._payment_line(payment)
        invoice.js_assign_outstanding_line(credit.id)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertAlmostEqual(credit.amount_residual, -575.0, places=2)
        self._refused(other, "already the base")
        self.assertPaymentNotOverReserved(payment, 5)

    @freeze_time(INVOICE_DATE)
    def test_money_not_used_by_the_discounted_invoice_stays_free(self):
        payment = self._payment(20000.0, PAID_10_DAYS_BEFORE)
        invoice, other = self._draft(), self._draft()
        invoice.action_wholesale_apply_prepayment_discount()  # 3% of 11,500
        invoice.action_post()
        invoice.js_assign_outstanding_line(self._payment_line(payment).id)
        other.action_wholesale_apply_prepayment_discount()
        self.assertAlmostEqual(self._discount(other), 8500 * 0.03, places=2)
        self.assertPaymentNotOverReserved(payment, 3)

    # ------------------------------------------------------------------ copied, refunded

    @freeze_time(INVOICE_DATE)
    def test_copied_invoice_carries_no_discount(self):
        payment = self._payment(1150.0, PAID_10_DAYS_BEFORE)
        invoice = self._draft()
        invoice.action_wholesale_apply_prepayment_discount()
        copy = invoice.copy({"invoice_date": INVOICE_DATE})
        self.assertAlmostEqual(self._discount(copy), 0.0, places=2)
        self.assertAlmostEqual(copy.amount_total, 11500.0, places=2)
        self.assertFalse(copy.wholesale_prepayment_reservation_ids)
        self._refused(copy, "already the base")
        self.assertAlmostEqual(self._discount(invoice), 34.5, places=2)
        self.assertPaymentNotOverReserved(payment, 3)

    @freeze_time(INVOICE_DATE)
    def test_partial_refund_keeps_the_discount_and_its_money(self):
        payment = self._payment(11500.0, PAID_30_DAYS_BEFORE)
        invoice, other = self._draft(), self._draft()
        invoice.action_wholesale_apply_prepayment_discount()
        invoice.action_post()
        self._refund(invoice, 2000.0, INVOICE_DATE)
        self.assertAlmostEqual(invoice.amount_residual, 10925.0 - 2300.0, places=2)
        self.assertEqual(invoice.payment_state, "partial")
        self._refused(other, "already the base")
        self.assertPaymentNotOverReserved(payment, 5)

    @freeze_time(INVOICE_DATE)
    def test_full_reversal_releases_the_money_and_the_reversal_keeps_the_discount(self):
        payment = self._payment(11500.0, PAID_30_DAYS_BEFORE)
        invoice, other = self._draft(), self._draft()
        invoice.action_wholesale_apply_prepayment_discount()
        invoice.action_post()
        reversal = invoice._reverse_moves(cancel=True)
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertAlmostEqual(reversal.amount_total, 10925.0, places=2)  # the discount is reversed too
        other.action_wholesale_apply_prepayment_discount()
        self.assertAlmostEqual(self._discount(other), 575.0, places=2)
        self.assertPaymentNotOverReserved(payment, 5)
        # Reset, the reversed invoice would hold the money again: its discount goes.
        invoice.button_draft()
        self.assertAlmostEqual(self._discount(invoice), 0.0, places=2)
        self.assertPaymentNotOverReserved(payment, 5)

    # ------------------------------------------------------------------ currencies

    @freeze_time(INVOICE_DATE)
    def test_invoice_in_a_foreign_currency_reserves_the_payment_money(self):
        payment = self._payment(5750.0, PAID_10_DAYS_BEFORE)  # company currency: 11,500 EUR
        first = self._draft(currency_id=self.eur.id)  # 11,500 EUR
        second = self._draft(currency_id=self.eur.id)
        first.action_wholesale_apply_prepayment_discount()
        self.assertAlmostEqual(self._discount(first), 345.0, places=2)  # 3% of 11,500 EUR
        reservation = self.assertPaymentNotOverReserved(payment, 3)
        self.assertAlmostEqual(reservation.base_amount, 5750.0, places=2)
        self.assertAlmostEqual(reservation.invoice_base_amount, 11500.0, places=2)
        self._refused(second, "already the base")

    @freeze_time(INVOICE_DATE)
    def test_payment_in_a_foreign_currency_is_reserved_in_its_currency(self):
        payment = self._payment(3450.0, PAID_10_DAYS_BEFORE, currency=self.eur)  # 1,725 in company currency
        first, second = self._draft(amount=1000.0), self._draft()
        first.action_wholesale_apply_prepayment_discount()  # uses 1,150 of 1,725: 2,300 EUR
        self.assertAlmostEqual(self._discount(first), 34.5, places=2)
        second.action_wholesale_apply_prepayment_discount()  # the 575 left: 1,150 EUR
        self.assertAlmostEqual(self._discount(second), 17.25, places=2)
        reservations = self.assertPaymentNotOverReserved(payment, 3)
        self.assertEqual(sorted(reservations.mapped("base_amount")), [1150.0, 2300.0])


@tagged("post_install", "-at_install")
class TestRebateCreditNotes(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.rebate_period = "quarter"
        cls.gold.rebate_percent = 2
        cls.platinum.rebate_percent = 1
        cls.Rebate = cls.env["wholesale.loyalty.rebate"]
        cls.no_tax = cls.env["account.tax"]

    def _settle(self, day, program=None):
        with freeze_time(day):
            return self.Rebate._settle(programs=program or self.program)

    def _lines_by_taxes(self, note):
        return {line.tax_ids: line.price_subtotal for line in note.invoice_line_ids}

    def test_rebate_on_untaxed_sales_carries_no_tax(self):
        self._invoice(self.customer, 40000.0, "2026-02-10", taxes=self.no_tax)
        rebate = self._settle("2026-04-01")
        note = rebate.move_id
        self.assertAlmostEqual(rebate.amount, 400.0, places=2)
        self.assertAlmostEqual(note.amount_untaxed, 400.0, places=2)
        self.assertAlmostEqual(note.amount_tax, 0.0, places=2)
        self.assertAlmostEqual(note.amount_total, 400.0, places=2)
        self.assertFalse(note.invoice_line_ids.tax_ids)

    def test_rebate_on_taxed_sales_carries_their_tax(self):
        self._invoice(self.customer, 40000.0, "2026-02-10", taxes=self.tax_sale_b)
        note = self._settle("2026-04-01").move_id
        self.assertEqual(note.invoice_line_ids.tax_ids, self.tax_sale_b)
        self.assertAlmostEqual(note.amount_untaxed, 400.0, places=2)
        self.assertAlmostEqual(note.amount_total, 400.0 + self.tax_sale_b.amount * 4, places=2)

    def test_rebate_is_split_per_tax_set_and_adds_up_exactly(self):
        self._invoice(self.customer, 3333.33, "2026-01-10")  # tax_sale_a
        self._invoice(self.customer, 3333.33, "2026-02-10", taxes=self.no_tax)
        self._invoice(self.customer, 3333.34, "2026-03-10", taxes=self.tax_sale_b)
        refund_base = self._invoice(self.customer, 1000.0, "2026-03-11", taxes=self.no_tax)
        self._invoice(self.customer, 1000.0, "2026-03-12", move_type="out_refund", taxes=self.no_tax,
                      reversed_entry_id=refund_base.id)  # nets to nothing
        self.platinum.rebate_percent = 5.55
        rebate = self._settle("2026-04-01")
        self.assertAlmostEqual(rebate.base_amount, 10000.0, places=2)
        note = rebate.move_id
        lines = self._lines_by_taxes(note)
        self.assertEqual(set(lines), {self.tax_sale_a, self.no_tax, self.tax_sale_b})
        self.assertAlmostEqual(lines[self.tax_sale_a], 185.0, places=2)
        self.assertAlmostEqual(lines[self.no_tax] + lines[self.tax_sale_b], 370.0, places=2)
        self.assertAlmostEqual(note.amount_untaxed, 555.0, places=2)  # 5.55% x 10,000, exactly
        self.assertAlmostEqual(note.amount_untaxed, rebate.amount, places=2)

    def test_cancelled_credit_note_is_paid_once_again_and_cannot_come_back(self):
        self._invoice(self.customer, 1200.0, "2026-02-10")
        first = self._settle("2026-04-01")
        first.move_id.button_cancel()
        second = self._settle("2026-04-02")
        self.assertAlmostEqual(second.amount, 24.0, places=2)  # not zero: nothing was credited
        self.assertAlmostEqual(second.previous_amount, 0.0, places=2)
        with self.assertRaisesRegex(UserError, "credited twice"), self.cr.savepoint():
            first.move_id.button_draft()
        self.assertEqual(first.move_id.state, "cancel")
        second.move_id.action_post()
        self.assertFalse(self._settle("2026-05-01"))  # not twice
        credited = self.Rebate.search([("partner_id", "=", self.customer.id), ("state", "!=", "cancel")])
        self.assertAlmostEqual(sum(credited.mapped("amount")), 24.0, places=2)

    def test_cancelled_credit_note_not_replaced_may_come_back(self):
        self._invoice(self.customer, 1200.0, "2026-02-10")
        rebate = self._settle("2026-04-01")
        rebate.move_id.button_cancel()
        rebate.move_id.button_draft()
        self.assertEqual(rebate.state, "draft")
        self.assertFalse(self._settle("2026-04-02"))

    def test_reversed_credit_note_is_settled_again(self):
        self._invoice(self.customer, 1200.0, "2026-02-10")
        rebate = self._settle("2026-04-01")
        rebate.move_id.action_post()
        rebate.move_id._reverse_moves(cancel=True)
        self.assertEqual(rebate.state, "cancel")
        again = self._settle("2026-04-02")
        self.assertAlmostEqual(again.base_amount, 1200.0, places=2)
        self.assertAlmostEqual(again.amount, 24.0, places=2)
        self.assertAlmostEqual(again.previous_amount, 0.0, places=2)

    def test_rebate_in_another_company_uses_that_company(self):
        data = self.setup_other_company(name="Rebate Company")
        company = data["company"]
        tag = self.env["res.partner.category"].create({"name": "Wholesale test 2"})
        program = self.env["wholesale.loyalty.program"].create({
            "name": "Second company program",
            "company_id": company.id,
            "qualification_basis": "invoiced",
            "qualification_period": "lifetime",
            "rebate_period": "quarter",
            "partner_domain": str([("category_id", "in", tag.ids)]),
            "tier_ids": [
                Command.create({"name": "Base", "threshold_amount": 0}),
                Command.create({"name": "Top", "threshold_amount": 1000, "rebate_percent": 3}),
            ],
        })
        customer = self._customer("Gamma Imports", category_id=[Command.set(tag.ids)])
        tax = data["default_tax_sale"]
        invoice = self.env["account.move"].with_company(company).create({
            "move_type": "out_invoice",
            "partner_id": customer.id,
            "invoice_date": "2026-02-10",
            "invoice_line_ids": [Command.create({
                "name": "Goods", "quantity": 1, "price_unit": 2000.0, "tax_ids": [Command.set(tax.ids)],
            })],
        })
        invoice.action_post()
        customer.with_company(company).wholesale_recompute_tier()
        rebate = self._settle("2026-04-01", program=program)
        self.assertEqual(rebate.partner_id, customer)
        note = rebate.move_id
        self.assertEqual((note.company_id, note.journal_id.company_id), (company, company))
        self.assertEqual(note.invoice_line_ids.tax_ids, tax)
        self.assertEqual(note.invoice_line_ids.account_id.company_ids, company)
        self.assertAlmostEqual(note.amount_untaxed, 60.0, places=2)
        self.assertEqual(rebate.company_id, company)
        self.assertEqual(fields.Date.to_string(note.invoice_date), "2026-04-01")
