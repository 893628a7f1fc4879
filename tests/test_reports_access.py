"""Who sees and changes what in the reports: sales reps, administrators, other companies,
portal customers."""
from lxml import html

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import WholesaleLoyaltyCommon
from .test_reports_common import WholesaleReportsCommon

STATEMENT_URL = "/my/wholesale-loyalty/statement"


@tagged("post_install", "-at_install")
class TestReportsAccess(WholesaleReportsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sales_rep = new_test_user(
            cls.env, login="wl_rep_reports", groups="sales_team.group_sale_salesman",
            company_id=cls.company.id, company_ids=[cls.company.id],
        )
        cls.other_rep = new_test_user(
            cls.env, login="wl_rep_reports_2", groups="sales_team.group_sale_salesman",
            company_id=cls.company.id, company_ids=[cls.company.id],
        )
        cls.all_documents_rep = new_test_user(
            cls.env, login="wl_rep_reports_all", groups="sales_team.group_sale_salesman_all_leads",
            company_id=cls.company.id, company_ids=[cls.company.id],
        )
        cls.loyalty_manager = new_test_user(
            cls.env, login="wl_manager_reports", groups="sales_team.group_sale_manager",
            company_id=cls.company.id, company_ids=[cls.company.id],
        )
        cls.portal_user = new_test_user(
            cls.env, login="wl_portal_reports", groups="base.group_portal", name="Alpha Portal",
            partner_id=cls.env["res.partner"].create({"name": "Alpha Portal", "parent_id": cls.alpha.id}).id,
        )
        cls.rep_scenario = cls._scenario(name="Rep's scenario").with_user(cls.sales_rep)
        cls.rep_scenario.sudo().user_id = cls.sales_rep

    def test_sales_rep_reads_the_analysis_and_kpis(self):
        rows = self.env["wholesale.loyalty.report"].with_user(self.all_documents_rep).search(
            [("partner_id", "in", self.customers.ids)]
        )
        self.assertAlmostEqual(sum(rows.mapped("revenue")), 12_700.0)
        kpi = self.env["wholesale.loyalty.kpi"].with_user(self.all_documents_rep).create({
            "program_id": self.program.id, "date_from": "2026-01-01", "date_to": "2026-03-31",
        })
        self.assertAlmostEqual(kpi.member_revenue, 7200.0)
        # With own documents only, the KPIs sum up the rep's own invoices: none here.
        own = self.env["wholesale.loyalty.kpi"].with_user(self.sales_rep).create({
            "program_id": self.program.id, "date_from": "2026-01-01", "date_to": "2026-03-31",
        })
        self.assertAlmostEqual(own.member_revenue, 0.0)
        self.assertEqual(own.points_outstanding, 172)
        self.assertEqual(kpi.points_outstanding, 172)
        self.assertEqual(len(kpi.tier_line_ids), 3)
        with self.assertRaises(AccessError):
            rows[0].write({"revenue": 0})

    def test_own_documents_rep_sees_the_revenue_of_own_invoices_only(self):
        own = self._invoice(self.alpha, 300, "2026-03-20", post=False)
        own.invoice_user_id = self.sales_rep
        own.action_post()
        others = self._invoice(self.beta, 450, "2026-03-21", post=False)
        others.invoice_user_id = self.other_rep
        others.action_post()
        report = self.env["wholesale.loyalty.report"]
        domain = [("partner_id", "in", self.customers.ids), ("date", "=", "2026-03-01")]
        rep_rows = report.with_user(self.sales_rep).search(domain + [("revenue", "!=", 0)])
        self.assertEqual(rep_rows.user_id, self.sales_rep)
        self.assertAlmostEqual(sum(rep_rows.mapped("revenue")), 300.0)
        other_rows = report.with_user(self.other_rep).search(domain + [("revenue", "!=", 0)])
        self.assertAlmostEqual(sum(other_rows.mapped("revenue")), 450.0)
        totals = report.with_user(self.sales_rep).read_group(domain, ["revenue:sum"], [])
        self.assertAlmostEqual(totals[0]["revenue"], 300.0, msg="totals follow the same visibility")
        everyone = report.with_user(self.all_documents_rep).search(domain)
        all_invoices = self.env["account.move"].search([
            ("commercial_partner_id", "in", self.customers.ids), ("state", "=", "posted"),
            ("invoice_date", ">=", "2026-03-01"), ("invoice_date", "<=", "2026-03-31"),
        ])
        self.assertAlmostEqual(sum(everyone.mapped("revenue")), sum(all_invoices.mapped("amount_untaxed_signed")))

    def test_sales_rep_prints_and_sends_statements(self):
        content, _kind = self.env["ir.actions.report"].with_user(self.sales_rep)._render_qweb_html(
            "wholesale_loyalty_reports.report_loyalty_statement", self.alpha.ids
        )
        page = html.fromstring(content)
        self.assertEqual(page.xpath("//*[contains(@class, 'o_statement_balance')]")[0].text_content().strip(), "52")
        action = self.alpha.with_user(self.sales_rep).action_wholesale_send_statement()
        self.assertEqual(action["res_model"], "mail.compose.message")
        self.assertEqual(action["context"]["default_res_ids"], self.alpha.ids)

    def test_sales_rep_reads_but_cannot_change_others_scenarios(self):
        manager_scenario = self._scenario(name="Manager's").with_user(self.loyalty_manager)
        manager_scenario.sudo().user_id = self.loyalty_manager
        as_rep = manager_scenario.with_user(self.sales_rep)
        self.assertEqual(as_rep.roi_percent, 42.5)
        self.assertEqual(len(as_rep.sensitivity_line_ids), 33)
        with self.assertRaises(AccessError):
            as_rep.write({"program_cost": 1})
        with self.assertRaises(AccessError):
            as_rep.unlink()
        with self.assertRaises(AccessError):
            self.rep_scenario.with_user(self.other_rep).write({"name": "Mine now"})
        self.assertEqual(manager_scenario.sudo().program_cost, 20_000)

    def test_sales_rep_changes_own_scenarios(self):
        self.rep_scenario.write({"uplift_percent": 20})
        self.assertEqual(self.rep_scenario.revenue_gain, 57_000.0)
        mine = self.env["wholesale.loyalty.roi.scenario"].with_user(self.sales_rep).create({
            "name": "Mine", "avg_revenue": 50_000, "program_cost": 10_000,
        })
        self.assertEqual(mine.user_id, self.sales_rep)
        self.assertEqual(mine.roi_percent, 42.5, "same ratios as the article at half the size")
        with self.assertRaises(AccessError):
            self.env["wholesale.loyalty.roi.scenario"].with_user(self.sales_rep).create({
                "name": "For someone else", "program_cost": 1, "user_id": self.other_rep.id,
            })
        mine.unlink()

    def test_manager_changes_every_scenario(self):
        scenario = self.rep_scenario.with_user(self.loyalty_manager)
        scenario.write({"program_cost": 28_500})
        self.assertEqual(scenario.roi_percent, 0.0)

    def test_other_companies_stay_hidden(self):
        other = self.setup_other_company()["company"]
        foreign = self.env["wholesale.loyalty.roi.scenario"].sudo().create({
            "name": "Foreign", "company_id": other.id, "program_cost": 1,
        })
        self.assertNotIn(foreign, self.env["wholesale.loyalty.roi.scenario"].with_user(self.loyalty_manager).search([]))
        foreign_customer = self.env["res.partner"].create({"name": "Foreign customer", "is_company": True})
        self.env["account.move"].with_company(other).create({
            "move_type": "out_invoice", "partner_id": foreign_customer.id, "invoice_date": "2026-01-05",
            "invoice_line_ids": [(0, 0, {"name": "Goods", "quantity": 1, "price_unit": 100, "tax_ids": []})],
        }).action_post()
        report = self.env["wholesale.loyalty.report"]
        self.assertTrue(report.search([("partner_id", "=", foreign_customer.id)]))
        self.assertFalse(report.with_user(self.loyalty_manager).search([("partner_id", "=", foreign_customer.id)]))

    def test_portal_user_renders_only_own_statement(self):
        reports = self.env["ir.actions.report"].with_user(self.portal_user)
        with self.assertRaises(AccessError):
            reports._render_qweb_html("wholesale_loyalty_reports.report_loyalty_statement", self.beta.ids)
        with self.assertRaises(AccessError):
            self.env["wholesale.loyalty.roi.scenario"].with_user(self.portal_user).search([])
        with self.assertRaises(AccessError):
            self.env["wholesale.loyalty.report"].with_user(self.portal_user).search([])


@tagged("post_install", "-at_install")
class TestReportsPortalStatement(WholesaleLoyaltyCommon, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls._customer("Omega Imports")
        cls.outsider = cls.env["res.partner"].create({"name": "Not A Member", "is_company": True})
        cls.env["wholesale.loyalty.ledger"].sudo().create([{
            "partner_id": partner.id, "program_id": cls.program.id, "company_id": cls.program.company_id.id,
            "points": points, "kind": "adjust", "reference": f"portal-{partner.id}",
        } for partner, points in ((cls.customer, 123), (cls.other, 456))])
        cls.portal_user = cls._portal_user("alpha_statement", cls.customer)
        cls.outsider_user = cls._portal_user("outsider_statement", cls.outsider)

    @classmethod
    def _portal_user(cls, login, company):
        contact = cls.env["res.partner"].create({"name": f"{login} contact", "parent_id": company.id})
        return new_test_user(
            cls.env, login=login, groups="base.group_portal", name=contact.name, partner_id=contact.id,
            company_id=cls.program.company_id.id, company_ids=cls.program.company_id.ids,
        )

    def test_portal_downloads_own_statement(self):
        self.authenticate("alpha_statement", "alpha_statement")
        # Asking for somebody else's statement changes nothing: the session decides.
        response = self.url_open(f"{STATEMENT_URL}?download=1&partner_id={self.other.id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.assertTrue(response.headers["Content-Disposition"].startswith("attachment"))
        self.assertIn("Loyalty_Statement_Alpha_Trading.pdf", response.headers["Content-Disposition"])
        # Under test Odoo renders the report as HTML instead of calling wkhtmltopdf.
        page = html.fromstring(response.content)
        self.assertEqual(page.xpath("//*[contains(@class, 'o_statement_customer')]")[0].text_content(), "Alpha Trading")
        self.assertEqual(page.xpath("//*[contains(@class, 'o_statement_balance')]")[0].text_content().strip(), "123")
        self.assertNotIn("Omega Imports", response.text)
        inline = self.url_open(STATEMENT_URL)
        self.assertTrue(inline.headers["Content-Disposition"].startswith("inline"))

    def test_non_member_is_sent_to_the_loyalty_page(self):
        self.authenticate("outsider_statement", "outsider_statement")
        response = self.url_open(STATEMENT_URL, allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertTrue(response.headers["Location"].endswith("/my/wholesale-loyalty"))

    def test_anonymous_visitor_must_log_in(self):
        response = self.url_open(STATEMENT_URL, allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])
