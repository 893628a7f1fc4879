"""The pure ROI, sensitivity and KPI arithmetic of the reports add-on, without the ORM."""
from datetime import date

import pytest

from odoo.addons.wholesale_loyalty_reports.tools.kpi import (
    churn_percent,
    growth_percent,
    months_in_period,
    percent,
    previous_period,
)
from odoo.addons.wholesale_loyalty_reports.tools.roi import (
    RoiInputs,
    change_grid,
    input_errors,
    revenue_gain,
    roi_percent,
    sensitivity,
)

# The source article's example: Z=100000, N=3, W=10, X=5, Y=10, V=20000.
ARTICLE = RoiInputs(
    avg_revenue=100_000, years=3, churn_percent=10, churn_reduction_percent=5, uplift_percent=10,
    program_cost=20_000,
)


def test_article_example_is_exact():
    assert revenue_gain(ARTICLE) == 28_500.0
    assert roi_percent(ARTICLE) == 42.5


def test_roi_is_zero_at_break_even_and_negative_below():
    assert roi_percent(ARTICLE._replace(program_cost=revenue_gain(ARTICLE))) == 0.0
    assert roi_percent(ARTICLE._replace(program_cost=57_000)) == -50.0


def test_gain_follows_the_corrected_formula():
    # (Z * Y/100) * N * (100 - W + X)/100 with W = 20, X = 0: 80% of the customers stay.
    inputs = ARTICLE._replace(churn_percent=20, churn_reduction_percent=0, years=2)
    assert revenue_gain(inputs) == pytest.approx(100_000 * 0.10 * 2 * 0.80)


@pytest.mark.parametrize(
    ("changes", "bad"),
    [
        ({"program_cost": 0}, ["program_cost"]),
        ({"program_cost": -1}, ["program_cost"]),
        ({"years": -1}, ["years"]),
        ({"avg_revenue": -5}, ["avg_revenue"]),
        ({"churn_percent": 101}, ["churn_percent"]),
        ({"churn_reduction_percent": -0.5}, ["churn_reduction_percent"]),
        ({"uplift_percent": 150, "program_cost": 0}, ["uplift_percent", "program_cost"]),
    ],
)
def test_bad_inputs_are_named_and_refused(changes, bad):
    inputs = ARTICLE._replace(**changes)
    assert input_errors(inputs) == bad
    with pytest.raises(ValueError):
        roi_percent(inputs)
    with pytest.raises(ValueError):
        sensitivity(inputs)


def test_edges_of_the_valid_range_are_accepted():
    edges = ARTICLE._replace(years=0, churn_percent=0, churn_reduction_percent=100, uplift_percent=100)
    assert input_errors(edges) == []
    assert revenue_gain(ARTICLE._replace(years=0)) == 0.0


def test_change_grid():
    assert change_grid() == (-50, -40, -30, -20, -10, 0, 10, 20, 30, 40, 50)
    assert change_grid(50, 25) == (-50, -25, 0, 25, 50)
    assert change_grid(50, 20) == (-50, -40, -20, 0, 20, 40, 50)
    for bad in ((0, 10), (100, 10), (50, 0), (20, 30)):
        with pytest.raises(ValueError):
            change_grid(*bad)


def _curve(points, variable):
    return [point.roi_percent for point in points if point.variable == variable]


def test_sensitivity_is_monotonic():
    points = sensitivity(ARTICLE)
    churn_saved, uplift, cost = (_curve(points, name) for name in
                                 ("churn_reduction_percent", "uplift_percent", "program_cost"))
    assert len(churn_saved) == len(uplift) == len(cost) == 11
    # More churn saved or more uplift: strictly more ROI; a dearer programme: strictly less.
    assert all(a < b for a, b in zip(churn_saved, churn_saved[1:], strict=False))
    assert all(a < b for a, b in zip(uplift, uplift[1:], strict=False))
    assert all(a > b for a, b in zip(cost, cost[1:], strict=False))
    # Zero change is the scenario itself, for every variable.
    assert {point.roi_percent for point in points if point.change_percent == 0} == {42.5}


def test_sensitivity_values_and_edges():
    points = {(p.variable, p.change_percent): p for p in sensitivity(ARTICLE, grid=(-50, 0, 50))}
    assert points["program_cost", -50].value == 10_000
    assert points["program_cost", -50].roi_percent == 185.0
    assert points["uplift_percent", 50].value == 15
    assert points["uplift_percent", 50].revenue_gain == pytest.approx(42_750)
    # An uplift of 80% cannot grow by 50%: the point beyond 100% is left out, not clamped.
    high = sensitivity(ARTICLE._replace(uplift_percent=80), grid=(-50, 0, 50), variables=("uplift_percent",))
    assert [point.change_percent for point in high] == [-50, 0]


def test_months_and_previous_period():
    assert months_in_period(date(2026, 1, 1), date(2026, 12, 31)) == 12
    assert months_in_period(date(2026, 1, 1), date(2026, 3, 31)) == 3
    assert months_in_period(date(2026, 1, 15), date(2026, 2, 14)) == 1
    assert months_in_period(date(2026, 1, 1), date(2026, 1, 1)) == pytest.approx(1 / 30.4375)
    with pytest.raises(ValueError):
        months_in_period(date(2026, 2, 1), date(2026, 1, 1))
    assert previous_period(date(2026, 1, 1), date(2026, 3, 31)) == (date(2025, 10, 3), date(2025, 12, 31))


def test_ratios():
    assert percent(1, 4) == 25.0
    assert percent(3, 0) == 0.0
    assert growth_percent(7200, 2500) == 188.0
    assert growth_percent(-50, -100) == 50.0
    assert growth_percent(100, 0) == 0.0
    assert churn_percent(8, 2) == 25.0
