"""An order invoiced in parts, a down payment first and the rest later, earns the points rule on
what its invoices invoice in total: 800 earns 8 points, whatever the parts."""
from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-05-04")
class TestPointsDownPayments(WholesaleLoyaltyCommon):

    def _order(self, amount=800.0):
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [Command.create({
                "product_id": self.product_a.id, "product_uom_qty": 1, "price_unit": amount,
                "tax_id": [Command.set(self.tax_sale_a.ids)],
            })],
        })
        order.action_confirm()
        return order

    def _invoice_order(self, order, method, **values):
        self.env["sale.advance.payment.inv"].with_context(active_model="sale.order", active_ids=order.ids).create({
            "advance_payment_method": method, **values,
        }).create_invoices()
        invoice = order.invoice_ids.sorted("id")[-1]
        invoice.action_post()
        return invoice

    def _down_payment_then_rest(self, percent=30):
        order = self._order()
        down_payment = self._invoice_order(order, "percentage", amount=percent)
        final = self._invoice_order(order, "delivered")
        return down_payment, final

    def _points_of(self, invoice):
        """What the invoice holds: its earn entries net of what reversed them since."""
        earned = self.env["wholesale.loyalty.ledger"].search([("move_id", "=", invoice.id), ("kind", "=", "earn")])
        nets = self.env["wholesale.loyalty.points"]._nets(earned)
        return sum(nets.get(entry.id, 0) for entry in earned)

    def _credit(self, invoice):
        self.env["account.move.reversal"].with_context(active_model="account.move", active_ids=invoice.ids).create({
            "journal_id": invoice.journal_id.id, "reason": "Money given back",
        }).refund_moves()
        refund = invoice.reversal_move_ids
        refund.action_post()
        return refund

    def test_a_down_payment_and_the_final_invoice_earn_the_rule_on_the_order(self):
        down_payment, final = self._down_payment_then_rest()
        self.assertAlmostEqual(down_payment.amount_untaxed, 240.0, places=2)
        self.assertAlmostEqual(final.amount_untaxed, 560.0, places=2)
        self.assertEqual(self._points_of(down_payment), 0, "a down payment is money in advance, not a purchase")
        self.assertEqual(self._points_of(final), 8, "the invoice of the goods earns on the whole order")
        self.assertEqual(self._balance(), 8)

    def test_the_minimum_order_amount_applies_to_the_order_not_its_parts(self):
        self.program.points_min_order_amount = 500.0
        self._down_payment_then_rest(percent=50)  # 400 and 400, each below the minimum
        self.assertEqual(self._balance(), 8)

    def test_with_the_paid_trigger_the_order_earns_when_its_goods_are_paid(self):
        self.program.points_trigger = "paid"
        down_payment, final = self._down_payment_then_rest()
        self._pay(down_payment, "2026-05-04")
        self.assertEqual(self._balance(), 0)
        self._pay(final, "2026-05-04")
        self.assertEqual(self._balance(), 8)

    def test_a_full_credit_note_of_the_final_invoice_takes_the_order_points_back(self):
        _down_payment, final = self._down_payment_then_rest()
        self._credit(final)
        self.assertEqual(self._balance(), 0)

    def test_a_down_payment_credited_after_it_was_deducted_takes_its_points_back(self):
        down_payment, final = self._down_payment_then_rest()
        refund = self._credit(down_payment)
        self.assertEqual(self._points_of(final), 5, "the order now invoices 560 in total")
        self.assertEqual(self._balance(), 5)
        refund.button_draft()
        self.assertEqual(self._points_of(final), 8, "the down payment is invoiced again")
        self.assertEqual(self._balance(), 8)

    def test_a_down_payment_reset_to_draft_after_it_was_deducted_and_posted_again(self):
        down_payment, final = self._down_payment_then_rest()
        down_payment.button_draft()
        self.assertEqual(self._balance(), 5)
        down_payment.action_post()
        self.assertEqual(self._balance(), 8)
        self.assertEqual(self._points_of(final), 8)

    def test_a_credit_note_on_the_final_invoice_takes_back_on_the_goods(self):
        self.program.apply_tier_discount = False
        self.customer.write({"wholesale_tier_id": self.gold.id, "wholesale_tier_locked": True,
                             "wholesale_tier_lock_reason": "Key account"})  # earns 1.5 points per 100
        _down_payment, final = self._down_payment_then_rest()
        self.assertEqual(self._balance(), 12)
        earn = self._entries(kind="earn")
        self.assertEqual(earn.points_multiplier, 1.5, "the entry records the multiplier it earned at")
        self._refund(final, 300.0, "2026-05-04")  # 500 of goods kept: 5 x 1.5
        self.assertEqual(self._balance(), 7)
