from ast import literal_eval
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import SQL, float_compare, formatLang, ormcache

from ..tools.access import (
    ACCOUNTING_READONLY,
    BILLING,
    LIABILITY_GROUPS,
    LOYALTY_MANAGER,
    LOYALTY_USER,
    check_caller_groups,
)
from ..tools.numbers import check_numbers
from ..tools.personal_offers import settings_error
from ..tools.points_rules import points_for_amount
from ..tools.setting_ranges import PROGRAM_RANGES, check_sql, in_range
from ..tools.tier_rules import TierStep, local_today, next_step, utc_bounds, zone_name

# Customer invoices and credit notes: the documents every sales figure of the scheme sums up.
SALE_DOCUMENTS = ("out_invoice", "out_refund")
# Customers only: suppliers, employees' contacts and the like are no members by default.
DEFAULT_PARTNER_DOMAIN = '[("customer_rank", ">", 0)]'
# Changing these on a saved program moves customers between programs.
MEMBERSHIP_FIELDS = ("partner_domain", "sequence")
# The settings of personal offers, in the order of ``tools.personal_offers.settings_error``.
PERSONAL_OFFER_FIELDS = ("personal_offer_months", "personal_offer_min_months", "personal_offer_discount")
# The accounts a points liability may be booked on.
LIABILITY_ACCOUNT_TYPES = ("liability_current", "liability_non_current")
LIABILITY_FIELDS = (
    "liability_method", "liability_account_id", "liability_revenue_account_id", "liability_expense_account_id",
    "liability_journal_id", "expected_redemption_percent",
)


class WholesaleLoyaltyProgram(models.Model):
    _name = "wholesale.loyalty.program"
    _description = "Wholesale Loyalty Program"
    _inherit = ["mail.thread"]
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        ondelete="cascade",
        index=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    active = fields.Boolean(default=True, tracking=True)
    sequence = fields.Integer(
        default=lambda self: self._default_sequence(),
        help="A customer matching several programs belongs to the first one in this order.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self._default_user_id(),
        ondelete="set null",
        help="Told of every tier change when the customer has no salesperson.",
    )
    partner_domain = fields.Char(
        string="Eligible Customers",
        default=DEFAULT_PARTNER_DOMAIN,
        required=True,
        help="Customers (commercial entities) matching this filter are members of the program. The "
        "companies' own partners and the partners of internal users never are.",
    )
    qualification_basis = fields.Selection(
        [
            ("invoiced", "Posted invoices net of credit notes"),
            ("paid", "Paid invoices net of credit notes"),
            ("confirmed", "Confirmed sales orders"),
        ],
        required=True,
        default="invoiced",
        tracking=True,
    )
    qualification_period = fields.Selection(
        [
            ("lifetime", "Lifetime"),
            ("rolling", "Rolling"),
            ("previous_month", "Previous month"),
            ("calendar_year", "Calendar year to date"),
        ],
        required=True,
        default="rolling",
        tracking=True,
    )
    period_months = fields.Integer(default=12, help="Length of a rolling period.")
    qualification_period_display = fields.Char(
        string="Period", compute="_compute_qualification_period_display"
    )
    downgrade_grace_days = fields.Integer(
        default=0,
        tracking=True,
        help="Days a customer keeps a tier after falling below its threshold.",
    )
    retention_warning_days = fields.Integer(
        string="Warn Before Tier Loss",
        default=30,
        tracking=True,
        help="Days before a customer's spend would fall below its tier (rolling periods) on which "
        "the customer is mailed and the salesperson gets an activity; 0 sends no warning.",
    )
    apply_tier_discount = fields.Boolean(
        default=True,
        help="Fill the tier discount into the discount of quotation lines.",
    )
    qualifying_categ_ids = fields.Many2many(
        "product.category", "wholesale_loyalty_program_qualifying_categ_rel", "program_id", "categ_id",
        string="Counted Product Categories",
        help="Only invoice lines of products of these categories (and their subcategories) count "
             "toward tiers, points and rebates. Empty: every product counts.",
    )
    excluded_categ_ids = fields.Many2many(
        "product.category", "wholesale_loyalty_program_excluded_categ_rel", "program_id", "categ_id",
        string="Excluded Product Categories",
        help="Invoice lines of products of these categories (and their subcategories) never count "
             "toward tiers, points and rebates: services, delivery, paid-tier fees...",
    )
    # Stored: every document of a program that counts everything then reads no category.
    counts_by_category = fields.Boolean(
        string="Counts by Category", compute="_compute_counts_by_category", store=True,
        help="Set when counted or excluded product categories decide what counts toward tiers, points "
        "and rebates.",
    )
    points_amount_step = fields.Float(default=100.0)
    points_per_step = fields.Integer(default=1)
    points_min_order_amount = fields.Float()
    points_trigger = fields.Selection(
        [("posted", "Invoice posted"), ("paid", "Invoice paid")],
        default="posted",
        required=True,
    )
    point_value = fields.Float(default=1.0, digits=(16, 4), help="Money one point is worth.")
    max_redeem_percent = fields.Float(default=20.0)
    points_validity_months = fields.Integer(default=0, help="0 means points never expire.")
    redemption_product_id = fields.Many2one(
        "product.product",
        ondelete="set null",
        default=lambda self: self.env.ref("wholesale_loyalty.product_points_redemption", raise_if_not_found=False),
        help="Product of the discount line that points pay for on an order.",
    )
    tier_ids = fields.One2many("wholesale.loyalty.tier", "program_id", copy=True)
    tier_count = fields.Integer(compute="_compute_tier_count")
    summary = fields.Text(
        compute="_compute_summary", help="The program in plain sentences: how each tier is reached and what it gives.",
    )
    bonus_rule_ids = fields.One2many("wholesale.loyalty.bonus.rule", "program_id", copy=True)
    member_count = fields.Integer(compute="_compute_member_count")
    rebate_period = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter"), ("year", "Year")],
        required=True,
        default="quarter",
        tracking=True,
        help="Settlement period of the tiers' volume rebates: a customer whose spend in the period "
        "reaches a tier gets its rebate on all of the period's purchases.",
    )
    # Personal offers from purchase history (see wholesale.loyalty.personal.offer).
    personal_offer_months = fields.Integer(
        string="Personal Offers: Months Looked Back",
        default=0,
        tracking=True,
        help="Full calendar months of purchase history the nightly run looks at to find each "
        "member's regular products; 0 gives no personal offers.",
    )
    personal_offer_min_months = fields.Integer(
        string="Personal Offers: Months with a Purchase",
        default=3,
        tracking=True,
        help="A member gets a personal offer on a product it bought in at least this many of those "
        "months (net of credit notes).",
    )
    personal_offer_discount = fields.Float(
        string="Personal Offers: Discount (%)",
        digits="Discount",
        default=5.0,
        tracking=True,
        help="Discount of a personal offer on quotation lines of the product. A line gets the best of "
        "the pricelist discount, the tier discount and this one, never more than one of them.",
    )

    # Points liability in the books (see wholesale.loyalty.liability): who sees and sets it.
    liability_method = fields.Selection(
        [
            ("none", "Not booked"),
            ("deferral", "Deferred revenue (IFRS 15 / ASC 606)"),
            ("provision", "Provision for the expected cost"),
        ],
        string="Points Liability", default="none", required=True, tracking=True,
        groups=LIABILITY_GROUPS,
        help="Deferred revenue: part of each earning invoice's revenue moves to a contract liability until "
             "the points are redeemed or expire. Provision: the expected cost of the points is charged to an "
             "expense account when they are earned, used when they are redeemed, released when they expire.",
    )
    liability_account_id = fields.Many2one(
        "account.account", string="Liability Account", ondelete="restrict", tracking=True,
        groups=LIABILITY_GROUPS,
        domain="[('account_type', 'in', ('liability_current', 'liability_non_current'))]",
        help="The contract liability (deferral) or the provision the points outstanding are booked on.",
    )
    liability_revenue_account_id = fields.Many2one(
        "account.account", string="Deferred Revenue Account", ondelete="restrict", tracking=True,
        groups=LIABILITY_GROUPS,
        help="Deferral: debited when an invoice's revenue is deferred, credited when it is released "
             "(redemption, expiry).",
    )
    liability_expense_account_id = fields.Many2one(
        "account.account", string="Points Expense Account", ondelete="restrict", tracking=True,
        groups=LIABILITY_GROUPS,
        help="Charged with the expected cost of points given without revenue (bonuses, manual awards) and, "
             "with a provision, of every point earned.",
    )
    liability_journal_id = fields.Many2one(
        "account.journal", string="Liability Journal", ondelete="restrict", tracking=True,
        groups=LIABILITY_GROUPS, domain="[('type', '=', 'general')]",
    )
    expected_redemption_percent = fields.Float(
        string="Expected Redemption (%)", default=100.0, digits=(5, 2), tracking=True,
        groups=LIABILITY_GROUPS,
        help="Share of the points expected to be redeemed; the rest is expected to expire (breakage).",
    )
    redemption_estimate = fields.Selection(
        [("fixed", "Fixed share"), ("observed", "Observed on closed lots")],
        default="fixed", required=True, groups=LIABILITY_GROUPS,
    )
    liability_share_now = fields.Float(
        string="Expected Redemption Now (%)", compute="_compute_liability_share_now", digits=(5, 2),
        groups=LIABILITY_GROUPS,
        help="The share new points are booked at: the fixed one, or the one observed on closed lots once they "
             "hold enough points. The monthly true-up brings open lots to it.",
    )
    liability_budget = fields.Monetary(
        string="Liability Budget", tracking=True, groups=LIABILITY_GROUPS,
        help="Ceiling of the points liability (0: none). Above it, manual awards and bonus rules wait for a "
             "loyalty administrator's approval; earning on invoices never stops. The followers are told at "
             "80% and 100%.",
    )
    liability_budget_percent = fields.Float(
        string="Budget Used (%)", compute="_compute_liability_tie_out", digits=(16, 1), groups=LIABILITY_GROUPS,
    )
    liability_budget_alert = fields.Selection(
        [("80", "80% reached"), ("100", "Budget reached")], readonly=True, copy=False, groups=LIABILITY_GROUPS,
        help="The last warning given on the liability budget.",
    )
    liability_ledger_amount = fields.Monetary(
        string="Liability in the Ledger", compute="_compute_liability_tie_out", groups=LIABILITY_GROUPS,
        help="What the open lots still carry: deferred or provided, not yet released.",
    )
    liability_books_amount = fields.Monetary(
        string="Liability in the Books", compute="_compute_liability_tie_out", groups=LIABILITY_GROUPS,
        help="Balance of the liability account on the program's entries.",
    )
    liability_difference = fields.Monetary(compute="_compute_liability_tie_out", groups=LIABILITY_GROUPS)

    _sql_constraints = [
        (name, check_sql(PROGRAM_RANGES, fname), message) for name, fname, message in (
            ("points_amount_step_positive", "points_amount_step", "The amount per points step must be above 0."),
            ("points_per_step_positive", "points_per_step", "Points per step cannot be negative."),
            ("points_min_order_amount_positive", "points_min_order_amount",
             "The minimum order for points cannot be negative."),
            ("points_validity_positive", "points_validity_months", "Points validity cannot be negative."),
            ("point_value_positive", "point_value", "A point must be worth more than zero."),
            ("max_redeem_percent_range", "max_redeem_percent",
             "The share of an order payable with points must be between 0 and 100%."),
            ("downgrade_grace_days_positive", "downgrade_grace_days", "The downgrade grace period cannot be negative."),
            ("retention_warning_days_positive", "retention_warning_days",
             "The warning before a tier loss cannot be negative."),
        )
    ] + [
        (
            "personal_offer_months_positive",
            "CHECK(personal_offer_months >= 0 AND personal_offer_min_months >= 0)",
            "The months of personal offers cannot be negative.",
        ),
        (
            "personal_offer_min_months_range",
            "CHECK(personal_offer_months = 0 OR personal_offer_min_months BETWEEN 1 AND personal_offer_months)",
            "The months with a purchase of personal offers must be between 1 and the months looked back.",
        ),
        (
            "personal_offer_discount_range",
            "CHECK(personal_offer_discount >= 0 AND personal_offer_discount <= 100)",
            "The discount of personal offers must be between 0 and 100%.",
        ),
    ]

    def _default_sequence(self):
        """After every existing program, so that a new one takes no other program's members."""
        # sudo: only the highest sequence is read, archived and other companies' programs
        # included, since they claim customers as well once active.
        programs = self.sudo().with_context(active_test=False)
        [(highest,)] = programs._read_group([], aggregates=["sequence:max"])
        return (highest or 0) + 10

    def _default_user_id(self):
        """The user creating the program; the administrator for programs that module data
        creates, which the system user (OdooBot) would otherwise own."""
        if self.env.user._is_superuser():
            return self.env.ref("base.user_admin", raise_if_not_found=False) or self.env.user
        return self.env.user

    @api.depends("qualification_period", "period_months")
    @api.depends_context("lang")
    def _compute_qualification_period_display(self):
        labels = dict(self._fields["qualification_period"]._description_selection(self.env))
        for program in self:
            if program.qualification_period == "rolling":
                program.qualification_period_display = self.env._(
                    "Rolling %(months)s months", months=program.period_months
                )
            else:
                program.qualification_period_display = labels.get(program.qualification_period, False)

    @api.depends(
        "currency_id", "qualification_basis", "qualification_period", "period_months", "apply_tier_discount",
        "points_amount_step", "points_per_step", "points_min_order_amount", "points_trigger", "point_value",
        "max_redeem_percent", "points_validity_months", "tier_ids.name", "tier_ids.threshold_amount",
        "tier_ids.discount_percent", "tier_ids.points_multiplier", "tier_ids.rebate_percent",
        "tier_ids.free_shipping", "tier_ids.free_shipping_min_amount", "tier_ids.points_never_expire",
    )
    def _compute_summary(self):
        for program in self:
            # A new program has no currency until its company is set: nothing to sum up yet.
            program.summary = "\n".join(program._summary_lines()) if program.currency_id else False

    def _summary_lines(self):
        """The program in plain sentences, one per tier and one for points: what a customer
        does to reach each tier and what it gives."""
        self.ensure_one()
        env = self.env
        spend = {
            "invoiced": env._("invoiced"), "paid": env._("paid"), "confirmed": env._("in confirmed orders"),
        }.get(self.qualification_basis, "")
        period = {
            "lifetime": env._("in total"),
            "rolling": env._("in the last %(months)s months", months=self.period_months),
            "previous_month": env._("last month"),
            "calendar_year": env._("this calendar year"),
        }.get(self.qualification_period, "")
        lines = [self._tier_summary(tier, spend, period) for tier in self.tier_ids.sorted("threshold_amount")]
        lines.append(self._points_summary())
        return lines

    def _tier_summary(self, tier, spend, period):
        env, money = self.env, self.currency_id.format
        gives = []
        if self.apply_tier_discount and tier.discount_percent:
            gives.append(env._("%(percent)s%% off every line", percent=formatLang(env, tier.discount_percent)))
        if float_compare(tier.points_multiplier, 1.0, precision_digits=2):
            gives.append(env._("%(factor)s× points", factor=formatLang(env, tier.points_multiplier)))
        if tier.rebate_percent:
            gives.append(env._("a %(percent)s%% rebate", percent=formatLang(env, tier.rebate_percent)))
        if tier.free_shipping:
            gives.append(env._("free shipping from %(amount)s", amount=money(tier.free_shipping_min_amount)))
        if tier.points_never_expire:
            gives.append(env._("points that never expire"))
        return env._(
            "%(tier)s: from %(amount)s %(spend)s %(period)s%(gives)s",
            tier=tier.name, amount=money(tier.threshold_amount), spend=spend, period=period,
            gives=(": " + "; ".join(gives)) if gives else "",
        )

    def _points_summary(self):
        env, money = self.env, self.currency_id.format
        when = env._("when an invoice is paid") if self.points_trigger == "paid" else env._("when an invoice is posted")
        text = env._(
            "Points: %(points)s per %(step)s %(when)s, worth %(value)s each, paying up to %(share)s%% of an order",
            points=self.points_per_step, step=money(self.points_amount_step), when=when,
            value=self._point_value_text(),
            share=formatLang(env, self.max_redeem_percent),
        )
        if self.points_validity_months:
            text += env._("; they expire after %(months)s months", months=self.points_validity_months)
        return text

    def _point_value_text(self):
        """The point value with its currency, in full when finer than the currency's cents."""
        currency = self.currency_id
        if currency.round(self.point_value) == self.point_value:
            return currency.format(self.point_value)
        amount = formatLang(self.env, self.point_value, digits=4)
        if currency.position == "before":
            return f"{currency.symbol}\N{NO-BREAK SPACE}{amount}"
        return f"{amount}\N{NO-BREAK SPACE}{currency.symbol}"

    @api.depends("tier_ids")
    def _compute_tier_count(self):
        for program in self:
            program.tier_count = len(program.tier_ids)

    def _compute_member_count(self):
        counts = dict(
            self.env["wholesale.loyalty.member"]._read_group(
                [("program_id", "in", self.ids)], ["program_id"], ["__count"],
            )
        )
        for program in self:
            program.member_count = counts.get(program, 0)

    @api.constrains("qualification_period", "period_months")
    def _check_period_months(self):
        for program in self:
            if program.qualification_period == "rolling" and program.period_months <= 0:
                raise ValidationError(
                    self.env._(
                        "Program %(program)s: a rolling period needs a number of months above zero.",
                        program=program.name,
                    )
                )

    @api.constrains("qualifying_categ_ids", "excluded_categ_ids")
    def _check_categories(self):
        for program in self:
            # A subcategory excluded from a counted category is a refinement; the same one in both lists is not.
            both = set(program.qualifying_categ_ids.ids) & set(program.excluded_categ_ids.ids)
            if both:
                raise ValidationError(self.env._(
                    "Program %(program)s: %(categories)s cannot both count and be excluded.",
                    program=program.name,
                    categories=", ".join(self.env["product.category"].browse(sorted(both)).mapped("complete_name")),
                ))

    def _compute_liability_share_now(self):
        shares = self.env["wholesale.loyalty.liability"]._shares(self.filtered("id"))
        for program in self:
            program.liability_share_now = shares.get(program.id, program.expected_redemption_percent)

    def _compute_liability_tie_out(self):
        tie_outs = self.env["wholesale.loyalty.liability"]._tie_out(self)
        for program in self:
            tie_out = tie_outs[program.id]
            program.liability_ledger_amount = tie_out["ledger"]
            program.liability_books_amount = tie_out["books"]
            program.liability_difference = tie_out["difference"]
            program.liability_budget_percent = (
                100.0 * tie_out["ledger"] / program.liability_budget if program.liability_budget else 0.0
            )

    @api.constrains(*LIABILITY_FIELDS)
    def _check_liability_settings(self):
        for program in self:
            error = program._liability_settings_error()
            if error:
                raise ValidationError(self.env._("Program %(program)s: %(error)s", program=program.name, error=error))

    def _liability_settings_error(self):
        """Why the points liability cannot be booked as set up (False when it can)."""
        share = self.expected_redemption_percent
        if float_compare(share, 0.0, precision_digits=2) < 0 or float_compare(share, 100.0, precision_digits=2) > 0:
            return self.env._("the expected redemption must be between 0 and 100%.")
        if self.liability_method == "none":
            return False
        needed = {
            "liability_account_id": self.env._("a liability account"),
            "liability_journal_id": self.env._("a journal"),
            "liability_expense_account_id": self.env._("an expense account"),
        }
        if self.liability_method == "deferral":
            needed["liability_revenue_account_id"] = self.env._("a deferred revenue account")
        missing = [label for fname, label in needed.items() if not self[fname]]
        if missing:
            return self.env._("booking the points liability needs %(missing)s.", missing=", ".join(missing))
        if self.liability_journal_id.company_id != self.company_id:
            return self.env._("the journal %(journal)s belongs to another company.",
                              journal=self.liability_journal_id.display_name)
        if self.liability_account_id.account_type not in LIABILITY_ACCOUNT_TYPES:
            return self.env._("the account %(account)s is not a liability account.",
                              account=self.liability_account_id.display_name)
        accounts = self.liability_account_id | self.liability_revenue_account_id | self.liability_expense_account_id
        foreign = accounts.filtered(lambda account: self.company_id not in account.company_ids)
        if foreign:
            return self.env._("the account %(account)s belongs to another company.",
                              account=foreign[0].display_name)
        return False

    @api.constrains("partner_domain")
    def _check_partner_domain(self):
        for program in self:
            try:
                program._eligibility_domain()
                self.env["res.partner"].search_count(program._eligibility_domain(), limit=1)
            except Exception as error:  # any parse or field error means the filter is unusable
                raise ValidationError(
                    self.env._(
                        "Program %(program)s: the eligible customers filter %(domain)s cannot be "
                        "used (%(error)s).",
                        program=program.name,
                        domain=program.partner_domain,
                        error=error,
                    )
                ) from error

    @api.constrains("personal_offer_months", "personal_offer_min_months", "personal_offer_discount")
    def _check_personal_offer_settings(self):
        for program in self:
            program._check_personal_offer_values(program.name, {
                fname: program[fname] for fname in PERSONAL_OFFER_FIELDS
            })

    @api.model
    def _check_personal_offer_values(self, name, values):
        """Refuse personal offer settings (all three in ``values``) that make no offer rule,
        naming the program."""
        error = settings_error(*(values[fname] or 0 for fname in PERSONAL_OFFER_FIELDS))
        if error == "negative_months":
            raise ValidationError(self.env._(
                "Program %(program)s: the months of personal offers cannot be negative.", program=name))
        if error == "min_above_months":
            raise ValidationError(self.env._(
                "Program %(program)s: personal offers need a purchase in %(min)s months, more than the "
                "%(months)s months looked back.", program=name,
                min=values["personal_offer_min_months"], months=values["personal_offer_months"]))
        if error == "min_below_one":
            raise ValidationError(self.env._(
                "Program %(program)s: personal offers need a purchase in at least 1 month.", program=name))
        if error == "discount_range":
            raise ValidationError(self.env._(
                "Program %(program)s: the discount of personal offers must be between 0 and 100%%.",
                program=name))

    @api.model
    def _check_range_values(self, name, values):
        """Refuse values outside the ranges of the SQL constraints above (``PROGRAM_RANGES``),
        naming the program, before the database refuses them with a message that names none."""
        for fname in PROGRAM_RANGES:
            if not in_range(PROGRAM_RANGES, fname, values.get(fname)):
                raise ValidationError(self._range_error(fname, name or self.env._("New")))

    @api.model
    def _range_error(self, fname, name):
        """The message refusing a value of ``fname`` out of its range, naming program ``name``."""
        env = self.env
        return {
            "points_amount_step": lambda: env._(
                "Program %(program)s: the amount per points step must be above 0.", program=name),
            "points_per_step": lambda: env._(
                "Program %(program)s: the points per step cannot be negative.", program=name),
            "points_min_order_amount": lambda: env._(
                "Program %(program)s: the minimum order for points cannot be negative.", program=name),
            "points_validity_months": lambda: env._(
                "Program %(program)s: the points validity cannot be negative.", program=name),
            "point_value": lambda: env._(
                "Program %(program)s: a point must be worth more than zero.", program=name),
            "max_redeem_percent": lambda: env._(
                "Program %(program)s: the share of an order payable with points must be between 0 "
                "and 100%%.", program=name),
            "downgrade_grace_days": lambda: env._(
                "Program %(program)s: the downgrade grace period cannot be negative.", program=name),
            "retention_warning_days": lambda: env._(
                "Program %(program)s: the warning before a tier loss cannot be negative.", program=name),
        }[fname]()

    @api.model_create_multi
    def create(self, vals_list):
        check_numbers(self, vals_list)
        for vals in vals_list:
            self._check_range_values(vals.get("name"), vals)
            self._check_personal_offer_values(vals.get("name") or self.env._("New"), {
                fname: vals.get(fname, self._fields[fname].default(self)) for fname in PERSONAL_OFFER_FIELDS
            })
        programs = super().create(vals_list)
        self.env.registry.clear_cache()  # the active programs (see _active_program_ids)
        programs._show_line_discounts()
        self.env["wholesale.loyalty.liability"]._book_opening(programs)
        # Customers matching a new program are members at once, not after the nightly run.
        # Module data skips this: the install hook enrolls everyone once the tiers exist.
        if not self.env.context.get("install_mode"):
            self.env["wholesale.loyalty.tier.engine"]._enroll(programs)
        return programs

    def write(self, vals):
        if "liability_budget_alert" in vals:
            # Only the booking service says which warning was given (see _check_budgets), by SQL.
            raise ValidationError(self.env._("The liability budget warning is not set by hand."))
        check_numbers(self, [vals])
        for program in self:
            self._check_range_values(vals.get("name", program.name), vals)
            if any(fname in vals for fname in PERSONAL_OFFER_FIELDS):
                self._check_personal_offer_values(vals.get("name", program.name), {
                    fname: vals.get(fname, program[fname]) for fname in PERSONAL_OFFER_FIELDS
                })
        before = {program: (program.partner_domain, program.sequence) for program in self}
        booking_before = self.filtered(lambda program: program.liability_method != "none")
        result = super().write(vals)
        if any(fname in vals for fname in ("active", "sequence", "company_id")):
            self.env.registry.clear_cache()  # the active programs (see _active_program_ids)
        if vals.get("liability_method", "none") != "none":
            # Points customers hold already carry no liability yet: the books open with them.
            self.env["wholesale.loyalty.liability"]._book_opening(self - booking_before)
        if vals.get("apply_tier_discount") or vals.get("active"):
            self._show_line_discounts()
        if any(field in vals for field in MEMBERSHIP_FIELDS) and not self.env.context.get("install_mode"):
            changed = self.filtered(lambda program: (program.partner_domain, program.sequence) != before[program])
            self.env["wholesale.loyalty.tier.engine"]._enroll(changed)
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()  # the active programs (see _active_program_ids)
        return result

    @api.model
    @ormcache()
    def _active_program_ids(self):
        """Ids of the active programs of every company, in the order they claim customers.
        Every invoice posted or paid and every order confirmed reads them, and they change
        only with the programs: cached, cleared when a program is created, archived,
        reordered, moved to another company or deleted."""
        return tuple(self.sudo().search([], order="sequence, id").ids)

    def liability_tie_out(self):
        """The points liability of each program in the ledger (what its open lots still carry)
        against the books (the liability account's balance on the program's entries):
        ``{"ledger", "books", "difference", "lines": [{partner_id, partner, ledger, books,
        difference}]}``, for one program; a list of them for several."""
        check_caller_groups(self.env, LOYALTY_MANAGER, BILLING, ACCOUNTING_READONLY)
        # sudo: accountants read no loyalty program; they get the figures of the programs of
        # the companies they work in, nothing else.
        programs = self.sudo().filtered(lambda program: program.company_id in self.env.companies)
        tie_outs = self.env["wholesale.loyalty.liability"]._tie_out(programs, by_customer=True)
        result = [tie_outs[program.id] for program in programs]
        return result[0] if len(result) == 1 else result

    def action_book_opening_liability(self):
        """Book the liability of the open points that carry none yet (see ``_book_opening``);
        booking twice books nothing more."""
        check_caller_groups(self.env, LOYALTY_MANAGER)
        moves = self.env["wholesale.loyalty.liability"]._book_opening(self)
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {
                "type": "success" if moves else "info",
                "message": self.env._("Opening liability booked: %(count)s journal entries.", count=len(moves))
                if moves else self.env._("Every open point already carries its liability: nothing to book."),
            },
        }

    def action_print_liability_tie_out(self):
        check_caller_groups(self.env, LOYALTY_MANAGER, BILLING, ACCOUNTING_READONLY)
        return self.env.ref("wholesale_loyalty.action_report_liability_tie_out").report_action(self)

    def action_export_liability_tie_out(self):
        """The tie-out as a spreadsheet (XLSX), a line per customer, for the auditor."""
        check_caller_groups(self.env, LOYALTY_MANAGER, BILLING, ACCOUNTING_READONLY)
        # sudo: see liability_tie_out; the file is the caller's own attachment.
        programs = self.sudo().filtered(lambda program: program.company_id in self.env.companies)
        content = self.env["wholesale.loyalty.liability"]._tie_out_xlsx(programs)
        attachment = self.env["ir.attachment"].create({
            "name": self.env._("Points liability tie-out %(date)s.xlsx", date=fields.Date.context_today(self)),
            "raw": content,
            "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        })
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}

    def _show_line_discounts(self):
        """Tier discounts are filled into quotation lines, so whoever quotes must see the
        Discount column. A program that applies them, set up by a loyalty administrator,
        shows it to the loyalty users (every salesperson is one); other internal users keep
        what Sales > Settings > Discounts says. The uninstall hook takes it back."""
        if not any(program.active and program.apply_tier_discount for program in self):
            return
        discounts = self.env.ref("sale.group_discount_per_so_line")
        # sudo: groups are the settings administrator's; only this one implication is added,
        # and only programs' managers get here (creating or writing a program needs it).
        self.env.ref("wholesale_loyalty.group_wholesale_loyalty_user").sudo()._apply_group(discounts)

    def action_change_membership(self):
        """Open the preview of a new eligibility filter or order before applying it."""
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Change Eligibility of %(program)s", program=self.name),
            "res_model": "wholesale.loyalty.program.membership.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_program_id": self.id},
        }

    def action_view_members(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Members of %(program)s", program=self.name),
            "res_model": "wholesale.loyalty.member",
            "view_mode": "list,form",
            "domain": [("program_id", "=", self.id)],
            "context": {"search_default_group_tier": 1},
        }

    def action_recalculate_tiers(self):
        """Re-evaluate every eligible customer of these programs now, and say what changed."""
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self.check_access("write")  # the engine runs as superuser: programs of the user's companies only
        run = self.env["wholesale.loyalty.tier.engine"]._recalculate(programs=self)
        self.env.ref("wholesale_loyalty.ir_cron_send_tier_notifications")._trigger()
        return self._recalculation_notification(run.evaluated, run.changes)

    def _recalculation_notification(self, evaluated, changes):
        """The client action telling how many customers were evaluated and moved
        (``changes``: how many tier changes of each kind, see the engine's ``Recalculation``)."""
        programs = ", ".join(self.mapped("name"))
        up, down, joined, grace = changes["up"], changes["down"], changes["joined"], changes["grace"]
        if not evaluated:
            message = self.env._("%(programs)s: no customer is eligible.", programs=programs)
        elif not changes.total() - grace:
            message = self.env._(
                "%(programs)s: recalculated %(count)s customers, no tier changed.",
                programs=programs, count=evaluated,
            )
        else:
            message = self.env._(
                "%(programs)s: recalculated %(count)s customers: %(up)s moved up, %(down)s moved "
                "down, %(joined)s joined.",
                programs=programs, count=evaluated, up=up, down=down, joined=joined,
            )
        if grace:
            message += " " + self.env._(
                "%(grace)s fell below their tier and keep it during the grace period.", grace=grace,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Tiers recalculated"),
                "message": message,
                "type": "success",
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _eligibility_domain(self, partner_domain=None):
        """Domain of the commercial partners that belong to this program (with
        ``partner_domain`` instead of the saved filter, for a preview)."""
        self.ensure_one()
        custom = literal_eval(partner_domain or self.partner_domain or "[]")
        if not isinstance(custom, list):
            raise ValueError(self.env._("the filter must be a list of conditions"))
        company_domain = [("company_id", "in", [False, self.company_id.id])]
        # Contacts inherit their commercial partner's membership, so only heads are enrolled;
        # the companies themselves and their staff are never customers of the scheme.
        return expression.AND([
            custom, company_domain, [("parent_id", "=", False)],
            [("id", "not in", self._never_members_query())],
        ])

    @api.model
    def _never_members_query(self):
        """SELECT of the partners of the companies and of internal users (archived ones
        included): a subquery of the searches, not a list read on every document."""
        self.env["res.users"].flush_model(["partner_id", "share"])
        self.env["res.company"].flush_model(["partner_id"])
        return SQL(
            """(SELECT partner_id FROM res_company WHERE partner_id IS NOT NULL
                UNION SELECT partner_id FROM res_users WHERE share IS NOT TRUE AND partner_id IS NOT NULL)"""
        )

    def _eligible_customers(self, partners):
        """The commercial partners among ``partners`` this program's filter takes (whatever
        their membership): one search."""
        self.ensure_one()
        if not partners:
            return partners
        found = set(partners.with_context(active_test=False)._search(
            expression.AND([[("id", "in", partners.ids)], self._eligibility_domain()]),
        ))
        return partners.filtered(lambda partner: partner.id in found)

    def _timezone(self):
        """Where the program's days begin and end."""
        self.ensure_one()
        return self._company_timezone(self.company_id)

    @api.model
    def _company_timezone(self, company):
        """The company's timezone, else the user's, else UTC: periods are the company's days."""
        return self._company_tz(company.id) or self.env.context.get("tz") or self.env.user.tz or "UTC"

    @api.model
    @ormcache("company_id")
    def _company_tz(self, company_id):
        """The timezone of the company's partner, or False: every document's day is counted in
        it, and it changes only with that partner's timezone (which clears the cache)."""
        return self.env["res.company"].sudo().browse(company_id).partner_id.tz or False

    def _today(self):
        """Today's date in the program's timezone."""
        return local_today(self._timezone(), fields.Datetime.now())

    def _points_for(self, untaxed, tier):
        """Points an untaxed amount earns for a customer holding ``tier``."""
        self.ensure_one()
        return points_for_amount(
            untaxed,
            self.points_amount_step,
            self.points_per_step,
            self._multiplier(tier),
            self.points_min_order_amount,
            rounding=self.currency_id.rounding,
        )

    def _multiplier(self, tier):
        """The points multiplier of ``tier`` (1 without a tier), from the registry's cache."""
        self.ensure_one()
        return self._tier_points_terms(tier)[0]

    def _points_never_expire(self, tier):
        """Whether the points earned at ``tier`` never expire (no without a tier)."""
        self.ensure_one()
        return self._tier_points_terms(tier)[1]

    def _tier_points_terms(self, tier):
        if not tier:
            return 1.0, False
        terms = {tier_id: (multiplier, never) for tier_id, multiplier, never in self._points_terms_of(self.id)}
        # A tier the program's list leaves out (archived) is read itself.
        return terms.get(tier.id) or (tier.sudo().points_multiplier, tier.sudo().points_never_expire)

    @api.model
    @ormcache("program_id")
    def _points_terms_of(self, program_id):
        """((tier id, points multiplier, points never expire), ...) of a program's tiers: every
        invoice that earns reads its customer's, and they change only with the tiers (cleared
        with the ladder)."""
        return tuple(
            (tier.id, tier.points_multiplier, tier.points_never_expire)
            for tier in self.sudo().browse(program_id).tier_ids
        )

    def _ladder(self):
        """The program's tiers as engine steps."""
        self.ensure_one()
        return list(self._ladder_of(self.id))

    @api.model
    @ormcache("program_id")
    def _ladder_of(self, program_id):
        """The tiers of a program as engine steps, cached: every document a customer posts,
        pays or confirms is evaluated on the ladder, which changes only with the tiers
        (their creation, threshold, program or deletion clear the cache)."""
        tiers = self.sudo().browse(program_id).tier_ids
        return tuple(TierStep(tier.id, tier.threshold_amount) for tier in tiers)

    def _next_tier(self, tier_id, amount):
        """(next tier, spend missing to reach it) of a member holding ``tier_id`` (or None)
        with qualifying spend ``amount``: an empty tier and 0.0 at the top of the ladder."""
        self.ensure_one()
        step = next_step(self._ladder(), tier_id or None)
        if not step:
            return self.env["wholesale.loyalty.tier"], 0.0
        return self.env["wholesale.loyalty.tier"].browse(step.tier_id), max(step.threshold - amount, 0.0)

    def _downgrade_on(self, below_since):
        """The day a member below its tier since ``below_since`` moves down: the grace period later."""
        self.ensure_one()
        return below_since + timedelta(days=self.downgrade_grace_days) if below_since else False

    # ------------------------------------------------------------------ qualifying spend

    @api.model
    def _sale_documents_condition(self, move_alias):
        """SQL condition: the ``account_move`` row ``move_alias`` is a posted customer invoice
        or credit note.

        Every sales figure sums ``amount_untaxed_signed`` over these documents: untaxed, in
        company currency, negative for credit notes, so the sum is net of refunds. The tier
        spend (:meth:`_spend_query`), the rebates, and the reports (analysis view, KPIs, ROI)
        all start from this condition.
        """
        return SQL(
            "%s = 'posted' AND %s IN %s",
            SQL.identifier(move_alias, "state"), SQL.identifier(move_alias, "move_type"), SALE_DOCUMENTS,
        )

    @api.model
    def _spend_exclusions(self, move_alias):
        """SQL conditions, each true for a sale document of ``move_alias`` that is no
        qualifying spend. Add-ons append their own.

        Rebate credit notes are left out, and so are their reversals: a rebate paid back is
        a reward, not a smaller purchase, so it must not lower the tier (or the next rebate)
        that earned it, and the reversal of a rebate gives the reward back, which is no
        purchase either. The reports keep them: their revenue is what the customer was
        invoiced, net of every credit note, rebates included, as the accounts show it.
        """
        # A list of the rebates' documents, looked up by hash, rather than a correlated
        # EXISTS: in a pass over every document, PostgreSQL checks it in a third of the time.
        return [SQL("%s IN (%s)", SQL.identifier(move_alias, "id"), self._rebate_documents_query())]

    @api.model
    def _rebate_documents_query(self):
        """SELECT of the ids of the rebates' credit notes and of the documents reversing them:
        the one list of documents that are rebates, not sales (spend, points)."""
        return SQL(
            """SELECT r.move_id FROM wholesale_loyalty_rebate r WHERE r.move_id IS NOT NULL
               UNION ALL
               SELECT m.id FROM account_move m JOIN wholesale_loyalty_rebate r ON m.reversed_entry_id = r.move_id"""
        )

    @api.model
    def _rebate_documents(self, moves):
        """Those of ``moves`` that are rebate credit notes or reversals of one."""
        if not moves:
            return moves
        self._flush_spend_sources()
        ids = {row[0] for row in self.env.execute_query(SQL(
            "SELECT id FROM (%s) rebates(id) WHERE id = ANY(%s)", self._rebate_documents_query(), moves.ids
        ))}
        return moves.filtered(lambda move: move.id in ids)

    # ------------------------------------------------------------------ counted lines

    def _category_ids(self, field_name):
        """Ids of the categories of ``field_name`` and of their subcategories."""
        self.ensure_one()
        categories = self[field_name]
        if not categories:
            return set()
        # sudo: categories are shared by every company; only their ids are read
        return set(self.env["product.category"].sudo().search([("id", "child_of", categories.ids)]).ids)

    def _counts_by_category(self):
        self.ensure_one()
        return self.counts_by_category

    @api.depends("qualifying_categ_ids", "excluded_categ_ids")
    def _compute_counts_by_category(self):
        for program in self:
            program.counts_by_category = bool(program.qualifying_categ_ids or program.excluded_categ_ids)

    def _counted_lines(self, lines):
        """The lines of ``lines`` (invoice or order lines) whose product counts toward the
        program: of a counted category when the program names some, of no excluded one. A
        line without product counts unless the program names the categories that count.
        The rule of :meth:`_counted_line_condition`, in Python: a category lies under another
        when its ``parent_path`` starts with the other's, so no search is needed per line."""
        self.ensure_one()
        # sudo: categories are shared by every company; only their place in the tree is read
        qualifying = self.sudo().qualifying_categ_ids.mapped("parent_path")
        excluded = self.sudo().excluded_categ_ids.mapped("parent_path")

        def under(category, paths):
            return any(category.parent_path.startswith(path) for path in paths)

        def counts(line):
            category = line.product_id.categ_id.sudo()
            if not category:
                return not qualifying
            return (not qualifying or under(category, qualifying)) and not under(category, excluded)
        return lines.filtered(counts)

    def _counted_line_condition(self, template_alias):
        """SQL condition: an invoice or order line whose product's template is the
        ``product_template`` row ``template_alias`` (NULL without product) counts toward the
        program. The rule of :meth:`_counted_lines`, in SQL."""
        self.ensure_one()
        template = SQL.identifier(template_alias)
        qualifying, excluded = self._category_ids("qualifying_categ_ids"), self._category_ids("excluded_categ_ids")
        conditions = [SQL("TRUE")]
        if qualifying:
            conditions.append(SQL("%s.categ_id = ANY(%s)", template, sorted(qualifying)))
        if excluded:
            conditions.append(SQL(
                "(%s.categ_id IS NULL OR %s.categ_id <> ALL(%s))", template, template, sorted(excluded)))
        return SQL(" AND ").join(conditions)

    def _counted_amount(self, move):
        """What a customer invoice or credit note counts for toward the program: its untaxed
        amount (signed, company currency), or with product categories set, the amount of its
        counted lines (see :meth:`_counted_lines`)."""
        self.ensure_one()
        if not self._counts_by_category():
            return move.amount_untaxed_signed
        lines = move.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        return -sum(self._counted_lines(lines).mapped("balance"))

    def _sale_documents_table(self, move_alias):
        """FROM item ``account_move`` as ``move_alias``, whose ``amount_untaxed_signed`` is,
        with product categories set, the amount of the document's counted lines: the one
        place the spend, the rebates and the what-if replay read a document's amount from.

        The counted amounts are one join of the documents with their lines, grouped by every
        column the callers filter on: PostgreSQL moves those filters into the grouped query,
        so a customer's spend reads that customer's documents and their lines only, and a run
        over every customer joins them all in one pass."""
        self.ensure_one()
        alias = SQL.identifier(move_alias)
        if not self._counts_by_category():
            return SQL("account_move %s", alias)
        return SQL(
            """(SELECT doc.id, doc.commercial_partner_id, doc.state, doc.move_type, doc.company_id,
                       doc.invoice_date, doc.payment_state, doc.reversed_entry_id,
                       COALESCE(SUM(-line.balance) FILTER (WHERE %(counted)s), 0) AS amount_untaxed_signed
                  FROM account_move doc
                  JOIN account_move_line line ON line.move_id = doc.id AND line.display_type = 'product'
             LEFT JOIN product_product product ON product.id = line.product_id
             LEFT JOIN product_template template ON template.id = product.product_tmpl_id
              GROUP BY doc.id, doc.commercial_partner_id, doc.state, doc.move_type, doc.company_id,
                       doc.invoice_date, doc.payment_state, doc.reversed_entry_id) %(alias)s""",
            counted=self._counted_line_condition("template"), alias=alias,
        )

    def _order_amount_sql(self, order_alias):
        """SQL of what the ``sale_order`` row ``order_alias`` counts for (untaxed, order
        currency): its untaxed amount, or with product categories set, its counted lines'."""
        self.ensure_one()
        order = SQL.identifier(order_alias)
        if not self._counts_by_category():
            return SQL("%s.amount_untaxed", order)
        return SQL(
            """(SELECT COALESCE(SUM(line.price_subtotal), 0)
                  FROM sale_order_line line
             LEFT JOIN product_product product ON product.id = line.product_id
             LEFT JOIN product_template template ON template.id = product.product_tmpl_id
                 WHERE line.order_id = %(order)s.id AND line.display_type IS NULL AND %(counted)s)""",
            order=order, counted=self._counted_line_condition("template"),
        )

    def _spend_query(self, partner_ids, date_from, date_to):
        """Query of the qualifying spend per commercial partner (``partner_id, amount``
        rows) over the local days ``date_from`` to ``date_to`` (inclusive; no start when
        ``date_from`` is None), on the program's qualification basis. Tiers and rebates
        both count this spend; run it through :meth:`_spend_by_partner`, which flushes
        what it reads (or call :meth:`_flush_spend_sources` first).

        ``partner_ids`` is a list of commercial partner ids, or an ``SQL`` query selecting
        them (one aggregation over many customers, planned as a whole)."""
        return SQL(
            """SELECT spend.partner_id, SUM(spend.amount)
                 FROM (%s) AS spend(partner_id, day, amount)
             GROUP BY spend.partner_id""",
            self._spend_documents_query(partner_ids, date_from, date_to),
        )

    def _spend_documents_query(self, partner_ids, date_from, date_to):
        """Query of the documents that make up :meth:`_spend_query`'s spend, one row each:
        ``partner_id`` (commercial partner), ``day`` (the company's day it counts on) and
        ``amount`` (what it counts for). For a forecast of when spend leaves a rolling
        window; sums of it are the spend."""
        self.ensure_one()
        if self.qualification_basis == "confirmed":
            # Order dates are UTC instants: the period's days are the company's.
            start, end = utc_bounds(date_from, date_to, self._timezone())
            return SQL(
                """SELECT p.commercial_partner_id,
                          (so.date_order AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date,
                          %(amount)s / COALESCE(NULLIF(so.currency_rate, 0), 1)
                     FROM sale_order so
                     JOIN res_partner p ON p.id = so.partner_id
                    WHERE %(partners)s
                      AND so.company_id = %(company)s
                      AND so.state = 'sale'
                      AND (%(start)s::timestamp IS NULL OR so.date_order >= %(start)s::timestamp)
                      AND so.date_order < %(end)s::timestamp""",
                partners=_partner_condition(SQL("p.commercial_partner_id"), partner_ids),
                company=self.company_id.id, start=start, end=end, tz=zone_name(self._timezone()),
                amount=self._order_amount_sql("so"),
            )
        return SQL(
            """SELECT m.commercial_partner_id, m.invoice_date, m.amount_untaxed_signed
                 FROM %(documents)s
                WHERE %(partners)s AND %(spend)s""",
            documents=self._sale_documents_table("m"),
            partners=_partner_condition(SQL("m.commercial_partner_id"), partner_ids),
            spend=self._spend_document_condition("m", date_from, date_to),
        )

    def _spend_document_condition(self, move_alias, date_from, date_to):
        """SQL condition: the ``account_move`` row ``move_alias`` is qualifying spend of the
        local days ``date_from`` to ``date_to`` (no start when None) on the program's
        invoiced or paid basis; its ``amount_untaxed_signed`` is what it counts for. The rule
        of :meth:`_spend_query`, for queries that sum other documents in the same pass."""
        return SQL(
            "%s %s",
            self._sale_documents_condition(move_alias),
            self._spend_document_filter(move_alias, date_from, date_to),
        )

    def _spend_document_filter(self, move_alias, date_from, date_to, exclusions=True):
        """:meth:`_spend_document_condition` for a sale document already (starting with
        ``AND``): what a pass over the sale documents checks of each to tell its spend. It
        reads only columns of the spend index, so such a pass scans the index alone. Without
        ``exclusions``, the pass leaves out :meth:`_spend_exclusions` itself, once for all
        its sums."""
        self.ensure_one()
        move = SQL.identifier(move_alias)
        # Credit notes carry a negative signed amount, so the sum is net of refunds. A
        # fully credited invoice is 'reversed' and its credit note 'paid': both count,
        # and cancel out, on the paid basis.
        paid_only = SQL("AND %s.payment_state IN ('paid', 'in_payment', 'reversed')", move) \
            if self.qualification_basis == "paid" else SQL()
        excluded = SQL().join(
            SQL("AND NOT (%s)", condition) for condition in self._spend_exclusions(move_alias)
        ) if exclusions else SQL()
        return SQL(
            """AND %(move)s.company_id = %(company)s
                  AND (%(date_from)s::date IS NULL OR %(move)s.invoice_date >= %(date_from)s::date)
                  AND %(move)s.invoice_date <= %(date_to)s
                  %(paid_only)s
                  %(excluded)s""",
            move=move, company=self.company_id.id, date_from=date_from, date_to=date_to,
            paid_only=paid_only, excluded=excluded,
        )

    def _spend_by_partner(self, partner_ids, date_from, date_to):
        """{commercial partner id: qualifying spend} of :meth:`_spend_query`: one query."""
        self._flush_spend_sources()
        return dict(self.env.execute_query(self._spend_query(partner_ids, date_from, date_to)))

    @api.model
    def _flush_spend_sources(self):
        """Write pending ORM changes of what :meth:`_spend_query` reads to the database."""
        # Payment states and totals are computed fields: pending ORM writes must reach
        # the database before it is queried (only the fields the query reads).
        self.env["account.move"].flush_model([
            "commercial_partner_id", "state", "move_type", "company_id", "invoice_date",
            "amount_untaxed_signed", "payment_state", "reversed_entry_id",
        ])
        self.env["sale.order"].flush_model(["partner_id", "company_id", "state", "date_order",
                                            "amount_untaxed", "currency_rate"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["wholesale.loyalty.rebate"].flush_model(["move_id"])
        # What the amounts of counted lines read, when a program counts some categories only.
        self.env["account.move.line"].flush_model(["move_id", "display_type", "balance", "product_id"])
        self.env["sale.order.line"].flush_model(["order_id", "display_type", "price_subtotal", "product_id"])
        self.env["product.product"].flush_model(["product_tmpl_id"])
        self.env["product.template"].flush_model(["categ_id"])

    def action_settle_rebates(self):
        """Settle the volume rebates of the last complete periods now (draft credit notes)."""
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self.check_access("write")
        return self.env["wholesale.loyalty.rebate"]._settle(programs=self)._action_view()


def _partner_condition(column, partners):
    """``column`` is one of ``partners``: a list of ids, or an ``SQL`` query selecting them."""
    if isinstance(partners, SQL):
        return SQL("%s IN (%s)", column, partners)
    return SQL("%s = ANY(%s)", column, list(partners))
