"""What-if simulations: the engine's own tiers as the oracle of an unchanged replay, five
customers hand-computed under each changed setting, sensitivity runs, Apply and bad input.
Today is 20 March 2026; the default window is 21 March 2025 to 20 March 2026."""
from datetime import date

from freezegun import freeze_time
from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import WholesaleLoyaltyCommon

TODAY = date(2026, 3, 20)


@tagged("post_install", "-at_install")
class TestSimulation(WholesaleLoyaltyCommon):
    """Silver 0 / Gold 1000 (5%, x1.5) / Platinum 5000 (10%), rolling 12 months, 1 point per
    100. In the window: Alpha 500, Beta 700 + 500, Gamma 2000 + 1250 - 250 (credit note),
    Delta 6000; Epsilon bought only before the window, Delta too (9000)."""

    @classmethod
    def setUpClass(cls):
        cls.startClassPatcher(freeze_time(TODAY))
        super().setUpClass()
        cls.program.write({"qualification_period": "rolling", "period_months": 12, "downgrade_grace_days": 0})
        cls.alpha = cls.customer
        cls.beta = cls._customer("Beta Wholesale")
        cls.gamma = cls._customer("Gamma Supplies")
        cls.delta = cls._customer("Delta Distribution")
        cls.epsilon = cls._customer("Epsilon Foods")
        cls._invoice(cls.alpha, 500, "2026-01-10")
        cls._invoice(cls.beta, 700, "2025-06-01")
        cls._invoice(cls.beta, 500, "2026-02-01")
        cls._invoice(cls.gamma, 2000, "2025-09-01")
        gamma_jan = cls._invoice(cls.gamma, 1250, "2026-01-15")
        cls._refund(gamma_jan, 250, "2026-02-01")
        cls._invoice(cls.delta, 9000, "2024-01-01")
        cls._invoice(cls.delta, 6000, "2025-12-01")
        cls._invoice(cls.epsilon, 400, "2024-06-01")
        cls.program.action_recalculate_tiers()
        cls.customers = cls.alpha | cls.beta | cls.gamma | cls.delta | cls.epsilon

    def _simulation(self, **values):
        return self.env["wholesale.loyalty.simulation"].create({"program_id": self.program.id, **values})

    def _line(self, simulation, name):
        return simulation.tier_line_ids.filtered(lambda line: line.name == name)

    def _simulate(self, change=None, **values):
        """A simulation of the default window with ``change`` applied to its draft, run."""
        simulation = self._simulation(**values)
        if change:
            change(simulation)
        simulation.action_simulate()
        return simulation

    def _engine_tiers(self):
        """{member id: tier id} as the engine left them."""
        members = self.env["res.partner"].search(
            [("wholesale_program_id", "=", self.program.id), ("parent_id", "=", False)]
        )
        return {partner.id: partner.wholesale_tier_id.id or None for partner in members}

    def _tiers(self, simulation):
        """{customer: proposed tier name} of the movers."""
        return {move.partner_id: move.proposed_tier_name for move in simulation.move_ids}

    # ------------------------------------------------------------------ oracle

    def test_unchanged_settings_reproduce_the_engine(self):
        self.assertEqual(
            [partner.wholesale_tier_id for partner in self.customers],
            [self.silver, self.gold, self.gold, self.platinum, self.silver],
            "the engine's tiers, the oracle",
        )
        simulation = self._simulation()
        now, then, _moves = simulation._simulate()
        self.assertEqual(now.tier_of, self._engine_tiers(), "every member's tier, as the engine gives it")
        self.assertEqual(then.tier_of, self._engine_tiers())
        self.assertEqual((simulation.date_from, simulation.date_to), (date(2025, 3, 21), TODAY))
        self.assertFalse(simulation.move_ids, "nobody moves under the program's own settings")
        members = {line.name: (line.current_member_count, line.proposed_member_count)
                   for line in simulation.tier_line_ids}
        engine = {tier.name: tier.partner_count for tier in self.program.tier_ids}
        self.assertEqual(members, {name: (count, count) for name, count in engine.items()})
        self.assertEqual(members, {"Silver": (2, 2), "Gold": (2, 2), "Platinum": (1, 1)})
        self.assertEqual(simulation.customer_count, 5)
        self.assertEqual((simulation.current_untiered_count, simulation.proposed_untiered_count), (0, 0))
        for name in ("discount_cost", "points", "points_value", "rebates", "cost", "liability"):
            self.assertEqual(simulation[f"current_{name}"], simulation[f"proposed_{name}"], name)
        # 5% of Beta's 1200 and Gamma's 3000, 10% of Delta's 6000.
        self.assertAlmostEqual(simulation.current_discount_cost, 810.0)
        # Alpha 5; Beta (x1.5) 10 + 7; Gamma (x1.5) 30 + 18 - 3; Delta 60.
        self.assertEqual(simulation.current_points, 127)
        self.assertAlmostEqual(simulation.current_cost, 937.0)
        self.assertAlmostEqual(simulation.sales_amount, 10_700.0)
        self.assertEqual(simulation.state, "done")

    def test_unchanged_settings_reproduce_the_engine_on_every_basis_and_period(self):
        for values in ({"qualification_period": "lifetime"}, {"qualification_period": "calendar_year"},
                       {"qualification_period": "previous_month"}, {"qualification_basis": "paid"}):
            with self.subTest(values=values):
                self.program.write(values)
                self.program.action_recalculate_tiers()
                simulation = self._simulation()
                now, then, moves = simulation._simulate()
                self.assertEqual(now.tier_of, self._engine_tiers())
                self.assertEqual(then.tier_of, self._engine_tiers())
                self.assertFalse(moves)
                self.assertFalse(simulation.move_ids)

    # ------------------------------------------------------------------ each setting, by hand

    def test_raised_threshold_moves_exactly_the_customers_between_old_and_new(self):
        simulation = self._simulate(lambda sim: self._line(sim, "Gold").write({"threshold_amount": 3500}))
        # Beta (1200) and Gamma (3000) lie between 1000 and 3500; Delta keeps Platinum.
        self.assertEqual(self._tiers(simulation), {self.beta: "Silver", self.gamma: "Silver"})
        self.assertEqual(set(simulation.move_ids.mapped("direction")), {"down"})
        self.assertEqual(simulation.move_ids.current_tier_id, self.gold)
        self.assertEqual((simulation.moved_up_count, simulation.moved_down_count), (0, 2))
        self.assertEqual(self._line(simulation, "Gold").proposed_member_count, 0)
        self.assertEqual(self._line(simulation, "Silver").proposed_member_count, 4)
        self.assertAlmostEqual(simulation.proposed_discount_cost, 600.0)
        # Beta 7 + 5, Gamma 20 + 12 - 2 at x1.
        self.assertEqual(simulation.proposed_points, 5 + 12 + 30 + 60)
        self.assertEqual(simulation.move_ids.sorted("qualifying_amount").mapped("qualifying_amount"), [1200, 3000])

    def test_lowered_threshold_moves_customers_up(self):
        simulation = self._simulate(lambda sim: self._line(sim, "Platinum").write({"threshold_amount": 3000}))
        self.assertEqual(self._tiers(simulation), {self.gamma: "Platinum"})
        self.assertEqual(simulation.move_ids.direction, "up")
        self.assertAlmostEqual(simulation.proposed_discount_cost, 60 + 300 + 600)
        self.assertEqual(simulation.proposed_points, 5 + 17 + (20 + 12 - 2) + 60)

    def test_changed_discount(self):
        simulation = self._simulate(lambda sim: self._line(sim, "Gold").write({"discount_percent": 8}))
        self.assertFalse(simulation.move_ids)
        self.assertAlmostEqual(simulation.proposed_discount_cost, 96 + 240 + 600)
        self.assertAlmostEqual(simulation.cost_difference, 126.0)

    def test_changed_multiplier(self):
        simulation = self._simulate(lambda sim: self._line(sim, "Gold").write({"points_multiplier": 2}))
        # Beta 14 + 10, Gamma 40 + 24 - 4.
        self.assertEqual(simulation.proposed_points, 5 + 24 + 60 + 60)
        self.assertAlmostEqual(simulation.proposed_points_value, 149.0)

    def test_changed_rebate(self):
        simulation = self._simulate(lambda sim: self._line(sim, "Platinum").write({"rebate_percent": 2}))
        self.assertAlmostEqual(simulation.current_rebates, 0.0)
        self.assertAlmostEqual(simulation.proposed_rebates, 120.0)
        self.assertAlmostEqual(simulation.proposed_cost, 937.0 + 120.0)

    def test_changed_points_per_step(self):
        simulation = self._simulate(points_per_step=2)
        # Alpha 10; Beta 21 + 15; Gamma 60 + 36 - 6; Delta 120.
        self.assertEqual(simulation.proposed_points, 10 + 36 + 90 + 120)
        self.assertEqual(simulation.current_points, 127)

    def test_changed_amount_step(self):
        simulation = self._simulate(points_amount_step=1000)
        # Alpha 0; Beta 0 + 0; Gamma 3 + 1 - 0; Delta 6.
        self.assertEqual(simulation.proposed_points, 10)

    def test_changed_minimum_order(self):
        simulation = self._simulate(points_min_order_amount=600)
        # Alpha's 500 and Beta's 500 earn nothing; Gamma's credit note still takes back 3.
        self.assertEqual(simulation.proposed_points, 0 + 10 + 45 + 60)

    def test_changed_point_value_and_liability(self):
        self.env["wholesale.loyalty.ledger"].sudo().create({  # only the points service writes entries
            "partner_id": self.delta.id, "program_id": self.program.id, "company_id": self.program.company_id.id,
            "date": "2026-03-01", "points": -self.delta.wholesale_points_balance // 2, "kind": "redeem",
            "reference": "test-redeem",
        })
        simulation = self._simulate(point_value=0.5)
        self.assertAlmostEqual(simulation.proposed_points_value, 63.5)
        self.assertGreater(simulation.redemption_rate, 0)
        share = 1 - simulation.redemption_rate / 100 - simulation.expiry_rate / 100
        self.assertAlmostEqual(simulation.current_liability, round(127 * share, 2), places=2)
        self.assertAlmostEqual(simulation.proposed_liability, round(63.5 * share, 2), places=2)

    def test_added_tier(self):
        simulation = self._simulate(lambda sim: sim.write({"tier_line_ids": [Command.create({
            "name": "Diamond", "threshold_amount": 5500, "discount_percent": 12,
        })]}))
        self.assertEqual(self._tiers(simulation), {self.delta: "Diamond"})
        self.assertEqual(simulation.move_ids.direction, "up")
        self.assertEqual(self._line(simulation, "Diamond").current_member_count, 0)
        self.assertAlmostEqual(simulation.proposed_discount_cost, 60 + 150 + 720)

    def test_removed_tier(self):
        simulation = self._simulate(lambda sim: self._line(sim, "Silver").unlink())
        self.assertEqual(self._tiers(simulation), {self.alpha: False, self.epsilon: False})
        self.assertEqual(set(simulation.move_ids.mapped("direction")), {"down"})
        self.assertEqual(simulation.proposed_untiered_count, 2)

    def test_mover_opens_the_customer(self):
        simulation = self._simulate(lambda sim: self._line(sim, "Gold").write({"threshold_amount": 2500}))
        action = simulation.move_ids.action_open_partner()
        self.assertEqual((action["res_model"], action["res_id"]), ("res.partner", self.beta.id))

    def test_movers_are_those_of_the_last_run(self):
        simulation = self._simulate(lambda sim: self._line(sim, "Gold").write({"threshold_amount": 3500}))
        self.assertEqual(set(self._tiers(simulation)), {self.beta, self.gamma})
        self._line(simulation, "Gold").threshold_amount = 2500
        simulation.action_simulate()
        self.assertEqual(self._tiers(simulation), {self.beta: "Silver"})
        self.assertEqual(simulation.move_ids.read(["qualifying_amount", "direction"])[0]["qualifying_amount"], 1200)
        self._line(simulation, "Gold").threshold_amount = 1000
        simulation.action_simulate()
        self.assertFalse(simulation.move_ids)
        # Each simulation reads only its own movers; a copy starts without any.
        other = self._simulate(lambda sim: self._line(sim, "Platinum").write({"threshold_amount": 3000}))
        self.assertEqual(self._tiers(other), {self.gamma: "Platinum"})
        self.assertFalse(simulation.move_ids)
        self.assertFalse(other.copy().move_ids)

    def test_movers_are_read_only_and_kept_to_their_company(self):
        simulation = self._simulate(lambda sim: self._line(sim, "Gold").write({"threshold_amount": 3500}))
        movers = self.env["wholesale.loyalty.simulation.move"]
        manager = self._company_user("wl_sim_movers", "wholesale_loyalty.group_wholesale_loyalty_manager")
        self.assertEqual(movers.with_user(manager).search_count([("simulation_id", "=", simulation.id)]), 2)
        with self.assertRaises(AccessError):
            movers.with_user(manager).create({"simulation_id": simulation.id, "partner_id": self.alpha.id})
        other_company = self.env["res.company"].create({"name": "Other Wholesale Co"})
        outsider = new_test_user(
            self.env, login="wl_sim_outsider", groups="wholesale_loyalty.group_wholesale_loyalty_manager",
            company_id=other_company.id, company_ids=[other_company.id],
        )
        self.assertEqual(movers.with_user(outsider).search_count([]), 0)

    def test_roi_of_both_settings(self):
        scenario = self.env["wholesale.loyalty.roi.scenario"].create({
            "name": "Assumptions", "avg_revenue": 100_000, "years": 3, "churn_percent": 10,
            "churn_reduction_percent": 5, "uplift_percent": 10, "program_cost": 20_000,
        })
        simulation = self._simulate(lambda sim: self._line(sim, "Gold").write({"discount_percent": 8}),
                                    roi_scenario_id=scenario.id)
        self.assertTrue(simulation.roi_computed)
        # Gain 28,500 against costs of 937 and 1,063.
        self.assertAlmostEqual(simulation.current_roi_percent, (28_500 - 937) / 937 * 100, places=2)
        self.assertAlmostEqual(simulation.proposed_roi_percent, (28_500 - 1063) / 1063 * 100, places=2)

    # ------------------------------------------------------------------ sensitivity

    def test_sensitivity_of_a_threshold(self):
        simulation = self._simulation()
        simulation.write({
            "sensitivity_setting": "threshold_amount", "sensitivity_tier_line_id": self._line(simulation, "Gold").id,
            "sensitivity_from": 1000, "sensitivity_to": 3500, "sensitivity_steps": 6,
        })
        simulation.action_run_sensitivity()
        lines = simulation.sensitivity_line_ids
        self.assertEqual(len(lines), 6 * 4, "six steps, three tiers and 'No tier'")
        gold = lines.filtered(lambda line: line.tier_name == "Gold").sorted("step")
        self.assertEqual(gold.mapped("value"), [1000, 1500, 2000, 2500, 3000, 3500])
        self.assertEqual(gold.mapped("member_count"), [2, 1, 1, 1, 1, 0])
        first = lines.filtered(lambda line: line.step == 1)
        self.assertEqual(sum(first.mapped("member_count")), 5)
        self.assertAlmostEqual(sum(first.mapped("cost")), 937.0)
        self.assertEqual(simulation.state, "draft", "a sensitivity run is no simulation of the proposal")
        self.assertEqual(simulation.action_open_sensitivity_graph()["domain"], [("simulation_id", "=", simulation.id)])

    def test_sensitivity_graph_draws_the_varied_value_on_its_axis(self):
        simulation = self._simulation()
        simulation.write({
            "sensitivity_setting": "threshold_amount", "sensitivity_tier_line_id": self._line(simulation, "Gold").id,
            "sensitivity_from": 1000, "sensitivity_to": 10000, "sensitivity_steps": 3,
        })
        simulation.action_run_sensitivity()
        model = self.env["wholesale.loyalty.simulation.sensitivity"]
        # What the graph asks the server: its row (x-axis), column and measure from its own view.
        arch = etree.fromstring(model.get_views([(False, "graph")])["views"]["graph"]["arch"])
        fields_of = {field.get("type"): field.get("name") for field in arch.iter("field")}
        groups = model.read_group(
            [("simulation_id", "=", simulation.id)], [fields_of["measure"]],
            [fields_of["row"], fields_of["col"]], lazy=False,
        )
        axis = list(dict.fromkeys(group[fields_of["row"]] for group in groups))
        self.assertEqual(axis, ["1,000", "5,500", "10,000"], "the varied value, in its order, not as text")
        gold = [group["member_count"] for group in groups if group["tier_name"] == "Gold"]
        self.assertEqual(gold, simulation.sensitivity_line_ids.filtered(
            lambda line: line.tier_name == "Gold").sorted("step").mapped("member_count"))
        self.assertEqual(gold[0], 2, "two Gold customers from 1,000")

    def test_sensitivity_of_points_per_step(self):
        simulation = self._simulation(sensitivity_setting="points_per_step", sensitivity_from=1,
                                      sensitivity_to=2, sensitivity_steps=2)
        simulation.action_run_sensitivity()
        costs = [sum(simulation.sensitivity_line_ids.filtered(lambda line, step=step: line.step == step)
                     .mapped("cost")) for step in (1, 2)]
        self.assertAlmostEqual(costs[0], 937.0)
        self.assertAlmostEqual(costs[1], 810.0 + 256)

    def test_sensitivity_refuses_an_impossible_range(self):
        simulation = self._simulation(sensitivity_setting="threshold_amount", sensitivity_from=-100,
                                      sensitivity_to=500, sensitivity_steps=3)
        simulation.sensitivity_tier_line_id = self._line(simulation, "Gold")
        with self.assertRaisesRegex(ValidationError, "threshold cannot be negative"):
            simulation.action_run_sensitivity()
        simulation.sensitivity_steps = 1
        with self.assertRaisesRegex(ValidationError, "from 2 to 50 steps"):
            simulation.action_run_sensitivity()
        self.assertFalse(simulation.sensitivity_line_ids)

    # ------------------------------------------------------------------ apply

    def test_apply_writes_only_the_program(self):
        simulation = self._simulate(lambda sim: (
            self._line(sim, "Gold").write({"threshold_amount": 2500, "points_multiplier": 2}),
            self._line(sim, "Silver").unlink(),
            sim.write({"points_per_step": 2, "tier_line_ids": [
                Command.create({"name": "Diamond", "threshold_amount": 8000, "discount_percent": 12})]}),
        ))
        ledger, history = self.env["wholesale.loyalty.ledger"], self.env["wholesale.loyalty.tier.history"]
        before = ([partner.wholesale_tier_id for partner in self.customers],
                  ledger.search_count([]), history.search_count([]))
        messages = len(self.program.message_ids)
        simulation.action_apply()
        self.assertEqual(self.program.points_per_step, 2)
        self.assertEqual(
            [(tier.name, tier.threshold_amount, tier.points_multiplier) for tier in
             self.program.tier_ids.sorted("threshold_amount")],
            [("Gold", 2500, 2), ("Platinum", 5000, 1), ("Diamond", 8000, 1)],
        )
        self.assertIn(self.gold, self.program.tier_ids, "a changed tier keeps its identity")
        self.assertFalse(self.silver.exists())
        self.customers.invalidate_recordset()
        after = ([partner.wholesale_tier_id for partner in self.customers],
                 ledger.search_count([]), history.search_count([]))
        self.assertEqual(before[1:], after[1:], "no ledger entry, no tier history")
        self.assertEqual(after[0][1:4], before[0][1:4], "customers keep their tiers until the engine runs")
        self.assertFalse(after[0][0] or after[0][4], "but none holds a removed tier")
        self.assertEqual(len(self.program.message_ids), messages + 1)
        note = self.program.message_ids[0].body
        for text in ("Gold", "2,500", "Silver removed", "New tier Diamond", "Customers moving up"):
            self.assertIn(text, note)
        self.assertTrue(simulation.applied_date)

    def test_apply_keeps_what_another_administrator_changed_since_the_run(self):
        simulation = self._simulate(lambda sim: self._line(sim, "Gold").write({"threshold_amount": 2500}))
        # After the run another administrator raises Gold's discount and adds a tier.
        self.gold.discount_percent = 7
        diamond = self.env["wholesale.loyalty.tier"].create(
            {"program_id": self.program.id, "name": "Diamond", "threshold_amount": 9000}
        )
        self.program.max_redeem_percent = 30
        simulation.action_apply()
        self.assertEqual((self.gold.threshold_amount, self.gold.discount_percent), (2500, 7),
                         "only the threshold the proposal changes is written")
        self.assertTrue(diamond.exists(), "a tier added since the run stays")
        self.assertEqual(self.program.max_redeem_percent, 30)

    def test_apply_refuses_a_setting_changed_since_the_run(self):
        simulation = self._simulate(lambda sim: (
            self._line(sim, "Gold").write({"threshold_amount": 2500}),
            sim.write({"points_per_step": 2}),
        ))
        self.gold.threshold_amount = 1200
        self.program.points_per_step = 3
        with self.assertRaises(UserError) as refusal:
            simulation.action_apply()
        self.assertIn("points per step", str(refusal.exception).lower())
        self.assertIn("Gold: Qualifying Spend", str(refusal.exception))
        self.assertEqual((self.gold.threshold_amount, self.program.points_per_step), (1200, 3), "nothing written")
        simulation.action_simulate()
        simulation.action_apply()
        self.assertEqual((self.gold.threshold_amount, self.program.points_per_step), (2500, 2),
                         "a new run sees the program as it is and applies")

    def test_apply_refuses_to_remove_a_tier_changed_since_the_run(self):
        simulation = self._simulate(lambda sim: self._line(sim, "Silver").unlink())
        self.silver.discount_percent = 1
        with self.assertRaisesRegex(UserError, "Silver"):
            simulation.action_apply()
        self.assertTrue(self.silver.exists())

    def test_apply_needs_a_current_simulation_and_an_administrator(self):
        simulation = self._simulation()
        with self.assertRaisesRegex(UserError, "simulate the settings"):
            simulation.action_apply()
        simulation.action_simulate()
        with self.assertRaisesRegex(UserError, "nothing to apply"):
            simulation.action_apply()
        self._line(simulation, "Gold").threshold_amount = 2000
        self.assertEqual(simulation.state, "draft", "changed settings void the results")
        rep = self._company_user("wl_sim_rep", "sales_team.group_sale_salesman")
        with self.assertRaises(AccessError):
            simulation.with_user(rep).read(["name"])
        with self.assertRaises(AccessError):
            self.env["wholesale.loyalty.simulation"].with_user(rep).create({"program_id": self.program.id})

    def test_sales_manager_simulates(self):
        manager = self._company_user("wl_sim_manager", "sales_team.group_sale_manager")
        simulation = self.env["wholesale.loyalty.simulation"].with_user(manager).create(
            {"program_id": self.program.id}
        )
        simulation.action_simulate()
        self.assertEqual(simulation.customer_count, 5)

    # ------------------------------------------------------------------ bad input

    def test_bad_input_is_refused_and_writes_nothing(self):
        cases = [
            ({"date_from": "2026-03-01", "date_to": "2026-01-01"}, "starts on .* after its end"),
            ({"date_to": "2026-04-01"}, "in the future"),
            ({"point_value": 0}, "a point must be worth more than zero"),
            ({"points_amount_step": -1}, "amount per points step must be above 0"),
            ({"max_redeem_percent": 120}, "redemption cap must be between 0 and 100%"),
            ({"tier_line_ids": [Command.create({"name": "Bad", "threshold_amount": -5})]},
             "tier Bad: a threshold cannot be negative"),
            ({"tier_line_ids": [Command.create({"name": "Bad", "threshold_amount": 10, "discount_percent": 120})]},
             "tier Bad: a percentage must be between 0 and 100%"),
        ]
        for values, message in cases:
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, message), \
                    self.cr.savepoint():
                self._simulation(**values).flush_recordset()
        simulation = self._simulation()
        with self.assertRaisesRegex(ValidationError, "threshold cannot be negative"), self.cr.savepoint():
            self._line(simulation, "Gold").threshold_amount = -1
        with self.assertRaisesRegex(ValidationError, "same threshold"), self.cr.savepoint():
            self._line(simulation, "Gold").threshold_amount = 5000
            simulation.action_simulate()

    def test_empty_window_is_refused(self):
        simulation = self._simulation(date_from="2023-01-01", date_to="2023-12-31")
        with self.assertRaisesRegex(UserError, "no invoice or credit note"):
            simulation.action_simulate()
        self.assertEqual(simulation.state, "draft")
        self.assertFalse(simulation.move_ids)
        self.assertFalse(simulation.simulated_date)
