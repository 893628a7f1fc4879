"""Rules of the benefits a tier change carries out on the customer's record, without ORM:
which pricelist a customer ends up with, and whether a tier's personal manager replaces
the customer's own."""

from typing import NamedTuple


class PricelistChange(NamedTuple):
    """What a tier change does to a customer's pricelist (ids, ``None`` for no pricelist):
    the pricelist to set, and the one to remember as the customer's own."""

    target: int | None
    remembered: int | None


def pricelist_change(current, remembered, old_tier_pricelist, new_tier_pricelist):
    """The pricelist change of a customer whose tier moves from one giving
    ``old_tier_pricelist`` to one giving ``new_tier_pricelist``, or ``None`` to leave it.

    ``current`` is the customer's pricelist now, ``remembered`` the customer's own one kept
    when a tier pricelist replaced it. The tier owns the pricelist only while the customer
    holds the previous tier's pricelist (or the remembered one): a pricelist chosen by hand
    since is the customer's, and no tier change replaces it. Leaving a tier with pricelist
    for one without brings the remembered pricelist back.
    """
    if old_tier_pricelist == new_tier_pricelist:
        return None
    if not old_tier_pricelist:
        # The customer's pricelist is its own: kept to come back to, then replaced.
        return PricelistChange(new_tier_pricelist, current)
    if current not in (old_tier_pricelist, remembered):
        return None
    if new_tier_pricelist:
        return PricelistChange(new_tier_pricelist, remembered)
    return PricelistChange(remembered, remembered)


def manager_values(assignment, current_user, current_team, tier_user, tier_team):
    """{partner field: id} of the salesperson and team a tier gives a customer moving up to it:
    with ``assignment`` ``if_none`` only those the customer lacks, with ``always`` both; the
    values the customer already has are left out."""
    replace = assignment == "always"
    values = {}
    if tier_user and tier_user != current_user and (replace or not current_user):
        values["user_id"] = tier_user
    if tier_team and tier_team != current_team and (replace or not current_team):
        values["wholesale_team_id"] = tier_team
    return values
