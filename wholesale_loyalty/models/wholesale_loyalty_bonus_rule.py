from odoo import fields, models


class WholesaleLoyaltyBonusRule(models.Model):
    _name = "wholesale.loyalty.bonus.rule"
    _description = "Wholesale Loyalty Bonus Rule"
    _order = "program_id, sequence, id"

    program_id = fields.Many2one(
        "wholesale.loyalty.program", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    trigger = fields.Selection(
        [
            ("early_payment", "Early payment"),
            ("referral", "Referral"),
            ("first_order", "First order"),
            ("manual", "Manual"),
        ],
        required=True,
        default="manual",
    )
    days_early = fields.Integer(help="For early payment: days before the due date.")
    points = fields.Integer(required=True, default=100)

    _sql_constraints = [
        ("points_positive", "CHECK(points > 0)", "A bonus must give more than zero points."),
        ("days_early_positive", "CHECK(days_early >= 0)", "Days early cannot be negative."),
    ]
