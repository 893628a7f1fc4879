"""The figures of the points liability, without a database (see wholesale.loyalty.liability).

Amounts are in company currency and unrounded: the caller rounds what it books.
"""


def expected_cost(points, point_value, share_percent):
    """The stand-alone selling price S of points: what they are worth times the share of them
    expected to be redeemed."""
    return points * point_value * share_percent / 100.0


def deferred_revenue(untaxed, selling_price):
    """IFRS 15's allocation of an invoice's revenue ``untaxed`` (G) between the goods and the
    points (S): the points carry D = G x S / (G + S)."""
    if untaxed <= 0 or selling_price <= 0:
        return 0.0
    return untaxed * selling_price / (untaxed + selling_price)


def released_share(deferred, points, share_percent, consumed):
    """What ``consumed`` points release of a lot carrying ``deferred`` for ``points``: a
    redemption D x consumed / (P x r) (r = ``share_percent`` / 100, as expected redemptions
    release it all), a credit note or a reversal its share D x consumed / P (r = 100)."""
    expected = points * share_percent / 100.0
    if expected <= 0:
        return deferred
    return deferred * consumed / expected
