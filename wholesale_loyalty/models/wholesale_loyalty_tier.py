from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import formatLang, ormcache

from ..tools.access import LOYALTY_USER, check_caller_groups
from ..tools.numbers import check_numbers
from ..tools.setting_ranges import TIER_RANGES, check_sql, in_range
from ..tools.tier_rules import same_threshold

# What makes a tier one customers can buy, checked together (see _check_membership_values).
MEMBERSHIP_FIELDS = ("membership_available", "membership_product_id", "membership_months")


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
    free_shipping = fields.Boolean(
        help="The delivery line of this tier's quotations is free (from the minimum order below).",
    )
    free_shipping_min_amount = fields.Monetary(
        string="Free Shipping From", aggregator=False,
        help="Untaxed order amount, delivery excluded, from which shipping is free; 0: any order.",
    )
    pricelist_id = fields.Many2one(
        "product.pricelist", string="Tier Pricelist", ondelete="set null", check_company=True,
        help="Set on the customers who reach this tier, so that their new quotations are priced with "
        "it; their previous pricelist comes back when they leave the tier for one without pricelist.",
    )
    manager_user_id = fields.Many2one(
        "res.users", string="Personal Manager", ondelete="set null", check_company=True,
        domain="[('share', '=', False)]",
        help="Salesperson given to the customers who move up to this tier.",
    )
    manager_team_id = fields.Many2one(
        "crm.team", string="Sales Team", ondelete="set null", check_company=True,
        help="Sales team given to the customers who move up to this tier.",
    )
    manager_assignment = fields.Selection(
        [("if_none", "Only when the customer has none"), ("always", "Always")],
        string="Assign Manager", default="if_none", required=True,
        help="Whether the tier's salesperson and team replace the ones a customer already has.",
    )
    return_days = fields.Integer(
        string="Return Window (days)", aggregator=False,
        help="Days the members of this tier have to return goods; 0: the standard terms.",
    )
    priority_support = fields.Boolean()
    benefits = fields.Html(translate=True, sanitize=True)
    partner_count = fields.Integer(string="Customers", compute="_compute_partner_count")
    membership_available = fields.Boolean(
        string="Can Be Bought",
        help="Customers may buy this tier: an invoice of the membership product, once paid, gives "
        "them at least this tier for the membership's duration, whatever their spend.",
    )
    membership_product_id = fields.Many2one(
        "product.product",
        string="Membership Product",
        ondelete="restrict",
        index="btree_not_null",
        check_company=True,
        domain="[('type', '=', 'service')]",
        help="The service product whose paid invoice line buys this tier.",
    )
    membership_months = fields.Integer(
        string="Membership Duration (Months)",
        default=12,
        aggregator=False,
        help="How long a paid membership gives this tier; a renewal paid before the end adds as much.",
    )

    _sql_constraints = [
        (name, check_sql(TIER_RANGES, fname), message) for name, fname, message in (
            ("threshold_positive", "threshold_amount", "A tier threshold cannot be negative."),
            ("discount_range", "discount_percent", "A tier discount must be between 0 and 100%."),
            ("rebate_range", "rebate_percent", "A tier rebate must be between 0 and 100%."),
            ("multiplier_positive", "points_multiplier", "A points multiplier must be greater than zero."),
            ("free_shipping_min_positive", "free_shipping_min_amount",
             "The minimum order for free shipping cannot be negative."),
            ("return_days_positive", "return_days", "A return window cannot be a negative number of days."),
        )
    ] + [
        (
            "membership_months_positive",
            "CHECK(membership_months > 0)",
            "A membership lasts at least one month.",
        ),
        (
            "membership_product_required",
            "CHECK(NOT membership_available OR membership_product_id IS NOT NULL)",
            "A tier that can be bought needs its membership product.",
        ),
        (
            "membership_product_unique",
            "UNIQUE(membership_product_id)",
            "A membership product buys one tier only.",
        ),
    ]

    @api.depends("discount_percent")
    @api.depends_context("lang")
    def _compute_discount_display(self):
        for tier in self:
            tier.discount_display = tier._format_percent(tier.discount_percent)

    def _compute_partner_count(self):
        counts = dict(
            self.env["wholesale.loyalty.member"]._read_group(
                [("tier_id", "in", self.ids)], ["tier_id"], ["__count"],
            )
        )
        for tier in self:
            tier.partner_count = counts.get(tier, 0)

    @api.constrains("threshold_amount", "program_id")
    def _check_threshold_unique(self):
        # Compared in cents as the ladder compares them, which a SQL unique constraint cannot do.
        for tier in self:
            twins = tier.program_id.tier_ids.filtered(
                lambda other, tier=tier: other != tier and same_threshold(other.threshold_amount, tier.threshold_amount)
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

    @api.constrains(*TIER_RANGES)
    def _check_ranges(self):
        for tier in self:
            tier._check_range_values(
                tier.name, tier.program_id, {fname: tier[fname] for fname in TIER_RANGES}
            )

    @api.constrains("pricelist_id", "program_id")
    def _check_pricelist_company(self):
        # Checked before Odoo's company check, whose message names neither tier nor pricelist.
        for tier in self:
            pricelist_company = tier.pricelist_id.company_id
            if pricelist_company and pricelist_company != tier.program_id.company_id:
                raise ValidationError(self.env._(
                    "Tier %(tier)s of program %(program)s cannot give pricelist %(pricelist)s: it belongs to "
                    "company %(company)s, not to the program's company %(program_company)s.",
                    tier=tier.name, program=tier.program_id.name, pricelist=tier.pricelist_id.display_name,
                    company=pricelist_company.name, program_company=tier.program_id.company_id.name,
                ))

    @api.constrains("membership_product_id", "program_id")
    def _check_membership_product_company(self):
        # Tiers created from their program's form get their program only now.
        for tier in self.filtered("membership_product_id"):
            tier._check_membership_values(tier.name, tier.program_id, {
                "membership_product_id": tier.membership_product_id.id, "tier_ids": tier.ids,
            })

    @api.model
    def _check_membership_values(self, name, program, values):
        """Refuse a paid tier that cannot be sold as configured, naming the tier and its
        program; ``values`` hold the membership fields as they will be (ids for the product).
        Checked before the database is written: its constraints name neither."""
        names = {"tier": name or self.env._("New"), "program": program.name or self.env._("New")}
        months = values.get("membership_months")
        if months is not None and months <= 0:
            raise ValidationError(self.env._(
                "Tier %(tier)s of program %(program)s: a membership lasts at least one month, not %(months)s.",
                months=months, **names,
            ))
        product = self.env["product.product"].browse(values.get("membership_product_id"))
        if values.get("membership_available") and not product:
            raise ValidationError(self.env._(
                "Tier %(tier)s of program %(program)s can be bought: choose the membership product "
                "customers are invoiced for it.",
                **names,
            ))
        if not product:
            return
        if product.type != "service":
            raise ValidationError(self.env._(
                "Tier %(tier)s of program %(program)s: the membership product %(product)s must be a "
                "service, as nothing is delivered for it.",
                product=product.display_name, **names,
            ))
        if program and product.company_id and product.company_id != program.company_id:
            raise ValidationError(self.env._(
                "Tier %(tier)s of program %(program)s cannot be sold with product %(product)s: it belongs to "
                "company %(company)s, not to the program's company %(program_company)s.",
                product=product.display_name, company=product.company_id.name,
                program_company=program.company_id.name, **names,
            ))
        # sudo: the tier a product already buys may be of another company; only its name is shown.
        other = self.sudo().search(
            [("membership_product_id", "=", product.id), ("id", "not in", values.get("tier_ids", []))], limit=1
        )
        if other:
            raise ValidationError(self.env._(
                "Tier %(tier)s of program %(program)s: product %(product)s already buys tier %(other)s "
                "of program %(other_program)s; a membership product buys one tier only.",
                product=product.display_name, other=other.name, other_program=other.program_id.name, **names,
            ))

    @api.model
    def _check_range_values(self, name, program, values):
        """Refuse values outside the ranges of the tiers' SQL constraints (``TIER_RANGES``),
        naming the tier and its program: the database would refuse them with a message
        naming neither."""
        names = {"tier": name or self.env._("New"), "program": program.name or self.env._("New")}
        for fname in TIER_RANGES:
            if not in_range(TIER_RANGES, fname, values.get(fname)):
                raise ValidationError(self._range_error(fname, values[fname], names))

    @api.model
    def _range_error(self, fname, value, names):
        """The message refusing ``value`` for ``fname``, naming the tier and its program."""
        env = self.env
        return {
            "threshold_amount": lambda: env._(
                "Tier %(tier)s of program %(program)s: the qualifying spend (threshold) cannot be negative.",
                **names),
            "discount_percent": lambda: env._(
                "Tier %(tier)s of program %(program)s: the discount must be between 0 and 100%%, not %(value)s.",
                value=self._format_percent(value), **names),
            "rebate_percent": lambda: env._(
                "Tier %(tier)s of program %(program)s: the rebate must be between 0 and 100%%, not %(value)s.",
                value=self._format_percent(value), **names),
            "points_multiplier": lambda: env._(
                "Tier %(tier)s of program %(program)s: the points multiplier must be greater than zero.",
                **names),
            "free_shipping_min_amount": lambda: env._(
                "Tier %(tier)s of program %(program)s: the minimum order for free shipping cannot be negative.",
                **names),
            "return_days": lambda: env._(
                "Tier %(tier)s of program %(program)s: the return window cannot be a negative number of "
                "days (%(value)s).",
                value=value, **names),
        }[fname]()

    @api.model_create_multi
    def create(self, vals_list):
        check_numbers(self, vals_list)
        for vals in vals_list:
            self._check_range_values(
                vals.get("name"), self.env["wholesale.loyalty.program"].browse(vals.get("program_id")), vals
            )
            self._check_membership_values(
                vals.get("name"), self.env["wholesale.loyalty.program"].browse(vals.get("program_id")), vals
            )
        tiers = super().create(vals_list)
        # the tiers customers can buy (see _paid_tier_ids_by_product), the programs' ladders
        self.env.registry.clear_cache()
        return tiers

    def write(self, vals):
        check_numbers(self, [vals])
        if any(fname in vals for fname in TIER_RANGES):
            new_program = self.env["wholesale.loyalty.program"].browse(vals.get("program_id"))
            for tier in self:
                tier._check_range_values(vals.get("name", tier.name), new_program or tier.program_id, vals)
        if any(fname in vals for fname in MEMBERSHIP_FIELDS):
            new_program = self.env["wholesale.loyalty.program"].browse(vals.get("program_id"))
            for tier in self:
                current = {fname: tier[fname] for fname in MEMBERSHIP_FIELDS}
                current["membership_product_id"] = tier.membership_product_id.id
                tier._check_membership_values(
                    vals.get("name", tier.name), new_program or tier.program_id,
                    {**current, **vals, "tier_ids": self.ids},
                )
        result = super().write(vals)
        if any(fname in vals for fname in (
            "membership_available", "membership_product_id", "program_id", "threshold_amount", "points_multiplier",
            "points_never_expire",
        )):
            # the tiers customers can buy (see _paid_tier_ids_by_product), the programs' ladders
            # and the points terms of their tiers
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        # the tiers customers can buy (see _paid_tier_ids_by_product), the programs' ladders
        self.env.registry.clear_cache()
        return result

    @api.model
    @ormcache()
    def _paid_tier_ids_by_product(self):
        """((product id, company id), tier id) of the tiers customers can buy. Every invoice
        posted or paid is checked for their fee products, and they change only with the
        tiers (and the company of their program): cached, cleared by those changes."""
        tiers = self.sudo().search([("membership_available", "=", True), ("membership_product_id", "!=", False)])
        return tuple(((tier.membership_product_id.id, tier.company_id.id), tier.id) for tier in tiers)

    def action_view_partners(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": "wholesale.loyalty.member",
            "view_mode": "list,form",
            "domain": [("tier_id", "=", self.id)],
        }

    def _benefits_status(self):
        """The benefits of this tier (or of no tier) as :meth:`res.partner.wholesale_status`
        returns them."""
        return {
            "pricelist": self.pricelist_id.name or False,
            "free_shipping": bool(self.free_shipping),
            "return_days": self.return_days or 0,
        }

    def _format_percent(self, value):
        """``value`` as a percentage in the language of the context: "3%", "2.5%", no
        trailing zeros."""
        lang = self.env["res.lang"]._lang_get(self.env.lang or "en_US")
        text = formatLang(self.env, value or 0.0, digits=2)
        if lang and lang.decimal_point:
            text = text.rstrip("0").rstrip(lang.decimal_point)
        return f"{text}%"
