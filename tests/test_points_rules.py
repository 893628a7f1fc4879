"""Points arithmetic and lot allocation, without the ORM."""
from datetime import date

import pytest

from odoo.addons.wholesale_loyalty.tools.points_rules import (
    Lot,
    allocate,
    expiry_for,
    points_for_amount,
    redeem_cap,
)


@pytest.mark.parametrize(
    ("untaxed", "multiplier", "minimum", "expected"),
    [
        (12345.0, 1.0, 0, 123),
        (12345.0, 1.5, 0, 184),
        (99.99, 1.0, 0, 0),
        (100.0, 1.0, 0, 1),
        (499.99, 1.0, 500, 0),
        (500.0, 1.0, 500, 5),
        (-300.0, 1.0, 0, 0),
        (1000.0, 3.0, 0, 30),
    ],
)
def test_points_for_amount(untaxed, multiplier, minimum, expected):
    assert points_for_amount(untaxed, 100.0, 1, multiplier, minimum) == expected


def test_points_step_must_be_positive():
    with pytest.raises(ValueError):
        points_for_amount(100.0, 0, 1)


def test_expiry():
    assert expiry_for(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert expiry_for(date(2026, 1, 31), 0) is None
    assert expiry_for(date(2026, 1, 31), 12, never_expire=True) is None


def test_allocate_takes_soonest_expiry_first_and_never_expiring_last():
    lots = [
        Lot(1, 50, None, date(2025, 1, 1)),
        Lot(2, 30, date(2026, 6, 1), date(2025, 6, 1)),
        Lot(3, 40, date(2026, 3, 1), date(2025, 3, 1)),
    ]
    assert allocate(lots, 60) == ([(3, 40), (2, 20)], 0)
    assert allocate(lots, 200) == ([(3, 40), (2, 30), (1, 50)], 80)
    assert allocate(lots, 10, preferred_lot_id=1) == ([(1, 10)], 0)


def test_redeem_cap():
    assert redeem_cap(1000.0, 20.0, 1.0) == 200
    assert redeem_cap(1000.0, 20.0, 0.5) == 400
    assert redeem_cap(999.90, 20.0, 1.0) == 199


def test_amounts_are_rounded_to_the_currency_not_to_cents():
    # A currency without cents (rounding 1): 199.6 is 200 of it, which earns 2 points.
    assert points_for_amount(199.6, 100.0, 1) == 1
    assert points_for_amount(199.6, 100.0, 1, rounding=1.0) == 2
    # Three decimals (rounding 0.001): 99.9996 is 100.000, one step.
    assert points_for_amount(99.9996, 100.0, 1, rounding=0.001) == 1
    assert points_for_amount(99.994, 100.0, 1, rounding=0.001) == 0
    # 20% of 99.8 is 19.96: 19 points of 1 in cents, 20 in a currency without cents.
    assert redeem_cap(99.8, 20, 1.0) == 19
    assert redeem_cap(99.8, 20, 1.0, rounding=1.0) == 20
