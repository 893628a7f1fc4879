"""Ratios and periods of the KPI screen, without the ORM."""

from datetime import timedelta

from dateutil.relativedelta import relativedelta

DAYS_PER_MONTH = 365.25 / 12


def months_in_period(date_from, date_to):
    """Length of the inclusive period in months: 1 January to 31 December is 12.0 and
    15 January to 14 February is 1.0; leftover days count as a fraction of a month."""
    if date_to < date_from:
        raise ValueError("The period ends before it starts.")
    span = relativedelta(date_to + timedelta(days=1), date_from)
    return span.years * 12 + span.months + span.days / DAYS_PER_MONTH


def previous_period(date_from, date_to):
    """The period of the same number of days that ends the day before ``date_from``."""
    days = (date_to - date_from).days + 1
    return date_from - timedelta(days=days), date_from - timedelta(days=1)


def ratio(part, whole):
    """part / whole, 0.0 when there is nothing to divide by."""
    return part / whole if whole else 0.0


def percent(part, whole):
    """part as a percentage of whole, 0.0 when whole is zero."""
    return ratio(part, whole) * 100


def growth_percent(current, previous):
    """Change from ``previous`` to ``current`` in percent of ``previous`` (of its size when
    negative); 0.0 without a previous figure, where growth means nothing."""
    return (current - previous) * 100 / abs(previous) if previous else 0.0


def churn_percent(previous_buyers, lost_buyers):
    """Share of last period's buyers that bought nothing this period."""
    return percent(lost_buyers, previous_buyers)
