"""Points arithmetic and lot allocation, without the ORM.

The points an amount earns have two forms, written side by side: :func:`points_for_amount`
for the engine, :func:`points_sql` for set-based reads (the what-if replay). Both count in
decimals, as PostgreSQL's ``numeric`` does, so that they agree to the point (see
tests/test_points_rules_sql.py)."""

import math
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from odoo.tools import SQL
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
    ``rounding`` is the currency's (``res.currency.rounding``). The rule of :func:`points_sql`."""
    if step <= 0:
        raise ValueError("The amount per step must be positive.")
    amount = _money(untaxed, rounding)
    if amount <= 0 or amount < _money(minimum, rounding):
        return 0
    return math.floor((amount // _decimal(step)) * points_factor(per_step, multiplier))


def points_sql(amount, step, per_step, multiplier=1.0, minimum=0.0, rounding=CENTS, rounded=False):
    """SQL expression of the points the amount ``amount`` (an ``SQL`` expression) earns:
    :func:`points_for_amount` in ``numeric`` arithmetic, settings as parameters. ``rounded``:
    the amount is money of the currency already (a stored amount), not rounded again: a
    pass over many documents spares the rounding of each."""
    if step <= 0:
        raise ValueError("The amount per step must be positive.")
    money = SQL("(%s)", amount) if rounded else _money_sql(amount, rounding)
    factor = points_factor(per_step, multiplier)
    # DIV gives whole steps: one point per step needs no product and no floor.
    points = SQL("DIV(%s, %s)", money, _decimal(step))
    if factor != 1:
        points = SQL("FLOOR(%s * %s)", points, factor)
    minimum = _money(minimum, rounding)
    earns = SQL("%s > 0", money) if minimum <= 0 else SQL("%s > 0 AND %s >= %s", money, money, minimum)
    return SQL("(CASE WHEN %s THEN %s ELSE 0 END)", earns, points)


def _decimal(number):
    """``number`` as the decimal it reads as (the literal PostgreSQL receives for a float)."""
    return Decimal(repr(float(number or 0.0))) if not isinstance(number, int) else Decimal(number)


def points_factor(per_step, multiplier):
    """Points per whole step: ``per_step`` times ``multiplier``, in decimals."""
    return _decimal(per_step) * _decimal(multiplier)


def _money(amount, rounding):
    """``amount`` rounded half away from zero to the currency's ``rounding``, as a decimal."""
    unit = _decimal(rounding)
    return (_decimal(amount) / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP) * unit


def _money_sql(amount, rounding):
    """:func:`_money` in SQL (``ROUND`` of ``numeric`` rounds half away from zero too)."""
    return SQL("(ROUND((%s)::numeric / %s) * %s)", amount, _decimal(rounding), _decimal(rounding))


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


def redeem_cap(untaxed_total, max_percent, point_value, rounding=CENTS):
    """Most points an order may use: ``max_percent`` of its untaxed total, in points."""
    if point_value <= 0:
        return 0
    cap = float_round(untaxed_total * max_percent / 100.0, precision_rounding=rounding)
    return math.floor(cap / point_value + 1e-9)


def points_to_hold(earned, net_untaxed, earn_points, rounding=CENTS):
    """Points an invoice that earned ``earned`` holds once its net untaxed amount (after its
    credit notes) is ``net_untaxed``: its rule on that amount, never more than it earned.
    The rule of :func:`points_to_hold_sql`."""
    if float_round(net_untaxed, precision_rounding=rounding) <= 0:
        return 0
    return max(min(earn_points(net_untaxed), earned), 0)


def points_to_hold_sql(earned, net_untaxed, earn_points_sql):
    """SQL expression of :func:`points_to_hold`: ``earned`` and ``net_untaxed`` are SQL
    expressions, ``earn_points_sql`` maps an amount expression to its points expression
    (:func:`points_sql` with the invoice's rule), which is 0 for no positive amount."""
    return SQL("GREATEST(LEAST(%s, %s), 0)", earn_points_sql(net_untaxed), earned)
