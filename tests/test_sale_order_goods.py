"""An order's goods, one rule (``sale.order.line._wholesale_is_goods``): products, not
sections, notes, down payments, payments with points or the delivery. They take the tier
discount, points pay for them and are capped on them, and free shipping counts them."""
from freezegun import freeze_time

from odoo.tests import tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestSaleOrderGoods(WholesaleLoyaltyCommon):
    """Alpha is Gold (5% off, free shipping from 500 of goods) with the 15 points of an
    invoice of 1,500; a point is worth 1, and points pay at most 20% of an order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gold.write({"free_shipping": True, "free_shipping_min_amount": 500.0})
        cls.carrier = cls._express_carrier()
        with freeze_time("2026-04-01"):
            cls._invoice(cls.customer, 1500.0, "2026-04-01")

    def test_the_points_cap_counts_the_goods_not_the_delivery(self):
        """A Silver customer pays 20 of shipping on 100 of goods: points pay at most 20% of
        the 100, not of 120 (the delivery is no goods, as in Odoo's own loyalty)."""
        silver = self._customer("Beta Silver")
        with freeze_time("2026-04-01"):
            self._invoice(silver, 900.0, "2026-04-01")
        order, delivery = self._quotation_with_delivery(self.carrier, silver, 100.0)
        self.assertAlmostEqual(delivery.price_unit, 20.0)
        self.assertEqual(order.order_line - delivery, order._wholesale_goods_lines())
        self.assertAlmostEqual(order._wholesale_points_base(), 100.0)
        self.assertEqual(order._wholesale_redeem_cap(self.program), 20)

    def test_free_shipping_counts_the_goods_before_points_pay_for_them(self):
        """540 less the Gold 5% is 513 of goods: shipping is free, and stays free when 15
        points pay part of them (points are a payment, not less goods)."""
        order, delivery = self._quotation_with_delivery(self.carrier, self.customer, 540.0)
        self.assertEqual(delivery.price_unit, 0.0)
        points_line = self._redeem(order, 15)
        self.assertAlmostEqual(points_line.price_subtotal, -15.0)
        self.assertNotIn(points_line, order._wholesale_goods_lines())
        order._wholesale_update_free_shipping()
        self.assertEqual(delivery.price_unit, 0.0)
        self.assertIn("Free shipping: Gold tier", delivery.name)

    def test_a_delivery_alone_is_no_goods(self):
        order = self.env["sale.order"].create({"partner_id": self.customer.id})
        order.set_delivery_line(self.carrier, 20.0)
        self.assertTrue(order.order_line.is_delivery)
        self.assertFalse(order.wholesale_has_goods, "nothing for points to pay for")
        self.assertEqual(order.order_line.discount, 0.0, "the delivery takes no tier discount")
