"""Personal offers from purchase history: the rules, without a database.

A member gets a personal discount on a product it bought in at least ``min_months`` of the
last ``months`` full calendar months (the current month, still running, does not count). A
month counts when the product's invoices of that month, net of their credit notes, are worth
more than zero. An offer runs from the day the nightly run finds it to the end of the next
calendar month; every run while it is still earned keeps it running to the end of the month
after its own, so an offer never lapses while the run works, and ends the day before a run
no longer finds it.

The SQL that applies these rules to every member at once lives next to the offers
(``wholesale.loyalty.personal.offer._earned_query``); :func:`regular_products` is the same
rule over rows in memory, which the tests hold the SQL to.
"""
from collections import defaultdict
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta


def offer_window(today, months):
    """(first day, last day) of the ``months`` full calendar months before ``today``'s."""
    first_of_month = today.replace(day=1)
    return first_of_month - relativedelta(months=months), first_of_month - timedelta(days=1)


def offer_end(today):
    """Last day of the calendar month after ``today``'s: how long an offer found today runs."""
    return today.replace(day=1) + relativedelta(months=2) - timedelta(days=1)


def offers_enabled(months, min_months, discount):
    """Whether program settings give offers at all (months 0 switches them off)."""
    return months > 0 and 0 < min_months <= months and discount > 0


def settings_error(months, min_months, discount):
    """Why these program settings are refused, as a key of the message to show, or None:
    ``negative_months``, ``min_above_months``, ``min_below_one`` or ``discount_range``. With
    offers off (``months`` 0) the other two settings wait, unchecked against it."""
    if months < 0 or min_months < 0:
        return "negative_months"
    if months > 0 and min_months > months:
        return "min_above_months"
    if months > 0 and min_months < 1:
        return "min_below_one"
    if not 0 <= discount <= 100:
        return "discount_range"
    return None


def regular_products(lines, today, months, min_months):
    """{(partner, product)} bought in at least ``min_months`` of the window of ``today``.

    ``lines``: (partner, product, day, amount) of the invoices (positive) and credit notes
    (negative) of goods; ``day`` is the month the amount counts in (a credit note counts in
    its invoice's month)."""
    start, end = offer_window(today, months)
    per_month = defaultdict(float)
    for partner, product, day, amount in lines:
        if start <= day <= end:
            per_month[partner, product, date(day.year, day.month, 1)] += amount
    counts = defaultdict(int)
    for (partner, product, _month), amount in per_month.items():
        if round(amount, 6) > 0:
            counts[partner, product] += 1
    return {pair for pair, count in counts.items() if count >= min_months}
