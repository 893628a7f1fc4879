"""The ranges of the numeric settings of programs and tiers, written once: the database
constraints are generated from them (:func:`check_sql`), and the checks that name the
program or tier refused before the database would (create, write, the tiers' constraints)
and the what-if simulation's proposals all ask :func:`in_range`."""

from typing import NamedTuple


class Range(NamedTuple):
    """From ``minimum`` (excluded when ``above``) up to ``maximum`` (None: no limit)."""

    minimum: float = 0
    maximum: float | None = None
    above: bool = False


PROGRAM_RANGES = {
    "points_amount_step": Range(above=True),
    "points_per_step": Range(),
    "points_min_order_amount": Range(),
    "points_validity_months": Range(),
    "point_value": Range(above=True),
    "max_redeem_percent": Range(maximum=100),
    "downgrade_grace_days": Range(),
    "retention_warning_days": Range(),
}
TIER_RANGES = {
    "threshold_amount": Range(),
    "discount_percent": Range(maximum=100),
    "rebate_percent": Range(maximum=100),
    "points_multiplier": Range(above=True),
    "free_shipping_min_amount": Range(),
    "return_days": Range(),
}


def in_range(ranges, fname, value):
    """Whether ``value`` may be the setting ``fname`` of ``ranges``; an unset value (None,
    False) may. Compared as the database compares, without tolerance."""
    if value is None or value is False:
        return True
    limit = ranges[fname]
    if value < limit.minimum or (limit.above and value == limit.minimum):
        return False
    return limit.maximum is None or value <= limit.maximum


def check_sql(ranges, fname):
    """The ``CHECK`` of a SQL constraint that holds ``fname`` in its range."""
    limit = ranges[fname]
    low = f"{fname} {'>' if limit.above else '>='} {limit.minimum}"
    return f"CHECK({low})" if limit.maximum is None else f"CHECK({low} AND {fname} <= {limit.maximum})"
