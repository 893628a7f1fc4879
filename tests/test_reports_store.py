"""The analysis store (wholesale_loyalty_reports/tools/analysis_store.py): the customer
months and the totals that PostgreSQL keeps up to date as documents move, against a
recomputation from the documents, and the analysis' groupings read from the totals."""
from odoo import Command
from odoo.tests import tagged

from odoo.addons.wholesale_loyalty_reports.tools import analysis_store

from .test_reports_common import WholesaleReportsCommon

MONTH_COLUMNS = (*analysis_store.MONTH_KEY, *analysis_store.MEASURES, "movement_count")
TOTAL_COLUMNS = (*analysis_store.TOTAL_KEY, *analysis_store.MEASURES, "row_count")
AGGREGATES = ["revenue:sum", "invoice_count:sum", "refund_count:sum", "points_earned:sum", "points_net:sum", "__count"]
# A condition on the customer: the grouping must read the customer months.
BY_CUSTOMER = [("partner_id", "!=", False)]


@tagged("post_install", "-at_install")
class TestReportsStore(WholesaleReportsCommon):

    # ------------------------------------------------------------------ helpers

    def _contents(self):
        """Both tables as sets of rows, the totals folded."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(f"SELECT {', '.join(MONTH_COLUMNS)} FROM {analysis_store.MONTH_TABLE}")  # noqa: S608
        months = sorted(cr.fetchall(), key=str)
        analysis_store.compact(cr)
        cr.execute(f"SELECT {', '.join(TOTAL_COLUMNS)} FROM {analysis_store.TOTAL_TABLE}")  # noqa: S608
        totals = sorted(cr.fetchall(), key=str)
        return months, totals

    def assertStoreMatchesDocuments(self):
        kept = self._contents()
        self.env["wholesale.loyalty.report"]._rebuild_store()
        self.assertEqual(kept, self._contents(), "the triggers kept what a recomputation finds")

    def _grouped(self, report, domain, groupby, **options):
        return report._read_group(domain, groupby, AGGREGATES, **options)

    def assertTotalsAnswerLikeCustomerMonths(self, report, groupby, domain=(), **options):
        summary = self.env["wholesale.loyalty.report.summary"]
        self.assertTrue(summary._can_answer(list(domain), groupby, AGGREGATES, (), options.get("order")))
        from_totals = self._grouped(report, list(domain), groupby, **options)
        from_months = self._grouped(report, list(domain) + BY_CUSTOMER, groupby, **options)
        self.assertEqual(from_totals, from_months, f"grouped by {groupby}")
        self.assertTrue(from_totals, "the comparison has groups to compare")
        return from_totals

    # ------------------------------------------------------------------ the store follows the documents

    def test_fixture_is_in_the_store(self):
        self.assertStoreMatchesDocuments()
        months, _totals = self._contents()
        # Alpha in February: the invoice and its credit note under their salesperson, the
        # points under Alpha's.
        alpha_february = [row for row in months if row[0] == self.alpha.id and str(row[3]) == "2026-02-01"]
        figures = [sum(row[index] for row in alpha_february) for index in (4, 5, 6, 7)]
        self.assertEqual(figures, [1700, 1, 1, 20])

    def test_invoice_lifecycle(self):
        invoice = self._invoice(self.nu, 450, "2026-03-12")
        self.assertStoreMatchesDocuments()
        invoice.button_draft()
        self.assertStoreMatchesDocuments()
        invoice.invoice_line_ids.price_unit = 900
        invoice.action_post()
        self.assertStoreMatchesDocuments()
        invoice.invoice_user_id = self.env.ref("base.user_demo")
        self.assertStoreMatchesDocuments()
        self._refund(invoice, 200, "2026-03-15")
        invoice.button_draft()
        invoice.button_cancel()
        self.assertStoreMatchesDocuments()
        report = self.env["wholesale.loyalty.report"].search([
            ("partner_id", "=", self.nu.id), ("date", "=", "2026-03-01"),
        ])
        self.assertEqual(sum(report.mapped("revenue")), 700 - 200, "the cancelled invoice left, its credit note stays")

    def test_customer_changes_move_its_history(self):
        self.alpha.wholesale_tier_id = self.platinum
        self.assertStoreMatchesDocuments()
        self.beta.write({"country_id": self.env.ref("base.bg").id, "user_id": self.env.ref("base.user_demo").id})
        self.assertStoreMatchesDocuments()
        self.gamma.write({"wholesale_program_id": False, "wholesale_tier_id": False})
        self.assertStoreMatchesDocuments()
        platinum = self.env["wholesale.loyalty.report"]._read_group(
            [("tier_id", "=", self.platinum.id)], [], ["revenue:sum"],
        )[0][0]
        self.assertEqual(
            platinum,
            sum(self.env["wholesale.loyalty.report"].search(
                [("partner_id", "in", (self.alpha | self.beta).ids)]).mapped("revenue")),
        )

    def test_points_follow_the_ledger(self):
        self._points([(self.nu, "2026-03-02", 12, "bonus", None), (self.alpha, "2026-03-03", -4, "redeem", None)])
        self.assertStoreMatchesDocuments()
        # Lot bookkeeping changes no figure and is ignored.
        self.env["wholesale.loyalty.ledger"].search([("partner_id", "=", self.gamma.id)])._consume_lots()
        self.assertStoreMatchesDocuments()

    def test_merged_customers(self):
        self.env["base.partner.merge.automatic.wizard"]._merge((self.xi | self.nu).ids, self.nu)
        self.assertStoreMatchesDocuments()
        self.assertFalse(self.env["wholesale.loyalty.report"].search([("partner_id", "=", self.xi.id)]))

    def test_engine_recalculation(self):
        self.gold.threshold_amount = 100_000
        self.env["wholesale.loyalty.tier.engine"].with_context(wholesale_silent=True)._recalculate(
            programs=self.program,
        )
        self.assertStoreMatchesDocuments()

    def test_reinstalled_store_is_filled_from_the_documents(self):
        kept = self._contents()
        analysis_store.uninstall(self.env.cr)
        self.env["wholesale.loyalty.report"].init()
        self.assertEqual(self._contents(), kept)

    # ------------------------------------------------------------------ groupings read from the totals

    def test_groupings_without_customer_read_the_totals(self):
        report = self.env["wholesale.loyalty.report"]
        by_tier_and_month = self.assertTotalsAnswerLikeCustomerMonths(report, ["tier_id", "date:month"])
        self.assertIn(self.gold, [tier for tier, *_rest in by_tier_and_month])
        self.assertTotalsAnswerLikeCustomerMonths(report, ["membership", "date:quarter"])
        self.assertTotalsAnswerLikeCustomerMonths(report, ["user_id", "program_id"], [("date", ">=", "2026-01-01")])
        self.assertTotalsAnswerLikeCustomerMonths(report, [])
        self.assertTotalsAnswerLikeCustomerMonths(
            report, ["company_id", "country_id"], [("tier_id.name", "=", "Gold")], order="__count desc", limit=1,
        )

    def test_a_customer_grouping_reads_the_customer_months(self):
        summary = self.env["wholesale.loyalty.report.summary"]
        self.assertFalse(summary._can_answer([], ["partner_id"], AGGREGATES, (), None))
        self.assertFalse(summary._can_answer([("revenue", ">", 0)], ["tier_id"], AGGREGATES, (), None))
        self.assertFalse(summary._can_answer([], ["tier_id"], ["points_net:max"], (), None))
        groups = self._grouped(self.env["wholesale.loyalty.report"], [], ["partner_id"])
        self.assertIn(self.alpha, [partner for partner, *_rest in groups])

    def test_a_salesperson_with_own_documents_sees_the_same_either_way(self):
        rep = self.env["res.users"].create({
            "name": "Own documents rep",
            "login": "store-rep",
            "groups_id": [Command.set([self.env.ref("sales_team.group_sale_salesman").id])],
        })
        self.alpha.user_id = rep
        self._invoice(self.alpha, 640, "2026-03-14").invoice_user_id = rep
        report = self.env["wholesale.loyalty.report"].with_user(rep)
        groups = self.assertTotalsAnswerLikeCustomerMonths(report, ["tier_id", "date:month"])
        # Revenue: only the rep's own invoice; points: the rep's customer and customers nobody follows.
        self.assertEqual(sum(revenue for _tier, _month, revenue, *_rest in groups), 640)
        self.assertEqual(sum(points for *_rest, points, _count in groups), 7 + 5 + 30 + 20 - 10 + 40 - 5 - 15 + 100)
