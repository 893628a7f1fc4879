"""The analysis view (wholesale.loyalty.report) against an ORM recomputation."""
from collections import defaultdict
from datetime import date

from lxml import etree

from odoo.tests import tagged

from .test_reports_common import WholesaleReportsCommon

MEASURES = ("revenue", "invoice_count", "refund_count", "points_earned", "points_redeemed", "points_expired",
            "points_net")


@tagged("post_install", "-at_install")
class TestReportsAnalysis(WholesaleReportsCommon):

    def _orm_rows(self):
        """What the view must say, recomputed record by record with the ORM."""
        rows = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
        moves = self.env["account.move"].search([
            ("commercial_partner_id", "in", self.customers.ids),
            ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund")),
        ])
        for move in moves:
            row = rows[move.commercial_partner_id, move.invoice_date.replace(day=1)]
            row["revenue"] += move.amount_untaxed_signed
            row["invoice_count" if move.move_type == "out_invoice" else "refund_count"] += 1
        for entry in self.env["wholesale.loyalty.ledger"].search([("partner_id", "in", self.customers.ids)]):
            row = rows[entry.partner_id, entry.date.replace(day=1)]
            row["points_net"] += entry.points
            if entry.kind in ("earn", "bonus"):
                row["points_earned"] += entry.points
            elif entry.kind == "redeem":
                row["points_redeemed"] -= entry.points
            elif entry.kind == "expire":
                row["points_expired"] -= entry.points
        return dict(rows)

    def _view_rows(self):
        records = self.env["wholesale.loyalty.report"].search([("partner_id", "in", self.customers.ids)])
        # A customer's month is split by salesperson (of the invoice, or the customer's for points).
        rows = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
        for record in records:
            for name in MEASURES:
                rows[record.partner_id, record.date][name] += record[name]
        return dict(rows)

    def test_view_equals_orm_recomputation(self):
        expected = self._orm_rows()
        self.assertEqual(self._view_rows(), expected)
        # The fixture covers what the view has to get right.
        self.assertEqual(len({day for _partner, day in expected}), 6, "six months")
        self.assertIn((self.gamma, date(2026, 3, 1)), expected, "a month with points and no invoice")
        self.assertIn((self.alpha, date(2024, 6, 1)), expected)

    def test_figures_users_read(self):
        rows = self._view_rows()
        # Alpha in February: 2000 invoiced, 300 credited, 20 points earned.
        self.assertEqual(rows[self.alpha, date(2026, 2, 1)], {
            "revenue": 1700.0, "invoice_count": 1, "refund_count": 1, "points_earned": 20,
            "points_redeemed": 0, "points_expired": 0, "points_net": 20,
        })
        # Beta bought through a contact: the row is Beta's.
        self.assertEqual(rows[self.beta, date(2026, 1, 1)]["revenue"], 4000.0)
        self.assertNotIn(self.beta_buyer, {partner for partner, _day in rows})
        # Xi's draft invoice of 999 counts nowhere.
        self.assertEqual(rows[self.xi, date(2026, 2, 1)]["revenue"], 600.0)
        self.assertEqual(rows[self.xi, date(2026, 3, 1)]["revenue"], -100.0)

    def test_program_tier_and_member_flag(self):
        report = self.env["wholesale.loyalty.report"]
        alpha = report.search([("partner_id", "=", self.alpha.id)], limit=1)
        self.assertEqual((alpha.program_id, alpha.tier_id, alpha.is_member), (self.program, self.gold, True))
        beta = report.search([("partner_id", "=", self.beta.id)], limit=1)
        self.assertEqual(beta.tier_id, self.platinum)
        nu = report.search([("partner_id", "=", self.nu.id)], limit=1)
        self.assertEqual((nu.program_id, nu.tier_id, nu.is_member), (self.program.browse(), self.gold.browse(), False))
        members = report.search([("partner_id", "in", self.customers.ids), ("is_member", "=", True)])
        self.assertEqual(members.partner_id, self.members)

    def test_pivot_by_tier_and_month_equals_orm(self):
        expected = defaultdict(lambda: [0.0, 0, 0])
        for (partner, day), row in self._orm_rows().items():
            key = (partner.wholesale_tier_id, day)
            expected[key][0] += row["revenue"]
            expected[key][1] += row["invoice_count"]
            expected[key][2] += row["points_earned"]
        groups = self.env["wholesale.loyalty.report"]._read_group(
            [("partner_id", "in", self.customers.ids)],
            ["tier_id", "date:month"],
            ["revenue:sum", "invoice_count:sum", "points_earned:sum"],
        )
        pivot = {(tier, month): [revenue, invoices, points] for tier, month, revenue, invoices, points in groups}
        self.assertEqual(pivot, dict(expected))
        self.assertEqual(pivot[self.gold, date(2026, 2, 1)], [1700.0, 1, 20])
        self.assertEqual(pivot[self.gold.browse(), date(2026, 1, 1)], [800.0, 1, 0], "non-members have no tier")

    def test_members_against_non_members_by_month(self):
        groups = {
            (member, month): revenue
            for member, month, revenue in self.env["wholesale.loyalty.report"]._read_group(
                [("partner_id", "in", self.customers.ids), ("date", ">=", "2026-01-01")],
                ["is_member", "date:month"],
                ["revenue:sum"],
            )
        }
        self.assertEqual(groups, {
            (True, date(2026, 1, 1)): 5000.0, (True, date(2026, 2, 1)): 1700.0, (True, date(2026, 3, 1)): 500.0,
            (False, date(2026, 1, 1)): 800.0, (False, date(2026, 2, 1)): 600.0, (False, date(2026, 3, 1)): 600.0,
        })

    def test_ids_are_stable_and_unique(self):
        report = self.env["wholesale.loyalty.report"]
        first = report.search([("partner_id", "in", self.customers.ids)], order="id")
        self.assertEqual(len(set(first.ids)), len(first))
        again = report.search([("partner_id", "in", self.customers.ids)], order="id")
        self.assertEqual(first.ids, again.ids)
        gamma_march = report.search([("partner_id", "=", self.gamma.id), ("date", "=", "2026-03-01")])
        self.assertEqual(gamma_march.read(["points_earned"])[0]["points_earned"], 100)

    def test_action_opens_pivot_by_membership_tier_and_month(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wholesale_loyalty_reports.wholesale_loyalty_report_action"
        )
        self.assertEqual(action["res_model"], "wholesale.loyalty.report")
        self.assertTrue(action["view_mode"].startswith("pivot"))
        # Non-members under their own heading, never in a tier "None" with members below the
        # first tier; the graph's legend the same.
        self.assertIn("'pivot_row_groupby': ['membership', 'tier_id']", action["context"])
        arch = self.env["wholesale.loyalty.report"].get_views([(False, "pivot"), (False, "graph")])["views"]
        rows = etree.fromstring(arch["pivot"]["arch"]).xpath("//field[@type='row']/@name")
        self.assertEqual(rows, ["membership", "tier_id"])
        self.assertIn('name="membership"', arch["graph"]["arch"])
        self.assertIn('name="revenue"', arch["graph"]["arch"])
        labels = dict(self.env["wholesale.loyalty.report"]._fields["membership"]._description_selection(self.env))
        self.assertEqual(labels["non_member"], "Non-members", "as the KPI screen says")
