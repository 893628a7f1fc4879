"""The KPI screen: members against non-members, participation, redemption, liability."""
from odoo.exceptions import ValidationError
from odoo.tests import Form, new_test_user, tagged

from .test_reports_common import WholesaleReportsCommon


@tagged("post_install", "-at_install")
class TestReportsKpi(WholesaleReportsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kpi = cls._kpi()

    def test_members_and_non_members_side_by_side(self):
        kpi = self.kpi
        self.assertEqual(kpi.months, 3.0)
        # Members: Alpha 1000 + 2000 - 300 + 500 (3 invoices), Beta 4000 (1 invoice).
        self.assertEqual(kpi.member_customer_count, 2)
        self.assertAlmostEqual(kpi.member_revenue, 7200.0)
        self.assertEqual(kpi.member_invoice_count, 4)
        self.assertAlmostEqual(kpi.member_avg_invoice, 1800.0)
        self.assertAlmostEqual(kpi.member_invoice_frequency, 4 / 2 / 3, places=2)
        self.assertAlmostEqual(kpi.member_repeat_rate, 50.0)
        self.assertAlmostEqual(kpi.member_revenue_previous, 2500.0)
        self.assertAlmostEqual(kpi.member_revenue_growth, 188.0)
        # Non-members: Nu 800 + 700, Xi 600 - 100; the draft of 999 is not counted.
        self.assertEqual(kpi.nonmember_customer_count, 2)
        self.assertAlmostEqual(kpi.nonmember_revenue, 2000.0)
        self.assertEqual(kpi.nonmember_invoice_count, 3)
        self.assertAlmostEqual(kpi.nonmember_avg_invoice, 2000 / 3, places=2)
        self.assertAlmostEqual(kpi.nonmember_invoice_frequency, 0.5)
        self.assertAlmostEqual(kpi.nonmember_repeat_rate, 50.0)
        self.assertAlmostEqual(kpi.nonmember_revenue_previous, 1000.0)
        self.assertAlmostEqual(kpi.nonmember_revenue_growth, 100.0)
        self.assertAlmostEqual(kpi.participation_rate, 50.0)

    def test_figures_equal_orm_recomputation(self):
        moves = self.env["account.move"].search([
            ("state", "=", "posted"), ("move_type", "in", ("out_invoice", "out_refund")),
            ("company_id", "=", self.company.id),
            ("invoice_date", ">=", "2026-01-01"), ("invoice_date", "<=", "2026-03-31"),
        ])
        for prefix, members in (("member", True), ("nonmember", False)):
            mine = moves.filtered(
                lambda m, members=members: bool(m.commercial_partner_id.wholesale_program_id) == members
            )
            invoices = mine.filtered(lambda m: m.move_type == "out_invoice")
            self.assertAlmostEqual(self.kpi[f"{prefix}_revenue"], sum(mine.mapped("amount_untaxed_signed")))
            self.assertEqual(self.kpi[f"{prefix}_invoice_count"], len(invoices))
            self.assertEqual(self.kpi[f"{prefix}_customer_count"], len(invoices.commercial_partner_id))

    def test_points_in_period_and_redemption_rate(self):
        # Earned in Jan-Mar: 30 + 20 (Alpha), 40 (Beta), 100 bonus (Gamma); Alpha's December bonus is before.
        self.assertEqual(self.kpi.points_earned, 190)
        self.assertEqual(self.kpi.points_redeemed, 25)
        self.assertEqual(self.kpi.points_expired, 5)
        self.assertAlmostEqual(self.kpi.redemption_rate, 13.2, msg="25 / 190, to one decimal")

    def test_liability_and_expiring_points(self):
        kpi = self.kpi
        # Balances: Alpha 7 + 5 + 30 + 20 - 10 = 52, Beta 40 - 5 - 15 = 20, Gamma 100.
        self.assertEqual(kpi.points_outstanding, 172)
        self.assertAlmostEqual(kpi.liability_amount, 86.0, msg="172 points at 0.50")
        # Alpha's lot of 30 expires on 10 April (21 days), its lot of 20 on 1 June (73 days).
        self.assertEqual(kpi.points_expiring_30d, 30)
        self.assertEqual(kpi.points_expiring_90d, 50)
        self.assertAlmostEqual(kpi.expiring_30d_amount, 15.0)
        self.assertAlmostEqual(kpi.expiring_90d_amount, 25.0)
        self.assertEqual(kpi.member_count, 3)

    def test_tier_distribution_and_liability_by_tier(self):
        lines = {line.tier_id: line for line in self.kpi.tier_line_ids}
        self.assertEqual(list(lines), [self.silver, self.gold, self.platinum])
        self.assertEqual(
            {tier.name: (line.customer_count, line.points_outstanding, line.points_expiring_30d,
                         line.points_expiring_90d) for tier, line in lines.items()},
            {"Silver": (1, 100, 0, 0), "Gold": (1, 52, 30, 50), "Platinum": (1, 20, 0, 0)},
        )
        self.assertAlmostEqual(lines[self.gold].liability_amount, 26.0)
        self.assertAlmostEqual(lines[self.gold].share_percent, 33.3, msg="one member of three")

    def test_numbers_drill_down_to_their_records(self):
        kpi = self.kpi
        # "Invoices" opens the invoices, "Revenue" the invoices and the credit notes.
        member_invoices = self.env["account.move"].search(kpi.action_open_member_invoices()["domain"])
        self.assertEqual(set(member_invoices.mapped("move_type")), {"out_invoice"})
        self.assertEqual(len(member_invoices), kpi.member_invoice_count)
        member_moves = self.env["account.move"].search(kpi.action_open_member_revenue()["domain"])
        self.assertAlmostEqual(sum(member_moves.mapped("amount_untaxed_signed")), kpi.member_revenue)
        self.assertEqual(member_moves.commercial_partner_id, self.alpha | self.beta)
        nonmember_invoices = self.env["account.move"].search(kpi.action_open_nonmember_invoices()["domain"])
        self.assertEqual(len(nonmember_invoices), kpi.nonmember_invoice_count)
        nonmember_moves = self.env["account.move"].search(kpi.action_open_nonmember_revenue()["domain"])
        self.assertAlmostEqual(sum(nonmember_moves.mapped("amount_untaxed_signed")), kpi.nonmember_revenue)
        self.assertRecordsOf(kpi.action_open_member_customers(), self.alpha | self.beta)
        self.assertRecordsOf(kpi.action_open_nonmember_customers(), self.nu | self.xi)
        self.assertEqual(self._found(kpi.action_open_members()).partner_id, self.members)
        ledger = self.entries
        self.assertRecordsOf(kpi.action_open_points_redeemed(), ledger.filtered(lambda e: e.kind == "redeem"))
        self.assertRecordsOf(kpi.action_open_points_expired(), ledger.filtered(lambda e: e.kind == "expire"))
        earned = self.env["wholesale.loyalty.ledger"].search(kpi.action_open_points_earned()["domain"])
        self.assertEqual(sum(earned.mapped("points")), kpi.points_earned)
        outstanding = self.env["wholesale.loyalty.ledger"].search(kpi.action_open_liability()["domain"])
        self.assertEqual(sum(outstanding.mapped("points")), kpi.points_outstanding)
        expiring = self.env["wholesale.loyalty.ledger"].search(kpi.action_open_expiring_90d()["domain"])
        self.assertEqual(sum(expiring.mapped("remaining_points")), kpi.points_expiring_90d)
        self.assertRecordsOf(kpi.action_open_expiring_30d(), ledger.filtered(lambda e: e.points == 30))
        gold = kpi.tier_line_ids.filtered(lambda line: line.tier_id == self.gold)
        self.assertEqual(self._found(gold.action_open_customers()).partner_id, self.alpha)
        self.assertRecordsOf(gold.action_open_ledger(), ledger.filtered(lambda e: e.partner_id == self.alpha))
        graph = kpi.action_open_tier_graph()
        self.assertTrue(graph["view_mode"].startswith("graph"))
        self.assertEqual(graph["context"]["group_by"], ["tier_id"])
        analysis = self.env["wholesale.loyalty.report"].search(
            kpi.action_open_analysis()["domain"] + [("partner_id", "in", self.customers.ids)]
        )
        self.assertAlmostEqual(sum(analysis.mapped("revenue")), kpi.member_revenue + kpi.nonmember_revenue)

    def test_members_of_other_programs_are_not_non_members(self):
        other_tag = self.env["res.partner.category"].create({"name": "Other programme"})
        self.env["wholesale.loyalty.program"].create({
            "name": "Other", "qualification_period": "lifetime", "sequence": 99,
            "partner_domain": str([("category_id", "in", other_tag.ids)]),
        })
        self.xi.category_id = other_tag
        self.xi.wholesale_recompute_tier()
        self.assertTrue(self.xi.wholesale_program_id)
        self.kpi.action_refresh()
        self.assertEqual(self.kpi.nonmember_customer_count, 1)
        self.assertAlmostEqual(self.kpi.nonmember_revenue, 1500.0)
        self.assertEqual(self.kpi.member_customer_count, 2)

    def test_refresh_picks_up_new_invoices(self):
        self._invoice(self.gamma, 1200, "2026-03-18")
        self.kpi.action_refresh()
        self.assertEqual(self.kpi.member_customer_count, 3)
        self.assertAlmostEqual(self.kpi.member_revenue, 8400.0)

    def test_period_change_recomputes_in_the_form(self):
        with Form(self._kpi()) as form:
            form.date_from = "2026-03-01"
            form.date_to = "2026-03-31"
            # March: Alpha 500; Nu 700, Xi -100.
            self.assertAlmostEqual(form.member_revenue, 500.0)
            self.assertAlmostEqual(form.nonmember_revenue, 600.0)
            self.assertEqual(form.points_redeemed, 25)
        self.assertEqual(len(form.record.tier_line_ids), 3)

    def test_dashboard_opens_with_a_saved_screen(self):
        analyst = new_test_user(self.env, login="wl_kpi_analyst", groups="sales_team.group_sale_manager",
                                company_id=self.company.id, company_ids=self.company.ids)
        action = self.env["wholesale.loyalty.kpi"].with_user(analyst).action_open_dashboard()
        kpi = self.env["wholesale.loyalty.kpi"].browse(action["res_id"])
        self.assertEqual(kpi.program_id.company_id, self.env.company)
        self.assertTrue(kpi.tier_line_ids.ids, "the tier lines exist, so their buttons work")
        self.assertEqual(str(kpi.date_from), "2025-04-01")
        self.assertEqual(str(kpi.date_to), "2026-03-20")
        self.assertEqual(kpi.month_count, 12, "1 April 2025 - 20 March 2026: 11.6 months")

    def test_period_must_not_end_before_it_starts(self):
        with self.assertRaisesRegex(ValidationError, "before it starts"):
            self._kpi(date_from="2026-03-01", date_to="2026-02-01")
