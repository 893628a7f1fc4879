from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.wholesale_loyalty.tools.numbers import check_numbers
from odoo.addons.wholesale_loyalty.tools.setting_ranges import PROGRAM_RANGES, TIER_RANGES, in_range

# The settings of a tier a simulation proposes (and a sensitivity run may vary).
TIER_SETTINGS = ("threshold_amount", "discount_percent", "points_multiplier", "rebate_percent")


class WholesaleLoyaltySimulationTier(models.Model):
    """A tier of a what-if simulation's proposed ladder: a copy of a program tier (``tier_id``)
    to change, or a tier to add; a program tier without a line is one the proposal removes."""

    _name = "wholesale.loyalty.simulation.tier"
    _description = "Wholesale Loyalty What-if Tier"
    _order = "simulation_id, threshold_amount, id"

    simulation_id = fields.Many2one(
        "wholesale.loyalty.simulation", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="simulation_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="simulation_id.currency_id")
    tier_id = fields.Many2one(
        "wholesale.loyalty.tier",
        string="Program Tier",
        ondelete="set null",
        help="The program's tier this line changes; empty for a tier the proposal adds.",
    )
    name = fields.Char(required=True)
    threshold_amount = fields.Monetary(string="Qualifying Spend", aggregator=False)
    discount_percent = fields.Float(string="Discount (%)", digits="Discount", aggregator=False)
    points_multiplier = fields.Float(default=1.0, digits=(16, 2), aggregator=False)
    rebate_percent = fields.Float(string="Rebate (%)", digits="Discount", aggregator=False)
    # Results of the last run, so that the ladder and its effect read side by side.
    current_member_count = fields.Integer(string="Customers Now", readonly=True)
    proposed_member_count = fields.Integer(string="Customers Proposed", readonly=True)
    changed = fields.Boolean(compute="_compute_changed", help="Added, or differs from the program's tier.")

    def _compute_changed(self):
        for line in self:
            tier = line.tier_id
            line.changed = not tier or line._tier_values() != line._tier_values(tier)

    @api.constrains(*TIER_SETTINGS)
    def _check_settings(self):
        for line in self:
            problems = line_problems(self.env, line)
            if problems:
                raise ValidationError(self.env._(
                    "Simulation %(simulation)s cannot run:\n%(problems)s",
                    simulation=line.simulation_id.name,
                    problems="\n".join(f"- {problem}" for problem in problems),
                ))

    @api.model_create_multi
    def create(self, vals_list):
        check_numbers(self, vals_list)
        lines = super().create(vals_list)
        lines.simulation_id._void_results()
        return lines

    def write(self, vals):
        check_numbers(self, [vals])
        if any(name in vals for name in (*TIER_SETTINGS, "name")):
            self.simulation_id._void_results()
        return super().write(vals)

    def unlink(self):
        self.simulation_id._void_results()
        return super().unlink()

    def _key(self):
        """The line's tier on both ladders: the program tier it changes, or itself when new."""
        self.ensure_one()
        if self.tier_id and self.tier_id.program_id == self.simulation_id.program_id:
            return self.tier_id.id
        return ("new", self.id)

    def _tier_values(self, tier=None):
        """The settings the line proposes (or ``tier`` holds), as tier values."""
        record = tier or self
        return {
            "name": record.name,
            "threshold_amount": round(record.threshold_amount, 2),
            "discount_percent": round(record.discount_percent, 6),
            "points_multiplier": round(record.points_multiplier, 6),
            "rebate_percent": round(record.rebate_percent, 6),
        }


def setting_problem(env, setting, value):
    """Why ``value`` cannot be the ``setting`` of a program or tier (the ranges the program
    and its tiers hold, ``PROGRAM_RANGES`` and ``TIER_RANGES``); None when it can."""
    ranges = TIER_RANGES if setting in TIER_RANGES else PROGRAM_RANGES
    if in_range(ranges, setting, value):
        return None
    return {
        "threshold_amount": lambda: env._("a threshold cannot be negative"),
        "discount_percent": lambda: env._("a percentage must be between 0 and 100%"),
        "rebate_percent": lambda: env._("a percentage must be between 0 and 100%"),
        "points_multiplier": lambda: env._("a points multiplier must be greater than zero"),
        "points_amount_step": lambda: env._("the amount per points step must be above 0"),
        "points_per_step": lambda: env._("the points per step cannot be negative"),
        "points_min_order_amount": lambda: env._("the minimum order for points cannot be negative"),
        "point_value": lambda: env._("a point must be worth more than zero"),
        "points_validity_months": lambda: env._("the points validity cannot be negative"),
        "max_redeem_percent": lambda: env._("the redemption cap must be between 0 and 100%"),
    }[setting]()


def line_problems(env, line):
    """What is wrong with a proposed tier line, as sentences naming it."""
    problems = []
    for setting in TIER_SETTINGS:
        problem = setting_problem(env, setting, line[setting])
        if problem:
            problems.append(env._("tier %(tier)s: %(problem)s", tier=line.name, problem=problem))
    return problems
