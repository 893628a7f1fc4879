"""Paid tier rules that need no ORM: when each paid membership of a customer runs.

A membership buys a term (the tier's months, once per unit bought) at the tier's price for
that term. It gives the days of the term in proportion to the fee received, net of credit
notes, against that price: the whole term when the price was paid, a tenth of its days for a
tenth of the price, none for nothing. Whole days only: a day partly paid for is not given.

Memberships of one customer, program and tier follow each other: a renewal paid before the
current period ends starts the day after it, so the customer loses none of what it paid
for. A credit note of a fee takes back the days the credited money paid for, from its date
on: the days held before it stay held. A credit note of the whole fee ends that membership
on the credit note's date; the ones after it move up accordingly. Kept pure so that the
rules can be read and tested alone.
"""

import math
from datetime import date, timedelta
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

# A share of a term is a ratio of two amounts in cents: a day is not lost to float noise.
SHARE_EPSILON = 1e-9


class Credit(NamedTuple):
    """A credit note of a fee: its date and the share of the term's price the fee still
    pays once it (and the credit notes before it) are deducted: 0 when nothing is left."""

    credited_on: date
    share_left: float


class Purchase(NamedTuple):
    """One paid membership fee, as the layout needs it."""

    key: int  # what the caller knows it by (the membership's id)
    paid_on: date  # first day it may give the tier: the day paid (or approved, when later)
    months: int  # the term bought
    credits: tuple = ()  # its credit notes (``Credit``), in any order
    share: float = 1.0  # share of the term's price received when paid (at most 1)


class Period(NamedTuple):
    """When a membership runs: ``date_start`` to ``date_end``, both days included, and
    whether a credit note of the whole fee ended it (then ``date_end`` is the credit note's
    date and the membership gives nothing from that day on). A membership whose fee pays
    for no whole day ends the day before it starts."""

    date_start: date
    date_end: date
    refunded: bool


def membership_end(date_start, months):
    """Last day of a membership of ``months`` starting on ``date_start``."""
    return date_start + relativedelta(months=months) - timedelta(days=1)


def paid_end(date_start, months, share):
    """Last day of a membership starting on ``date_start`` whose fee pays ``share`` of the
    price of a term of ``months``: that share of the term's days, rounded down."""
    end = membership_end(date_start, months)
    if share >= 1.0 - SHARE_EPSILON:
        return end
    days = math.floor(((end - date_start).days + 1) * max(share, 0.0) + SHARE_EPSILON)
    return date_start + timedelta(days=days - 1)


def run_period(start, purchase):
    """The ``Period`` of ``purchase`` when it starts on ``start``: its paid days, cut by its
    credit notes in date order. A credit note dated after the membership ended takes no day
    back (they were held); one dated before takes back what it no longer pays for, but not
    the days held before its date."""
    end = paid_end(start, purchase.months, purchase.share)
    for credit in sorted(purchase.credits):
        if credit.credited_on > end:
            break
        if credit.share_left <= SHARE_EPSILON:
            return Period(start, max(credit.credited_on, start), True)
        # A credit note never lengthens a membership (a negative one is no payment).
        end = min(end, max(paid_end(start, purchase.months, credit.share_left),
                           credit.credited_on - timedelta(days=1)))
    return Period(start, end, False)


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
        period = periods[purchase.key] = run_period(start, purchase)
        if not period.refunded:
            held_until = period.date_end
        elif period.date_end > start:
            # Refunded: held up to the day before the credit note, and not at all when the
            # credit note came before it started (a renewal refunded in advance).
            held_until = period.date_end - timedelta(days=1)
    return periods
