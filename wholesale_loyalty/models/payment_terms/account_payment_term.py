import math

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ...tools.payment_discounts import choose_discount
from ...tools.percentages import format_percent

# Days of a daily premium a schedule shows one by one; beyond, its start and its cap.
MAX_DAILY_STEPS = 10


class AccountPaymentTerm(models.Model):
    _inherit = "account.payment.term"

    wholesale_discount_rule_ids = fields.One2many(
        "wholesale.payment.discount.rule",
        "payment_term_id",
        string="Wholesale Discounts",
        copy=True,
        help="Cash discounts for paying before the due date (early) or before the invoice date "
        "(prepayment). The largest discount whose days are met wins.",
    )
    wholesale_daily_discount_percent = fields.Float(
        string="Daily Premium (%)",
        digits="Discount",
        help="Discount for each full day paid before the due date, when no rule gives more.",
    )
    wholesale_daily_discount_max = fields.Float(
        string="Daily Premium Cap (%)",
        digits="Discount",
        help="The daily premium never exceeds this discount.",
    )
    wholesale_has_early_schedule = fields.Boolean(compute="_compute_wholesale_schedule_kinds")
    wholesale_has_prepayment_rules = fields.Boolean(compute="_compute_wholesale_schedule_kinds")
    wholesale_discount_example = fields.Html(compute="_compute_wholesale_discount_example")

    _sql_constraints = [
        (
            "wholesale_daily_discount_percent_range",
            "CHECK(wholesale_daily_discount_percent >= 0 AND wholesale_daily_discount_percent <= 100)",
            "The daily premium must be between 0 and 100%.",
        ),
        (
            "wholesale_daily_discount_max_range",
            "CHECK(wholesale_daily_discount_max >= 0 AND wholesale_daily_discount_max <= 100)",
            "The cap of the daily premium must be between 0 and 100%.",
        ),
    ]

    @api.depends("wholesale_discount_rule_ids.kind", "wholesale_daily_discount_percent")
    def _compute_wholesale_schedule_kinds(self):
        for term in self:
            kinds = set(term.wholesale_discount_rule_ids.mapped("kind"))
            term.wholesale_has_early_schedule = "early" in kinds or term.wholesale_daily_discount_percent > 0
            term.wholesale_has_prepayment_rules = "prepayment" in kinds

    @api.depends(
        "wholesale_discount_rule_ids.kind",
        "wholesale_discount_rule_ids.days",
        "wholesale_discount_rule_ids.discount_percent",
        "wholesale_daily_discount_percent",
        "wholesale_daily_discount_max",
        "early_pay_discount_computation",
        "example_amount",
        "currency_id",
    )
    def _compute_wholesale_discount_example(self):
        for term in self:
            lines = [
                self.env._(
                    "Paid %(days)s before the due date: %(percent)s%% off, pay %(amount)s",
                    days=term._wholesale_days_label(days), percent=format_percent(choice.percent),
                    amount=term._wholesale_example_due(choice.percent),
                )
                for days, choice in term._wholesale_example_days("early")
            ] + [
                self.env._(
                    "Paid %(days)s before the invoice date: %(percent)s%% off, pay %(amount)s",
                    days=term._wholesale_days_label(days), percent=format_percent(choice.percent),
                    amount=term._wholesale_example_due(choice.percent),
                )
                for days, choice in term._wholesale_example_days("prepayment")
            ]
            term.wholesale_discount_example = (
                Markup("<ul class='mb-0'>%s</ul>") % Markup().join(Markup("<li>%s</li>") % line for line in lines)
                if lines else False
            )

    @api.constrains("wholesale_daily_discount_percent", "wholesale_daily_discount_max")
    def _check_wholesale_daily_cap(self):
        for term in self:
            if term.wholesale_daily_discount_percent > 0 and term.wholesale_daily_discount_max <= 0:
                raise ValidationError(self.env._(
                    "Payment terms %(term)s: a daily premium needs a cap above 0%%, or it would grow "
                    "without limit.",
                    term=term.name,
                ))

    @api.constrains("early_discount", "line_ids", "wholesale_discount_rule_ids", "wholesale_daily_discount_percent")
    def _check_wholesale_early_schedule(self):
        for term in self.filtered("wholesale_has_early_schedule"):
            if term.early_discount:
                raise ValidationError(self.env._(
                    "Payment terms %(term)s: use either Odoo's single early payment discount or the "
                    "wholesale early payment schedule, not both.",
                    term=term.name,
                ))
            if len(term.line_ids) > 1:
                raise ValidationError(self.env._(
                    "Payment terms %(term)s: early payment discounts are measured from the due date, "
                    "so they need payment terms with a single installment.",
                    term=term.name,
                ))

    def _wholesale_rules(self, kind):
        """The schedule's rules of one kind (``early`` or ``prepayment``)."""
        self.ensure_one()
        return [rule._as_rule() for rule in self.wholesale_discount_rule_ids if rule.kind == kind]

    def _wholesale_early_choice(self, days):
        """The early payment discount for paying ``days`` full days before the due date."""
        self.ensure_one()
        return choose_discount(
            self._wholesale_rules("early"),
            days,
            self.wholesale_daily_discount_percent,
            self.wholesale_daily_discount_max,
        )

    def _wholesale_prepayment_choice(self, days):
        """The prepayment discount for money received ``days`` full days before the invoice date."""
        self.ensure_one()
        return choose_discount(self._wholesale_rules("prepayment"), days)

    def _wholesale_due_date(self, date_ref):
        """Due date of an invoice dated ``date_ref`` (the last installment's)."""
        self.ensure_one()
        return max((line._get_due_date(date_ref) for line in self.line_ids), default=date_ref)

    def _wholesale_example_days(self, kind):
        """(days, choice) pairs worth showing: every rule, and every day of the daily premium up
        to its cap (only where it starts and where it reaches the cap when that takes more than
        MAX_DAILY_STEPS days: a range)."""
        rules = self._wholesale_rules(kind)
        days = {rule.days for rule in rules}
        if kind == "early" and self.wholesale_daily_discount_percent > 0:
            cap_day = math.ceil(self.wholesale_daily_discount_max / self.wholesale_daily_discount_percent)
            days |= set(range(1, cap_day + 1)) if cap_day <= MAX_DAILY_STEPS else {1, cap_day}
        choose = self._wholesale_early_choice if kind == "early" else self._wholesale_prepayment_choice
        return [(day, choose(day)) for day in sorted(days) if choose(day).percent > 0]

    def _wholesale_days_label(self, days):
        """'1 day', '20 days': how the schedule's messages count days."""
        if abs(days) == 1:
            return self.env._("%(days)s day", days=days)
        return self.env._("%(days)s days", days=days)

    def _wholesale_example_due(self, percent):
        """What the example amount (untaxed) costs after ``percent`` off."""
        amount = self.example_amount or 0.0
        return self.currency_id.format(self.currency_id.round(amount * (1 - percent / 100.0)))

