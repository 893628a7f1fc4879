"""Points arithmetic and lot allocation, without the ORM."""

import math
from datetime import date
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from odoo.tools.float_utils import float_round

# Amounts are money of the company currency: rounded to its ``rounding``, cents unless told.
CENTS = 0.01
# "Expiring soon" is within this many days from today, ends included: the customer's figure
# (the account's ``points_expiring_30d``), the reminder mail, the KPI screen and the statement.
EXPIRING_SOON_DAYS = 30


class Lot(NamedTuple):
    lot_id: int
    remaining: int
    expiry_date: date | None
    date: date


def points_for_amount(untaxed, step, per_step, multiplier=1.0, minimum=0.0, rounding=CENTS):
    """floor(floor(untaxed / step) * per_step * multiplier); nothing below ``minimum``.
    ``rounding`` is the currency's (``res.currency.rounding``)."""
    if step <= 0:
        raise ValueError("The amount per step must be positive.")
    untaxed = float_round(untaxed or 0.0, precision_rounding=rounding)
    if untaxed <= 0 or untaxed < float_round(minimum or 0.0, precision_rounding=rounding):
        return 0
    steps = math.floor(untaxed / step + 1e-9)
    return math.floor(steps * per_step * multiplier + 1e-9)


def expiry_for(earned_on, validity_months, never_expire=False):
    """The day after which a lot earned on ``earned_on`` is expired; ``None`` for never."""
    if never_expire or not validity_months:
        return None
    return earned_on + relativedelta(months=validity_months)


def fifo_order(lots):
    """Soonest expiry first; lots that never expire last; then oldest first."""
    return sorted(lots, key=lambda lot: (lot.expiry_date is None, lot.expiry_date or date.max, lot.date, lot.lot_id))


def allocate(lots, points, preferred_lot_id=None):
    """Take ``points`` from ``lots``: the preferred lot first, then FIFO.

    Returns ``(allocations, shortfall)`` where allocations are (lot_id, points) pairs and
    shortfall the points no lot could cover.
    """
    ordered = fifo_order(lots)
    if preferred_lot_id is not None:
        ordered.sort(key=lambda lot: lot.lot_id != preferred_lot_id)
    allocations, left = [], points
    for lot in ordered:
        if left <= 0:
            break
        take = min(lot.remaining, left)
        if take > 0:
            allocations.append((lot.lot_id, take))
            left -= take
    return allocations, max(left, 0)


def reversal_due(earned, original_untaxed, refunded_untaxed, already_reversed, earn_points, rounding=CENTS):
    """Points a credit note takes back: what the invoice earned minus what its net amount
    would earn, minus what earlier credit notes took; never more than was earned.

    ``earn_points`` maps an untaxed amount to the points the invoice's rules give.
    """
    net = max(float_round(original_untaxed - refunded_untaxed, precision_rounding=rounding), 0.0)
    keeps = min(earn_points(net), earned) if net > 0 else 0
    return max(min(earned - keeps - already_reversed, earned - already_reversed), 0)


def redeem_cap(untaxed_total, max_percent, point_value, rounding=CENTS):
    """Most points an order may use: ``max_percent`` of its untaxed total, in points."""
    if point_value <= 0:
        return 0
    cap = float_round(untaxed_total * max_percent / 100.0, precision_rounding=rounding)
    return math.floor(cap / point_value + 1e-9)


def points_to_hold(earned, net_untaxed, earn_points, rounding=CENTS):
    """Points an invoice that earned ``earned`` holds once its net untaxed amount (after its
    credit notes) is ``net_untaxed``: its rule on that amount, never more than it earned."""
    if float_round(net_untaxed, precision_rounding=rounding) <= 0:
        return 0
    return max(min(earn_points(net_untaxed), earned), 0)
