"""What-if replay of a program's rules over past sales, without the ORM.

One database query gives, per member, the spend that decides the tier and the window's
sales with the points they earn under each points rule needed (see :func:`points_rules`);
everything else, under the current and the proposed settings alike, is computed here from
those per-customer figures.

Rules of the replay (the simulation's help text says the same to users):

- a customer holds, for the whole window, the tier its qualifying spend at the window's end
  gives (no grace period, no manual lock: both depend on history a replay does not have);
- discount cost = tier discount % x the customer's untaxed sales of the window;
- rebates = tier rebate % x the same sales (one settlement over the whole window);
- points = the points rule applied to each invoice, a credit note taking back what the engine
  takes: of an invoice, what the invoice earned less what its net amount earns; of none, the
  points of its own amount; their value is points x point value;
- expected liability = points value x the share neither redeemed nor expired at the rates
  observed in the ledger over the window.
"""

import functools
from typing import NamedTuple

from odoo.addons.wholesale_loyalty.tools.tier_rules import AMOUNT_DIGITS, TierStep, sort_ladder, tier_finder

NO_TIER = None


class SimTier(NamedTuple):
    """One rung of a ladder being simulated. ``key`` identifies the tier across the current
    and the proposed ladders (the program tier's id, or a key of its own for a new one)."""

    key: object
    name: str
    threshold: float
    discount_percent: float = 0.0
    multiplier: float = 1.0
    rebate_percent: float = 0.0


class PointsRule(NamedTuple):
    """What decides the points of one document."""

    amount_step: float
    per_step: int
    multiplier: float
    min_order: float


class Settings(NamedTuple):
    tiers: tuple
    amount_step: float = 100.0
    per_step: int = 1
    min_order: float = 0.0
    point_value: float = 1.0

    def rule(self, multiplier):
        return PointsRule(self.amount_step, self.per_step, float(multiplier), self.min_order)


class Customer(NamedTuple):
    partner_id: int
    qualifying: float  # the spend that decides the tier
    sales: float  # untaxed sales of the window, net of credit notes
    points: dict  # PointsRule -> points of the window's documents under that rule


class Outcome(NamedTuple):
    tier_of: dict  # partner id -> tier key (None: no tier)
    members: dict  # tier key -> customers
    cost_by_tier: dict  # tier key -> discount cost + points value + rebates of its members
    discount_cost: float
    points: int
    points_value: float
    rebates: float

    @property
    def cost(self):
        return self.discount_cost + self.points_value + self.rebates


class Move(NamedTuple):
    partner_id: int
    qualifying: float
    current_key: object
    proposed_key: object
    direction: str  # 'up' | 'down'


def points_rules(settings):
    """The points rules the settings use: one per tier multiplier, and 1 for no tier."""
    return {settings.rule(1.0)} | {settings.rule(tier.multiplier) for tier in settings.tiers}


def evaluate(settings, customers):
    """What the settings give the customers over the window (see the module's rules)."""
    tier_of_amount = tier_finder([TierStep(tier.key, tier.threshold) for tier in settings.tiers])
    # Per tier key (None: no tier): discount and rebate percentages, and the points rule. Looked
    # up once here rather than per customer: a replay evaluates tens of thousands.
    terms = {None: (0.0, 0.0, settings.rule(1.0))}
    terms.update({
        tier.key: (tier.discount_percent, tier.rebate_percent, settings.rule(tier.multiplier))
        for tier in settings.tiers
    })
    point_value = settings.point_value
    tier_of, members, cost_by_tier = {}, {}, {}
    discount_cost = rebates = 0.0
    points = 0
    for customer in customers:
        key = tier_of_amount(customer.qualifying)
        discount_percent, rebate_percent, rule = terms[key]
        discount = customer.sales * discount_percent / 100
        rebate = customer.sales * rebate_percent / 100
        earned = customer.points.get(rule, 0)
        tier_of[customer.partner_id] = key
        members[key] = members.get(key, 0) + 1
        cost_by_tier[key] = cost_by_tier.get(key, 0.0) + discount + rebate + earned * point_value
        discount_cost += discount
        rebates += rebate
        points += earned
    return Outcome(
        tier_of, members, cost_by_tier, round(discount_cost, AMOUNT_DIGITS), points,
        round(points * point_value, AMOUNT_DIGITS), round(rebates, AMOUNT_DIGITS),
    )


def _ranks(tiers):
    ranks = {step.tier_id: position for position, step in enumerate(
        sort_ladder(TierStep(tier.key, tier.threshold) for tier in tiers))}
    ranks[NO_TIER] = -1
    return ranks


def move_direction(current_tiers, proposed_tiers, current_key, proposed_key):
    """'up', 'down' or 'same' for a customer going from ``current_key`` (a tier of the
    current ladder) to ``proposed_key`` (a tier of the proposed one).

    Tiers that both ladders hold are compared by their current order, which is what the
    customer knows; else by the proposed order; a tier the proposal removes is compared by
    thresholds (its current one against the proposed tier's)."""
    if current_key == proposed_key:
        return "same"
    for ranks in (_ranks(current_tiers), _ranks(proposed_tiers)):
        if current_key in ranks and proposed_key in ranks:
            old, new = ranks[current_key], ranks[proposed_key]
            return "up" if new > old else "down" if new < old else "same"
    old = round({tier.key: tier.threshold for tier in current_tiers}.get(current_key, -1.0), AMOUNT_DIGITS)
    new = round({tier.key: tier.threshold for tier in proposed_tiers}.get(proposed_key, -1.0), AMOUNT_DIGITS)
    return "up" if new > old else "down" if new < old else "same"


def movers(current, proposed, customers, current_outcome, proposed_outcome):
    """The customers whose tier differs between the two outcomes, highest spend first."""
    moves = []
    direction_of = functools.cache(
        lambda old, new: move_direction(current.tiers, proposed.tiers, old, new)
    )
    for customer in customers:
        old = current_outcome.tier_of[customer.partner_id]
        new = proposed_outcome.tier_of[customer.partner_id]
        if old == new:
            continue
        direction = direction_of(old, new)
        if direction != "same":
            moves.append(Move(customer.partner_id, customer.qualifying, old, new, direction))
    return sorted(moves, key=lambda move: (-move.qualifying, move.partner_id))


def observed_rates(earned, redeemed, expired):
    """(redemption rate, expiry rate) of the points earned: shares between 0 and 1 that add
    up to at most 1. ``redeemed`` and ``expired`` are counted positive."""
    if earned <= 0:
        return 0.0, 0.0
    redemption = min(max(redeemed / earned, 0.0), 1.0)
    expiry = min(max(expired / earned, 0.0), 1.0 - redemption)
    return redemption, expiry


def expected_liability(points_value, redemption_rate, expiry_rate):
    """The value of the points issued still owed once the observed shares are redeemed or
    expired."""
    return round(max(points_value * (1.0 - redemption_rate - expiry_rate), 0.0), AMOUNT_DIGITS)


def sweep(start, stop, steps):
    """``steps`` values evenly spaced from ``start`` to ``stop``, both included."""
    if steps < 2:
        raise ValueError("A sensitivity run needs at least two steps.")
    width = (stop - start) / (steps - 1)
    return [round(start + width * index, 6) for index in range(steps)]


def replace_tier(settings, key, **values):
    """The settings with tier ``key`` changed."""
    tiers = tuple(tier._replace(**values) if tier.key == key else tier for tier in settings.tiers)
    return settings._replace(tiers=tiers)
