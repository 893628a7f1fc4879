"""The report screens in a real browser (headless Chromium): a sales rep reaches the KPIs
and the analysis from the Sales app; an administrator reads the KPIs and an ROI scenario's
sensitivity."""
from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .test_tours import ChromiumTourCase


@tagged("post_install", "-at_install")
class TestToursReports(ChromiumTourCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wholesale.loyalty.program"].sudo().search([]).write({"active": False})
        cls.tag = cls.env["res.partner.category"].create({"name": "Tour report members"})
        cls.program = cls.env["wholesale.loyalty.program"].create({
            "name": "Tour Reports Program",
            "qualification_period": "lifetime",
            "point_value": 0.5,
            "partner_domain": str([("category_id", "in", cls.tag.ids)]),
            "tier_ids": [
                Command.create({"name": "Silver", "threshold_amount": 0}),
                Command.create({"name": "Gold", "threshold_amount": 100_000, "discount_percent": 3}),
            ],
        })
        company = cls.env.company
        cls.rep = new_test_user(cls.env, login="tour_reports_rep", password="tour_reports_rep_pw",
                                groups="sales_team.group_sale_salesman",
                                company_id=company.id, company_ids=company.ids)
        cls.other_rep = new_test_user(cls.env, login="tour_reports_rep_2", groups="sales_team.group_sale_salesman",
                                      company_id=company.id, company_ids=company.ids)
        cls.member = cls.env["res.partner"].create({
            "name": "Tour Report Member", "is_company": True, "category_id": [Command.link(cls.tag.id)],
        })
        cls.member.wholesale_recompute_tier()
        # A screen's period ends on today in the time zone of its user's context, which near
        # midnight UTC may already be tomorrow for one user and not for another: yesterday
        # (UTC) lies in every screen's period.
        today = fields.Date.subtract(fields.Date.today(), days=1)
        # This period only (nothing the period before): the rep's 1500, another rep's 2500.
        for amount, user in ((1500.0, cls.rep), (2500.0, cls.other_rep)):
            invoice = cls.env["account.move"].create({
                "move_type": "out_invoice", "partner_id": cls.member.id, "invoice_date": today,
                "invoice_user_id": user.id,
                "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": amount,
                                                     "tax_ids": [Command.clear()]})],
            })
            invoice.action_post()

    def _screens(self, user):
        return self.env["wholesale.loyalty.kpi"].search([("create_uid", "=", user.id)])

    def test_sales_rep_reaches_kpis_and_analysis_from_the_sales_app(self):
        self.assertEqual(self.member.wholesale_program_id, self.program)
        self.start_tour("/odoo", "wholesale_loyalty_reports_rep_tour", login="tour_reports_rep")
        screen = self._screens(self.rep)
        self.assertEqual(len(screen), 1, "refreshing reuses the screen")
        self.assertEqual(screen.display_name, "Loyalty KPIs — Tour Reports Program")
        self.assertAlmostEqual(screen.member_revenue, 1500.0, msg="the rep's own invoice only")
        self.assertEqual(
            self.env["ir.default"]._get("wholesale.loyalty.kpi", "program_id", user_id=self.rep.id,
                                        company_id=self.env.company.id),
            self.program.id, "the program is remembered for the rep",
        )

    def test_admin_reads_kpis_and_roi_sensitivity(self):
        admin = self.env.ref("base.user_admin")
        scenario = self.env["wholesale.loyalty.roi.scenario"].create({
            "name": "Tour ROI", "avg_revenue": 100_000, "years": 3, "churn_percent": 10,
            "churn_reduction_percent": 5, "uplift_percent": 10, "program_cost": 20_000, "user_id": admin.id,
        })
        self.start_tour("/odoo",
                        "wholesale_loyalty_reports_admin_tour", login="admin")
        screen = self._screens(admin).filtered(lambda kpi: kpi.program_id == self.program)
        self.assertEqual(len(screen), 1)
        self.assertAlmostEqual(screen.member_revenue, 4000.0)
        self.assertAlmostEqual(screen.member_revenue_previous, 0.0)
        at_zero = scenario.sensitivity_line_ids.filtered(lambda line: line.change_percent == 0)
        self.assertEqual(sorted(at_zero.mapped("roi_percent")), [42.5, 42.5, 42.5])
