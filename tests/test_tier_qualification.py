"""Qualifying spend by basis and period, at the boundaries."""
from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestTierQualification(WholesaleLoyaltyCommon):

    def test_invoiced_lifetime_exact_threshold_reaches_tier(self):
        with freeze_time("2026-03-10"):
            self._invoice(self.customer, 999.99, "2026-03-01")
            self.assertTier(self.customer, self.silver, 999.99)
            self._invoice(self.customer, 0.01, "2026-03-02")
            self.assertTier(self.customer, self.gold, 1000.0)

    def test_untaxed_amount_counts(self):
        with freeze_time("2026-03-10"):
            invoice = self._invoice(self.customer, 1000.0, "2026-03-01")
            self.assertGreater(invoice.amount_total, invoice.amount_untaxed)
            self.assertTier(self.customer, self.gold, 1000.0)

    def test_credit_note_reduces_spend_and_downgrades(self):
        with freeze_time("2026-03-10"):
            invoice = self._invoice(self.customer, 1200.0, "2026-03-01")
            self.assertTier(self.customer, self.gold, 1200.0)
            self._refund(invoice, 300.0, "2026-03-05")
            self.assertTier(self.customer, self.silver, 900.0)

    def test_draft_and_cancelled_invoices_do_not_count(self):
        with freeze_time("2026-03-10"):
            self._invoice(self.customer, 5000.0, "2026-03-01", post=False)
            posted = self._invoice(self.customer, 1500.0, "2026-03-01")
            self.customer.wholesale_recompute_tier()
            self.assertTier(self.customer, self.gold, 1500.0)
            posted.button_draft()
            self.assertTier(self.customer, self.silver, 0.0)
            posted.button_cancel()
            self.assertTier(self.customer, self.silver, 0.0)

    def test_commercial_partner_aggregates_contacts(self):
        buyer = self.env["res.partner"].create({"name": "Buyer One", "parent_id": self.customer.id})
        other_buyer = self.env["res.partner"].create({"name": "Buyer Two", "parent_id": self.customer.id})
        with freeze_time("2026-03-10"):
            self._invoice(buyer, 600.0, "2026-03-01")
            self._invoice(other_buyer, 500.0, "2026-03-02")
        self.assertTier(self.customer, self.gold, 1100.0)
        # Contacts show their company's values.
        self.assertTier(buyer, self.gold, 1100.0)
        self.assertEqual(buyer.wholesale_status()[0]["tier"], "Gold")
        self.assertEqual(buyer.wholesale_status()[0]["commercial_partner_id"], self.customer.id)
        self.assertFalse(self._history(buyer), "history lives on the commercial partner")
        self.assertEqual(buyer._wholesale_member(), self.customer._wholesale_member(), "and so does the account")

    def test_paid_basis_counts_paid_invoices_only(self):
        self.program.qualification_basis = "paid"
        with freeze_time("2026-03-10"):
            invoice = self._invoice(self.customer, 2000.0, "2026-03-01")
            self.assertTier(self.customer, self.silver, 0.0)
            self._pay(invoice, "2026-03-05", amount=invoice.amount_total / 2)
            self.assertTier(self.customer, self.silver, 0.0)
            self._pay(invoice, "2026-03-06")
            self.assertIn(invoice.payment_state, ("paid", "in_payment"))
            self.assertTier(self.customer, self.gold, 2000.0)

    def test_paid_basis_fully_refunded_invoice_cancels_out(self):
        self.program.qualification_basis = "paid"
        with freeze_time("2026-03-10"):
            invoice = self._invoice(self.customer, 2000.0, "2026-03-01")
            self._pay(invoice, "2026-03-02")
            self.assertTier(self.customer, self.gold, 2000.0)
            reversal = invoice._reverse_moves([{"invoice_date": "2026-03-05"}], cancel=True)
            self.assertEqual(reversal.state, "posted")
            self.customer.wholesale_recompute_tier()
            self.assertTier(self.customer, self.silver, 0.0)

    def test_confirmed_basis_counts_confirmed_orders(self):
        self.program.qualification_basis = "confirmed"
        with freeze_time("2026-03-10"):
            order = self.env["sale.order"].create({
                "partner_id": self.customer.id,
                "order_line": [Command.create({"product_id": self.product_a.id, "product_uom_qty": 2,
                                               "price_unit": 700.0, "tax_id": [Command.clear()]})],
            })
            self.assertTier(self.customer, self.silver, 0.0)
            order.action_confirm()
            self.assertTier(self.customer, self.gold, 1400.0)
            order._action_cancel()
            self.assertTier(self.customer, self.silver, 0.0)

    def test_rolling_period_boundaries(self):
        self.program.write({"qualification_period": "rolling", "period_months": 12})
        with freeze_time("2025-03-16"):
            self._invoice(self.customer, 1000.0, "2025-03-16")
        with freeze_time("2026-03-15"):
            self.customer.wholesale_recompute_tier()
            self.assertTier(self.customer, self.gold, 1000.0)
        with freeze_time("2026-03-16"):
            self.customer.wholesale_recompute_tier()
            self.assertTier(self.customer, self.silver, 0.0)

    def test_previous_month_period(self):
        self.program.qualification_period = "previous_month"
        with freeze_time("2026-02-28"):
            self._invoice(self.customer, 700.0, "2026-01-31")
            self._invoice(self.customer, 400.0, "2026-02-01")
            self._invoice(self.customer, 900.0, "2026-02-28")
            self.customer.wholesale_recompute_tier()
            self.assertTier(self.customer, self.silver, 700.0)
        with freeze_time("2026-03-01"):
            self.customer.wholesale_recompute_tier()
            self.assertTier(self.customer, self.gold, 1300.0)

    def test_calendar_year_period(self):
        self.program.qualification_period = "calendar_year"
        with freeze_time("2026-12-31"):
            self._invoice(self.customer, 800.0, "2025-12-31")
            self._invoice(self.customer, 1000.0, "2026-01-01")
            self.customer.wholesale_recompute_tier()
            self.assertTier(self.customer, self.gold, 1000.0)
        with freeze_time("2027-01-01"):
            self.customer.wholesale_recompute_tier()
            self.assertTier(self.customer, self.silver, 0.0)

    def test_only_partners_matching_the_domain_are_members(self):
        outsider = self.env["res.partner"].create({"name": "Outsider", "is_company": True})
        with freeze_time("2026-03-10"):
            self._invoice(outsider, 3000.0, "2026-03-01")
        self.assertFalse(outsider.wholesale_program_id)
        self.assertFalse(outsider.wholesale_tier_id)
        outsider.category_id = [Command.link(self.member_tag.id)]
        outsider.wholesale_recompute_tier()
        self.assertEqual(outsider.wholesale_program_id, self.program)
        self.assertTier(outsider, self.gold, 3000.0)
        self.assertEqual(self._history(outsider).reason, "enrollment")
        outsider.category_id = [Command.unlink(self.member_tag.id)]
        outsider.wholesale_recompute_tier()
        self.assertFalse(outsider.wholesale_program_id)
        self.assertFalse(outsider.wholesale_tier_id)

    def test_other_company_invoices_do_not_count(self):
        other = self.setup_other_company()["company"]
        self.customer.company_id = False
        with freeze_time("2026-03-10"):
            self._invoice(self.customer, 3000.0, "2026-03-01", company_id=other.id,
                          journal_id=self.env["account.journal"].search(
                              [("company_id", "=", other.id), ("type", "=", "sale")], limit=1).id,
                          taxes=self.env["account.tax"])
            self.customer.wholesale_recompute_tier()
        self.assertTier(self.customer, self.silver, 0.0)
