"""The pure tier rules, without the ORM."""
from datetime import date

import pytest

from odoo.addons.wholesale_loyalty.tools.tier_rules import (
    Drop,
    TierPlace,
    TierStep,
    change_direction,
    decide_tier,
    first_drop,
    leave_day,
    next_step,
    qualification_window,
    same_threshold,
    tier_for_amount,
)

LADDER = [TierStep(3, 5000.0), TierStep(1, 0.0), TierStep(2, 1000.0)]


@pytest.mark.parametrize(
    ("period", "today", "months", "expected"),
    [
        ("lifetime", date(2026, 3, 15), 0, (None, date(2026, 3, 15))),
        ("rolling", date(2026, 3, 15), 12, (date(2025, 3, 16), date(2026, 3, 15))),
        ("rolling", date(2024, 2, 29), 1, (date(2024, 1, 30), date(2024, 2, 29))),
        ("previous_month", date(2026, 3, 1), 0, (date(2026, 2, 1), date(2026, 2, 28))),
        ("previous_month", date(2026, 1, 31), 0, (date(2025, 12, 1), date(2025, 12, 31))),
        ("calendar_year", date(2026, 3, 15), 0, (date(2026, 1, 1), date(2026, 3, 15))),
    ],
)
def test_qualification_window(period, today, months, expected):
    assert qualification_window(period, today, months) == expected


def test_rolling_window_needs_months():
    with pytest.raises(ValueError):
        qualification_window("rolling", date(2026, 1, 1), 0)


@pytest.mark.parametrize(
    ("amount", "tier"),
    [(-10.0, None), (0.0, 1), (999.99, 1), (999.994, 1), (999.995, 2), (1000.0, 2), (4999.99, 2), (5000.0, 3)],
)
def test_tier_for_amount_is_highest_threshold_met(amount, tier):
    assert tier_for_amount(LADDER, amount) == tier


def test_next_step():
    assert next_step(LADDER, None).tier_id == 1
    assert next_step(LADDER, 1).tier_id == 2
    assert next_step(LADDER, 2) == TierStep(3, 5000.0)
    assert next_step(LADDER, 3) is None


def test_upgrade_is_immediate_and_clears_pending_downgrade():
    decision = decide_tier(LADDER, 2, 3, date(2026, 1, 1), date(2026, 1, 5), 30)
    assert decision == (3, None)


def test_downgrade_waits_for_grace_days():
    today = date(2026, 1, 10)
    assert decide_tier(LADDER, 3, 2, None, today, 30) == (3, today)
    assert decide_tier(LADDER, 3, 2, date(2025, 12, 12), today, 30) == (3, date(2025, 12, 12))
    assert decide_tier(LADDER, 3, 2, date(2025, 12, 11), today, 30) == (2, None)


def test_downgrade_without_grace_is_immediate():
    assert decide_tier(LADDER, 3, 1, None, date(2026, 1, 10), 0) == (1, None)


def test_change_direction_within_a_program():
    silver, gold = TierPlace(7, 1000.0), TierPlace(7, 5000.0)
    assert change_direction(silver, gold) == "up"
    assert change_direction(gold, silver) == "down"
    assert change_direction(gold, gold) == "same"
    # An entry tier open to all (threshold 0) is still above no tier.
    assert change_direction(TierPlace(7, None), TierPlace(7, 0.0)) == "up"
    assert change_direction(TierPlace(7, 0.0), TierPlace(7, None)) == "down"
    assert change_direction(TierPlace(7, None), TierPlace(7, None)) == "same"
    # Thresholds compare at cents, as the spend does.
    assert change_direction(TierPlace(7, 1000.001), TierPlace(7, 1000.004)) == "same"


def test_change_direction_joining_leaving_and_moving_programs():
    # Joining from no program is a move on the new ladder.
    assert change_direction(TierPlace(None, None), TierPlace(7, 1000.0)) == "up"
    assert change_direction(TierPlace(None, None), TierPlace(7, None)) == "same"
    # A move between two programs compares two ladders: neither up nor down, whatever the thresholds.
    assert change_direction(TierPlace(7, 5000.0), TierPlace(8, 0.0)) == "same"
    assert change_direction(TierPlace(7, None), TierPlace(8, 5000.0)) == "same"


def test_leave_day_of_a_rolling_window():
    # The window of a day starts the period's months earlier, plus one day.
    assert leave_day(date(2026, 1, 10), 3) == date(2026, 4, 10)
    start, _end = qualification_window("rolling", date(2026, 4, 9), 3)
    assert start <= date(2026, 1, 10)
    start, _end = qualification_window("rolling", date(2026, 4, 10), 3)
    assert start > date(2026, 1, 10)
    # A month-end date clipped by a shorter month leaves the day after the clipped date.
    assert leave_day(date(2025, 11, 30), 3) == date(2026, 3, 1)
    assert qualification_window("rolling", date(2026, 2, 28), 3)[0] <= date(2025, 11, 30)
    assert qualification_window("rolling", date(2026, 3, 1), 3)[0] > date(2025, 11, 30)
    assert leave_day(date(2024, 1, 31), 1) == date(2024, 3, 1)  # 29 February 2024 is clipped


def test_first_drop_takes_documents_leaving_together_and_credit_notes():
    documents = [(date(2026, 1, 10), 600.0), (date(2026, 2, 20), 500.0)]
    assert first_drop(1000.0, documents, 3) == Drop(date(2026, 4, 10), 500.0)
    # A credit note leaving raises the spend: 1,500 - 400 + 300 loses Gold when the 1,500 leaves.
    documents = [(date(2026, 1, 10), 1500.0), (date(2026, 2, 15), -400.0), (date(2026, 2, 20), 300.0)]
    assert first_drop(1000.0, documents, 3) == Drop(date(2026, 4, 10), 1100.0)
    # 30 and 31 January both leave on 1 March (one month): together.
    documents = [(date(2025, 1, 30), 600.0), (date(2025, 1, 31), 600.0), (date(2025, 2, 10), 500.0)]
    assert first_drop(1000.0, documents, 1) == Drop(date(2025, 3, 1), 500.0)
    assert first_drop(0.0, documents, 1) is None
    # When the 1,000 leaves a cent is left: 999.99 short.
    documents = [(date(2026, 1, 1), 1000.0), (date(2026, 2, 1), 0.01)]
    assert first_drop(1000.0, documents, 1) == Drop(date(2026, 2, 1), 999.99)


def test_same_threshold_is_equal_in_cents_as_the_ladder_tells_tiers_apart():
    """Two thresholds the ladder cannot tell apart (equal in cents) are one rung, whatever
    the currency's own precision: the tier's check and the what-if's refuse both."""
    assert same_threshold(1000.0, 1000.004)
    assert same_threshold(10.001, 10.002)
    assert not same_threshold(1000.0, 1000.01)
    assert same_threshold(0.125, 0.13)
