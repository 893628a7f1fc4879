"""What the report screens show users: the KPI screen (title, one screen per user, months,
growth, point value, drill-downs), the analysis legend, the ROI sensitivity graph and
"Fill from data", the menus sales reps reach, and the statement's formatting."""
from lxml import html

from odoo.tests import new_test_user, tagged
from odoo.tools import format_date

from .test_reports_common import TODAY, WholesaleReportsCommon

KPI = "wholesale.loyalty.kpi"
REPORT = "wholesale_loyalty_reports.report_loyalty_statement"


@tagged("post_install", "-at_install")
class TestReportsScreens(WholesaleReportsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": cls.company.ids}
        cls.own_rep = new_test_user(cls.env, login="wl_screens_rep", groups="sales_team.group_sale_salesman", **company)
        cls.other_rep = new_test_user(
            cls.env, login="wl_screens_rep_2", groups="sales_team.group_sale_salesman", **company
        )
        cls.all_rep = new_test_user(
            cls.env, login="wl_screens_rep_all", groups="sales_team.group_sale_salesman_all_leads", **company
        )
        # Every fixture invoice is the other rep's; the rep sells Beta (Platinum) one invoice of 300.
        cls.env["account.move"].search([("commercial_partner_id", "in", cls.customers.ids)]).write(
            {"invoice_user_id": cls.other_rep.id}
        )
        cls.own_invoice = cls._invoice(cls.beta, 300, "2026-03-12", post=False)
        cls.own_invoice.invoice_user_id = cls.own_rep
        cls.own_invoice.action_post()

    def _kpi_as(self, user, **values):
        return self.env[KPI].with_user(user).create({
            "program_id": self.program.id, "date_from": "2026-01-01", "date_to": "2026-03-31", **values,
        })

    def _arch(self, model, view_type, xmlid=None):
        view_id = self.env.ref(xmlid).id if xmlid else False
        return self.env[model].get_views([(view_id, view_type)])["views"][view_type]["arch"]

    # ------------------------------------------------------------------ KPI screen

    def test_own_documents_rep_sees_figures_of_own_invoices(self):
        kpi = self._kpi_as(self.own_rep)
        self.assertEqual((kpi.member_customer_count, kpi.member_invoice_count), (1, 1))
        self.assertAlmostEqual(kpi.member_revenue, 300.0)
        self.assertEqual(kpi.nonmember_customer_count, 0)
        self.assertAlmostEqual(kpi.nonmember_revenue, 0.0)
        self.assertAlmostEqual(kpi.member_revenue_previous, 0.0, msg="December's invoice is the other rep's")
        # The drill-downs open the same invoices.
        self.assertEqual(self.env["account.move"].with_user(self.own_rep).search(
            kpi.action_open_member_revenue()["domain"]), self.own_invoice)
        # Points are the program's, which every loyalty user reads.
        self.assertEqual(kpi.points_outstanding, 172)
        everyone = self._kpi_as(self.all_rep)
        self.assertAlmostEqual(everyone.member_revenue, 7500.0, msg="7200 of the fixture and the rep's 300")
        self.assertEqual(everyone.member_invoice_count, 5)
        self.assertAlmostEqual(self._kpi_as(self.other_rep).member_revenue, 7200.0)

    def test_screen_title_names_the_program(self):
        kpi = self._kpi_as(self.own_rep)
        self.assertEqual(kpi.display_name, "Loyalty KPIs — Test Program")
        self.assertIn('name="display_name"', self._arch(KPI, "form"))

    def test_one_screen_per_user_and_the_last_program_is_remembered(self):
        Kpi = self.env[KPI].with_user(self.own_rep)
        first = Kpi.action_open_dashboard()["res_id"]
        self.assertEqual(Kpi.action_open_dashboard()["res_id"], first, "the second visit shows the same screen")
        self.assertEqual(Kpi.search_count([("create_uid", "=", self.own_rep.id)]), 1)
        other = self.env["wholesale.loyalty.program"].create({
            "name": "Second Program", "partner_domain": "[('id', '=', 0)]", "sequence": 99,
        })
        Kpi.browse(first).program_id = other
        action = Kpi.action_open_dashboard()
        self.assertEqual(Kpi.browse(action["res_id"]).program_id, other, "the program chosen last opens")
        self.assertEqual(Kpi.browse(action["res_id"]).display_name, "Loyalty KPIs — Second Program")
        others = self.env[KPI].browse(self.env[KPI].with_user(self.other_rep).action_open_dashboard()["res_id"])
        self.assertNotEqual(others.id, first)
        self.assertEqual(others.program_id, self.program, "other users keep their own default")

    def test_refresh_says_what_it_did(self):
        kpi = self._kpi_as(self.all_rep)
        self._invoice(self.gamma, 1200, "2026-03-18")
        action = kpi.action_refresh()
        self.assertAlmostEqual(kpi.member_revenue, 8700.0)
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("Test Program", action["params"]["message"])
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")

    def test_months_are_whole_and_growth_without_previous_revenue_is_na(self):
        # October to March: the six months before had no invoice at all.
        kpi = self._kpi_as(self.all_rep, date_from="2025-10-01")
        self.assertEqual(kpi.month_count, 6)
        self.assertAlmostEqual(kpi.member_revenue_previous, 0.0)
        arch = html.fromstring(self._arch(KPI, "form"))
        growth = arch.xpath("//td[contains(@class, 'o_wholesale_kpi_member_growth')]")[0]
        self.assertEqual(growth.xpath("field/@invisible"), ["not member_revenue_previous"])
        self.assertEqual(growth.xpath("span/text()"), ["n/a"])
        self.assertEqual(growth.xpath("span/@invisible"), ["member_revenue_previous"])
        self.assertFalse(arch.xpath("//field[@name='months']"), "the exact length is for the ratios only")

    def test_point_value_is_money_of_the_company_currency(self):
        point_value = html.fromstring(self._arch(KPI, "form")).xpath("//field[@name='point_value']")[0]
        self.assertEqual(point_value.get("widget"), "monetary")
        self.assertIn("'currency_field': 'currency_id'", point_value.get("options"))
        self.assertEqual(self._kpi_as(self.own_rep).currency_id, self.company.currency_id)

    def test_invoice_drill_down_lists_customers_and_dates_in_the_current_app(self):
        action = self._kpi_as(self.all_rep).action_open_member_invoices()
        self.assertNotIn("id", action, "not the Invoicing action, whose menu would switch apps")
        list_view_id = {kind: view_id for view_id, kind in action["views"]}["list"]
        self.assertEqual(list_view_id, self.env.ref("account.view_out_invoice_tree").id)
        arch = self.env["account.move"].get_views(action["views"])["views"]["list"]["arch"]
        self.assertIn('name="invoice_partner_display_name"', arch)
        self.assertIn('name="invoice_date"', arch)
        moves = self.env["account.move"].search(action["domain"])
        self.assertEqual(set(moves.mapped("move_type")), {"out_invoice"}, "credit notes are not invoices")

    # ------------------------------------------------------------------ analysis and ROI

    def test_analysis_legend_reads_members_and_non_members(self):
        groups = dict(self.env["wholesale.loyalty.report"]._read_group(
            [("partner_id", "in", self.customers.ids), ("date", ">=", "2026-01-01")], ["membership"], ["revenue:sum"],
        ))
        self.assertEqual(groups, {"member": 7500.0, "non_member": 2000.0})
        selection = dict(self.env["wholesale.loyalty.report"].fields_get(["membership"])["membership"]["selection"])
        self.assertEqual(selection, {"member": "Members", "non_member": "Non-members"})
        self.assertIn('name="membership"', self._arch("wholesale.loyalty.report", "graph"))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wholesale_loyalty_reports.wholesale_loyalty_report_action"
        )
        self.assertIn("'membership'", action["context"])

    def test_sensitivity_graph_draws_lines_not_stacks(self):
        scenario = self._scenario()
        action = scenario.action_open_sensitivity_graph()
        graph = html.fromstring(self._arch("wholesale.loyalty.roi.sensitivity", "graph"))
        self.assertEqual((graph.get("type"), graph.get("stacked")), ("line", "0"))
        self.assertEqual(graph.xpath("//field[@type='measure']/@name"), ["roi_percent"])
        at_zero = self.env["wholesale.loyalty.roi.sensitivity"]._read_group(
            action["domain"] + [("change_percent", "=", 0)], ["variable"], ["roi_percent:avg"],
        )
        self.assertEqual(dict(at_zero), {
            "churn_reduction_percent": 42.5, "uplift_percent": 42.5, "program_cost": 42.5,
        })

    def test_fill_from_data_says_what_it_filled_and_keeps_churn_it_cannot_estimate(self):
        scenario = self._scenario(program_id=self.program.id, churn_percent=12.5)
        action = scenario.action_fill_from_data()
        # Alpha 4700, Beta 5000 + 300 of the rep: (4700 + 5300) / 2.
        self.assertAlmostEqual(scenario.avg_revenue, 5000.0)
        self.assertEqual(scenario.churn_percent, 12.5, "nobody bought the year before")
        self.assertEqual(action["params"]["type"], "warning")
        message = action["params"]["message"]
        self.assertRegex(message, r"average revenue \(Z\) \D*5,000\.00\D*, was \D*100,000\.00")
        self.assertIn("cannot be estimated", message)
        self.assertIn(format_date(self.env, TODAY), scenario.data_note)
        self.assertIn("W not estimated", scenario.data_note)
        self.assertEqual(scenario.data_date, TODAY)

    def test_fill_from_data_follows_the_invoices_the_user_reads(self):
        scenario = self._scenario(name="Rep's", program_id=self.program.id).with_user(self.own_rep)
        scenario.sudo().user_id = self.own_rep
        scenario.action_fill_from_data()
        self.assertAlmostEqual(scenario.avg_revenue, 300.0, msg="the rep's own invoice only")
        self.assertEqual(scenario.data_buyer_count, 1)

    def test_years_are_whole(self):
        self.assertEqual(self.env["wholesale.loyalty.roi.scenario"].fields_get(["years"])["years"]["type"], "integer")
        self.assertEqual(self._scenario().years, 3)

    # ------------------------------------------------------------------ menus

    def test_sales_reps_reach_the_reports_in_the_sales_app(self):
        menu = self.env.ref("wholesale_loyalty_reports.wholesale_loyalty_reporting_menu")
        self.assertEqual(menu.parent_id, self.env.ref("sale.sale_menu_root"))
        for user in (self.own_rep, self.all_rep):
            menus = self.env["ir.ui.menu"].with_user(user).load_menus(debug=False)
            self.assertIn(menu.id, menus[self.env.ref("sale.sale_menu_root").id]["children"], user.login)
            names = {menus[child]["name"] for child in menus[menu.id]["children"]}
            self.assertLessEqual({"KPIs", "Analysis", "Tier Distribution", "ROI Scenarios"}, names, user.login)
        self.assertNotIn(self.env.ref("sale.menu_sale_report").id,
                         self.env["ir.ui.menu"].with_user(self.own_rep).load_menus(debug=False))

    # ------------------------------------------------------------------ statement

    def test_statement_lists_benefits_once_and_groups_thousands(self):
        self._points([(self.gamma, "2026-03-10", 12_000, "adjust", None)])
        content, _kind = self.env["ir.actions.report"]._render_qweb_html(REPORT, (self.alpha | self.gamma).ids)
        page = html.fromstring(content)
        text = " ".join(page.text_content().split())
        alpha_benefits, gamma_benefits = page.xpath("//*[contains(@class, 'o_statement_benefits')]")
        # Gold has its own text: it is the list; Silver has none: the list its settings make.
        self.assertEqual(" ".join(alpha_benefits.text_content().split()), "Free shipping")
        self.assertEqual(text.count("Free shipping"), 1)
        self.assertEqual(gamma_benefits.tag, "ul")
        balances = [node.text_content().strip() for node in page.xpath("//*[contains(@class, 'o_statement_balance')]")]
        self.assertEqual(balances, ["52", "12,100"])
        self.assertIn("Program terms", text)
        self.assertNotIn("Programme", text)
