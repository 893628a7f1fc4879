"""The what-if replay's pure rules: tiers, costs and points from per-customer figures."""
import unittest

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
