"""The what-if replay's pure rules: tiers, costs and points from per-customer figures."""
import unittest

from odoo.addons.wholesale_loyalty_reports.tools.proposal import (
    Change,
    changed_since,
    program_writes,
    proposal_changes,
)
from odoo.addons.wholesale_loyalty_reports.tools.simulation import (
    Customer,
    Settings,
    SimTier,
    evaluate,
    expected_liability,
    move_direction,
    movers,
    observed_rates,
    points_rules,
    replace_tier,
    sweep,
)

SILVER, GOLD = SimTier(1, "Silver", 0), SimTier(2, "Gold", 1000, 5, 1.5, 2)
LADDER = Settings((SILVER, GOLD))


def customer(partner_id, qualifying, sales, settings=LADDER, points=None):
    """A customer whose documents earn ``points`` (by multiplier) under every rule of ``settings``."""
    points = points or {1.0: 10, 1.5: 15}
    return Customer(partner_id, qualifying, sales,
                    {rule: points[rule.multiplier] for rule in points_rules(settings)})


class TestSimulationRules(unittest.TestCase):

    def test_evaluate_costs_by_tier(self):
        customers = [customer(1, 500, 500), customer(2, 1000, 2000), customer(3, 999.99, 900)]
        outcome = evaluate(LADDER, customers)
        self.assertEqual(outcome.tier_of, {1: 1, 2: 2, 3: 1}, "999.99 is below 1000")
        self.assertEqual(outcome.members, {1: 2, 2: 1})
        self.assertEqual(outcome.discount_cost, 100.0)
        self.assertEqual(outcome.rebates, 40.0)
        self.assertEqual(outcome.points, 10 + 15 + 10)
        self.assertEqual(outcome.cost, 100 + 40 + 35)
        self.assertAlmostEqual(sum(outcome.cost_by_tier.values()), outcome.cost)

    def test_no_tier_below_every_threshold(self):
        settings = Settings((GOLD,))
        outcome = evaluate(settings, [customer(1, 10, 100, settings)])
        self.assertEqual(outcome.tier_of, {1: None})
        self.assertEqual((outcome.discount_cost, outcome.points), (0.0, 10))

    def test_movers_and_directions(self):
        proposed = replace_tier(LADDER, 2, threshold=3000)
        customers = [customer(1, 500, 500), customer(2, 2000, 2000), customer(3, 5000, 5000)]
        moves = movers(LADDER, proposed, customers, evaluate(LADDER, customers), evaluate(proposed, customers))
        self.assertEqual([(move.partner_id, move.direction) for move in moves], [(2, "down")])
        new = SimTier(("new", 9), "Diamond", 4000)
        self.assertEqual(move_direction(LADDER.tiers, (*LADDER.tiers, new), 2, ("new", 9)), "up")
        self.assertEqual(move_direction(LADDER.tiers, (GOLD,), 1, None), "down")
        self.assertEqual(move_direction(LADDER.tiers, LADDER.tiers, 2, 2), "same")
        copy = SimTier(("new", 3), "Gold again", 1000)
        self.assertEqual(move_direction(LADDER.tiers, (SILVER, copy), 2, ("new", 3)), "same",
                         "a removed tier's twin at the same threshold is no move")

    def test_rates_and_liability(self):
        self.assertEqual(observed_rates(0, 5, 5), (0.0, 0.0))
        self.assertEqual(observed_rates(100, 30, 10), (0.3, 0.1))
        redemption, expiry = observed_rates(100, 90, 50)
        self.assertAlmostEqual(redemption + expiry, 1.0, msg="never more than everything")
        self.assertAlmostEqual(redemption, 0.9)
        self.assertEqual(expected_liability(200.0, 0.3, 0.1), 120.0)
        self.assertEqual(expected_liability(200.0, 1.0, 0.0), 0.0)

    def test_sweep(self):
        self.assertEqual(sweep(8000, 20000, 10)[:3], [8000, 9333.333333, 10666.666667])
        self.assertEqual(sweep(8000, 20000, 10)[-1], 20000)
        self.assertEqual(len(sweep(8000, 20000, 10)), 10)
        with self.assertRaises(ValueError):
            sweep(1, 2, 1)


def _settings(points=1, gold=1000.0, gold_discount=5.0, tiers=None):
    tiers = tiers if tiers is not None else {
        "1": {"name": "Silver", "threshold_amount": 0.0, "discount_percent": 0.0},
        "2": {"name": "Gold", "threshold_amount": gold, "discount_percent": gold_discount},
    }
    return {"points": {"points_per_step": points}, "tiers": tiers}


class TestProposal(unittest.TestCase):
    """Apply writes what the proposal changes against the run's baseline, and refuses what the
    program changed since."""

    def test_changes_are_those_against_the_baseline(self):
        baseline = _settings()
        proposal = _settings(points=2, gold=2500.0)
        proposal["tiers"]["new:7"] = {"name": "Diamond", "threshold_amount": 9000.0, "discount_percent": 12.0}
        del proposal["tiers"]["1"]
        changes = proposal_changes(baseline, proposal)
        self.assertEqual(changes, [
            Change("points", None, "points_per_step", 1, 2),
            Change("tier", "2", "threshold_amount", 1000.0, 2500.0),
            Change("new", "new:7", None, None, proposal["tiers"]["new:7"]),
            Change("removed", "1", None, baseline["tiers"]["1"], None),
        ])
        points, updates, created, removed = program_writes(changes)
        self.assertEqual(points, {"points_per_step": 2})
        self.assertEqual(updates, {"2": {"threshold_amount": 2500.0}})
        self.assertEqual(removed, ["1"])
        self.assertEqual([values["name"] for values in created], ["Diamond"])

    def test_a_setting_the_program_changed_since_is_a_conflict_others_are_not(self):
        baseline = _settings()
        changes = proposal_changes(baseline, _settings(gold=2500.0))
        self.assertFalse(changed_since(baseline, _settings(gold_discount=7.0), changes),
                         "another setting of the same tier changed: no conflict, and it is not written")
        self.assertEqual(changed_since(baseline, _settings(gold=1200.0), changes), changes)
        gone = _settings(tiers={"1": baseline["tiers"]["1"]})
        self.assertEqual(changed_since(baseline, gone, changes), changes, "the tier was deleted since")

    def test_same_values_to_six_decimals_are_no_change(self):
        self.assertFalse(proposal_changes(_settings(gold=1000.0), _settings(gold=1000.0000001)))
