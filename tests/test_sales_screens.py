"""What quotations, the redemption wizard and customer invoices show and refuse: the Redeem
Points and Apply prepayment discount buttons only where they work, clear refusals naming the
document, the customer's tier on invoices for billing users, and the cash-discount offer
printed on the invoice."""
import re

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import WholesaleLoyaltyCommon


def _text(html):
    """The visible text of rendered HTML, on one line."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@tagged("post_install", "-at_install")
class TestQuotationScreens(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2026-04-01"):
            cls._invoice(cls.customer, 1500.0, "2026-03-30")  # Gold: 5% off
            cls.customer.wholesale_award_points(5000, "Opening balance")
        cls.sales_rep = cls._company_user("wl_screens_rep", "sales_team.group_sale_salesman")
        cls.big_goods = cls.env["product.product"].create({
            "name": "Container of goods", "list_price": 100000.0, "taxes_id": [Command.set(cls.tax_sale_a.ids)],
        })

    def _wizard(self, order):
        action = order.action_wholesale_redeem_points()
        return Form(self.env[action["res_model"]].with_user(self.sales_rep).with_context(**action["context"]))

    def test_redeem_wizard_names_the_limit_that_binds(self):
        buyer = self._customer("Redeem Limits")
        buyer.sudo().wholesale_award_points(290, "Opening balance")

        def wizard(product):
            order = self.env["sale.order"].with_user(self.sales_rep).create({
                "partner_id": buyer.id, "order_line": [Command.create({"product_id": product.id})],
            })
            cap = order._wholesale_redeem_cap(self.program)
            return self._wizard(order), cap

        big, cap = wizard(self.big_goods)
        self.assertGreater(cap, 290)
        self.assertEqual((big.max_points, big.limit_note), (290, "the customer's whole balance"))
        self.assertEqual(self.env["wholesale.loyalty.redeem.wizard"]._fields["partner_id"].string, "Customer")
        small, cap = wizard(self.product_a)
        self.assertLess(cap, 290)
        self.assertEqual((small.max_points, small.limit_note), (cap, "20% of the untaxed total"))

    def test_redeem_button_needs_goods_lines(self):
        with Form(self.env["sale.order"].with_user(self.sales_rep)) as form:
            form.partner_id = self.customer
            self.assertFalse(form.wholesale_has_goods, "a new quotation has nothing to pay with points")
            with form.order_line.new() as section:
                section.display_type = "line_section"
                section.name = "Spring delivery"
            self.assertFalse(form.wholesale_has_goods, "a section is no goods")
            with form.order_line.new() as line:
                line.product_id = self.product_a
            self.assertTrue(form.wholesale_has_goods)
        self.assertTrue(form.record.wholesale_has_goods)

    def test_redeem_on_an_unsaved_quotation_is_refused(self):
        order = self.env["sale.order"].with_user(self.sales_rep).new({"partner_id": self.customer.id})
        with self.assertRaisesRegex(UserError, "Save the quotation"):
            order.action_wholesale_redeem_points()

    def test_redeem_on_an_empty_quotation_is_refused_and_writes_nothing(self):
        order = self._quotation(lines=(), user=self.sales_rep)
        with self.assertRaisesRegex(UserError, f"Quotation {re.escape(order.name)} has no products yet"):
            order.action_wholesale_redeem_points()
        # Nor can the wizard be reached another way, e.g. over RPC.
        wizard = self.env["wholesale.loyalty.redeem.wizard"].with_user(self.sales_rep).with_context(
            active_id=order.id, active_model="sale.order",
        ).create({"points": 10})
        with self.assertRaisesRegex(UserError, "has no products yet"):
            wizard.action_apply()
        self.assertFalse(order.order_line)
        self.assertEqual(order.wholesale_points_redeemed, 0)

    def test_reopened_wizard_says_the_points_applied_are_replaced(self):
        order = self._quotation(lines=((self.big_goods, 1),), user=self.sales_rep)
        first = self._wizard(order)
        self.assertFalse(first.points_applied)
        self.assertFalse(first.replace_note, "a first redemption replaces nothing")
        first.points = 1200
        first.save().action_apply()
        self.assertEqual(order.wholesale_points_redeemed, 1200)

        again = self._wizard(order)
        self.assertEqual(again.replace_note, "This order already uses 1,200 points; applying replaces them.")
        self.assertEqual(again.points, 1200, "the wizard starts from the points the order uses")
        again.points = 300
        again.save().action_apply()
        self.assertEqual(order.wholesale_points_redeemed, 300)
        self.assertEqual(len(order.order_line.filtered("wholesale_points_redeemed")), 1)

    def test_cancelled_order_gives_its_points_back(self):
        order = self._quotation(lines=((self.big_goods, 1),), user=self.sales_rep)
        wizard = self._wizard(order)
        wizard.points = 380
        wizard.save().action_apply()
        before = self._balance()
        order.action_confirm()
        self.assertEqual(self._balance(), before - 380)
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(self._balance(), before, "the points of a cancelled order come back")
        with self.assertRaisesRegex(UserError, "only be redeemed on a quotation"):
            order.action_wholesale_redeem_points()


@tagged("post_install", "-at_install")
class TestInvoiceScreens(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        cls.prepaid_term = cls.env["account.payment.term"].create({
            "name": "Prepaid 5%, net 30",
            "company_id": company.id,
            "line_ids": [Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})],
            "wholesale_discount_rule_ids": [Command.create({"kind": "prepayment", "days": 5, "discount_percent": 5})],
        })
        cls.early_term = cls.env["account.payment.term"].create({
            "name": "3/10, 2/20, net 30",
            "company_id": company.id,
            "line_ids": [Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})],
            "early_pay_discount_computation": "included",
            "wholesale_discount_rule_ids": [
                Command.create({"kind": "early", "days": 10, "discount_percent": 2}),
                Command.create({"kind": "early", "days": 20, "discount_percent": 3}),
            ],
        })
        cls.billing = cls._company_user("wl_screens_billing", "account.group_account_invoice")
        with freeze_time("2026-04-01"):
            cls._invoice(cls.customer, 1500.0, "2026-03-30")  # Gold
        cls.customer.lang = "en_US"

    def _draft(self, term, amount=1000.0, user=None):
        return self._invoice(self.customer, amount, "2026-05-01", post=False,
                             invoice_payment_term_id=term.id).with_user(user or self.billing)

    def _customer_payment(self, amount, date):
        return self._received_payment(self.customer, amount, date)

    def test_prepayment_button_only_where_it_applies(self):
        self._customer_payment(1150.0, "2026-04-01")
        invoice = self._draft(self.prepaid_term)
        self.assertTrue(invoice.wholesale_can_apply_prepayment)
        self.assertFalse(self._draft(self.early_term).wholesale_can_apply_prepayment,
                         "payment terms without prepayment rules")
        no_terms = self._invoice(self.customer, 1000.0, "2026-05-01", post=False).with_user(self.billing)
        self.assertFalse(no_terms.wholesale_can_apply_prepayment)
        bill = self.env["account.move"].create({
            "move_type": "in_invoice", "partner_id": self.customer.id, "invoice_date": "2026-05-01",
            "invoice_payment_term_id": self.prepaid_term.id,
            "invoice_line_ids": [Command.create({"name": "Supplies", "quantity": 1, "price_unit": 100.0})],
        })
        self.assertFalse(bill.wholesale_can_apply_prepayment, "vendor bills get no prepayment discount")

        invoice.action_wholesale_apply_prepayment_discount()
        self.assertFalse(invoice.wholesale_can_apply_prepayment, "applied once, the button goes")
        self.assertAlmostEqual(invoice.amount_total, 1092.5, places=2)  # 5% of the 1,150 prepaid
        invoice.invoice_line_ids.filtered(lambda line: line.price_subtotal < 0).unlink()
        self.assertTrue(invoice.wholesale_can_apply_prepayment, "the discount line removed, it comes back")
        invoice.action_wholesale_apply_prepayment_discount()
        invoice.action_post()
        self.assertFalse(invoice.wholesale_can_apply_prepayment, "posted invoices are not discounted")

    def test_refusals_name_a_draft_invoice_by_customer_and_amount(self):
        self._customer_payment(1150.0, "2026-04-01")
        invoice = self._draft(self.prepaid_term)
        invoice.action_wholesale_apply_prepayment_discount()
        total = invoice.amount_total
        with self.assertRaises(UserError) as refusal:
            invoice.action_wholesale_apply_prepayment_discount()
        message = str(refusal.exception)
        self.assertIn("The draft invoice of Alpha Trading for", message)
        self.assertIn("1,092.50", message)
        self.assertIn("already has its prepayment discount", message)
        self.assertNotIn("Draft Invoice", message)
        self.assertNotIn("/", message.split(" for ")[0])
        self.assertAlmostEqual(invoice.amount_total, total, places=2)

        plain = self._draft(self.early_term)
        with self.assertRaisesRegex(UserError, "The draft invoice of Alpha Trading for .*: its payment terms "
                                               "3/10, 2/20, net 30 give no prepayment discount"):
            plain.action_wholesale_apply_prepayment_discount()

    def test_refusal_names_the_draft_holding_the_money_by_its_amount(self):
        self._customer_payment(1150.0, "2026-04-01")
        first = self._draft(self.prepaid_term)
        first.action_wholesale_apply_prepayment_discount()
        second = self._draft(self.prepaid_term, amount=2000.0)
        with self.assertRaises(UserError) as refusal:
            second.action_wholesale_apply_prepayment_discount()
        message = str(refusal.exception)
        self.assertIn("The draft invoice of Alpha Trading for", message)
        self.assertIn("2,300.00", message)  # the refused one
        self.assertRegex(message, r"prepayment discount of Draft Invoice for \S*\s?1,092\.50")  # the holder
        self.assertEqual(len(second.invoice_line_ids), 1, "nothing written")

    def test_refusal_names_a_numbered_invoice_by_its_number(self):
        invoice = self._draft(self.prepaid_term)
        invoice.sudo().action_post()
        with self.assertRaisesRegex(UserError, f"Invoice {re.escape(invoice.name)} is no longer a draft"):
            invoice.action_wholesale_apply_prepayment_discount()

    def test_billing_user_sees_the_customer_tier(self):
        invoice = self._draft(self.early_term)
        self.assertFalse(self.billing.has_group("wholesale_loyalty.group_wholesale_loyalty_user"))
        self.assertEqual(invoice.wholesale_tier_name, "Gold")
        form = Form(invoice)
        self.assertEqual(form.wholesale_tier_name, "Gold")
        other = self._customer("Not a member", category_id=[Command.clear()])
        outsider = self._invoice(other, 100.0, "2026-05-01", post=False).with_user(self.billing)
        self.assertFalse(outsider.wholesale_tier_name)

    def test_tier_of_another_company_program_is_not_shown(self):
        other_company = self.setup_other_company()["company"]
        invoice = self.env["account.move"].with_company(other_company).create({
            "move_type": "out_invoice", "partner_id": self.customer.id, "invoice_date": "2026-05-01",
            "company_id": other_company.id,
            "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": 100.0,
                                                 "tax_ids": [Command.clear()]})],
        })
        self.assertFalse(invoice.wholesale_tier_name)

    @freeze_time("2026-05-01")
    def test_invoice_prints_the_cash_discount_schedule(self):
        invoice = self._draft(self.early_term, amount=1000.0).sudo()  # 1,150 with tax, due 2026-05-31
        invoice.action_post()
        offers = invoice._wholesale_early_payment_offers()
        self.assertEqual([(offer.pay_by, offer.amount_due, offer.saving) for offer in offers], [
            (fields.Date.to_date("2026-05-11"), 1115.5, 34.5),  # 3% paid 20 days before the due date
            (fields.Date.to_date("2026-05-21"), 1127.0, 23.0),  # 2% paid 10 days before it
        ])
        html = self.env["ir.actions.report"]._render_qweb_html("account.account_invoices", invoice.ids)[0]
        text = _text(html.decode())
        self.assertIn("Early payment discount Pay by Amount due You save", text)
        self.assertRegex(text, r"05/11/2026 [^/]*1,115\.50[^/]*34\.50[^/]*05/21/2026 [^/]*1,127\.00[^/]*23\.00")

    @freeze_time("2026-05-01")
    def test_invoice_form_shows_the_cash_discount_schedule_to_billing_users(self):
        billing = self._company_user("wl_screens_offer_billing", "account.group_account_invoice")
        invoice = self._draft(self.early_term, amount=1000.0).sudo()
        invoice.action_post()
        self.assertEqual(invoice.with_user(billing).wholesale_early_payment_offer.split("\n"), [
            "Pay $\xa01,115.50 by 05/11/2026: save $\xa034.50",
            "Pay $\xa01,127.00 by 05/21/2026: save $\xa023.00",
        ])
        self._pay(invoice, "2026-05-01")
        invoice.invalidate_recordset()
        self.assertFalse(invoice.wholesale_early_payment_offer, "a paid invoice offers nothing")

    @freeze_time("2026-05-15")
    def test_schedule_keeps_the_dates_not_passed_yet_and_prints_in_the_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = "fr_FR"
        invoice = self._draft(self.early_term, amount=1000.0).sudo()
        invoice.action_post()
        text = _text(self.env["ir.actions.report"]._render_qweb_html(
            "account.account_invoices", invoice.ids)[0].decode())
        self.assertNotIn("11/05/2026", text, "the 3% date has passed")
        self.assertIn("21/05/2026", text)
        self.assertIn("127,00", text, "amounts with the decimal comma of the customer's language")

    @freeze_time("2026-05-01")
    def test_paid_invoice_and_terms_without_schedule_print_no_offer(self):
        paid = self._draft(self.early_term).sudo()
        paid.action_post()
        self._pay(paid, "2026-05-01")
        self.assertEqual(paid._wholesale_early_payment_offers(), [])
        plain = self._draft(self.prepaid_term).sudo()
        plain.action_post()
        self.assertEqual(plain._wholesale_early_payment_offers(), [])
        html = self.env["ir.actions.report"]._render_qweb_html("account.account_invoices", (paid | plain).ids)[0]
        self.assertNotIn("Early payment discount", _text(html.decode()))
