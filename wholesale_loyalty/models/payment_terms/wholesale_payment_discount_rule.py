from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ...tools.payment_discounts import DiscountRule, schedule_conflict


class WholesalePaymentDiscountRule(models.Model):
    _name = "wholesale.payment.discount.rule"
    _description = "Wholesale Payment Discount Rule"
    _order = "payment_term_id, kind, days, id"

    payment_term_id = fields.Many2one(
        "account.payment.term", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="payment_term_id.company_id", store=True, index=True)
    kind = fields.Selection(
        [
            ("early", "Early payment"),
            ("prepayment", "Prepayment"),
        ],
        required=True,
        default="early",
        help="Early payment: paid at least the days below before the invoice due date.\n"
        "Prepayment: money received at least the days below before the invoice (delivery) date.",
    )
    days = fields.Integer(required=True, default=10, help="Full days before the due date (early payment) or "
                          "before the invoice date (prepayment).")
    discount_percent = fields.Float(string="Discount (%)", digits="Discount", required=True)

    _sql_constraints = [
        (
            "discount_percent_range",
            "CHECK(discount_percent > 0 AND discount_percent <= 100)",
            "A payment discount must be more than 0% and at most 100%.",
        ),
        ("days_positive", "CHECK(days >= 0)", "The days of a payment discount cannot be negative."),
        (
            "days_unique",
            "UNIQUE(payment_term_id, kind, days)",
            "Two payment discounts of one kind cannot ask the same number of days.",
        ),
    ]

    @api.depends("kind", "days", "discount_percent")
    def _compute_display_name(self):
        for rule in self:
            if rule.kind == "prepayment":
                rule.display_name = self.env._(
                    "%(percent)s%% if paid %(days)s days before the invoice date",
                    percent=rule.discount_percent, days=rule.days,
                )
            else:
                rule.display_name = self.env._(
                    "%(percent)s%% if paid %(days)s days before the due date",
                    percent=rule.discount_percent, days=rule.days,
                )

    @api.constrains("kind", "days", "discount_percent", "payment_term_id")
    def _check_schedule_grows_with_days(self):
        # Rules created on their own do not trigger the payment terms' own checks.
        self.payment_term_id._check_wholesale_early_schedule()
        for term, kind in {(rule.payment_term_id, rule.kind) for rule in self}:
            conflict = schedule_conflict(term._wholesale_rules(kind))
            if conflict:
                shorter, longer = conflict
                raise ValidationError(self.env._(
                    "Payment terms %(term)s: paying %(longer_days)s days ahead gives %(longer)s%% but "
                    "%(shorter_days)s days ahead gives %(shorter)s%%. Paying earlier must never earn "
                    "a smaller discount.",
                    term=term.name, longer_days=longer.days, longer=longer.percent,
                    shorter_days=shorter.days, shorter=shorter.percent,
                ))

    def _as_rule(self):
        self.ensure_one()
        return DiscountRule(self.days, self.discount_percent)
