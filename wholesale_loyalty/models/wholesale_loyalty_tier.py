from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare, formatLang

# The ranges the SQL constraints below enforce, checked first to name the tier refused.
RANGE_FIELDS = ("threshold_amount", "discount_percent", "rebate_percent", "points_multiplier")


class WholesaleLoyaltyTier(models.Model):
    _name = "wholesale.loyalty.tier"
    _description = "Wholesale Loyalty Tier"
    _order = "program_id, threshold_amount, id"

    program_id = fields.Many2one(
        "wholesale.loyalty.program", required=True, ondelete="cascade", index=True
    )
    program_active = fields.Boolean(
        related="program_id.active",
        store=True,
        string="Active Program",
        help="Tiers of archived programs are hidden from the list of tiers by default.",
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="program_id.currency_id")
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    # Settings of each tier: a sum over the tiers of a program means nothing.
    color = fields.Integer(default=0, aggregator=False)
    threshold_amount = fields.Monetary(
        string="Qualifying Spend",
        aggregator=False,
        help="Untaxed spend in the qualifying period from which a customer holds this tier.",
    )
    discount_percent = fields.Float(string="Discount (%)", digits="Discount", aggregator=False)
    discount_display = fields.Char(string="Discount", compute="_compute_discount_display")
    points_multiplier = fields.Float(default=1.0, digits=(16, 2), aggregator=False)
    rebate_percent = fields.Float(string="Rebate (%)", digits="Discount", aggregator=False)
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

    @api.depends("discount_percent")
    @api.depends_context("lang")
    def _compute_discount_display(self):
        for tier in self:
            tier.discount_display = tier._format_percent(tier.discount_percent)

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

    @api.constrains(*RANGE_FIELDS)
    def _check_ranges(self):
        for tier in self:
            tier._check_range_values(tier.name, tier.program_id, {fname: tier[fname] for fname in RANGE_FIELDS})

    @api.model
    def _check_range_values(self, name, program, values):
        """Refuse values outside the ranges of the tiers' SQL constraints, naming the tier
        and its program: the database would refuse them with a message naming neither."""
        names = {"tier": name or self.env._("New"), "program": program.name or self.env._("New")}
        if values.get("threshold_amount") is not None and values["threshold_amount"] < 0:
            raise ValidationError(self.env._(
                "Tier %(tier)s of program %(program)s: the qualifying spend (threshold) cannot be negative.",
                **names,
            ))
        discount = values.get("discount_percent")
        if discount is not None and not 0 <= discount <= 100:
            raise ValidationError(self.env._(
                "Tier %(tier)s of program %(program)s: the discount must be between 0 and 100%%, not %(value)s.",
                value=self._format_percent(discount), **names,
            ))
        rebate = values.get("rebate_percent")
        if rebate is not None and not 0 <= rebate <= 100:
            raise ValidationError(self.env._(
                "Tier %(tier)s of program %(program)s: the rebate must be between 0 and 100%%, not %(value)s.",
                value=self._format_percent(rebate), **names,
            ))
        multiplier = values.get("points_multiplier")
        if multiplier is not None and multiplier <= 0:
            raise ValidationError(self.env._(
                "Tier %(tier)s of program %(program)s: the points multiplier must be greater than zero.",
                **names,
            ))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_range_values(
                vals.get("name"), self.env["wholesale.loyalty.program"].browse(vals.get("program_id")), vals
            )
        return super().create(vals_list)

    def write(self, vals):
        if any(fname in vals for fname in RANGE_FIELDS):
            new_program = self.env["wholesale.loyalty.program"].browse(vals.get("program_id"))
            for tier in self:
                tier._check_range_values(vals.get("name", tier.name), new_program or tier.program_id, vals)
        return super().write(vals)

    def action_view_partners(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("wholesale_tier_id", "=", self.id), ("parent_id", "=", False)],
        }

    def _format_percent(self, value):
        """``value`` as a percentage in the language of the context: "3%", "2.5%", no
        trailing zeros."""
        lang = self.env["res.lang"]._lang_get(self.env.lang or "en_US")
        text = formatLang(self.env, value or 0.0, digits=2)
        if lang and lang.decimal_point:
            text = text.rstrip("0").rstrip(lang.decimal_point)
        return f"{text}%"
