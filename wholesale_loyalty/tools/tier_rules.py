"""Tier rules that need no ORM: the qualifying window, the tier a spend earns and the
grace period before a downgrade. Kept pure so that the rules can be read and tested alone.

The tier a spend earns has two forms, written side by side: :func:`tier_finder` for the
engine, :func:`tier_sql` for set-based reads; tests/test_tier_rules_sql.py checks that they
agree."""

import bisect
import calendar
import functools
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

import pytz
from dateutil.relativedelta import relativedelta

from odoo.tools import SQL
from odoo.tools.float_utils import float_round

# Amounts are rounded to cents before comparison, so a spend of 999.994 does not reach 1000.
AMOUNT_DIGITS = 2


class TierStep(NamedTuple):
    """One rung of a program's ladder, as the engine needs it."""

    tier_id: int
    threshold: float


class TierDecision(NamedTuple):
    """What the engine decided for one customer."""

    tier_id: int | None
    downgrade_since: date | None


def qualification_window(period, today, period_months=0):
    """Return the inclusive (date_from, date_to) of the spend that counts on ``today``.

    ``None`` on a side means unbounded: the lifetime period has no start.
    """
    if period == "lifetime":
        return None, today
    if period == "rolling":
        if not period_months or period_months <= 0:
            raise ValueError("A rolling period needs a positive number of months.")
        return today - relativedelta(months=period_months) + timedelta(days=1), today
    if period == "previous_month":
        first_of_month = today.replace(day=1)
        return first_of_month - relativedelta(months=1), first_of_month - timedelta(days=1)
    if period == "calendar_year":
        return today.replace(month=1, day=1), today
    raise ValueError(f"Unknown qualification period: {period!r}")


def leave_day(day, months):
    """The first day a document of ``day`` no longer counts in a rolling period of ``months``.

    The window of a day D starts at D minus ``months`` plus one day (:func:`qualification_window`),
    so the document leaves on the first D whose date ``months`` earlier is ``day`` or later:
    ``day`` plus the months, or the day after that when the target month is shorter and the
    date was clipped (on 28 February the window of one month still starts on 29 January, so
    a document of 31 January leaves on 1 March)."""
    shifted = _add_months(day, months)
    return shifted if shifted.day == day.day else shifted + timedelta(days=1)


@functools.lru_cache(maxsize=4096)
def _add_months(day, months):
    """``day`` plus ``months``, clipped to the end of a shorter month (as ``relativedelta``
    does, without its cost: a forecast adds months to every day of spend)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Drop(NamedTuple):
    """When a spend falls below a threshold without new purchases, and by how much."""

    day: date
    shortfall: float


def first_drop(threshold, documents, months):
    """The first day the spend of ``documents`` (``[(day, amount)]``, the documents of the
    current rolling window of ``months``) falls below ``threshold`` as they leave the window,
    with the spend missing on that day; None when the threshold is never missed (zero or
    less). Documents leaving on the same day leave together; credit notes (negative amounts)
    leaving raise the spend."""
    if _cents(threshold) <= 0:
        return None
    leaving = defaultdict(float)
    for day, amount in documents:
        leaving[leave_day(day, months)] += amount
    spend = sum(leaving.values())
    for day in sorted(leaving):
        spend -= leaving[day]
        if not reaches(spend, threshold):
            return Drop(day, round(threshold - spend, AMOUNT_DIGITS))
    return None


def spend_on(documents, months, day):
    """The spend of ``documents`` (``[(day, amount)]`` of the current rolling window of
    ``months``) still counting on ``day``, without new purchases."""
    return sum(amount for document_day, amount in documents if leave_day(document_day, months) > day)


def local_today(tz_name, now_utc):
    """The date it is in timezone ``tz_name`` at the naive UTC instant ``now_utc``."""
    return pytz.utc.localize(now_utc).astimezone(_zone(tz_name)).date()


def utc_bounds(date_from, date_to, tz_name):
    """The naive UTC instants ``[start, end)`` that enclose the local days ``date_from`` to
    ``date_to`` (inclusive) of timezone ``tz_name``, to compare with stored datetimes.

    ``None`` for ``date_from`` stays ``None`` (no start)."""
    zone = _zone(tz_name)

    def midnight(day):
        return zone.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)

    return (midnight(date_from) if date_from else None), midnight(date_to + timedelta(days=1))


def zone_name(tz_name):
    """The name of timezone ``tz_name`` as PostgreSQL knows it: the name itself, else UTC."""
    return _zone(tz_name).zone


def _zone(tz_name):
    try:
        return pytz.timezone(tz_name or "UTC")
    except pytz.UnknownTimeZoneError:
        return pytz.utc


def sort_ladder(steps):
    """Steps from the lowest threshold to the highest."""
    return sorted(steps, key=lambda step: (step.threshold, step.tier_id))


def tier_for_amount(ladder, amount):
    """The highest tier whose threshold ``amount`` meets, or ``None`` below every threshold."""
    return tier_finder(ladder)(amount)


def tier_finder(ladder):
    """:func:`tier_for_amount` for many amounts on one ladder: a function of the amount,
    which finds the tier by bisection on the thresholds sorted once. Thresholds and amounts
    are compared in cents, rounded half away from zero, as PostgreSQL rounds (:func:`tier_sql`)."""
    ordered = sort_ladder(ladder)
    thresholds = [_cents(step.threshold) for step in ordered]
    tier_ids = [None] + [step.tier_id for step in ordered]

    def find(amount):
        return tier_ids[bisect.bisect_right(thresholds, _cents(amount))]

    return find


def tier_sql(ladder, amount):
    """SQL expression of the id of the tier of ``ladder`` the amount ``amount`` (an ``SQL``
    expression) earns, NULL below every threshold: :func:`tier_for_amount` in SQL. Of equal
    thresholds in cents, the last of :func:`sort_ladder` wins, as in the bisection."""
    return SQL(
        """(SELECT step.tier_id
              FROM unnest(%(tier_ids)s::int[], %(thresholds)s::numeric[]) AS step(tier_id, threshold)
             WHERE ROUND(step.threshold, %(cents)s) <= ROUND((%(amount)s)::numeric, %(cents)s)
          ORDER BY step.threshold DESC, step.tier_id DESC
             LIMIT 1)""",
        tier_ids=[step.tier_id for step in ladder], thresholds=[step.threshold for step in ladder],
        cents=AMOUNT_DIGITS, amount=amount,
    )


def same_threshold(threshold, other):
    """Whether two thresholds are one rung of a ladder: equal in cents, where the ladder
    could not tell them apart. Each tier of a program needs its own."""
    return _cents(threshold) == _cents(other)


def reaches(amount, threshold):
    """Whether a spend of ``amount`` reaches ``threshold``: both in cents, the comparison
    of :func:`tier_finder` and :func:`tier_sql`."""
    return _cents(amount) >= _cents(threshold)


def _cents(amount):
    """``amount`` rounded to cents half away from zero (Python's ``round`` rounds a float's
    binary value, and 0.125 to 0.12 where PostgreSQL gives 0.13)."""
    return float_round(amount or 0.0, precision_digits=AMOUNT_DIGITS)


def higher_tier(ladder, tier_id, other_tier_id):
    """The higher of two tiers of ``ladder`` (``None``: no tier, below every tier)."""
    return other_tier_id if rank(ladder, other_tier_id) > rank(ladder, tier_id) else tier_id


def next_step(ladder, tier_id):
    """The step right above ``tier_id`` (the lowest step when the customer has no tier)."""
    ordered = sort_ladder(ladder)
    if tier_id is None:
        return ordered[0] if ordered else None
    ids = [step.tier_id for step in ordered]
    if tier_id not in ids:
        return ordered[0] if ordered else None
    position = ids.index(tier_id)
    return ordered[position + 1] if position + 1 < len(ordered) else None


def rank(ladder, tier_id):
    """Position of a tier on the ladder; -1 for no tier."""
    return _positions(tuple(ladder)).get(tier_id, -1)


@functools.lru_cache(maxsize=128)
def _positions(ladder):
    """{tier id: position} of a ladder, sorted once: the engine ranks tiers of thousands of
    customers on the same few ladders."""
    return {step.tier_id: position for position, step in enumerate(sort_ladder(ladder))}


def decide_tier(ladder, current_tier_id, earned_tier_id, downgrade_since, today, grace_days):
    """Apply the grace period: upgrades are immediate, downgrades wait ``grace_days``.

    ``downgrade_since`` is the day the customer first fell below the current tier; it is
    kept while the shortfall lasts and cleared as soon as the customer qualifies again.
    """
    if rank(ladder, earned_tier_id) >= rank(ladder, current_tier_id):
        return TierDecision(earned_tier_id, None)
    if current_tier_id is None or grace_days <= 0:
        return TierDecision(earned_tier_id, None)
    since = downgrade_since or today
    if (today - since).days >= grace_days:
        return TierDecision(earned_tier_id, None)
    return TierDecision(current_tier_id, since)


class TierPlace(NamedTuple):
    """Where a customer stands, as far as the direction of a tier change goes: the program
    and the threshold of the tier held (``None``: no tier)."""

    program_id: int | None
    threshold: float | None


def change_direction(old, new):
    """'up', 'down' or 'same' for a customer going from ``old`` to ``new`` (``TierPlace``).

    No tier is below every tier. Tiers of two programs sit on two ladders, so a move from
    one program to another is neither up nor down; joining from no program is a move on
    the new program's ladder, leaving a program (``new`` without tier) one down.
    """
    if old.program_id and new.program_id and old.program_id != new.program_id:
        return "same"
    # Thresholds are unique within a program: comparing them is comparing ranks.
    old_level = -1.0 if old.threshold is None else round(old.threshold, AMOUNT_DIGITS)
    new_level = -1.0 if new.threshold is None else round(new.threshold, AMOUNT_DIGITS)
    return "up" if new_level > old_level else "down" if new_level < old_level else "same"
