"""The points an amount earns, and what an invoice holds after its credit notes: the Python
rule and its SQL form (``points_sql``, ``points_to_hold_sql``) agree on random amounts,
steps, minimums, multipliers, currencies and credit notes, evaluated by PostgreSQL."""
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.wholesale_loyalty.tools.points_rules import (
    points_for_amount,
    points_sql,
    points_to_hold,
    points_to_hold_sql,
)

# Whole cents, and amounts with a half cent or less, which the currency rounds.
AMOUNTS = st.one_of(
    st.integers(min_value=-10**7, max_value=10**9).map(lambda cents: cents / 100),
    st.integers(min_value=-10**6, max_value=10**8).map(lambda mills: mills / 1000),
)
STEPS = st.one_of(
    st.sampled_from([100.0, 50.0, 12.5, 1.0, 0.1, 0.3, 0.07]),
    st.integers(min_value=1, max_value=10**7).map(lambda cents: cents / 100),
)
PER_STEPS = st.integers(min_value=0, max_value=25)
# The tier's multiplier has two decimals.
MULTIPLIERS = st.integers(min_value=0, max_value=1000).map(lambda hundredths: hundredths / 100)
MINIMUMS = st.one_of(st.just(0.0), st.integers(min_value=0, max_value=10**7).map(lambda cents: cents / 100))
ROUNDINGS = st.sampled_from([0.01, 1.0, 0.05, 0.001])
RULES = st.tuples(STEPS, PER_STEPS, MULTIPLIERS, MINIMUMS, ROUNDINGS)
EXAMPLES = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _values(rows):
    """``VALUES`` of ``rows`` (tuples of numbers), numbered from 0 so they come back in order."""
    return SQL(", ").join(
        SQL("(%s)", SQL(", ").join([SQL("%s", index), *(SQL("%s::numeric", value) for value in row)]))
        for index, row in enumerate(rows)
    )


@tagged("post_install", "-at_install")
class TestPointsRulesSql(TransactionCase):

    def _points_in_sql(self, amounts, rule, rounded=False):
        step, per_step, multiplier, minimum, rounding = rule
        self.env.cr.execute(SQL(
            "SELECT %s FROM (VALUES %s) AS v(id, amount) ORDER BY v.id",
            points_sql(SQL("v.amount"), step, per_step, multiplier, minimum, rounding=rounding, rounded=rounded),
            _values([(amount,) for amount in amounts]),
        ))
        return [int(points) for (points,) in self.env.cr.fetchall()]

    def _held_in_sql(self, rows, rule):
        step, per_step, multiplier, minimum, rounding = rule

        def earn_points(amount):
            return points_sql(amount, step, per_step, multiplier, minimum, rounding=rounding)

        self.env.cr.execute(SQL(
            "SELECT %s FROM (VALUES %s) AS v(id, earned, net) ORDER BY v.id",
            points_to_hold_sql(SQL("v.earned"), SQL("v.net"), earn_points),
            _values(rows),
        ))
        return [int(points) for (points,) in self.env.cr.fetchall()]

    @EXAMPLES
    @given(amounts=st.lists(AMOUNTS, min_size=1, max_size=20), rule=RULES)
    @example(amounts=[0.3, 0.29, 150.0, 90.0, 0.125, 1.005, 2.675, -0.004], rule=(0.1, 1, 1.0, 0.0, 0.01))
    @example(amounts=[499.994, 499.995, 500.0], rule=(100.0, 1, 1.5, 500.0, 0.01))
    @example(amounts=[10**7 + 0.01, 12.5 * 3], rule=(0.01, 3, 1.1, 0.0, 0.01))
    def test_sql_gives_the_points_of_the_rule(self, amounts, rule):
        step, per_step, multiplier, minimum, rounding = rule
        expected = [
            points_for_amount(amount, step, per_step, multiplier, minimum, rounding=rounding) for amount in amounts
        ]
        self.assertEqual(self._points_in_sql(amounts, rule), expected)

    @EXAMPLES
    @given(units=st.lists(st.integers(min_value=-10**7, max_value=10**9), min_size=1, max_size=20), rule=RULES)
    def test_sql_of_stored_amounts_gives_the_points_of_the_rule(self, units, rule):
        """Amounts stored at the currency's precision (whole units of its rounding, exact
        in the database) need no rounding in SQL."""
        step, per_step, multiplier, minimum, rounding = rule
        stored = [Decimal(count) * Decimal(repr(rounding)) for count in units]
        expected = [
            points_for_amount(float(amount), step, per_step, multiplier, minimum, rounding=rounding)
            for amount in stored
        ]
        self.assertEqual(self._points_in_sql(stored, rule, rounded=True), expected)

    @EXAMPLES
    @given(invoice=AMOUNTS.filter(lambda amount: amount > 0),
           refunds=st.lists(AMOUNTS.filter(lambda amount: amount > 0), min_size=1, max_size=4), rule=RULES)
    @example(invoice=150.0, refunds=[60.0], rule=(100.0, 1, 1.0, 0.0, 0.01))
    @example(invoice=1250.0, refunds=[250.0, 999.99, 0.01], rule=(100.0, 1, 1.5, 1000.0, 0.01))
    def test_sql_holds_what_the_engine_holds_after_credit_notes(self, invoice, refunds, rule):
        """Each credit note takes back what the invoice held before it less what it holds
        after: SQL and Python hold the same at every credit note."""
        step, per_step, multiplier, minimum, rounding = rule

        def earn_points(amount):
            return points_for_amount(amount, step, per_step, multiplier, minimum, rounding=rounding)

        earned = earn_points(invoice)
        nets = [invoice - sum(refunds[:count]) for count in range(len(refunds) + 1)]
        expected = [points_to_hold(earned, net, earn_points, rounding=rounding) for net in nets]
        self.assertEqual(self._held_in_sql([(earned, net) for net in nets], rule), expected)
        self.assertEqual(expected[0], earned, "before any credit note, the invoice holds what it earned")

    def test_a_credit_note_below_a_step_takes_back_the_step_the_net_amount_misses(self):
        """An invoice of 150 earns 1 point per 100; a credit note of 60 leaves 90, which
        earns none: the invoice holds nothing more, in SQL as in Python."""
        rule = (100.0, 1, 1.0, 0.0, 0.01)

        def earn_points(amount):
            return points_for_amount(amount, 100.0, 1)

        self.assertEqual(points_for_amount(150.0, 100.0, 1), 1)
        self.assertEqual(points_to_hold(1, 90.0, earn_points), 0)
        self.assertEqual(self._held_in_sql([(1, 150.0), (1, 90.0)], rule), [1, 0])

    def test_decimal_steps_count_as_written(self):
        """0.3 is three steps of 0.1, though 0.3 / 0.1 is 2.9999999999999996 in floats."""
        rule = (0.1, 1, 1.0, 0.0, 0.01)
        self.assertEqual(points_for_amount(0.3, 0.1, 1), 3)
        self.assertEqual(self._points_in_sql([0.3], rule), [3])
