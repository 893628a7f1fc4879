from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_date, formatLang

from odoo.addons.wholesale_loyalty.tools.access import LOYALTY_USER, check_caller_groups

from ..tools.kpi import churn_percent
from ..tools.roi import RoiInputs, change_grid, input_errors, revenue_gain, roi_percent, sensitivity

INPUT_FIELDS = RoiInputs._fields


class WholesaleLoyaltyRoiScenario(models.Model):
    """A saved ROI calculation of the program, with its sensitivity analysis.

    revenue_gain = (Z x Y/100) x N x (100 - W + X)/100 and
    roi_percent = (revenue_gain - V) / V x 100; see ``tools/roi.py``.
    """

    _name = "wholesale.loyalty.roi.scenario"
    _description = "Wholesale Loyalty ROI Scenario"
    _inherit = ["mail.thread"]
    _order = "create_date desc, id desc"

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, ondelete="cascade", index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        required=True,
        default=lambda self: self.env.user,
        ondelete="cascade",
        index=True,
        help="Loyalty users change their own scenarios only; administrators change all.",
    )
    program_id = fields.Many2one(
        "wholesale.loyalty.program",
        ondelete="set null",
        domain="[('company_id', '=', company_id)]",
        help="Program whose members' invoices \"Fill from data\" reads.",
    )
    large_tier_id = fields.Many2one(
        "wholesale.loyalty.tier",
        string="Large Customers From Tier",
        ondelete="set null",
        domain="[('program_id', '=', program_id)]",
        help="\"Fill from data\" averages the revenue of members in this tier or a higher one; "
        "empty means every member who bought.",
    )
    avg_revenue = fields.Monetary(
        string="Average Yearly Revenue per Large Customer (Z)", tracking=True,
        help="Untaxed revenue a large customer brings in a year.",
    )
    years = fields.Integer(string="Years of Cooperation (N)", default=3, tracking=True)
    churn_percent = fields.Float(
        string="Churn (W, %)", default=10.0, digits=(16, 2), tracking=True,
        help="Share of customers lost in a year without the program.",
    )
    churn_reduction_percent = fields.Float(
        string="Churn Reduction (X, %)", default=5.0, digits=(16, 2), tracking=True,
        help="Percentage points of churn the program saves.",
    )
    uplift_percent = fields.Float(
        string="Revenue Uplift (Y, %)", default=10.0, digits=(16, 2), tracking=True,
        help="Extra revenue of a member thanks to the program.",
    )
    program_cost = fields.Monetary(string="Program Cost (V)", tracking=True)
    revenue_gain = fields.Monetary(compute="_compute_roi", store=True)
    net_gain = fields.Monetary(compute="_compute_roi", store=True, help="Revenue gain minus program cost.")
    roi_percent = fields.Float(string="ROI (%)", compute="_compute_roi", store=True, digits=(16, 2))
    sensitivity_range = fields.Integer(
        string="Sensitivity Range (%)", default=50, help="Each input varies from minus to plus this percentage."
    )
    sensitivity_step = fields.Integer(string="Sensitivity Step (%)", default=10)
    sensitivity_line_ids = fields.One2many(
        "wholesale.loyalty.roi.sensitivity", "scenario_id", string="Sensitivity",
        compute="_compute_sensitivity_line_ids", store=True,
    )
    # What "Fill from data" read, kept as figures so that the note reads in the reader's language.
    data_date = fields.Date(string="Estimated On", readonly=True, copy=False)
    data_buyer_count = fields.Integer(readonly=True, copy=False)
    data_previous_buyer_count = fields.Integer(readonly=True, copy=False)
    data_lost_buyer_count = fields.Integer(readonly=True, copy=False)
    data_note = fields.Char(string="Estimated From", compute="_compute_data_note")

    @api.depends(*INPUT_FIELDS)
    def _compute_roi(self):
        for scenario in self:
            inputs = scenario._roi_inputs()
            if input_errors(inputs):  # refused by _check_inputs; nothing to show meanwhile
                scenario.update({"revenue_gain": 0.0, "net_gain": 0.0, "roi_percent": 0.0})
                continue
            gain = revenue_gain(inputs)
            scenario.update({
                "revenue_gain": gain,
                "net_gain": gain - inputs.program_cost,
                "roi_percent": roi_percent(inputs, gain),
            })

    @api.depends("data_date", "data_buyer_count", "data_previous_buyer_count", "data_lost_buyer_count")
    def _compute_data_note(self):
        for scenario in self:
            scenario.data_note = scenario._data_note() if scenario.data_date else False

    def _data_note(self):
        env = self.env
        note = env._(
            "%(date)s: Z from %(buyers)s customers who bought in the last 12 months",
            date=format_date(env, self.data_date), buyers=formatLang(env, self.data_buyer_count, digits=0),
        )
        if self.data_previous_buyer_count:
            return env._(
                "%(note)s; W from %(previous)s customers of the year before, %(lost)s of whom stopped buying",
                note=note,
                previous=formatLang(env, self.data_previous_buyer_count, digits=0),
                lost=formatLang(env, self.data_lost_buyer_count, digits=0),
            )
        return env._("%(note)s; W not estimated: no customer bought in the year before", note=note)

    @api.depends(*INPUT_FIELDS, "sensitivity_range", "sensitivity_step")
    def _compute_sensitivity_line_ids(self):
        for scenario in self:
            inputs = scenario._roi_inputs()
            commands = [Command.clear()]
            if not input_errors(inputs) and not scenario._grid_errors():
                grid = change_grid(scenario.sensitivity_range, scenario.sensitivity_step)
                commands += [Command.create(point._asdict()) for point in sensitivity(inputs, grid)]
            scenario.sensitivity_line_ids = commands

    def _roi_inputs(self):
        self.ensure_one()
        return RoiInputs(*(self[name] or 0.0 for name in INPUT_FIELDS))

    def _grid_errors(self):
        self.ensure_one()
        errors = []
        if not 0 < self.sensitivity_range < 100:
            errors.append(self.env._("The sensitivity range must lie between 1 and 99%."))
        if not 0 < self.sensitivity_step <= self.sensitivity_range:
            errors.append(self.env._("The sensitivity step must be above zero and at most the range."))
        return errors

    def _input_messages(self):
        return {
            "avg_revenue": self.env._("The average revenue per customer (Z) cannot be negative."),
            "years": self.env._("The years of cooperation (N) cannot be negative."),
            "churn_percent": self.env._("The churn (W) must be between 0 and 100%."),
            "churn_reduction_percent": self.env._("The churn reduction (X) must be between 0 and 100%."),
            "uplift_percent": self.env._("The revenue uplift (Y) must be between 0 and 100%."),
            "program_cost": self.env._(
                "The program cost (V) must be greater than zero: the ROI is measured against it."
            ),
        }

    @api.constrains(*INPUT_FIELDS, "sensitivity_range", "sensitivity_step")
    def _check_inputs(self):
        messages = self._input_messages()
        for scenario in self:
            problems = [messages[name] for name in input_errors(scenario._roi_inputs())]
            problems += scenario._grid_errors()
            if problems:
                raise ValidationError(self.env._(
                    "Scenario %(scenario)s cannot be calculated:\n%(problems)s",
                    scenario=scenario.name,
                    problems="\n".join(f"- {problem}" for problem in problems),
                ))

    def action_fill_from_data(self):
        """Estimate Z and W from the program members' posted invoices of the last two years
        that the user may read, and say what changed.

        Z: average untaxed revenue (net of credit notes, rebates included, as in the
        reports) of the last 12 months per member who
        bought, counting only members in the large-customer tier or above when one is set.
        W: share of the members who bought in the 12 months before that and bought nothing
        in the last 12 months; left as it is when nobody bought in those 12 months, where
        there is nothing to measure churn on. The former values stay in the chatter.
        """
        check_caller_groups(self.env, LOYALTY_USER)
        messages = [scenario._fill_from_data() for scenario in self]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if all(self.mapped("data_previous_buyer_count")) else "warning",
                "title": self.env._("Filled from data"),
                "message": "\n".join(messages),
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _fill_from_data(self):
        """Write the estimates on this scenario; return the sentence that says what changed."""
        self.ensure_one()
        env = self.env
        if not self.program_id:
            raise UserError(env._(
                "Choose the program whose members' invoices scenario %(scenario)s reads.", scenario=self.name
            ))
        today = fields.Date.context_today(self)
        figures = self._member_sales_figures(today)
        if not figures["large_buyers"]:
            raise UserError(env._(
                "No member of %(program)s matching scenario %(scenario)s bought anything in the 12 months "
                "up to %(date)s: nothing to estimate from.",
                program=self.program_id.name, scenario=self.name, date=format_date(env, today),
            ))
        old_revenue, old_churn = self.avg_revenue, self.churn_percent
        values = {
            "avg_revenue": self.currency_id.round(float(figures["large_revenue"]) / figures["large_buyers"]),
            "data_date": today,
            "data_buyer_count": figures["large_buyers"],
            "data_previous_buyer_count": figures["previous_buyers"],
            "data_lost_buyer_count": figures["lost_buyers"],
        }
        if figures["previous_buyers"]:
            values["churn_percent"] = round(churn_percent(figures["previous_buyers"], figures["lost_buyers"]), 2)
        self.write(values)
        message = env._(
            "%(scenario)s: average revenue (Z) %(new)s, was %(old)s, from %(buyers)s customers.",
            scenario=self.name,
            new=formatLang(env, self.avg_revenue, currency_obj=self.currency_id),
            old=formatLang(env, old_revenue, currency_obj=self.currency_id),
            buyers=formatLang(env, figures["large_buyers"], digits=0),
        )
        if figures["previous_buyers"]:
            return env._(
                "%(message)s Churn (W) %(new)s%%, was %(old)s%%, from %(previous)s customers of the year before.",
                message=message,
                new=formatLang(env, self.churn_percent, digits=2),
                old=formatLang(env, old_churn, digits=2),
                previous=formatLang(env, figures["previous_buyers"], digits=0),
            )
        return env._(
            "%(message)s Churn (W) left at %(churn)s%%: no customer bought in the year before, so it cannot "
            "be estimated.",
            message=message, churn=formatLang(env, old_churn, digits=2),
        )

    def _member_sales_figures(self, today):
        """One query over the invoices of the last two years the user may read: yearly
        revenue per member, then the counts."""
        program = self.program_id
        large_tiers = program.tier_ids.filtered(
            lambda tier: tier.threshold_amount >= self.large_tier_id.threshold_amount
        ) if self.large_tier_id else program.tier_ids.browse()
        year_ago = today - relativedelta(years=1)
        moves = self.env["account.move"]._wholesale_report_sales_query(
            program.company_id, today - relativedelta(years=2) + relativedelta(days=1), today
        )

        def column(name):
            return SQL.identifier(moves.table, name)

        moves.groupby = SQL("1")
        per_customer = moves.select(
            SQL("%s AS partner_id", column("commercial_partner_id")),
            SQL("COALESCE(SUM(%s) FILTER (WHERE %s > %s), 0) AS last_year",
                column("amount_untaxed_signed"), column("invoice_date"), year_ago),
            SQL("COALESCE(SUM(%s) FILTER (WHERE %s <= %s), 0) AS year_before",
                column("amount_untaxed_signed"), column("invoice_date"), year_ago),
        )
        self.env["wholesale.loyalty.member"].flush_model()
        return self.env.execute_query_dict(SQL(
            """
            WITH per_customer AS (%(per_customer)s),
            members AS (
                SELECT c.*, m.tier_id
                  FROM per_customer c
                  JOIN wholesale_loyalty_member m ON m.partner_id = c.partner_id
                 WHERE m.program_id = %(program)s AND m.active
            )
            SELECT COUNT(*) FILTER (WHERE last_year > 0 AND %(large)s) AS large_buyers,
                   COALESCE(SUM(last_year) FILTER (WHERE last_year > 0 AND %(large)s), 0) AS large_revenue,
                   COUNT(*) FILTER (WHERE year_before > 0) AS previous_buyers,
                   COUNT(*) FILTER (WHERE year_before > 0 AND last_year <= 0) AS lost_buyers
              FROM members
            """,
            per_customer=per_customer,
            program=program.id,
            large=SQL("tier_id = ANY(%s)", large_tiers.ids) if large_tiers else SQL("TRUE"),
        ))[0]

    def action_open_sensitivity_graph(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        self.flush_recordset(["sensitivity_line_ids"])  # lines of inputs changed in this request
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wholesale_loyalty_reports.wholesale_loyalty_roi_sensitivity_action"
        )
        action["domain"] = [("scenario_id", "=", self.id)]
        action["display_name"] = self.env._(
            "Sensitivity of %(scenario)s: ROI (%%) when one input changes (%%)", scenario=self.name
        )
        return action
