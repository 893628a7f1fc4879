"""The tier a spend earns: the Python rule (``tier_finder``) and its SQL form (``tier_sql``)
agree on random ladders and amounts, evaluated by PostgreSQL."""
from datetime import date, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.wholesale_loyalty.models.wholesale_loyalty_tier_forecast import _risk
from odoo.addons.wholesale_loyalty.tools.tier_rules import (
    TierStep,
    reaches,
    tier_finder,
    tier_for_amount,
    tier_sql,
)

# Whole cents, and amounts with a half cent or less, which are rounded to cents.
AMOUNTS = st.one_of(
    st.integers(min_value=-10**6, max_value=10**9).map(lambda cents: cents / 100),
    st.integers(min_value=-10**6, max_value=10**8).map(lambda mills: mills / 1000),
)
THRESHOLDS = st.one_of(
    st.integers(min_value=0, max_value=10**8).map(lambda cents: cents / 100),
    st.integers(min_value=0, max_value=10**7).map(lambda mills: mills / 1000),
)
LADDERS = st.lists(THRESHOLDS, max_size=6).flatmap(
    lambda thresholds: st.permutations(range(1, len(thresholds) + 1)).map(
        lambda ids: [TierStep(tier_id, threshold) for tier_id, threshold in zip(ids, thresholds, strict=True)]
    )
)


@tagged("post_install", "-at_install")
class TestTierRulesSql(TransactionCase):

    def _tiers_in_sql(self, ladder, amounts):
        values = SQL(", ").join(SQL("(%s, %s::numeric)", index, amount) for index, amount in enumerate(amounts))
        self.env.cr.execute(SQL(
            "SELECT %s FROM (VALUES %s) AS v(id, amount) ORDER BY v.id", tier_sql(ladder, SQL("v.amount")), values,
        ))
        return [tier_id for (tier_id,) in self.env.cr.fetchall()]

    @settings(max_examples=150, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(ladder=LADDERS, amounts=st.lists(AMOUNTS, min_size=1, max_size=20))
    @example(ladder=[TierStep(3, 5000.0), TierStep(1, 0.0), TierStep(2, 1000.0)],
             amounts=[-10.0, 0.0, 999.99, 999.994, 999.995, 1000.0, 4999.99, 5000.0])
    @example(ladder=[TierStep(1, 0.125), TierStep(2, 0.13), TierStep(3, 1.005)], amounts=[0.125, 0.13, 1.005, 1.0])
    @example(ladder=[TierStep(2, 10.001), TierStep(1, 10.0)], amounts=[10.0, 10.004, 10.005])
    def test_sql_gives_the_tier_of_the_rule(self, ladder, amounts):
        find = tier_finder(ladder)
        self.assertEqual(self._tiers_in_sql(ladder, amounts), [find(amount) for amount in amounts])

    def test_half_cents_round_up_as_the_database_rounds(self):
        """A spend of 1,000.125 is 1,000.13 in cents, as PostgreSQL rounds it: it reaches a
        threshold of 1,000.13 (Python's ``round`` gave 1,000.12, short of it)."""
        ladder = [TierStep(1, 0.0), TierStep(2, 1000.13)]
        self.assertEqual(tier_for_amount(ladder, 1000.125), 2)
        self.assertEqual(tier_for_amount(ladder, 1000.124), 1)
        self.assertEqual(self._tiers_in_sql(ladder, [1000.125, 1000.124]), [2, 1])

    def test_the_forecast_reads_half_cents_as_the_ladder(self):
        """A spend of 1,000.125 holds a tier of 1,000.13 in the forecast too: the tier is
        at risk when the document leaves the window, not today."""
        self.assertTrue(reaches(1000.125, 1000.13))
        rows = [(7, 3, 1000.13, None, date(2026, 1, 10), 1000.125)]
        risk = _risk(date(2026, 3, 1), timedelta(0), 12, 7, rows)
        self.assertEqual((risk.keep_by, risk.amount), (date(2027, 1, 10), 1000.13))
