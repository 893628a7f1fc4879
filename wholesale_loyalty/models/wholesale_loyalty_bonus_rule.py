from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import ormcache


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
            ("advance_order", "Order ahead of delivery"),
            ("manual", "Manual"),
        ],
        required=True,
        default="manual",
    )
    days_early = fields.Integer(help="For early payment: days before the due date.")
    days_ahead = fields.Integer(
        help="For orders ahead of delivery: an order confirmed at least this many days before its "
             "delivery date earns the bonus once its first invoice earns points.",
    )
    points = fields.Integer(required=True, default=100)

    _sql_constraints = [
        ("points_positive", "CHECK(points > 0)", "A bonus must give more than zero points."),
        ("days_early_positive", "CHECK(days_early >= 0)", "Days early cannot be negative."),
    ]

    @api.constrains("trigger", "days_ahead")
    def _check_days_ahead(self):
        for rule in self.filtered(lambda rule: rule.days_ahead < 0 or (rule.trigger == "advance_order"
                                                                     and rule.days_ahead < 1)):
            raise ValidationError(self.env._(
                "%(rule)s: an order ahead of delivery is ordered at least one day ahead; set its days ahead.",
                rule=rule.name,
            ))

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self.env.registry.clear_cache()  # _program_ids_with_rules
        return rules

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()  # _program_ids_with_rules
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()  # _program_ids_with_rules
        return result

    @api.model
    @ormcache("trigger")
    def _program_ids_with_rules(self, trigger):
        """Ids of the programs that have, or had (archived rules), rules of ``trigger``: a
        document of any other program looks no further for such a bonus, and asks the
        database nothing for it. Every worker drops it when a rule changes."""
        rules = self.sudo().with_context(active_test=False).search([("trigger", "=", trigger)])
        return frozenset(rules.program_id.ids)
