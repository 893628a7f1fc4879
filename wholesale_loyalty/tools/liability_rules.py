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


# Points redeemed or expired in closed lots a program needs before its observed share of
# redemptions replaces the fixed one: fewer say too little about its customers.
MIN_OBSERVED_POINTS = 1000


def observed_share(redeemed, expired, minimum=MIN_OBSERVED_POINTS):
    """The share (%) of points redeemed among the points of closed lots that were redeemed or
    expired; None below ``minimum`` points."""
    closed = redeemed + expired
    if closed < minimum or closed <= 0:
        return None
    return 100.0 * redeemed / closed


def trued_up(deferred, points, share_percent, redeemed, taken):
    """What a lot still carries once its liability ``deferred`` (for ``points``) is counted at
    ``share_percent``: less what ``redeemed`` points release at that share and ``taken``
    points (credit notes, reversals) at face, never below zero."""
    released = released_share(deferred, points, share_percent, redeemed) + released_share(
        deferred, points, 100.0, taken)
    return max(deferred - released, 0.0)
