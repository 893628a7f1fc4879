"""A bonus for ordering ahead: an order confirmed at least a rule's days before its delivery
date earns the rule's points once its first invoice earns; cancelled, or its delivery date
moved closer, it gives them back."""
from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import WholesaleLoyaltyCommon

TODAY = "2026-05-04"


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestAdvanceOrderBonus(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.two_weeks, cls.month = cls.env["wholesale.loyalty.bonus.rule"].create([
            {"program_id": cls.program.id, "name": "Two weeks ahead", "trigger": "advance_order",
             "days_ahead": 14, "points": 50},
            {"program_id": cls.program.id, "name": "A month ahead", "trigger": "advance_order",
             "days_ahead": 30, "points": 120},
        ])

    def _quotation(self, delivery=None, amount=800.0):
        return self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "commitment_date": delivery and datetime.fromisoformat(delivery),
            "order_line": [Command.create({
                "product_id": self.product_a.id, "product_uom_qty": 1, "price_unit": amount,
                "tax_id": [Command.set(self.tax_sale_a.ids)],
            })],
        })

    def _confirmed_and_invoiced(self, delivery, post=True):
        order = self._quotation(delivery)
        order.action_confirm()
        invoice = order._create_invoices()
        if post:
            invoice.action_post()
        return order, invoice

    def _bonus(self, order):
        """Points the order holds for being ordered ahead."""
        entries = self.env["wholesale.loyalty.ledger"].search([
            ("sale_order_id", "=", order.id), ("kind", "in", ("bonus", "reversal")),
            "|", ("bonus_rule_id.trigger", "=", "advance_order"), ("reversed_entry_id.bonus_rule_id", "!=", False),
        ])
        return sum(entries.mapped("points"))

    def test_an_order_confirmed_a_month_ahead_earns_the_best_bonus_when_invoiced(self):
        order, _invoice = self._confirmed_and_invoiced("2026-06-05 10:00:00")  # 32 days ahead
        self.assertEqual(self._bonus(order), 120)
        self.assertEqual(self._balance(), 8 + 120)
        bonus = self._entries(kind="bonus")
        self.assertEqual(bonus.bonus_rule_id, self.month)
        self.assertIn(order.name, bonus.note)

    def test_nothing_before_the_first_invoice_earns(self):
        order, _invoice = self._confirmed_and_invoiced("2026-06-05 10:00:00", post=False)
        self.assertEqual(self._bonus(order), 0)

    def test_an_order_confirmed_too_close_to_delivery_earns_no_bonus(self):
        order, _invoice = self._confirmed_and_invoiced("2026-05-10 10:00:00")  # 6 days ahead
        self.assertEqual(self._bonus(order), 0)
        self.assertEqual(self._balance(), 8)

    def test_an_order_without_delivery_date_earns_no_bonus(self):
        order, _invoice = self._confirmed_and_invoiced(None)
        self.assertEqual(self._bonus(order), 0)

    def test_delivery_moved_closer_takes_the_bonus_back_and_later_adds_nothing(self):
        order, _invoice = self._confirmed_and_invoiced("2026-05-24 10:00:00")  # 20 days: two weeks' bonus
        self.assertEqual(self._bonus(order), 50)
        order.commitment_date = datetime(2026, 5, 8, 10)
        self.assertEqual(self._bonus(order), 0, "delivery in 4 days: no longer ordered ahead")
        self.assertEqual(self._entries(kind="reversal").sale_order_id, order)
        order.commitment_date = datetime(2026, 7, 1, 10)
        self.assertEqual(self._bonus(order), 50, "counted from the date asked at confirmation, not a later one")
        self.assertEqual(self._balance(), 8 + 50)

    def test_cancelling_the_order_takes_the_bonus_back(self):
        order, invoice = self._confirmed_and_invoiced("2026-06-05 10:00:00")
        invoice.button_draft()
        self.assertEqual(self._bonus(order), 0, "its invoice holds no points any more")
        invoice.action_post()
        self.assertEqual(self._bonus(order), 120)
        invoice.button_cancel()
        order._action_cancel()
        self.assertEqual(self._bonus(order), 0)
        self.assertEqual(self._balance(), 0)

    def test_with_the_paid_trigger_the_bonus_comes_with_the_points_when_paid(self):
        self.program.points_trigger = "paid"
        order, invoice = self._confirmed_and_invoiced("2026-06-05 10:00:00")
        self.assertEqual(self._bonus(order), 0)
        self._pay(invoice, TODAY)
        self.assertEqual(self._bonus(order), 120)

    def test_a_down_payment_does_not_earn_the_bonus_the_goods_do(self):
        order = self._quotation("2026-06-05 10:00:00")
        order.action_confirm()
        self.env["sale.advance.payment.inv"].with_context(active_model="sale.order", active_ids=order.ids).create({
            "advance_payment_method": "percentage", "amount": 30,
        }).create_invoices()
        order.invoice_ids.action_post()
        self.assertEqual(self._bonus(order), 0)
        order._create_invoices(final=True).action_post()
        self.assertEqual(self._bonus(order), 120)

    def test_quotation_banner_offers_the_bonus(self):
        quotation = self._quotation()
        self.assertEqual(quotation.wholesale_advance_order_message,
                         "Confirm today for delivery on or after 05/18/2026: +50 points")
        quotation.commitment_date = datetime(2026, 6, 10, 10)
        self.assertEqual(quotation.wholesale_advance_order_message,
                         "Confirm today for delivery on or after 06/03/2026: +120 points")
        quotation.action_confirm()
        self.assertFalse(quotation.wholesale_advance_order_message)

    def test_a_rule_ahead_of_delivery_needs_its_days(self):
        for days in (0, -3):
            with self.subTest(days=days), self.assertRaises(ValidationError), self.cr.savepoint():
                self.env["wholesale.loyalty.bonus.rule"].create({
                    "program_id": self.program.id, "name": "Ahead", "trigger": "advance_order",
                    "days_ahead": days, "points": 10,
                })
        self.assertEqual(len(self.program.bonus_rule_ids), 2, "nothing was written")

    def test_the_date_asked_at_confirmation_is_recorded_by_the_add_on_only(self):
        rep = self._company_user("wl_advance_rep", "sales_team.group_sale_salesman")
        order = self._quotation("2026-05-24 10:00:00")
        order.user_id = rep
        order.with_user(rep).action_confirm()
        self.assertEqual(order.wholesale_commitment_date_confirmed, datetime(2026, 5, 24, 10))
        with self.assertRaises(AccessError):
            order.with_user(rep).write({"wholesale_commitment_date_confirmed": datetime(2026, 8, 1)})
