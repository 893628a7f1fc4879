"""The main flows in a real browser (headless Chromium), as users click them."""
import unittest

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


class ChromiumTourCase(HttpCase):
    """A tour that cannot start Chromium fails instead of being skipped."""

    def start_tour(self, url_path, tour_name, **kwargs):
        try:
            return super().start_tour(url_path, tour_name, **kwargs)
        except unittest.SkipTest as reason:
            self.fail(f"The browser tour {tour_name} could not run: {reason}")


@tagged("post_install", "-at_install")
class TestTours(ChromiumTourCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wholesale.loyalty.program"].sudo().search([]).write({"active": False})
        cls.tag = cls.env["res.partner.category"].create({"name": "Tour members"})
        cls.program = cls.env["wholesale.loyalty.program"].create({
            "name": "Tour Program",
            "qualification_period": "lifetime",
            "partner_domain": str([("category_id", "in", cls.tag.ids)]),
            "tier_ids": [
                Command.create({"name": "Silver", "threshold_amount": 0}),
                Command.create({"name": "Gold", "threshold_amount": 10000, "discount_percent": 3,
                                "benefits": "<p>Free shipping</p>"}),
                Command.create({"name": "Platinum", "threshold_amount": 50000, "discount_percent": 5}),
            ],
        })
        cls.gold = cls.program.tier_ids.filtered(lambda tier: tier.name == "Gold")
        cls.customer = cls.env["res.partner"].create({
            "name": "Tour Gold Customer", "is_company": True, "email": "gold@example.com",
            "category_id": [Command.link(cls.tag.id)],
        })
        cls.customer.write({"wholesale_tier_id": cls.gold.id, "wholesale_tier_locked": True,
                            "wholesale_tier_lock_reason": "Tour fixture"})
        cls.customer.wholesale_award_points(120, "Webinar attended", reference="tour-webinar")
        cls.product = cls.env["product.product"].create({"name": "Tour goods", "list_price": 1000.0})
        company = cls.env.company
        cls.sales_rep = new_test_user(cls.env, login="tour_rep", password="tour_rep_pw",
                                      groups="sales_team.group_sale_salesman",
                                      company_id=company.id, company_ids=[company.id])

    def test_admin_creates_program_with_three_tiers(self):
        self.start_tour("/odoo", "wholesale_loyalty_program_tour", login="admin")
        program = self.env["wholesale.loyalty.program"].search([("name", "=", "Tour Partner Program")])
        self.assertEqual(program.tier_ids.sorted("threshold_amount").mapped("name"),
                         ["Tour Silver", "Tour Gold", "Tour Platinum"])
        self.assertEqual(program.tier_ids.sorted("threshold_amount").mapped("discount_percent"), [0, 3, 5])

    def test_sales_rep_redeems_points_on_gold_quotation(self):
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id, "user_id": self.sales_rep.id,
            "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 2})],
        })
        self.start_tour(f"/odoo/action-sale.action_quotations_with_onboarding/{order.id}",
                        "wholesale_loyalty_quotation_tour", login="tour_rep")
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.wholesale_tier_id, self.gold)
        self.assertEqual(order.wholesale_points_redeemed, 30)
        self.assertEqual(self.customer.wholesale_points_balance, 90)

    def test_portal_customer_sees_tier_balance_and_ledger(self):
        buyer = self.env["res.partner"].create({"name": "Tour Buyer", "email": "buyer@example.com",
                                                "parent_id": self.customer.id})
        new_test_user(self.env, login="tour_portal", password="tour_portal_pw", groups="base.group_portal",
                      partner_id=buyer.id)
        self.start_tour("/my", "wholesale_loyalty_portal_tour", login="tour_portal")

    def test_accountant_sees_early_payment_discount(self):
        accountant = new_test_user(self.env, login="tour_accountant", password="tour_accountant_pw",
                                   groups="account.group_account_invoice",
                                   company_id=self.env.company.id, company_ids=[self.env.company.id])
        term = self.env["account.payment.term"].create({
            "name": "2/10 net 30 (tour)",
            "line_ids": [Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})],
            "wholesale_discount_rule_ids": [Command.create({"kind": "early", "days": 10, "discount_percent": 2})],
        })
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice",
            "partner_id": self.customer.id,
            "invoice_date": fields.Date.context_today(self.env.user),
            "invoice_payment_term_id": term.id,
            "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": 1000.0,
                                                 "tax_ids": [Command.clear()]})],
        })
        invoice.action_post()
        self.start_tour(f"/odoo/action-account.action_move_out_invoice_type/{invoice.id}",
                        "wholesale_loyalty_early_payment_tour", login=accountant.login)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        payment = invoice._get_reconciled_payments()
        self.assertAlmostEqual(payment.amount, 980.0)
