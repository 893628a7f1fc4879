from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare


class WholesaleLoyaltyTier(models.Model):
    _name = "wholesale.loyalty.tier"
    _description = "Wholesale Loyalty Tier"
    _order = "program_id, threshold_amount, id"

    program_id = fields.Many2one(
        "wholesale.loyalty.program", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="program_id.currency_id")
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    color = fields.Integer(default=0)
    threshold_amount = fields.Monetary(
        string="Qualifying Spend",
        help="Untaxed spend in the qualifying period from which a customer holds this tier.",
    )
    discount_percent = fields.Float(string="Discount (%)", digits="Discount")
    points_multiplier = fields.Float(default=1.0, digits=(16, 2))
    rebate_percent = fields.Float(string="Rebate (%)", digits="Discount")
    points_never_expire = fields.Boolean()
    free_shipping = fields.Boolean()
    priority_support = fields.Boolean()
    benefits = fields.Html(translate=True, sanitize=True)
    partner_count = fields.Integer(string="Customers", compute="_compute_partner_count")

    _sql_constraints = [
        (
            "threshold_positive",
            "CHECK(threshold_amount >= 0)",
            "A tier threshold cannot be negative.",
        ),
        (
            "discount_range",
            "CHECK(discount_percent >= 0 AND discount_percent <= 100)",
            "A tier discount must be between 0 and 100%.",
        ),
        (
            "rebate_range",
            "CHECK(rebate_percent >= 0 AND rebate_percent <= 100)",
            "A tier rebate must be between 0 and 100%.",
        ),
        (
            "multiplier_positive",
            "CHECK(points_multiplier > 0)",
            "A points multiplier must be greater than zero.",
        ),
    ]

    def _compute_partner_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                [("wholesale_tier_id", "in", self.ids), ("parent_id", "=", False)],
                ["wholesale_tier_id"],
                ["__count"],
            )
        )
        for tier in self:
            tier.partner_count = counts.get(tier, 0)

    @api.constrains("threshold_amount", "program_id")
    def _check_threshold_unique(self):
        # Compared at currency precision, which a SQL unique constraint cannot do.
        for tier in self:
            twins = tier.program_id.tier_ids.filtered(
                lambda other, tier=tier: other != tier
                and float_compare(
                    other.threshold_amount,
                    tier.threshold_amount,
                    precision_rounding=tier.currency_id.rounding or 0.01,
                )
                == 0
            )
            if twins:
                raise ValidationError(
                    self.env._(
                        "Tiers %(tier)s and %(other)s of program %(program)s have the same "
                        "threshold; each tier needs its own.",
                        tier=tier.name,
                        other=twins[0].name,
                        program=tier.program_id.name,
                    )
                )

    def action_view_partners(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("wholesale_tier_id", "=", self.id), ("parent_id", "=", False)],
        }
