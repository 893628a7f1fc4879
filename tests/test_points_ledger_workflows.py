"""Points follow the money: orders cancelled after invoicing, credit notes posted, reset and
cancelled, lots expired or reversed before points come back, and expiry runs that go on."""
from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import WholesaleLoyaltyCommon

POINTS_LOGGER = "odoo.addons.wholesale_loyalty.models.wholesale_loyalty_points"


@tagged("post_install", "-at_install")
class TestLedgerWorkflows(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.points_validity_months = 12
        cls.gold.points_multiplier = 1.0
        cls.ledger = cls.env["wholesale.loyalty.ledger"]

    def _paid_points(self, amount, date):
        """Points earned on payment, so that the orders' own invoices (unpaid) earn nothing here."""
        self.program.points_trigger = "paid"
        self._pay(self._invoice(self.customer, amount, date), date)

    def assertLedgerConsistent(self, partner=None):
        """Balance = sum of the ledger = open lots - debt, and open lots only when no debt."""
        partner = partner or self.customer
        balance = self._balance(partner)
        open_points = sum(self._entries(partner).filtered(lambda e: e.points > 0).mapped("remaining_points"))
        self.assertEqual(open_points, max(balance, 0), "open lots hold the balance, debt is paid first")
        return balance

    def _order_with_points(self, points, amount=1000.0):
        order = self._quotation(amount=amount)
        self._redeem(order, points)
        order.action_confirm()
        return order

    def _invoice_order(self, order, points_share=1.0):
        invoice = order._create_invoices()
        if points_share != 1.0:
            line = invoice.invoice_line_ids.filtered(lambda aml: aml.product_id == self.program.redemption_product_id)
            line.quantity = points_share
        invoice.action_post()
        return invoice

    def _credit_note(self, invoice, points_share=1.0, post=True):
        refund = invoice._reverse_moves([{"invoice_date": invoice.invoice_date}])
        if points_share != 1.0:
            line = refund.invoice_line_ids.filtered(lambda aml: aml.product_id == self.program.redemption_product_id)
            line.quantity = points_share
        if post:
            refund.action_post()
        return refund

    def _cancel(self, order):
        order.with_context(disable_cancel_warning=True).action_cancel()

    # ---------------------------------------------------------------- order cancelled after invoicing

    def test_cancelling_an_invoiced_order_keeps_the_points_the_invoice_used(self):
        with freeze_time("2026-03-01"):
            self._paid_points(20000.0, "2026-03-01")  # 200 points
            order = self._order_with_points(100)
            invoice = self._invoice_order(order)
            self.assertEqual(self._balance(), 100)
            self._cancel(order)
            self.assertEqual(order.state, "cancel")
            self.assertEqual(self._balance(), 100, "the posted invoice still has the points discount")
            refund = self._credit_note(invoice)
            self.assertEqual(self._balance(), 200, "the credit note refunds the discount in points")
            refund.button_draft()
            self.assertEqual(self._balance(), 100, "a credit note reset to draft takes them again")
            refund.button_cancel()
            self.assertEqual(self._balance(), 100)
        self.assertLedgerConsistent()

    def test_credit_note_gives_back_points_in_proportion_to_the_amount_it_credits(self):
        with freeze_time("2026-03-01"):
            self._paid_points(20000.0, "2026-03-01")
            order = self._order_with_points(100)
            invoice = self._invoice_order(order)
            refund = self._credit_note(invoice, points_share=0.25)
            self.assertEqual(self._balance(), 125, "a quarter of the points line credited: 25 points back")
            self._cancel(order)
            self.assertEqual(self._balance(), 125, "the rest of the points line stays on the posted invoice")
            self._credit_note(invoice, points_share=0.75)
            self.assertEqual(self._balance(), 200, "never more than was redeemed comes back")
            refund.button_draft()
            self.assertEqual(self._balance(), 175)
        self.assertLedgerConsistent()

    def test_cancel_gives_back_only_what_is_not_on_a_posted_invoice(self):
        with freeze_time("2026-03-01"):
            self._paid_points(20000.0, "2026-03-01")
            order = self._order_with_points(100)
            invoice = self._invoice_order(order, points_share=0.4)  # 40 points invoiced so far
            self._cancel(order)
            self.assertEqual(self._balance(), 160)
            invoice.button_draft()
            self.assertEqual(self._balance(), 200, "an invoice back to draft no longer uses the points")
            invoice.action_post()
            self.assertEqual(self._balance(), 160)
        self.assertLedgerConsistent()

    # ---------------------------------------------------------------- restores into expired lots

    def test_points_restored_after_their_lot_expired_expire_again_without_blocking_the_run(self):
        self.program.points_validity_months = 1
        points = self.env["wholesale.loyalty.points"]
        with freeze_time("2026-01-10"):
            self._invoice(self.customer, 2000.0, "2026-01-10")  # 20 points, expire 2026-02-10
            order = self._order_with_points(10)
        with freeze_time("2026-02-15"):
            self.assertEqual(points._expire_lots(), 1)
        with freeze_time("2026-02-16"):
            self._cancel(order)
            self.assertEqual(self.assertLedgerConsistent(), 10)
        lot = self._entries(kind="earn")
        self.assertEqual(lot.remaining_points, 0, "an expired lot takes nothing back")
        with freeze_time("2026-02-17"):
            self.assertEqual(points._expire_lots(), 1, "the restored points keep their expiry")
            self.assertEqual(points._expire_lots(), 0)
        self.assertEqual(self._entries(kind="expire").mapped("points"), [-10, -10])
        self.assertEqual(self.assertLedgerConsistent(), 0)

    def test_one_customer_failing_does_not_stop_the_expiry_of_the_others(self):
        self.program.points_validity_months = 1
        other = self._customer("Beta Trading")
        with freeze_time("2026-01-10"):
            self._invoice(self.customer, 2000.0, "2026-01-10")
            self._invoice(other, 3000.0, "2026-01-10")
        broken_lot = self._entries(kind="earn")
        # A cause recorded by an earlier version under the reference the expiry would use.
        self.ledger.sudo().create({
            "partner_id": self.customer.id, "program_id": self.program.id,
            "company_id": self.program.company_id.id, "points": -1, "kind": "expire",
            "reference": f"expire:{broken_lot.id}", "date": "2026-01-11",
        })
        with freeze_time("2026-02-15"), mute_logger("odoo.sql_db"), \
                self.assertLogs(POINTS_LOGGER, level="ERROR") as logs:
            self.assertEqual(self.env["wholesale.loyalty.points"]._expire_lots(), 1)
        self.assertIn(str(self.customer.id), logs.output[0])
        self.assertEqual(self.assertLedgerConsistent(other), 0, "the other customer's points expired")
        self.assertEqual(broken_lot.remaining_points, 20, "the failing customer is left for the next run")

    # ---------------------------------------------------------------- restores into reversed lots

    def test_restoring_points_of_a_reversed_lot_pays_the_debt_first(self):
        self.program.points_validity_months = 1
        with freeze_time("2026-03-01"):
            earning = self._invoice(self.customer, 4000.0, "2026-03-01")  # 40 points
            order = self._order_with_points(40)
            self._credit_note(earning)
            self.assertEqual(self.assertLedgerConsistent(), -40)
            self._cancel(order)
        self.assertEqual(self.assertLedgerConsistent(), 0)
        self.assertEqual(self._entries(kind="earn").remaining_points, 0, "a reversed lot takes nothing back")
        with freeze_time("2026-06-01"):
            self.env["wholesale.loyalty.points"]._expire_lots()
        self.assertEqual(self.assertLedgerConsistent(), 0, "nothing expires into a negative balance")

    def test_restoring_points_of_a_reversed_lot_goes_to_a_new_lot(self):
        self.program.points_validity_months = 1
        with freeze_time("2026-03-01"):
            earning = self._invoice(self.customer, 4000.0, "2026-03-01")  # 40 points
        with freeze_time("2026-03-05"):
            self._invoice(self.customer, 3000.0, "2026-03-05")  # 30 points
            order = self._order_with_points(40)  # all from the first lot
            self._credit_note(earning)  # takes 30 from the second lot and leaves 10 owed
            self.assertEqual(self.assertLedgerConsistent(), -10)
            self._cancel(order)
        self.assertEqual(self.assertLedgerConsistent(), 30)
        first, _second = self._entries(kind="earn")
        self.assertEqual(first.remaining_points, 0)
        with freeze_time("2026-06-01"):
            self.env["wholesale.loyalty.points"]._expire_lots()
        self.assertEqual(self.assertLedgerConsistent(), 0)

    # ---------------------------------------------------------------- credit notes reset and cancelled

    def test_credit_note_reset_and_cancelled_gives_its_points_back(self):
        with freeze_time("2026-03-01"):
            invoice = self._invoice(self.customer, 12345.0, "2026-03-01")
            wrong = self._refund(invoice, 345.0, "2026-03-02")
            self.assertEqual(self._balance(), 120)
            wrong.button_draft()
            self.assertEqual(self._balance(), 123, "reset to draft gives back exactly what it took")
            wrong.action_post()
            self.assertEqual(self._balance(), 120, "posting again takes again")
            wrong.button_draft()
            wrong.button_cancel()
            self.assertEqual(self._balance(), 123)
            self._refund(invoice, 12000.0, "2026-03-03")
        self.assertEqual(self.assertLedgerConsistent(), 3, "only the posted credit note counts: 345 left")

    def test_credit_note_linked_to_no_invoice_takes_the_points_of_its_money(self):
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 12345.0, "2026-03-01")
            self.assertEqual(self._balance(), 123)
            loose = self._invoice(self.customer, 5000.0, "2026-03-02", move_type="out_refund", post=False)
            self.assertFalse(loose.reversed_entry_id)
            loose.action_post()
            self.assertEqual(self._balance(), 73, "the money given back takes its 50 points")
            loose._wholesale_sync_points()
            self.assertEqual(self._balance(), 73, "taken once")
            loose.button_draft()
            self.assertEqual(self._balance(), 123, "no longer posted: the points come back")
            loose.action_post()
            self.assertEqual(self._balance(), 73)
            loose.button_draft()
            loose.button_cancel()
            self.assertEqual(self._balance(), 123)
        self.assertLedgerConsistent()

    def test_credit_notes_are_recounted_from_those_posted(self):
        with freeze_time("2026-03-01"):
            invoice = self._invoice(self.customer, 250.0, "2026-03-01")  # 2 points
            first = self._refund(invoice, 50.0, "2026-03-02")
            self.assertEqual(self._balance(), 2, "200 still earns 2")
            self._refund(invoice, 50.0, "2026-03-02")
            self.assertEqual(self._balance(), 1)
            first.button_draft()
            self.assertEqual(self._balance(), 2, "200 net once the first credit note is withdrawn")
            invoice.button_draft()
            self.assertEqual(self._balance(), 0)
            invoice.action_post()
        self.assertEqual(self.assertLedgerConsistent(), 2)


def test_points_to_hold_follows_the_net_amount():
    from odoo.addons.wholesale_loyalty.tools.points_rules import points_for_amount, points_to_hold

    def rule(amount):
        return points_for_amount(amount, 100.0, 1)

    assert points_to_hold(123, 12345.0 - 345.0, rule) == 120
    assert points_to_hold(123, 0.0, rule) == 0
    assert points_to_hold(123, -50.0, rule) == 0
    assert points_to_hold(2, 250.0 - 50.0, rule) == 2
