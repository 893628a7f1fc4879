"""Saved ROI scenarios: the article's example, bad input, sensitivity lines, fill from data."""
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .test_reports_common import WholesaleReportsCommon


@tagged("post_install", "-at_install")
class TestReportsRoiScenario(WholesaleReportsCommon):

    def test_article_example(self):
        scenario = self._scenario()
        self.assertEqual(scenario.revenue_gain, 28_500.0)
        self.assertEqual(scenario.roi_percent, 42.5)
        self.assertEqual(scenario.net_gain, 8_500.0)
        self.assertEqual(scenario.user_id, self.env.user)

    def test_changing_an_input_recomputes_everything(self):
        scenario = self._scenario()
        scenario.program_cost = 28_500
        self.assertEqual(scenario.roi_percent, 0.0)
        base = scenario.sensitivity_line_ids.filtered(lambda line: line.change_percent == 0)
        self.assertEqual(set(base.mapped("roi_percent")), {0.0})

    def test_bad_input_is_refused_clearly(self):
        cases = [
            ({"program_cost": 0}, "program cost \\(V\\) must be greater than zero"),
            ({"program_cost": -100}, "program cost \\(V\\) must be greater than zero"),
            ({"years": -1}, "years of cooperation \\(N\\) cannot be negative"),
            ({"churn_percent": 120}, "churn \\(W\\) must be between 0 and 100%"),
            ({"churn_reduction_percent": -5}, "churn reduction \\(X\\) must be between 0 and 100%"),
            ({"uplift_percent": 101}, "revenue uplift \\(Y\\) must be between 0 and 100%"),
            ({"avg_revenue": -1}, "average revenue per customer \\(Z\\) cannot be negative"),
            ({"sensitivity_range": 100}, "sensitivity range"),
        ]
        for values, message in cases:
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, message), \
                    self.cr.savepoint():
                self._scenario(name="Bad", **values)
        scenario = self._scenario()
        with self.assertRaisesRegex(ValidationError, "Article example cannot be calculated"), self.cr.savepoint():
            scenario.program_cost = 0
            scenario.flush_recordset()

    def test_sensitivity_lines_are_monotonic(self):
        lines = self._scenario().sensitivity_line_ids
        self.assertEqual(len(lines), 33, "11 steps from -50% to +50% for X, Y and V")

        def curve(variable):
            return lines.filtered(lambda line: line.variable == variable).sorted("change_percent").mapped("roi_percent")

        churn_saved, uplift, cost = curve("churn_reduction_percent"), curve("uplift_percent"), curve("program_cost")
        self.assertTrue(all(a < b for a, b in zip(churn_saved, churn_saved[1:], strict=False)), churn_saved)
        self.assertTrue(all(a < b for a, b in zip(uplift, uplift[1:], strict=False)), uplift)
        self.assertTrue(all(a > b for a, b in zip(cost, cost[1:], strict=False)), cost)
        cheaper = lines.filtered(lambda line: line.variable == "program_cost" and line.change_percent == -50)
        self.assertEqual((cheaper.value, cheaper.roi_percent), (10_000.0, 185.0))

    def test_sensitivity_grid_follows_the_scenario(self):
        scenario = self._scenario(sensitivity_range=20, sensitivity_step=10)
        self.assertEqual(sorted(set(scenario.sensitivity_line_ids.mapped("change_percent"))), [-20, -10, 0, 10, 20])
        old_lines = scenario.sensitivity_line_ids
        scenario.uplift_percent = 20
        self.env.flush_all()  # end of the request
        self.assertFalse(old_lines.exists(), "lines are rebuilt, not piled up")
        self.assertEqual(len(scenario.sensitivity_line_ids), 15)

    def test_sensitivity_graph(self):
        scenario = self._scenario()
        action = scenario.action_open_sensitivity_graph()
        self.assertEqual(action["res_model"], "wholesale.loyalty.roi.sensitivity")
        self.assertTrue(action["view_mode"].startswith("graph"))
        self.assertEqual(self.env[action["res_model"]].search(action["domain"]), scenario.sensitivity_line_ids)
        # The graph plots one ROI line per varied input against the change.
        groups = self.env["wholesale.loyalty.roi.sensitivity"]._read_group(
            action["domain"], ["change_percent", "variable"], ["roi_percent:avg"]
        )
        self.assertIn((0, "program_cost", 42.5), groups)
        arch = self.env["wholesale.loyalty.roi.sensitivity"].get_views([(False, "graph")])["views"]["graph"]["arch"]
        self.assertIn('type="line"', arch)

    def test_fill_from_data(self):
        # Members buying in the last 12 months (21 Mar 2025 - 20 Mar 2026): Alpha 4700, Beta 5000.
        scenario = self._scenario(program_id=self.program.id, avg_revenue=1, churn_percent=50)
        scenario.action_fill_from_data()
        self.assertAlmostEqual(scenario.avg_revenue, 4850.0)
        self.assertEqual(scenario.churn_percent, 50.0, "nobody bought the year before: churn cannot be estimated")
        self.assertIn("2 customers", scenario.data_note)
        self.assertIn("W not estimated", scenario.data_note)
        self.assertAlmostEqual(scenario.revenue_gain, 4850 * 0.10 * 3 * (100 - 50 + 5) / 100)
        # Large customers only: Platinum and up is Beta alone.
        scenario.large_tier_id = self.platinum
        scenario.action_fill_from_data()
        self.assertAlmostEqual(scenario.avg_revenue, 5000.0)

    def test_fill_from_data_estimates_churn(self):
        lost = self._customer("Lost Customer")
        self._invoice(lost, 3000, "2024-09-01")
        self._invoice(self.alpha, 800, "2024-10-01")
        scenario = self._scenario(program_id=self.program.id)
        scenario.action_fill_from_data()
        # Bought in the year before (21 Mar 2024 - 20 Mar 2025): Alpha and Lost; Lost bought nothing since.
        self.assertEqual(scenario.churn_percent, 50.0)
        self.assertAlmostEqual(scenario.avg_revenue, 4850.0, msg="customers who stopped buying are not averaged")

    def test_fill_from_data_needs_a_program_and_data(self):
        scenario = self._scenario()
        with self.assertRaisesRegex(UserError, "Choose the program"):
            scenario.action_fill_from_data()
        empty = self.env["wholesale.loyalty.program"].create({"name": "Empty", "partner_domain": "[('id', '=', 0)]"})
        scenario.program_id = empty
        with self.assertRaisesRegex(UserError, "nothing to estimate from"):
            scenario.action_fill_from_data()
        self.assertEqual(scenario.avg_revenue, 100_000, "nothing written")
