"""Rebate rules that need no ORM: the settlement periods a run covers, what a period's
rebate still owes, and how a rebate is shared among the taxes of the goods it is paid on.
Kept pure so that the rules can be read and tested alone."""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta


def split_in_proportion(amount, weights, digits=2):
    """``amount`` split in proportion to ``weights``; the last share takes the rounding
    remainder, so that the shares always add up to ``amount`` exactly."""
    total = sum(weights)
    if not weights or not total:
        return []
    shares = [round(amount * weight / total, digits) for weight in weights[:-1]]
    return shares + [round(amount - sum(shares), digits)]


def settlement_period(period, reference):
    """The last complete settlement period before ``reference``: (date_from, date_to)."""
    if period == "month":
        start = reference.replace(day=1) - relativedelta(months=1)
        months = 1
    elif period == "quarter":
        current = reference.replace(month=3 * ((reference.month - 1) // 3) + 1, day=1)
        start = current - relativedelta(months=3)
        months = 3
    elif period == "year":
        start = date(reference.year - 1, 1, 1)
        months = 12
    else:
        raise ValueError(f"Unknown settlement period: {period!r}")
    return start, start + relativedelta(months=months) - timedelta(days=1)


def recent_settlement_periods(period, reference, count=2):
    """The ``count`` last complete periods, the most recent first: a scheduled run settles them
    all, so an invoice booked late into a closed period is still caught up."""
    periods = []
    for _index in range(count):
        date_from, date_to = settlement_period(period, reference)
        periods.append((date_from, date_to))
        reference = date_from
    return periods


def rebate_due(base, rate, settled_before, digits=2):
    """What a period's rebate still owes: ``rate`` % of the period's ``base`` minus what earlier
    settlements of the period paid. Never negative: a rebate paid is not taken back."""
    due = round(round(base * rate / 100.0, digits) - settled_before, digits)
    return max(due, 0.0)
