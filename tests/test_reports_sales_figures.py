"""One rule for sales figures: tier spend and report revenue sum the same sale documents;
the tier spend leaves rebate credit notes out, the reports' revenue is net of them."""
from datetime import date

from freezegun import freeze_time

from odoo.tests import new_test_user, tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestSalesFigures(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.write({"rebate_period": "quarter", "qualification_period": "calendar_year"})
        cls.gold.rebate_percent = 2
        with freeze_time("2026-02-10"):
            cls.invoice = cls._invoice(cls.customer, 1000, "2026-02-10")
        with freeze_time("2026-04-01"):
            cls.rebate = cls.env["wholesale.loyalty.rebate"]._settle(programs=cls.program)
        with freeze_time("2026-04-02"):
            cls.rebate.move_id.action_post()

    def _report_revenue(self, partner, user=None):
        report = self.env["wholesale.loyalty.report"].with_user(user or self.env.user)
        [(revenue,)] = report._read_group([("partner_id", "=", partner.id)], aggregates=["revenue:sum"])
        return revenue

    def test_rebate_credit_note_is_no_tier_spend_but_lowers_report_revenue(self):
        self.assertAlmostEqual(self.rebate.amount, 20.0)
        self.assertEqual(self.rebate.move_id.state, "posted")
        spend = self.program._spend_by_partner(self.customer.ids, date(2026, 1, 1), date(2026, 4, 30))
        self.assertEqual(spend, {self.customer.id: 1000.0}, "a rebate is a reward, not a smaller purchase")
        with freeze_time("2026-04-02"):
            self.customer.wholesale_recompute_tier()
        self.assertTier(self.customer, self.gold, 1000.0)
        # The accounts show 1000 invoiced and 20 credited back: the reports say 980.
        self.assertAlmostEqual(self._report_revenue(self.customer), 980.0)
        kpi = self.env["wholesale.loyalty.kpi"].create({
            "program_id": self.program.id, "date_from": "2026-01-01", "date_to": "2026-04-30",
        })
        self.assertAlmostEqual(kpi.member_revenue, 980.0)
        self.assertEqual(kpi.member_invoice_count, 1, "a rebate credit note is no invoice")

    def test_other_credit_notes_lower_both(self):
        with freeze_time("2026-04-03"):
            self._refund(self.invoice, 100, "2026-04-03")
        spend = self.program._spend_by_partner(self.customer.ids, date(2026, 1, 1), date(2026, 4, 30))
        self.assertEqual(spend, {self.customer.id: 900.0})
        self.assertAlmostEqual(self._report_revenue(self.customer), 880.0)

    def test_analysis_reads_pending_changes_without_a_flush(self):
        rep = new_test_user(
            self.env, login="wl_figures_rep", groups="sales_team.group_sale_salesman",
            company_id=self.program.company_id.id, company_ids=[self.program.company_id.id],
        )
        self.invoice.invoice_user_id = rep
        self.env.cr.execute("SELECT invoice_user_id FROM account_move WHERE id = %s", [self.invoice.id])
        self.assertNotEqual(self.env.cr.fetchone()[0], rep.id, "the change is still in the ORM only")
        rows = self.env["wholesale.loyalty.report"].search([
            ("partner_id", "=", self.customer.id), ("user_id", "=", rep.id),
        ])
        self.assertAlmostEqual(sum(rows.mapped("revenue")), 1000.0)
        # The rep, with own documents only, sees the revenue of the invoice now theirs.
        self.assertAlmostEqual(self._report_revenue(self.customer, rep), 1000.0)
        # A new invoice, and a ledger entry, count at once as well.
        with freeze_time("2026-04-05"):
            self._invoice(self.customer, 250, "2026-04-05")
        self.env["wholesale.loyalty.ledger"].sudo().create({
            "partner_id": self.customer.id, "program_id": self.program.id,
            "company_id": self.program.company_id.id, "date": "2026-04-05", "points": 7, "kind": "adjust",
            "reference": "figures-fresh",
        })
        april = self.env["wholesale.loyalty.report"].search([
            ("partner_id", "=", self.customer.id), ("date", "=", "2026-04-01"),
        ])
        self.assertAlmostEqual(sum(april.mapped("revenue")), 250.0 - 20.0)
        ledger = self.env["wholesale.loyalty.ledger"].search([
            ("partner_id", "=", self.customer.id), ("date", ">=", "2026-04-01"), ("date", "<=", "2026-04-30"),
        ])
        self.assertIn("figures-fresh", ledger.mapped("reference"))
        self.assertEqual(sum(april.mapped("points_net")), sum(ledger.mapped("points")))
