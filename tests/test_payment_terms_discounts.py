"""Cash discounts of wholesale payment terms: the payment wizard, the journal items it books,
prepayment discounts on draft invoices, and the bad input they refuse."""
import psycopg2
from freezegun import freeze_time
from lxml import etree

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import WholesaleLoyaltyCommon

INVOICE_DATE = "2026-03-01"  # due 2026-03-31 on the 30-day terms


@tagged("post_install", "-at_install")
class TestPaymentDiscounts(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.term = cls.env["account.payment.term"].create({
            "name": "2/10 wholesale, net 30",
            "company_id": cls.company_data["company"].id,
            "line_ids": [Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})],
            "early_pay_discount_computation": "included",
            "wholesale_daily_discount_percent": 0.5,
            "wholesale_daily_discount_max": 1.5,
            "wholesale_discount_rule_ids": [
                Command.create({"kind": "early", "days": 10, "discount_percent": 2}),
                Command.create({"kind": "early", "days": 20, "discount_percent": 3}),
                Command.create({"kind": "prepayment", "days": 5, "discount_percent": 3}),
                Command.create({"kind": "prepayment", "days": 30, "discount_percent": 5}),
            ],
        })
        cls.discount_account = cls.company_data["company"].account_journal_early_pay_discount_loss_account_id
        cls.receivable = cls.company_data["default_account_receivable"]

    # ------------------------------------------------------------------ helpers

    def _term_invoice(self, term=None, post=True, amount=10000.0, **values):
        return self._invoice(
            self.customer, amount, INVOICE_DATE, post=post,
            invoice_payment_term_id=(term or self.term).id, **values,
        )

    def _wizard(self, invoice, payment_date, **values):
        return self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create({"payment_date": payment_date, **values})

    def _lines(self, payment):
        """The payment's journal items as (account, debit, credit, has taxes, is tax line)."""
        return sorted(
            (line.account_id.code, line.debit, line.credit, bool(line.tax_ids), bool(line.tax_line_id))
            for line in payment.move_id.line_ids
        )

    def _expected(self, payment, *rows):
        """``rows`` of (account or 'bank', debit, credit, has taxes, is tax line), as ``_lines``."""
        bank = payment.outstanding_account_id
        return sorted(((bank if isinstance(account, str) else account).code, *rest) for account, *rest in rows)

    def _customer_payment(self, amount, date):
        return self._received_payment(self.customer, amount, date)

    # ------------------------------------------------------------------ the wizard proposes

    def test_wizard_proposes_the_largest_rule_met_at_exact_day_boundaries(self):
        invoice = self._term_invoice()  # 10,000 + 15% tax = 11,500, due 2026-03-31
        self.assertEqual(invoice.invoice_date_due, fields.Date.to_date("2026-03-31"))
        for payment_date, amount in [
            ("2026-03-11", 11155.0),  # 20 days early: 3%
            ("2026-03-12", 11270.0),  # 19 days early: 2%
            ("2026-03-21", 11270.0),  # 10 days early: 2%
            ("2026-03-22", 11327.5),  # 9 days early: no rule, daily premium capped at 1.5%
            ("2026-03-30", 11442.5),  # 1 day early: daily premium 0.5%
            ("2026-03-31", 11500.0),  # on the due date: nothing
            ("2026-04-02", 11500.0),  # late: nothing
        ]:
            with self.subTest(payment_date=payment_date):
                wizard = self._wizard(invoice, payment_date)
                self.assertAlmostEqual(wizard.amount, amount, places=2)
                self.assertEqual(wizard.wholesale_discount_available, amount != 11500.0)

    def test_wizard_explains_why(self):
        invoice = self._term_invoice()
        wizard = self._wizard(invoice, "2026-03-11")
        self.assertTrue(wizard.early_payment_discount_mode)
        self.assertAlmostEqual(wizard.wholesale_discount_amount, 345.0, places=2)
        self.assertIn("20 days before the due date", wizard.wholesale_discount_note)
        self.assertIn("3% off", wizard.wholesale_discount_note)
        self.assertIn("rule for 20 days early", wizard.wholesale_discount_note)
        daily = self._wizard(invoice, "2026-03-29")
        self.assertIn("daily premium 0.5% x 2 days", daily.wholesale_discount_note)
        self.assertAlmostEqual(daily.amount, 11385.0, places=2)

    # ------------------------------------------------------------------ journal items

    def test_included_discount_reduces_base_and_tax(self):
        invoice = self._term_invoice()
        payment = self._wizard(invoice, "2026-03-11")._create_payments()
        self.assertTrue(payment.is_reconciled)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        tax_account = self.tax_sale_a.refund_repartition_line_ids.filtered("account_id").account_id
        self.assertEqual(self._lines(payment), self._expected(
            payment,
            ("bank", 11155.0, 0.0, False, False),
            (self.discount_account, 300.0, 0.0, True, False),
            (tax_account, 45.0, 0.0, False, True),
            (self.receivable, 0.0, 11500.0, False, False),
        ))

    def test_excluded_discount_leaves_the_tax_untouched(self):
        self.term.early_pay_discount_computation = "excluded"
        invoice = self._term_invoice()
        wizard = self._wizard(invoice, "2026-03-11")
        self.assertAlmostEqual(wizard.amount, 11200.0, places=2)  # 3% of the untaxed 10,000
        payment = wizard._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(self._lines(payment), self._expected(
            payment,
            ("bank", 11200.0, 0.0, False, False),
            (self.discount_account, 300.0, 0.0, False, False),
            (self.receivable, 0.0, 11500.0, False, False),
        ))

    def test_mixed_discount_reduces_the_tax_on_the_invoice(self):
        self.term.early_pay_discount_computation = "mixed"
        invoice = self._term_invoice()
        # The tax is computed on the price less the best discount offered (3%, 30 days ahead).
        self.assertAlmostEqual(invoice.amount_untaxed, 10000.0, places=2)
        self.assertAlmostEqual(invoice.amount_tax, 1455.0, places=2)
        self.assertAlmostEqual(invoice.amount_total, 11455.0, places=2)
        wizard = self._wizard(invoice, "2026-03-21")  # 10 days early: 2% of the untaxed amount
        self.assertAlmostEqual(wizard.amount, 11255.0, places=2)
        payment = wizard._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(self._lines(payment), self._expected(
            payment,
            ("bank", 11255.0, 0.0, False, False),
            (self.discount_account, 200.0, 0.0, False, False),
            (self.receivable, 0.0, 11455.0, False, False),
        ))

    def test_booking_is_exactly_odoos_early_payment_discount(self):
        """Same invoice, same 3%: our schedule books what Odoo's own discount books."""
        native = self.env["account.payment.term"].create({
            "name": "3% 10 days (Odoo)",
            "early_discount": True,
            "discount_percentage": 3,
            "discount_days": 10,
            "line_ids": [Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})],
        })

        def booked(payment):
            return sorted(
                (line.account_id.id, line.balance, tuple(line.tax_ids.ids), tuple(line.tax_tag_ids.ids),
                 line.tax_repartition_line_id.id)
                for line in payment.move_id.line_ids
            )

        for computation in ("included", "excluded", "mixed"):
            with self.subTest(computation=computation):
                (self.term | native).write({"early_pay_discount_computation": computation})
                ours = self._term_invoice()
                theirs = self._term_invoice(term=native)
                self.assertAlmostEqual(ours.amount_total, theirs.amount_total, places=2)
                our_payment = self._wizard(ours, "2026-03-11")._create_payments()
                their_payment = self._wizard(theirs, "2026-03-11")._create_payments()
                self.assertEqual(booked(our_payment), booked(their_payment))

    def test_partial_payment_gets_the_discount_pro_rata(self):
        invoice = self._term_invoice()
        wizard = self._wizard(invoice, "2026-03-11", amount=5577.5)  # half of 11,155
        self.assertFalse(wizard.early_payment_discount_mode)
        self.assertAlmostEqual(wizard.wholesale_discount_amount, 172.5, places=2)
        self.assertIn("this payment settles", wizard.wholesale_discount_note)
        payment = wizard._create_payments()
        tax_account = self.tax_sale_a.refund_repartition_line_ids.filtered("account_id").account_id
        self.assertEqual(self._lines(payment), self._expected(
            payment,
            ("bank", 5577.5, 0.0, False, False),
            (self.discount_account, 150.0, 0.0, True, False),
            (tax_account, 22.5, 0.0, False, True),
            (self.receivable, 0.0, 5750.0, False, False),
        ))
        self.assertEqual(invoice.payment_state, "partial")
        self.assertAlmostEqual(invoice.amount_residual, 5750.0, places=2)

        # The rest, paid 6 days early, gets the daily premium capped at 1.5%.
        rest = self._wizard(invoice, "2026-03-25")
        self.assertAlmostEqual(rest.amount, 5663.75, places=2)
        rest._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertAlmostEqual(invoice.amount_residual, 0.0, places=2)

    def test_full_amount_entered_takes_no_discount(self):
        invoice = self._term_invoice()
        wizard = self._wizard(invoice, "2026-03-11", amount=11500.0)
        self.assertFalse(wizard.early_payment_discount_mode)
        self.assertAlmostEqual(wizard.wholesale_discount_amount, 0.0, places=2)
        self.assertIn("takes no cash discount", wizard.wholesale_discount_note)
        payment = wizard._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertNotIn(self.discount_account, payment.move_id.line_ids.account_id)

    def test_accountant_can_switch_the_discount_off(self):
        invoice = self._term_invoice()
        wizard = self._wizard(invoice, "2026-03-11", wholesale_apply_discount=False)
        self.assertAlmostEqual(wizard.amount, 11500.0, places=2)
        self.assertFalse(wizard.early_payment_discount_mode)
        self.assertAlmostEqual(wizard.wholesale_discount_amount, 0.0, places=2)
        payment = wizard._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertNotIn(self.discount_account, payment.move_id.line_ids.account_id)

    def test_switching_in_the_form_recomputes_the_amount(self):
        invoice = self._term_invoice()
        with Form(self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        )) as form:
            form.payment_date = fields.Date.to_date("2026-03-11")
            self.assertAlmostEqual(form.amount, 11155.0, places=2)
            form.wholesale_apply_discount = False
            self.assertAlmostEqual(form.amount, 11500.0, places=2)
            form.payment_date = fields.Date.to_date("2026-03-21")
            self.assertAlmostEqual(form.amount, 11500.0, places=2)
            form.wholesale_apply_discount = True
            self.assertAlmostEqual(form.amount, 11270.0, places=2)
        payment = form.record._create_payments()
        self.assertAlmostEqual(payment.amount, 11270.0, places=2)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    def test_invoices_paid_together_each_get_their_discount(self):
        for group_payment in (True, False):
            with self.subTest(group_payment=group_payment):
                invoices = self._term_invoice() | self._term_invoice(amount=2000.0)  # 11,500 and 2,300
                wizard = self.env["account.payment.register"].with_context(
                    active_model="account.move", active_ids=invoices.ids,
                ).create({"payment_date": "2026-03-11", "group_payment": group_payment})
                self.assertAlmostEqual(wizard.wholesale_discount_amount, 345.0 + 69.0, places=2)
                payments = wizard._create_payments()
                self.assertEqual(len(payments), 1 if group_payment else 2)
                self.assertAlmostEqual(sum(payments.mapped("amount")), 11155.0 + 2231.0, places=2)
                self.assertTrue(all(state in ("paid", "in_payment") for state in invoices.mapped("payment_state")))
                lines = payments.move_id.line_ids
                discount = lines.filtered(lambda line: line.account_id == self.discount_account)
                self.assertAlmostEqual(sum(discount.mapped("balance")), 360.0, places=2)

    def test_payment_term_form(self):
        with Form(self.env["account.payment.term"]) as form:
            form.name = "3/20 wholesale"
            with form.wholesale_discount_rule_ids.new() as rule:
                rule.kind = "early"
                rule.days = 20
                rule.discount_percent = 3
            form.wholesale_daily_discount_percent = 0.5
            form.wholesale_daily_discount_max = 1
        term = form.record
        self.assertEqual(term._wholesale_rules("early"), [(20, 3.0)])
        self.assertIn("Paid 1 day before the due date: 0.5% off", term.wholesale_discount_example)

    def test_vendor_bills_and_other_terms_are_untouched(self):
        bill = self._invoice(
            self.partner_a, 1000.0, INVOICE_DATE, move_type="in_invoice",
            taxes=self.tax_purchase_a, invoice_payment_term_id=self.term.id,
        )
        wizard = self._wizard(bill, "2026-03-11")
        self.assertAlmostEqual(wizard.amount, bill.amount_total, places=2)
        self.assertFalse(wizard.wholesale_discount_available)

    # ------------------------------------------------------------------ prepayment

    @freeze_time("2026-03-01")
    def test_prepayment_discount_line_with_the_invoice_taxes(self):
        self._customer_payment(11500.0, "2026-01-30")  # 30 days before the invoice: 5%
        invoice = self._term_invoice(post=False)
        invoice.action_wholesale_apply_prepayment_discount()
        line = invoice.invoice_line_ids.filtered(lambda line: line.price_subtotal < 0)
        self.assertAlmostEqual(line.price_subtotal, -500.0, places=2)
        self.assertEqual(line.tax_ids, self.tax_sale_a)
        self.assertAlmostEqual(invoice.amount_untaxed, 9500.0, places=2)
        self.assertAlmostEqual(invoice.amount_tax, 1425.0, places=2)
        self.assertAlmostEqual(invoice.amount_total, 10925.0, places=2)
        self.assertIn("5% of", line.name)

    @freeze_time("2026-03-01")
    def test_prepayment_below_the_invoice_total_is_discounted_on_what_was_paid(self):
        self._customer_payment(5750.0, "2026-02-19")  # 10 days before: 3%
        invoice = self._term_invoice(post=False)
        invoice.action_wholesale_apply_prepayment_discount()
        line = invoice.invoice_line_ids.filtered(lambda line: line.price_subtotal < 0)
        self.assertAlmostEqual(line.price_subtotal, -150.0, places=2)  # 3% of 5,750 = 172.50 with tax
        self.assertAlmostEqual(invoice.amount_total, 11327.5, places=2)

    @freeze_time("2026-03-01")
    def test_paid_down_payment_counts_as_prepayment(self):
        product = self._create_product(name="Pallet", lst_price=10000.0, taxes_id=[Command.set(self.tax_sale_a.ids)])
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1, "price_unit": 10000.0,
                                           "tax_id": [Command.set(self.tax_sale_a.ids)]})],
        })
        order.action_confirm()
        self.env["sale.advance.payment.inv"].with_context(active_model="sale.order", active_ids=order.ids).create({
            "advance_payment_method": "percentage", "amount": 20,
        }).create_invoices()
        down_invoice = order.invoice_ids
        down_invoice.invoice_date = "2026-01-20"
        down_invoice.action_post()
        self._pay(down_invoice, "2026-01-20")  # 40 days before the final invoice
        self.env["sale.advance.payment.inv"].with_context(active_model="sale.order", active_ids=order.ids).create({
            "advance_payment_method": "delivered",
        }).create_invoices()
        final = order.invoice_ids - down_invoice
        final.write({"invoice_date": INVOICE_DATE, "invoice_payment_term_id": self.term.id})
        self.assertAlmostEqual(final.amount_total, 9200.0, places=2)  # 11,500 less the 2,300 paid
        final.action_wholesale_apply_prepayment_discount()
        line = final.invoice_line_ids.filtered(lambda line: line.product_id == self._prepayment_product())
        self.assertAlmostEqual(line.price_subtotal, -100.0, places=2)  # 5% of 2,300 = 115 with tax
        self.assertAlmostEqual(final.amount_total, 9085.0, places=2)

    def _prepayment_product(self):
        return self.env.ref("wholesale_loyalty.product_prepayment_discount")

    @freeze_time("2026-03-01")
    def test_prepayment_discount_twice_is_refused(self):
        self._customer_payment(11500.0, "2026-01-30")
        invoice = self._term_invoice(post=False)
        invoice.action_wholesale_apply_prepayment_discount()
        total = invoice.amount_total
        with self.assertRaisesRegex(UserError, "already has its prepayment discount"), self.cr.savepoint():
            invoice.action_wholesale_apply_prepayment_discount()
        self.assertEqual(len(invoice.invoice_line_ids), 2)
        self.assertAlmostEqual(invoice.amount_total, total, places=2)

    @freeze_time("2026-03-01")
    def test_prepayment_discount_on_a_posted_invoice_is_refused(self):
        self._customer_payment(11500.0, "2026-01-30")
        invoice = self._term_invoice()
        with self.assertRaisesRegex(UserError, "no longer a draft"), self.cr.savepoint():
            invoice.action_wholesale_apply_prepayment_discount()
        self.assertEqual(len(invoice.invoice_line_ids), 1)
        self.assertAlmostEqual(invoice.amount_total, 11500.0, places=2)

    @freeze_time("2026-03-01")
    def test_prepayment_too_late_is_refused(self):
        self._customer_payment(11500.0, "2026-02-26")  # 3 days before: no rule
        invoice = self._term_invoice(post=False)
        with self.assertRaisesRegex(UserError, "paid nothing in advance early enough"), self.cr.savepoint():
            invoice.action_wholesale_apply_prepayment_discount()
        self.assertEqual(len(invoice.invoice_line_ids), 1)

    @freeze_time("2026-03-01")
    def test_only_accounting_users_apply_prepayment_discounts(self):
        company = self.company_data["company"]
        sales_rep = new_test_user(
            self.env, login="wl_pd_rep", groups="sales_team.group_sale_salesman",
            company_id=company.id, company_ids=[company.id],
        )
        billing = new_test_user(
            self.env, login="wl_pd_billing", groups="account.group_account_invoice",
            company_id=company.id, company_ids=[company.id],
        )
        self._customer_payment(11500.0, "2026-01-30")
        invoice = self._term_invoice(post=False)
        with self.assertRaises(AccessError), self.cr.savepoint():
            invoice.with_user(sales_rep).action_wholesale_apply_prepayment_discount()
        self.assertEqual(len(invoice.invoice_line_ids), 1)
        invoice.with_user(billing).action_wholesale_apply_prepayment_discount()
        self.assertAlmostEqual(invoice.amount_total, 10925.0, places=2)
        button = self.env.ref("wholesale_loyalty.account_move_view_form").arch
        self.assertIn('groups="account.group_account_invoice"', button)

    # ------------------------------------------------------------------ bad input

    def assertRefused(self, exception, message_part, write):
        rules_before = self.env["wholesale.payment.discount.rule"].search_count([])
        with mute_logger("odoo.sql_db"), self.assertRaises(exception) as caught, self.cr.savepoint():
            write()
            self.env.flush_all()
        if message_part:
            self.assertIn(message_part, str(caught.exception))
        self.assertEqual(self.env["wholesale.payment.discount.rule"].search_count([]), rules_before)

    def _new_rule(self, **values):
        return lambda: self.env["wholesale.payment.discount.rule"].create({
            "payment_term_id": self.term.id, "kind": "early", "days": 40, "discount_percent": 4, **values,
        })

    def test_discount_outside_0_100_is_refused(self):
        for percent in (101, -1, 0):
            self.assertRefused(
                psycopg2.errors.CheckViolation, "discount_percent_range", self._new_rule(discount_percent=percent)
            )

    def test_negative_days_are_refused(self):
        self.assertRefused(psycopg2.errors.CheckViolation, "days_positive", self._new_rule(days=-1))

    def test_two_rules_of_one_kind_with_the_same_days_are_refused(self):
        self.assertRefused(psycopg2.errors.UniqueViolation, "days_unique", self._new_rule(days=20))
        # The same days of another kind are fine.
        self._new_rule(kind="prepayment", days=20, discount_percent=4)()

    def test_longer_early_rule_with_smaller_discount_is_refused(self):
        self.assertRefused(ValidationError, "Paying earlier must never earn a smaller discount",
                           self._new_rule(days=40, discount_percent=2.5))
        self.assertRefused(ValidationError, "Paying earlier must never earn a smaller discount",
                           lambda: self.term.wholesale_discount_rule_ids.filtered(
                               lambda rule: rule.kind == "early" and rule.days == 10).write({"discount_percent": 3.5}))
        self.assertEqual(sorted(self.term._wholesale_rules("early")), [(10, 2.0), (20, 3.0)])

    def test_negative_daily_premium_or_cap_is_refused(self):
        check = psycopg2.errors.CheckViolation
        for values, exception, message in [
            ({"wholesale_daily_discount_percent": -0.5}, check, "wholesale_daily_discount_percent_range"),
            ({"wholesale_daily_discount_percent": 0, "wholesale_daily_discount_max": -1}, check,
             "wholesale_daily_discount_max_range"),
            ({"wholesale_daily_discount_max": 101}, check, "wholesale_daily_discount_max_range"),
            ({"wholesale_daily_discount_max": -1}, ValidationError, "needs a cap above 0%"),
            ({"wholesale_daily_discount_max": 0}, ValidationError, "needs a cap above 0%"),
        ]:
            with self.subTest(values=values):
                self.assertRefused(exception, message, lambda values=values: self.term.write(values))
                self.term.invalidate_recordset()
                self.assertEqual(
                    (self.term.wholesale_daily_discount_percent, self.term.wholesale_daily_discount_max), (0.5, 1.5)
                )

    def test_schedule_with_odoos_single_discount_is_refused(self):
        self.assertRefused(ValidationError, "not both", lambda: self.term.write({"early_discount": True}))
        self.term.invalidate_recordset()
        self.assertFalse(self.term.early_discount)

    def test_payment_term_form_shows_a_plain_language_example(self):
        self.assertIn("Paid 20 days before the due date: 3% off, pay", self.term.wholesale_discount_example)
        self.assertIn("Paid 30 days before the invoice date: 5% off, pay", self.term.wholesale_discount_example)
        self.assertIn("Paid 3 days before the due date: 1.5% off", self.term.wholesale_discount_example)
        self.assertIn("Paid 2 days before the due date: 1% off", self.term.wholesale_discount_example,
                      "every day of the daily premium up to its cap")

    def test_a_long_daily_premium_shows_its_start_and_its_cap(self):
        self.term.write({"wholesale_daily_discount_percent": 0.1, "wholesale_daily_discount_max": 1.5})
        early_days = [days for days, _choice in self.term._wholesale_example_days("early")]
        self.assertEqual(early_days, [1, 10, 15, 20], "15 days of premium: a range, not 15 lines")

    def test_the_pay_wizard_gives_one_message_for_the_discount(self):
        """Odoo's own 'Early Payment Discount ... applied' gives way to the wholesale message,
        which names the rule, when the wholesale schedule gives the discount."""
        view = self.env.ref("account.view_account_payment_register_form")
        arch = etree.fromstring(self.env["account.payment.register"].get_view(view.id)["arch"])
        [odoo_message] = arch.xpath("//div[@role='alert'][.//b[contains(., 'Early Payment Discount of')]]")
        self.assertIn("wholesale_discount_available", odoo_message.get("invisible"))
        [ours] = arch.xpath("//div[@role='status'][.//field[@name='wholesale_discount_note']]")
        self.assertEqual(ours.get("invisible"), "not wholesale_discount_available")
