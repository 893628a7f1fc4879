"""The quotation banner says what discount the lines carry and where it comes from: a tier
discount and a tier pricelist never stack on a line (the better one applies), a pricelist that
sets the price instead prices the unit and the tier discount applies to that price."""
from odoo import Command
from odoo.tests import tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestDiscountBanner(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Pricelist rules show as line discounts (Sales > Settings > Discounts), as once a
        # program gives tier discounts.
        cls.env.ref("base.group_user")._apply_group(cls.env.ref("sale.group_discount_per_so_line"))
        cls.rich_pricelist, cls.lean_pricelist, cls.net_pricelist = cls.env["product.pricelist"].create([
            {"name": "Gold 8% off", "item_ids": [Command.create({
                "applied_on": "3_global", "compute_price": "percentage", "percent_price": 8.0})]},
            {"name": "Gold 3% off", "item_ids": [Command.create({
                "applied_on": "3_global", "compute_price": "percentage", "percent_price": 3.0})]},
            {"name": "Gold net prices", "item_ids": [Command.create({
                "applied_on": "3_global", "compute_price": "fixed", "fixed_price": 90.0})]},
        ])
        cls.product = cls.env["product.product"].create({"name": "Banner goods", "list_price": 100.0})
        cls.customer.write({"wholesale_tier_id": cls.gold.id, "wholesale_tier_locked": True,
                            "wholesale_tier_lock_reason": "Banner fixture"})

    def _quotation(self, pricelist, lines=True):
        self.gold.pricelist_id = pricelist
        return self.env["sale.order"].create({
            "partner_id": self.customer.id, "pricelist_id": pricelist.id,
            "order_line": [Command.create({"product_id": self.product.id})] if lines else [],
        })

    def test_a_better_pricelist_discount_replaces_the_tier_discount(self):
        order = self._quotation(self.rich_pricelist)
        self.assertAlmostEqual(order.order_line.discount, 8.0)
        self.assertEqual(
            order.wholesale_discount_message,
            "Lines: 8.00% from the pricelist Gold 8% off "
            "(better than the 5.00% tier discount: a line takes its best discount, never two)",
        )

    def test_a_better_tier_discount_replaces_the_pricelist_discount(self):
        order = self._quotation(self.lean_pricelist)
        self.assertAlmostEqual(order.order_line.discount, 5.0)
        self.assertEqual(order.wholesale_discount_message, "Lines: 5.00% tier discount")

    def test_a_pricelist_that_sets_the_price_takes_the_tier_discount_too(self):
        order = self._quotation(self.net_pricelist)
        self.assertAlmostEqual(order.order_line.price_unit, 90.0)
        self.assertAlmostEqual(order.order_line.discount, 5.0)
        self.assertAlmostEqual(order.order_line.price_subtotal, 85.5)
        self.assertEqual(order.wholesale_discount_message, "Lines: 5.00% tier discount")

    def test_a_discount_set_by_hand_says_so(self):
        order = self._quotation(self.lean_pricelist)
        order.order_line.discount = 12.0
        self.assertEqual(
            order.wholesale_discount_message,
            "Lines: 12.00% set by hand "
            "(better than the 5.00% tier discount: a line takes its best discount, never two)",
        )

    def test_an_empty_quotation_says_what_lines_will_get(self):
        order = self._quotation(self.rich_pricelist, lines=False)
        self.assertEqual(
            order.wholesale_discount_message,
            "Each line gets the 5.00% tier discount or the discount of the pricelist Gold 8% off, "
            "whichever is better, never both",
        )
        self.gold.pricelist_id = False
        order.pricelist_id = self.lean_pricelist
        self.assertEqual(order.wholesale_discount_message, "5.00% tier discount on every line")
