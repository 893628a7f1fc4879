"""Payment-discount rules that need no ORM: which discount a payment date earns, the daily
premium and its cap, the pro-rata discount of a partial payment, and how prepaid money is
allocated to an invoice. Kept pure so that the rules can be read and tested alone."""

from datetime import date
from typing import NamedTuple

# Percentages are compared at this precision, so that 0.1 x 15 days == 1.5%.
PERCENT_DIGITS = 6


class DiscountRule(NamedTuple):
    """One step of a schedule: ``percent`` off when paid at least ``days`` days early."""

    days: int
    percent: float


class DiscountChoice(NamedTuple):
    """The discount a payment earns and why."""

    percent: float
    days_early: int
    rule: DiscountRule | None  # the rule that gave it; None for the daily premium or nothing
    daily: bool  # True when the daily premium gave it


def days_early(paid_on, reference):
    """Full days between a payment and the date it is measured against (the due date for an
    early payment, the invoice date for a prepayment); negative when paid after it."""
    return (reference - paid_on).days


def daily_premium(days, percent_per_day, cap):
    """``percent_per_day`` for each full day early, never more than ``cap``."""
    if days <= 0 or percent_per_day <= 0:
        return 0.0
    return round(min(days * percent_per_day, cap), PERCENT_DIGITS)


def choose_discount(rules, days, percent_per_day=0.0, cap=0.0):
    """The discount for a payment made ``days`` days early.

    The largest discount among the rules whose days are met wins; the daily premium applies
    when it gives more than every rule met. A late payment (negative days) earns nothing.
    """
    if days < 0:
        return DiscountChoice(0.0, days, None, False)
    met = [rule for rule in rules if days >= rule.days]
    # On equal discounts the rule asking fewer days explains the choice best.
    best = max(met, key=lambda rule: (round(rule.percent, PERCENT_DIGITS), -rule.days), default=None)
    rule_percent = round(best.percent, PERCENT_DIGITS) if best else 0.0
    premium = daily_premium(days, percent_per_day, cap)
    if premium > rule_percent:
        return DiscountChoice(premium, days, None, True)
    if best and rule_percent > 0:
        return DiscountChoice(rule_percent, days, best, False)
    return DiscountChoice(0.0, days, None, False)


def schedule_conflict(rules):
    """The first pair (shorter, longer) of rules of one kind that contradict each other: the
    same days, or a rule asking more days early for a smaller discount. None when consistent."""
    ordered = sorted(rules, key=lambda rule: (rule.days, rule.percent))
    for shorter, longer in zip(ordered, ordered[1:], strict=False):
        if longer.days == shorter.days or round(longer.percent - shorter.percent, PERCENT_DIGITS) < 0:
            return shorter, longer
    return None


def discount_rate_on_total(percent, computation, total, untaxed):
    """Share of an invoice's total that a full cash discount of ``percent`` takes off.

    As Odoo's early payment discount computes it: on the total with its taxes when the
    discount reduces the tax ('included'), on the untaxed amount alone otherwise ('excluded',
    and 'mixed' where the tax was already reduced on the invoice).
    """
    if not total or percent <= 0:
        return 0.0
    if computation == "included":
        return percent / 100.0
    return percent / 100.0 * untaxed / total


class Settlement(NamedTuple):
    """What a payment settles of an open amount, and the discount that comes with it."""

    settled: float
    discount: float


def settle_with_discount(paid, residual, rate, digits=2):
    """Settle ``residual`` with a payment of ``paid`` when each unit settled is discounted by
    ``rate`` (a share of the total, see :func:`discount_rate_on_total`).

    The discount is pro rata on the part paid: paying half of the discounted amount settles
    half of the invoice. A payment covering the discounted residual settles all of it.
    """
    paid, residual = round(paid, digits), round(residual, digits)
    if paid <= 0 or residual <= 0:
        return Settlement(0.0, 0.0)
    if rate <= 0:
        return Settlement(min(paid, residual), 0.0)
    full_discount = round(residual * rate, digits)
    if paid >= round(residual - full_discount, digits):
        return Settlement(residual, full_discount)
    settled = min(round(paid / (1.0 - rate), digits), residual)
    return Settlement(settled, round(settled - paid, digits))


class Prepayment(NamedTuple):
    """Money received before the invoice: when, and how much of it this invoice may use.
    ``source`` identifies where the money comes from (a payment), so that what a discount
    uses of it can be reserved."""

    received_on: date
    amount: float
    source: object = None


class PrepaidPart(NamedTuple):
    """A part of the invoice covered by prepaid money, and the discount that part earns."""

    amount: float
    choice: DiscountChoice
    source: object = None


def allocate_prepayments(prepayments, invoice_date, rules, cap, digits=2):
    """Cover at most ``cap`` of the invoice with the prepayments that earn a discount.

    The oldest money goes first: it was received earliest, so it earns the largest discount.
    Money received too late for any rule is not used.
    """
    remaining = round(cap, digits)
    parts = []
    for prepayment in sorted(prepayments, key=lambda prepayment: prepayment.received_on):
        if remaining <= 0:
            break
        choice = choose_discount(rules, days_early(prepayment.received_on, invoice_date))
        amount = round(min(prepayment.amount, remaining), digits)
        if choice.percent <= 0 or amount <= 0:
            continue
        parts.append(PrepaidPart(amount, choice, prepayment.source))
        remaining = round(remaining - amount, digits)
    return parts


def prepayment_discount(parts, digits=2):
    """Discount (in the money of the parts) the prepaid parts earn together."""
    return round(sum(part.amount * part.choice.percent / 100.0 for part in parts), digits)
