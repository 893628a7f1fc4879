"""What sales reps see and get on quotations."""
from freezegun import freeze_time

from odoo.tests import Form, tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestSaleOrderTier(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2026-04-01"):
            cls._invoice(cls.customer, 1500.0, "2026-03-30")

    def test_quotation_shows_tier_benefits_and_next_tier(self):
        order = self._quotation()
        self.assertEqual(order.wholesale_tier_id, self.gold)
        self.assertIn("Free shipping", order.wholesale_tier_benefits)
        self.assertIn("Platinum", order.wholesale_next_tier_message)
        self.assertIn("3,500.00", order.wholesale_next_tier_message)

    def test_tier_discount_fills_order_lines(self):
        order = self._quotation()
        self.assertEqual(order.order_line.discount, 5.0)
        self.assertAlmostEqual(order.amount_untaxed, 950.0)

    def test_tier_discount_in_the_form(self):
        with Form(self.env["sale.order"]) as form:
            form.partner_id = self.customer
            with form.order_line.new() as line:
                line.product_id = self.product_a
        self.assertEqual(form.record.order_line.discount, 5.0)

    def test_no_discount_when_program_does_not_apply_it(self):
        self.program.apply_tier_discount = False
        order = self._quotation()
        self.assertEqual(order.order_line.discount, 0.0)

    def test_contact_orders_get_company_tier(self):
        buyer = self.env["res.partner"].create({"name": "Buyer", "parent_id": self.customer.id})
        order = self._quotation(buyer)
        self.assertEqual(order.wholesale_tier_id, self.gold)
        self.assertEqual(order.order_line.discount, 5.0)

    def test_tier_is_frozen_at_confirmation(self):
        order = self._quotation()
        order.action_confirm()
        self.assertEqual(order.wholesale_tier_id, self.gold)
        with freeze_time("2026-04-02"):
            self._invoice(self.customer, 4000.0, "2026-04-02")
        self.assertTier(self.customer, self.platinum)
        order.invalidate_recordset()
        self.assertEqual(order.wholesale_tier_id, self.gold, "a confirmed order keeps its tier")
        self.assertFalse(order.wholesale_next_tier_message)

    def test_refresh_takes_the_new_tier_into_a_quotation(self):
        order = self._quotation()
        with freeze_time("2026-04-02"):
            self._invoice(self.customer, 4000.0, "2026-04-02")
        order.action_wholesale_refresh_tier()
        self.assertEqual(order.wholesale_tier_id, self.platinum)
        self.assertEqual(order.order_line.discount, 10.0)

    def test_non_member_sees_no_tier(self):
        outsider = self.env["res.partner"].create({"name": "Walk-in"})
        order = self._quotation(outsider)
        self.assertFalse(order.wholesale_tier_id)
        self.assertEqual(order.order_line.discount, 0.0)
