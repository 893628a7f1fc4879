"""The README's "Where to click first" in a real browser (headless Chromium), on the demo
database as each demo user clicks it: every step must work on the data the demo ships."""
from odoo.tests import tagged

from .test_tours import ChromiumTourCase


@tagged("post_install", "-at_install")
class TestToursReadme(ChromiumTourCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.northwind = ref("wholesale_loyalty.partner_northwind_demo")
        cls.contoso = ref("wholesale_loyalty.partner_contoso_demo")
        cls.fabrikam = ref("wholesale_loyalty.partner_fabrikam_demo")
        cls.gold = ref("wholesale_loyalty.tier_gold")
        cls.terms_invoice = ref("wholesale_loyalty.invoice_northwind_terms_demo")
        cls.draft_invoice = ref("wholesale_loyalty.invoice_adventure_draft_demo")

    def test_demo_has_what_the_steps_need(self):
        self.assertEqual(self.terms_invoice.invoice_payment_term_id.name, "3/10, 2/20, net 30 (wholesale)")
        self.assertEqual(self.terms_invoice.state, "posted")
        self.assertTrue(self.draft_invoice.wholesale_can_apply_prepayment,
                        "a draft invoice of a customer who paid in advance")
        self.assertEqual(self.contoso.wholesale_tier_id, self.gold)
        self.assertEqual(self.fabrikam.wholesale_tier_id.name, "Silver")

    def test_admin_steps(self):
        self.start_tour("/odoo", "wholesale_loyalty_readme_admin_tour", login="admin")
        simulation = self.env["wholesale.loyalty.simulation"].search([("name", "=", "Gold from 15,000")])
        self.assertIn(self.contoso, simulation.move_ids.partner_id)
        self.assertEqual(self.contoso.wholesale_tier_id, self.gold, "a simulation writes nothing")
        lines = simulation.sensitivity_line_ids
        self.assertEqual(sorted(set(lines.mapped("value_label")), key=lambda label: float(label.replace(",", ""))),
                         ["5,000", "10,000", "15,000", "20,000", "25,000", "30,000"])

    def test_sales_rep_steps(self):
        self.start_tour("/odoo", "wholesale_loyalty_readme_sales_tour", login="demo")
        order = self.env["sale.order"].search([("partner_id", "=", self.contoso.id)], order="id desc", limit=1)
        goods = order.order_line.filtered(lambda line: line.product_id.name == "Wholesale Box (demo)")
        self.assertAlmostEqual(goods.price_subtotal, 950.0)
        self.assertEqual(order.wholesale_points_redeemed, 50)
        delivery = order.order_line.filtered("is_delivery")
        self.assertEqual(delivery.price_unit, 0.0)
        self.assertIn("Free shipping: Gold tier", delivery.name)
        self.assertIn("Platinum", order.wholesale_exclusive_warning)
        ahead = self.env["sale.order"].search([("partner_id", "=", self.fabrikam.id)], order="id desc", limit=1)
        self.assertEqual(ahead.state, "sale")
        self.assertEqual(ahead.invoice_ids.state, "posted")
        bonus = self.env["wholesale.loyalty.ledger"].search([("sale_order_id", "=", ahead.id), ("kind", "=", "bonus")])
        self.assertEqual(sum(bonus.mapped("points")), 100, "the bonus for ordering two weeks ahead")
        offer_order = self.env["sale.order"].search([("partner_id", "=", self.northwind.id)], order="id desc", limit=1)
        self.assertEqual(offer_order.order_line.discount, 7.0)

    def test_billing_steps(self):
        self.start_tour("/odoo", "wholesale_loyalty_readme_billing_tour", login="billing")
        self.assertIn(self.terms_invoice.payment_state, ("paid", "in_payment"))
        self.assertAlmostEqual(self.terms_invoice._get_reconciled_payments().amount, 970.0)
        discount = self.draft_invoice.invoice_line_ids.filtered(lambda line: line.price_subtotal < 0)
        self.assertAlmostEqual(discount.price_subtotal, -15.0, msg="3% of 500 paid ten days ahead")
        self.assertEqual(self.fabrikam.wholesale_tier_id, self.gold)
        deco = self.env["res.partner"].search([("name", "=", "Deco Addict"), ("parent_id", "=", False)])
        self.assertEqual(deco.wholesale_tier_id, self.gold, "a paid year of Gold")
        self.assertEqual(deco._wholesale_member().membership_tier_id, self.gold)
        self.assertTrue(deco._wholesale_member().membership_until)

    def test_portal_steps(self):
        self.start_tour("/my", "wholesale_loyalty_readme_portal_tour", login="northwind")
        self.assertEqual(self.northwind.wholesale_tier_id.name, "Platinum")
