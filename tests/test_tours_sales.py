"""Quotation, invoice and portal screens in a real browser, as a sales rep, a billing-only
accountant and a portal customer click them."""
from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .test_tours import ChromiumTourCase


@tagged("post_install", "-at_install")
class TestSalesScreenTours(ChromiumTourCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wholesale.loyalty.program"].sudo().search([]).write({"active": False})
        tag = cls.env["res.partner.category"].create({"name": "Screens members"})
        program = cls.env["wholesale.loyalty.program"].create({
            "name": "Screens Program",
            "qualification_period": "lifetime",
            "points_validity_months": 24,
            "partner_domain": str([("category_id", "in", tag.ids)]),
            "tier_ids": [
                Command.create({"name": "Silver", "threshold_amount": 0}),
                Command.create({"name": "Gold", "threshold_amount": 10000, "discount_percent": 3}),
            ],
        })
        cls.gold = program.tier_ids.filtered(lambda tier: tier.name == "Gold")
        cls.customer = cls.env["res.partner"].create({
            "name": "Screens Gold Customer", "is_company": True, "email": "screens@example.com",
            "category_id": [Command.link(tag.id)],
        })
        cls.customer.write({"wholesale_tier_id": cls.gold.id, "wholesale_tier_locked": True,
                            "wholesale_tier_lock_reason": "Tour fixture"})
        cls.customer.wholesale_award_points(120, "Webinar attended", reference="screens-webinar")
        cls.customer.wholesale_award_points(12500, "Trade fair", reference="screens-fair")
        cls.product = cls.env["product.product"].create({"name": "Screens goods", "list_price": 1000.0})
        company = cls.env.company
        cls.sales_rep = new_test_user(cls.env, login="screens_rep", password="screens_rep_pw",
                                      groups="sales_team.group_sale_salesman",
                                      company_id=company.id, company_ids=[company.id])
        cls.accountant = new_test_user(cls.env, login="screens_billing", password="screens_billing_pw",
                                       groups="account.group_account_invoice",
                                       company_id=company.id, company_ids=[company.id])
        cls.term_line = [Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})]

    def _invoice(self, term, amount=1000.0, date=None):
        return self.env["account.move"].create({
            "move_type": "out_invoice",
            "partner_id": self.customer.id,
            "invoice_date": date or fields.Date.context_today(self.env.user),
            "invoice_payment_term_id": term.id,
            "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": amount,
                                                 "tax_ids": [Command.clear()]})],
        })

    def test_sales_rep_redeem_button_and_wizard_warning(self):
        balance = self.customer.wholesale_points_balance
        self.start_tour("/odoo/action-sale.action_quotations_with_onboarding/new",
                        "wholesale_loyalty_redeem_button_tour", login="screens_rep")
        order = self.env["sale.order"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(order), 1)
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.order_line.filtered("wholesale_points_redeemed").mapped("wholesale_points_redeemed"),
                         [40], "the second redemption replaced the first")
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.wholesale_points_balance, balance, "cancelled: the points are back")

    def test_billing_accountant_prepayment_button_and_tier(self):
        self.assertFalse(self.accountant.has_group("wholesale_loyalty.group_wholesale_loyalty_user"))
        prepaid_term = self.env["account.payment.term"].create({
            "name": "Prepaid 5% (tour)", "line_ids": self.term_line,
            "wholesale_discount_rule_ids": [Command.create({"kind": "prepayment", "days": 5, "discount_percent": 5})],
        })
        plain_term = self.env["account.payment.term"].create({"name": "Net 30 (tour)", "line_ids": self.term_line})
        today = fields.Date.context_today(self.env.user)
        payment = self.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer", "partner_id": self.customer.id,
            "amount": 1000.0, "date": fields.Date.subtract(today, days=30),
            "journal_id": self.env["account.journal"].search(
                [("type", "=", "bank"), ("company_id", "=", self.env.company.id)], limit=1).id,
        })
        payment.action_post()
        prepaid = self._invoice(prepaid_term)
        plain = self._invoice(plain_term)

        self.start_tour(f"/odoo/action-account.action_move_out_invoice_type/{prepaid.id}",
                        "wholesale_loyalty_prepayment_button_tour", login="screens_billing")
        self.assertAlmostEqual(prepaid.amount_total, 950.0, places=2)
        self.assertFalse(prepaid.wholesale_can_apply_prepayment)

        self.start_tour(f"/odoo/action-account.action_move_out_invoice_type/{plain.id}",
                        "wholesale_loyalty_no_prepayment_button_tour", login="screens_billing")
        self.assertAlmostEqual(plain.amount_total, 1000.0, places=2)

    def test_portal_customer_card_points_and_invoice_offer(self):
        buyer = self.env["res.partner"].create({"name": "Screens Buyer", "email": "screens.buyer@example.com",
                                                "parent_id": self.customer.id})
        new_test_user(self.env, login="screens_portal", password="screens_portal_pw", groups="base.group_portal",
                      partner_id=buyer.id)
        self.start_tour("/my", "wholesale_loyalty_portal_screens_tour", login="screens_portal")

        early_term = self.env["account.payment.term"].create({
            "name": "3/10, 2/20, net 30 (tour)", "line_ids": self.term_line,
            "early_pay_discount_computation": "included",
            "wholesale_discount_rule_ids": [
                Command.create({"kind": "early", "days": 10, "discount_percent": 2}),
                Command.create({"kind": "early", "days": 20, "discount_percent": 3}),
            ],
        })
        invoice = self._invoice(early_term, amount=10000.0)
        invoice.action_post()
        self.start_tour(f"/my/invoices/{invoice.id}", "wholesale_loyalty_portal_invoice_offer_tour",
                        login="screens_portal")
        self.assertEqual(invoice.payment_state, "not_paid")
