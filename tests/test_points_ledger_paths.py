"""The one path every ledger entry takes: its cost per batch and the guard on its lots."""
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import WholesaleLoyaltyCommon

# Queries a batch of ten may take beyond a batch of one: the lock, lots and balances are
# read and written per batch, so only noise of the ORM's prefetching is allowed.
BATCH_SLACK = 4


@tagged("post_install", "-at_install")
class TestLedgerPaths(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.write({"points_validity_months": 12})
        cls.gold.points_multiplier = 1.0
        cls.points = cls.env["wholesale.loyalty.points"]
        cls.ledger = cls.env["wholesale.loyalty.ledger"]
        cls.customers = cls.env["res.partner"].union(*[cls._customer(f"Batch Customer {n}") for n in range(11)])

    def _posted_unearned(self, customers, refund=None):
        """Invoices of 1000 (and their credit notes of ``refund``) posted while the program
        earns on payment: they hold nothing yet."""
        self.program.points_trigger = "paid"
        invoices = self.env["account.move"].union(*[
            self._invoice(customer, 1000.0, "2026-03-01") for customer in customers
        ])
        if refund:
            for invoice in invoices:
                self._refund(invoice, refund, "2026-03-02")
        self.assertFalse(self.ledger.search_count([("partner_id", "in", customers.ids)]))
        self.program.points_trigger = "posted"
        return invoices

    def _queries(self, work):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        work()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def _earning_queries(self, customers, refund=None):
        invoices = self._posted_unearned(customers, refund)
        return self._queries(lambda: self.points._earn_for_invoices(invoices, "posted"))

    def test_earning_a_batch_of_invoices_costs_the_same_queries_as_one(self):
        with freeze_time("2026-03-01"):
            one = self._earning_queries(self.customers[:1])
            ten = self._earning_queries(self.customers[1:])
        for customer in self.customers:
            self.assertEqual(self._balance(customer), 10, f"{customer.name} earned its points")
            self.assertEqual(self._entries(customer, "earn").remaining_points, 10)
        self.assertLessEqual(ten - one, BATCH_SLACK, f"1 invoice: {one} queries, 10 invoices: {ten}")

    def test_reversing_a_batch_of_credit_notes_costs_the_same_queries_as_one(self):
        with freeze_time("2026-03-02"):
            one = self._earning_queries(self.customers[:1], refund=400.0)
            ten = self._earning_queries(self.customers[1:], refund=400.0)
        for customer in self.customers:
            self.assertEqual(self._balance(customer), 6, f"{customer.name} keeps the points of 600")
            reversal = self._entries(customer, "reversal")
            self.assertEqual(reversal.points, -4)
            self.assertEqual(reversal.allocation_ids.lot_id, self._entries(customer, "earn"),
                             "the reversal takes its points from the lot the invoice created")
        self.assertLessEqual(ten - one, BATCH_SLACK, f"1 credit note: {one} queries, 10 credit notes: {ten}")

    def test_invoices_posted_together_pay_a_debt_once_and_give_the_welcome_bonus_once(self):
        with freeze_time("2026-03-01"):
            earlier = self._invoice(self.customer, 3000.0, "2026-03-01")
            self._redeemed_order(30, amount=1000.0)
        with freeze_time("2026-03-02"):
            # The points were spent, then their invoice credited in full: the customer owes 30.
            earlier._reverse_moves([{"invoice_date": "2026-03-02"}], cancel=True)
            self.assertEqual(self._balance(), -30)
            self.program.write({"bonus_rule_ids": [
                Command.create({"name": "Welcome", "trigger": "first_order", "points": 5}),
            ]})
            invoices = self.env["account.move"].union(*[
                self._invoice(self.customer, amount, "2026-03-02", post=False) for amount in (2000.0, 2500.0)
            ])
            invoices.action_post()
        _earlier, first, second = self._entries(kind="earn")
        welcome = self._entries(kind="bonus")
        self.assertEqual(welcome.points, 5, "the welcome bonus is given once")
        self.assertEqual(self._balance(), -30 + 20 + 25 + 5)
        self.assertEqual((first.remaining_points, second.remaining_points), (0, 15),
                         "the debt is paid by the first lot, then by the next")
        self.assertEqual(welcome.remaining_points, 5)

    def test_lots_cannot_be_changed_with_any_context(self):
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 1000.0, "2026-03-01")
        lot = self._entries(kind="earn")
        for entry in (lot, lot.sudo()):
            with self.assertRaises(UserError):
                entry.with_context(wholesale_ledger_bookkeeping=True).write({"remaining_points": 0})
        lot.invalidate_recordset()
        self.assertEqual(lot.remaining_points, 10)
        self.assertEqual(self._balance(), 10)

    def test_expiry_takes_what_is_left_of_each_lot_like_any_consuming_entry(self):
        with freeze_time("2025-01-10"):
            self._invoice(self.customer, 3000.0, "2025-01-10")
        with freeze_time("2025-03-01"):
            self._invoice(self.customer, 1000.0, "2025-03-01")
            self.customer.wholesale_award_points(5, "Trade fair")
        first, second = self._entries(kind="earn")
        with freeze_time("2026-02-01"):
            expired = self.points._expire_lots()
        self.assertEqual(expired, 1)
        expiry = self._entries(kind="expire")
        self.assertRecordValues(expiry, [{"points": -30, "reference": f"expire:{first.id}"}])
        self.assertEqual(expiry.allocation_ids.mapped("lot_id"), first)
        self.assertEqual(expiry.allocation_ids.mapped("points"), [30])
        self.assertEqual((first.remaining_points, second.remaining_points), (0, 10))
        self.assertEqual(self._balance(), 15)
        with freeze_time("2026-02-02"):
            self.assertEqual(self.points._expire_lots(), 0, "a lot expires once")
        self.assertEqual(self._balance(), 15)
