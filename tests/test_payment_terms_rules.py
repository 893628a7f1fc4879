"""The pure payment-discount and rebate rules, without the ORM."""
from datetime import date

import pytest

from odoo.addons.wholesale_loyalty.tools.payment_discounts import (
    DiscountRule,
    Prepayment,
    allocate_prepayments,
    choose_discount,
    daily_premium,
    days_early,
    discount_rate_on_total,
    prepayment_discount,
    schedule_conflict,
    settle_with_discount,
)
from odoo.addons.wholesale_loyalty.tools.rebate_rules import (
    rebate_due,
    recent_settlement_periods,
    settlement_period,
)

EARLY = [DiscountRule(20, 3.0), DiscountRule(10, 2.0)]


def test_days_early_counts_full_days_and_is_negative_when_late():
    assert days_early(date(2026, 3, 1), date(2026, 3, 31)) == 30
    assert days_early(date(2026, 3, 31), date(2026, 3, 31)) == 0
    assert days_early(date(2026, 4, 2), date(2026, 3, 31)) == -2


@pytest.mark.parametrize(
    ("days", "percent", "rule_days"),
    [(-1, 0.0, None), (0, 0.0, None), (9, 0.0, None), (10, 2.0, 10), (19, 2.0, 10), (20, 3.0, 20), (45, 3.0, 20)],
)
def test_largest_rule_met_wins_at_exact_day_boundaries(days, percent, rule_days):
    choice = choose_discount(EARLY, days)
    assert choice.percent == percent
    assert (choice.rule.days if choice.rule else None) == rule_days
    assert not choice.daily


def test_rule_of_zero_days_applies_on_the_due_date_but_not_after():
    rules = [DiscountRule(0, 1.0)]
    assert choose_discount(rules, 0).percent == 1.0
    assert choose_discount(rules, -1).percent == 0.0


@pytest.mark.parametrize(
    ("days", "expected"),
    [(0, 0.0), (1, 0.5), (2, 1.0), (3, 1.5), (4, 1.5), (30, 1.5), (-3, 0.0)],
)
def test_daily_premium_per_full_day_capped(days, expected):
    assert daily_premium(days, 0.5, 1.5) == expected


def test_daily_premium_has_no_float_noise():
    assert daily_premium(15, 0.1, 5.0) == 1.5


@pytest.mark.parametrize(
    ("days", "percent", "daily"),
    [
        (3, 1.5, True),  # no rule met: the premium
        (9, 1.5, True),  # still no rule met, premium capped at 1.5
        (10, 2.0, False),  # the 10-day rule gives more than the capped premium
        (20, 3.0, False),
    ],
)
def test_daily_premium_applies_only_when_no_rule_gives_more(days, percent, daily):
    choice = choose_discount(EARLY, days, percent_per_day=0.5, cap=1.5)
    assert (choice.percent, choice.daily) == (percent, daily)


def test_daily_premium_beating_a_rule_wins():
    choice = choose_discount([DiscountRule(10, 1.0)], 12, percent_per_day=0.25, cap=5.0)
    assert (choice.percent, choice.daily, choice.rule) == (3.0, True, None)


def test_equal_premium_and_rule_is_explained_by_the_rule():
    choice = choose_discount([DiscountRule(4, 2.0)], 4, percent_per_day=0.5, cap=5.0)
    assert choice.rule == DiscountRule(4, 2.0)
    assert not choice.daily


def test_schedule_conflicts():
    assert schedule_conflict(EARLY) is None
    assert schedule_conflict([DiscountRule(10, 2.0), DiscountRule(20, 2.0)]) is None
    assert schedule_conflict([DiscountRule(10, 2.0), DiscountRule(20, 1.0)]) == (
        DiscountRule(10, 2.0), DiscountRule(20, 1.0)
    )
    assert schedule_conflict([DiscountRule(10, 2.0), DiscountRule(10, 3.0)]) is not None
    assert schedule_conflict([DiscountRule(5, 1.0), DiscountRule(30, 5.0), DiscountRule(20, 0.5)]) == (
        DiscountRule(5, 1.0), DiscountRule(20, 0.5)
    )


@pytest.mark.parametrize(
    ("computation", "expected"),
    [("included", 0.03), ("excluded", 0.03 * 1000 / 1150), ("mixed", 0.03 * 1000 / 1150)],
)
def test_discount_rate_on_total_follows_odoo_tax_computation(computation, expected):
    assert discount_rate_on_total(3.0, computation, 1150.0, 1000.0) == pytest.approx(expected)
    assert discount_rate_on_total(0.0, computation, 1150.0, 1000.0) == 0.0
    assert discount_rate_on_total(3.0, computation, 0.0, 0.0) == 0.0


def test_full_payment_of_the_discounted_amount_settles_everything():
    assert settle_with_discount(970.0, 1000.0, 0.03) == (1000.0, 30.0)
    # Paying more than the discounted amount still settles it all, with the full discount.
    assert settle_with_discount(990.0, 1000.0, 0.03) == (1000.0, 30.0)


def test_partial_payment_gets_the_discount_pro_rata_on_the_part_paid():
    assert settle_with_discount(485.0, 1000.0, 0.03) == (500.0, 15.0)
    settled, discount = settle_with_discount(100.0, 1000.0, 0.03)
    assert settled == pytest.approx(103.09)
    assert discount == pytest.approx(3.09)


def test_settlement_without_discount_or_payment():
    assert settle_with_discount(400.0, 1000.0, 0.0) == (400.0, 0.0)
    assert settle_with_discount(0.0, 1000.0, 0.03) == (0.0, 0.0)


def test_prepayments_oldest_first_up_to_the_cap():
    rules = [DiscountRule(5, 3.0), DiscountRule(30, 5.0)]
    invoice_date = date(2026, 3, 31)
    parts = allocate_prepayments(
        [
            Prepayment(date(2026, 3, 20), 4000.0),  # 11 days ahead: 3%
            Prepayment(date(2026, 3, 1), 5000.0),  # 30 days ahead: 5%
            Prepayment(date(2026, 3, 29), 900.0),  # 2 days ahead: too late
        ],
        invoice_date, rules, cap=8000.0,
    )
    assert [(part.amount, part.choice.percent) for part in parts] == [(5000.0, 5.0), (3000.0, 3.0)]
    assert prepayment_discount(parts) == 340.0


def test_prepayment_below_the_invoice_total_is_discounted_whole():
    parts = allocate_prepayments(
        [Prepayment(date(2026, 3, 1), 2000.0)], date(2026, 3, 31), [DiscountRule(30, 5.0)], cap=11500.0
    )
    assert prepayment_discount(parts) == 100.0


def test_prepayment_days_boundary():
    rules = [DiscountRule(5, 3.0)]
    assert allocate_prepayments([Prepayment(date(2026, 3, 26), 100.0)], date(2026, 3, 31), rules, 100.0)
    assert not allocate_prepayments([Prepayment(date(2026, 3, 27), 100.0)], date(2026, 3, 31), rules, 100.0)


@pytest.mark.parametrize(
    ("period", "reference", "expected"),
    [
        ("month", date(2026, 3, 1), (date(2026, 2, 1), date(2026, 2, 28))),
        ("month", date(2026, 1, 15), (date(2025, 12, 1), date(2025, 12, 31))),
        ("quarter", date(2026, 4, 1), (date(2026, 1, 1), date(2026, 3, 31))),
        ("quarter", date(2026, 3, 31), (date(2025, 10, 1), date(2025, 12, 31))),
        ("quarter", date(2026, 12, 5), (date(2026, 7, 1), date(2026, 9, 30))),
        ("year", date(2026, 6, 30), (date(2025, 1, 1), date(2025, 12, 31))),
    ],
)
def test_settlement_period_is_the_last_complete_one(period, reference, expected):
    assert settlement_period(period, reference) == expected


def test_recent_settlement_periods_go_back_in_time():
    assert recent_settlement_periods("quarter", date(2026, 5, 1), 2) == [
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2025, 10, 1), date(2025, 12, 31)),
    ]


def test_unknown_settlement_period():
    with pytest.raises(ValueError):
        settlement_period("week", date(2026, 1, 1))


def test_rebate_due_deducts_what_was_settled_and_never_claws_back():
    assert rebate_due(1200.0, 2.0, 0.0) == 24.0
    assert rebate_due(5100.0, 5.0, 24.0) == 231.0
    assert rebate_due(5100.0, 5.0, 255.0) == 0.0
    assert rebate_due(900.0, 2.0, 24.0) == 0.0
