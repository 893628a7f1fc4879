"""The tier benefits on a quotation in a real browser, as a sales rep sees them."""
from odoo import Command
from odoo.tests import new_test_user, tagged

from .test_tours import ChromiumTourCase


@tagged("post_install", "-at_install")
class TestBenefitsTour(ChromiumTourCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wholesale.loyalty.program"].sudo().search([]).write({"active": False})
        company = cls.env.company
        tag = cls.env["res.partner.category"].create({"name": "Benefits members"})
        cls.pricelist = cls.env["product.pricelist"].create({
            "name": "Gold customers pricelist", "company_id": company.id,
        })
        program = cls.env["wholesale.loyalty.program"].create({
            "name": "Benefits Program",
            "qualification_period": "lifetime",
            "partner_domain": str([("category_id", "in", tag.ids)]),
            "tier_ids": [
                Command.create({"name": "Silver", "threshold_amount": 0}),
                Command.create({"name": "Gold", "threshold_amount": 10000, "pricelist_id": cls.pricelist.id,
                                "free_shipping": True, "free_shipping_min_amount": 500}),
                Command.create({"name": "Platinum", "threshold_amount": 50000}),
            ],
        })
        gold, platinum = program.tier_ids.filtered(lambda tier: tier.name in ("Gold", "Platinum")).sorted(
            "threshold_amount"
        )
        cls.carrier = cls.env["delivery.carrier"].create({
            "name": "Benefits Express", "fixed_price": 25.0,
            "product_id": cls.env["product.product"].create({"name": "Benefits Express", "type": "service"}).id,
        })
        cls.customer = cls.env["res.partner"].create({
            "name": "Benefits Gold Customer", "is_company": True, "email": "benefits@example.com",
            "category_id": [Command.link(tag.id)], "property_delivery_carrier_id": cls.carrier.id,
        })
        # A lock is a tier change too: the customer gets Gold's pricelist from it.
        cls.customer.write({"wholesale_tier_id": gold.id, "wholesale_tier_locked": True,
                            "wholesale_tier_lock_reason": "Tour fixture"})
        cls.env["product.product"].create([
            {"name": "Benefits goods", "list_price": 1000.0, "type": "consu", "weight": 1.0},
            {"name": "Benefits Platinum exclusive", "list_price": 300.0, "type": "consu", "weight": 1.0,
             "wholesale_exclusive_tier_id": platinum.id},
        ])
        new_test_user(cls.env, login="benefits_rep", password="benefits_rep_pw",
                      groups="sales_team.group_sale_salesman", company_id=company.id, company_ids=[company.id])

    def test_sales_rep_sees_the_gold_benefits(self):
        self.assertEqual(self.customer.property_product_pricelist, self.pricelist)
        self.start_tour("/odoo/action-sale.action_quotations_with_onboarding/new",
                        "wholesale_loyalty_benefits_tour", login="benefits_rep")
        order = self.env["sale.order"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(order.pricelist_id, self.pricelist, "the quotation prices with Gold's pricelist")
        delivery = order.order_line.filtered("is_delivery")
        self.assertEqual(delivery.price_unit, 0.0)
        self.assertIn("Free shipping: Gold tier", delivery.name, "the line says why")
        self.assertAlmostEqual(delivery.wholesale_carrier_price, 25.0)
        self.assertIn("Platinum", order.wholesale_exclusive_warning)
