"""Paid tier rules that need no ORM: when each paid membership of a customer runs.

Memberships of one customer, program and tier follow each other: a renewal paid before the
current period ends starts the day after it, so the customer loses none of what it paid
for. A credit note of a fee ends that membership on the credit note's date; the ones after
it move up accordingly. Kept pure so that the rules can be read and tested alone.
"""

from datetime import date, timedelta
from typing import NamedTuple

from dateutil.relativedelta import relativedelta


class Purchase(NamedTuple):
    """One paid membership fee, as the layout needs it."""

    key: int  # what the caller knows it by (the membership's id)
    paid_on: date
    months: int
    refunded_on: date | None


class Period(NamedTuple):
    """When a membership runs: ``date_start`` to ``date_end``, both days included, and
    whether a credit note ended it (then ``date_end`` is the credit note's date and the
    membership gives nothing from that day on)."""

    date_start: date
    date_end: date
    refunded: bool


def membership_end(date_start, months):
    """Last day of a membership of ``months`` starting on ``date_start``."""
    return date_start + relativedelta(months=months) - timedelta(days=1)


def layout_memberships(purchases):
    """{key: Period} of the paid memberships of one customer in one tier (``purchases``,
    in any order): in the order they were paid, each starts when it is paid or the day
    after the one before it ends, whichever is later."""
    periods = {}
    held_until = None  # last day the memberships laid out so far give the tier
    for purchase in sorted(purchases, key=lambda p: (p.paid_on, p.key)):
        start = purchase.paid_on
        if held_until is not None and held_until >= start:
            start = held_until + timedelta(days=1)
        end = membership_end(start, purchase.months)
        if purchase.refunded_on is None or purchase.refunded_on > end:
            periods[purchase.key] = Period(start, end, False)
            held_until = end
            continue
        # Refunded: held up to the day before the credit note, and not at all when the
        # credit note came before it started (a renewal refunded in advance).
        periods[purchase.key] = Period(start, max(purchase.refunded_on, start), True)
        if purchase.refunded_on > start:
            held_until = purchase.refunded_on - timedelta(days=1)
    return periods
