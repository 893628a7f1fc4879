import contextlib
import itertools
import json
from typing import NamedTuple

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_date, formatLang

from odoo.addons.wholesale_loyalty.tools.access import LOYALTY_MANAGER, check_caller_groups
from odoo.addons.wholesale_loyalty.tools.batches import collector_paused
from odoo.addons.wholesale_loyalty.tools.numbers import check_numbers
from odoo.addons.wholesale_loyalty.tools.points_rules import points_factor, points_sql, points_to_hold_sql
from odoo.addons.wholesale_loyalty.tools.tier_rules import qualification_window, same_threshold

from ..tools.proposal import NEW_TIER, changed_since, program_writes, proposal_changes
from ..tools.roi import input_errors, revenue_gain, roi_percent
from ..tools.simulation import (
    Customer,
    Settings,
    SimTier,
    evaluate,
    expected_liability,
    movers,
    observed_rates,
    points_rules,
    replace_tier,
    sweep,
)
from .wholesale_loyalty_simulation_move import numbered_movers
from .wholesale_loyalty_simulation_tier import TIER_SETTINGS, line_problems, setting_problem

# Program settings a simulation copies, proposes and applies.
POINTS_FIELDS = (
    "points_amount_step", "points_per_step", "points_min_order_amount", "point_value",
    "points_validity_months", "max_redeem_percent",
)
SENSITIVITY_SETTINGS = [
    ("threshold_amount", "Tier threshold"),
    ("discount_percent", "Tier discount (%)"),
    ("points_multiplier", "Tier points multiplier"),
    ("rebate_percent", "Tier rebate (%)"),
    ("points_amount_step", "Amount per points step"),
    ("points_per_step", "Points per step"),
    ("points_min_order_amount", "Minimum order for points"),
]
# Settings a result is out of date after: a run is the image of these.
INPUT_FIELDS = ("program_id", "date_from", "date_to", *POINTS_FIELDS)
# Whatever the steps, a run stays one query and a graph stays readable.
MAX_SENSITIVITY_STEPS = 50


class WholesaleLoyaltySimulation(models.Model):
    """What-if: the program's past window of invoices and credit notes replayed under its
    current settings and under proposed ones (see ``tools/simulation.py`` for the rules).

    A simulation writes nothing but itself, except :meth:`action_apply`, which writes the
    proposed settings to the program."""

    _name = "wholesale.loyalty.simulation"
    _description = "Wholesale Loyalty What-if Simulation"
    _order = "create_date desc, id desc"

    name = fields.Char(required=True, default=lambda self: self.env._("What-if"))
    program_id = fields.Many2one(
        "wholesale.loyalty.program",
        required=True,
        ondelete="cascade",
        index=True,
        domain="[('company_id', 'in', allowed_company_ids)]",
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="program_id.currency_id")
    user_id = fields.Many2one(
        "res.users", string="Owner", default=lambda self: self.env.user, ondelete="set null", index=True
    )
    date_from = fields.Date(string="From", required=True, default=lambda self: self._default_date_from())
    date_to = fields.Date(string="To", required=True, default=lambda self: fields.Date.context_today(self))
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Simulated")], default="draft", required=True, readonly=True, copy=False
    )
    applied_date = fields.Datetime(string="Applied On", readonly=True, copy=False)
    # Proposed points settings: copies of the program's until the user changes them.
    points_amount_step = fields.Float(
        string="Amount per Step", compute="_compute_points_settings", store=True, readonly=False
    )
    points_per_step = fields.Integer(compute="_compute_points_settings", store=True, readonly=False)
    points_min_order_amount = fields.Float(
        string="Minimum Order for Points", compute="_compute_points_settings", store=True, readonly=False
    )
    point_value = fields.Float(digits=(16, 4), compute="_compute_points_settings", store=True, readonly=False)
    points_validity_months = fields.Integer(
        compute="_compute_points_settings", store=True, readonly=False,
        help="0 means points never expire. Applied to the program; the replay's liability keeps the "
        "expiry rate observed under the current validity.",
    )
    max_redeem_percent = fields.Float(
        string="Redemption Cap (%)", compute="_compute_points_settings", store=True, readonly=False,
        help="Applied to the program; the replay's liability keeps the redemption rate observed so far.",
    )
    # The program's settings now, to read beside the proposal.
    current_points_amount_step = fields.Float(related="program_id.points_amount_step", string="Amount per Step Now")
    current_points_per_step = fields.Integer(related="program_id.points_per_step", string="Points per Step Now")
    current_points_min_order_amount = fields.Float(
        related="program_id.points_min_order_amount", string="Minimum Order Now"
    )
    current_point_value = fields.Float(related="program_id.point_value", string="Point Value Now")
    tier_line_ids = fields.One2many(
        "wholesale.loyalty.simulation.tier", "simulation_id", string="Proposed Tiers",
        compute="_compute_tier_line_ids", store=True, readonly=False, copy=True,
    )
    move_ids = fields.One2many("wholesale.loyalty.simulation.move", "simulation_id", string="Movers", readonly=True)
    # [customer id, qualifying spend, current tier id, proposed tier name, 'up' | 'down'] of
    # each mover of the last run: what ``move_ids`` reads. Not loaded with the form.
    mover_data = fields.Json(readonly=True, copy=False, prefetch=False)
    # The program's settings the last run compared the proposal with (see tools/proposal.py):
    # Apply writes what the proposal changes against them, and refuses when the program
    # changed one of those settings since.
    baseline_data = fields.Json(readonly=True, copy=False, prefetch=False)
    roi_scenario_id = fields.Many2one(
        "wholesale.loyalty.roi.scenario",
        string="ROI Assumptions",
        ondelete="set null",
        domain="[('company_id', '=', company_id)]",
        help="The scenario whose revenue, years, churn and uplift the ROI of both settings uses, "
        "with the simulated cost as the program cost.",
    )
    # Results of the last run: current | proposed.
    simulated_date = fields.Datetime(string="Simulated On", readonly=True, copy=False)
    customer_count = fields.Integer(string="Members", readonly=True, copy=False)
    current_untiered_count = fields.Integer(string="Without Tier Now", readonly=True, copy=False)
    proposed_untiered_count = fields.Integer(string="Without Tier Proposed", readonly=True, copy=False)
    moved_up_count = fields.Integer(string="Move Up", readonly=True, copy=False)
    moved_down_count = fields.Integer(string="Move Down", readonly=True, copy=False)
    sales_amount = fields.Monetary(string="Sales of the Window", readonly=True, copy=False)
    current_discount_cost = fields.Monetary(string="Discount Cost Now", readonly=True, copy=False)
    proposed_discount_cost = fields.Monetary(string="Discount Cost Proposed", readonly=True, copy=False)
    current_points = fields.Integer(string="Points Issued Now", readonly=True, copy=False)
    proposed_points = fields.Integer(string="Points Issued Proposed", readonly=True, copy=False)
    current_points_value = fields.Monetary(string="Points Value Now", readonly=True, copy=False)
    proposed_points_value = fields.Monetary(string="Points Value Proposed", readonly=True, copy=False)
    current_liability = fields.Monetary(string="Expected Liability Now", readonly=True, copy=False)
    proposed_liability = fields.Monetary(string="Expected Liability Proposed", readonly=True, copy=False)
    current_rebates = fields.Monetary(string="Rebates Now", readonly=True, copy=False)
    proposed_rebates = fields.Monetary(string="Rebates Proposed", readonly=True, copy=False)
    current_cost = fields.Monetary(string="Total Cost Now", readonly=True, copy=False)
    proposed_cost = fields.Monetary(string="Total Cost Proposed", readonly=True, copy=False)
    cost_difference = fields.Monetary(readonly=True, copy=False)
    current_roi_percent = fields.Float(string="ROI Now (%)", digits=(16, 2), readonly=True, copy=False)
    proposed_roi_percent = fields.Float(string="ROI Proposed (%)", digits=(16, 2), readonly=True, copy=False)
    roi_computed = fields.Boolean(readonly=True, copy=False)
    redemption_rate = fields.Float(string="Observed Redemption (%)", digits=(16, 2), readonly=True, copy=False)
    expiry_rate = fields.Float(string="Observed Expiry (%)", digits=(16, 2), readonly=True, copy=False)
    # Sensitivity: one setting of the proposal varied over a range.
    sensitivity_setting = fields.Selection(SENSITIVITY_SETTINGS, default="threshold_amount")
    sensitivity_tier_line_id = fields.Many2one(
        "wholesale.loyalty.simulation.tier",
        string="Varied Tier",
        ondelete="set null",
        domain="[('simulation_id', '=', id)]",
    )
    sensitivity_from = fields.Float(digits=(16, 2))
    sensitivity_to = fields.Float(digits=(16, 2))
    sensitivity_steps = fields.Integer(default=10)
    sensitivity_line_ids = fields.One2many(
        "wholesale.loyalty.simulation.sensitivity", "simulation_id", string="Sensitivity", readonly=True
    )

    def _default_date_from(self):
        """The last 12 months up to today."""
        return fields.Date.context_today(self) - relativedelta(months=12) + relativedelta(days=1)

    @api.depends("program_id")
    def _compute_points_settings(self):
        for simulation in self:
            program = simulation.program_id
            simulation.update({name: program[name] if program else False for name in POINTS_FIELDS})

    @api.depends("program_id")
    def _compute_tier_line_ids(self):
        for simulation in self:
            simulation.tier_line_ids = [Command.clear(), *self._tier_line_commands(simulation.program_id)]

    @api.model
    def _tier_line_commands(self, program):
        """Lines copying the program's tiers."""
        return [
            Command.create({"tier_id": tier.id, "name": tier.name, **{name: tier[name] for name in TIER_SETTINGS}})
            for tier in program.tier_ids.sorted("threshold_amount")
        ]

    @api.constrains(*POINTS_FIELDS)
    def _check_points_settings(self):
        for simulation in self:
            simulation._check_settings()

    @api.constrains("date_from", "date_to", "program_id")
    def _check_window(self):
        for simulation in self:
            simulation._check_dates()

    def _check_settings(self):
        """Refuse proposed settings the program itself would refuse, naming the simulation."""
        self.ensure_one()
        problems = list(filter(None, (setting_problem(self.env, fname, self[fname]) for fname in POINTS_FIELDS)))
        for line in self.tier_line_ids:
            problems += line_problems(self.env, line)
        if any(same_threshold(line.threshold_amount, other.threshold_amount)
               for line, other in itertools.combinations(self.tier_line_ids, 2)):
            problems.append(self.env._("two tiers have the same threshold; each tier needs its own"))
        sources = self.tier_line_ids.tier_id
        if len(sources) != len(self.tier_line_ids.filtered("tier_id")):
            problems.append(self.env._("a program tier appears on two lines"))
        if problems:
            raise ValidationError(self.env._(
                "Simulation %(simulation)s cannot run:\n%(problems)s",
                simulation=self.name, problems="\n".join(f"- {problem}" for problem in problems),
            ))

    def _check_dates(self):
        self.ensure_one()
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValidationError(self.env._(
                "Simulation %(simulation)s: the window starts on %(start)s, after its end on %(end)s.",
                simulation=self.name, start=format_date(self.env, self.date_from),
                end=format_date(self.env, self.date_to),
            ))
        # The program's today or the user's, whichever is later: a window may end on either.
        today = max(fields.Date.context_today(self), self.program_id._today() if self.program_id else
                    fields.Date.context_today(self))
        if self.date_to and self.date_to > today:
            raise ValidationError(self.env._(
                "Simulation %(simulation)s: the window ends on %(end)s, in the future. A simulation "
                "replays past invoices only.",
                simulation=self.name, end=format_date(self.env, self.date_to),
            ))

    @api.model_create_multi
    def create(self, vals_list):
        check_numbers(self, vals_list)
        # The copies of the program's settings are made here rather than left to their
        # computes: the points settings share one compute, which Odoo skips once any of them
        # is given, and lines written before the lazy compute ran would replace the copies.
        programs = self.env["wholesale.loyalty.program"]
        for vals in vals_list:
            program = programs.browse(vals.get("program_id"))
            if not program:
                continue
            for name in POINTS_FIELDS:
                vals.setdefault(name, program[name])
            vals.setdefault("tier_line_ids", self._tier_line_commands(program))
        return super().create(vals_list)

    def write(self, vals):
        check_numbers(self, [vals])
        # Results describe the inputs they were computed from: changed inputs void them.
        if any(name in vals for name in (*INPUT_FIELDS, "tier_line_ids")) and "state" not in vals:
            vals = {**vals, "state": "draft"}
        return super().write(vals)

    def _void_results(self):
        """Results describe the settings they were computed from: changed ones void them."""
        self.filtered(lambda simulation: simulation.state != "draft").state = "draft"

    # ------------------------------------------------------------------ actions

    def action_simulate(self):
        """Replay the window under the current and the proposed settings and store the
        results on the simulation (its tier lines, movers and figures)."""
        check_caller_groups(self.env, LOYALTY_MANAGER)
        for simulation in self:
            simulation._simulate()
        return True

    def action_run_sensitivity(self):
        """Vary the chosen setting of the proposal over the range and store customers and
        cost per tier at each value."""
        check_caller_groups(self.env, LOYALTY_MANAGER)
        for simulation in self:
            simulation._run_sensitivity()
        return True

    def action_open_sensitivity_graph(self):
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wholesale_loyalty_reports.wholesale_loyalty_simulation_sensitivity_action"
        )
        action["domain"] = [("simulation_id", "=", self.id)]
        action["display_name"] = self.env._(
            "Sensitivity of %(simulation)s: %(setting)s", simulation=self.name,
            setting=dict(self._fields["sensitivity_setting"]._description_selection(self.env)).get(
                self.sensitivity_setting, ""),
        )
        return action

    def action_view_movers(self):
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customers Changing Tier"),
            "res_model": "wholesale.loyalty.simulation.move",
            "view_mode": "list",
            "domain": [("simulation_id", "=", self.id)],
        }

    def action_apply(self):
        """Write the proposed settings to the program (loyalty administrators only) and
        note the change and its simulated effect in the program's chatter."""
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self.ensure_one()
        if self.state != "done" or not self.baseline_data:
            raise UserError(self.env._(
                "Simulation %(simulation)s: simulate the settings as they are now before applying them.",
                simulation=self.name,
            ))
        self._check_settings()
        changes = proposal_changes(self.baseline_data, self._proposed_settings())
        if not changes:
            raise UserError(self.env._(
                "Simulation %(simulation)s proposes the program's own settings: nothing to apply.",
                simulation=self.name,
            ))
        conflicts = changed_since(self.baseline_data, self._program_settings(), changes)
        if conflicts:
            raise UserError(self.env._(
                "Simulation %(simulation)s cannot be applied: %(settings)s changed on the program since "
                "it ran. Simulate again to see the proposal's effect on the program as it is now.",
                simulation=self.name, settings=", ".join(self._change_label(change) for change in conflicts),
            ))
        sentences = [self._change_sentence(change) for change in changes]
        self.program_id.write(self._program_vals(changes))
        self.program_id.message_post(body=self._apply_note(sentences))
        self.applied_date = fields.Datetime.now()
        return True

    # ------------------------------------------------------------------ replay

    def _settings(self, proposed):
        """The current (program) or proposed (simulation) settings, as the replay reads them."""
        self.ensure_one()
        if proposed:
            record = self
            tiers = tuple(
                SimTier(line._key(), line.name, line.threshold_amount, line.discount_percent,
                        line.points_multiplier, line.rebate_percent)
                for line in self.tier_line_ids
            )
        else:
            record = self.program_id
            tiers = tuple(
                SimTier(tier.id, tier.name, tier.threshold_amount, tier.discount_percent,
                        tier.points_multiplier, tier.rebate_percent)
                for tier in record.tier_ids
            )
        return Settings(tiers, record.points_amount_step, record.points_per_step,
                        record.points_min_order_amount, record.point_value)

    def _customers(self, settings_list):
        """Per member of the program: the spend that decides its tier, and the window's sales
        and points under each rule the settings use. One query, whatever their number."""
        self.ensure_one()
        self._check_dates()
        program = self.program_id
        rules = sorted(set().union(*(points_rules(settings) for settings in settings_list)))
        program._flush_spend_sources()
        self.env["wholesale.loyalty.member"].flush_model()
        # The engine's members: commercial partners the program holds.
        members = SQL(
            "SELECT partner_id AS id FROM wholesale_loyalty_member WHERE program_id = %s AND active", program.id
        )
        spend_from, spend_to = qualification_window(
            program.qualification_period, self.date_to, program.period_months
        )
        steps = sorted({_steps_key(rule) for rule in rules if _whole_factor(rule)})
        fractional = [rule for rule in rules if not _whole_factor(rule)]
        with _jit_off(self.env.cr):
            rows = self._replay_rows(program, members, spend_from, spend_to, steps, fractional)
        if not any(row[2] for row in rows):
            raise UserError(self.env._(
                "Simulation %(simulation)s: the members of %(program)s have no invoice or credit note from "
                "%(start)s to %(end)s. Choose a window with sales to replay.",
                simulation=self.name, program=program.name,
                start=format_date(self.env, self.date_from), end=format_date(self.env, self.date_to),
            ))
        return list(map(_customer_reader(rules, steps, fractional), rows))

    def _replay_rows(self, program, members, spend_from, spend_to, steps, fractional):
        """The replay's rows: (customer, qualifying spend, window documents, window sales,
        whole points steps per (step, minimum) of ``steps``, points of each rule of
        ``fractional``), from one pass over the sale documents of the window and of the spend
        period. A rule whose points per step times multiplier is whole earns that many times
        its steps, so rules sharing a step and a minimum share one sum. Credit notes of an
        invoice are netted against it as the engine does (``_credit_notes_query``), in a
        second, small aggregation.

        The conditions on each document read only columns of the spend index, so that the
        pass scans the index alone, in customer order (no sort before the aggregation).
        Documents that are no spend (rebates) are no sales of the window either: they are
        left out once, before any sum. Customers are joined after the aggregation: a filter
        on them inside it would be checked document by document."""
        by_orders = program.qualification_basis == "confirmed"
        excluded = SQL().join(SQL(" AND NOT (%s)", condition) for condition in program._spend_exclusions("m"))
        if by_orders:
            scan_from, scan_to = self.date_from, self.date_to
            qualifies = SQL("FALSE")
            spend_column = SQL("COALESCE(orders.amount, 0)")
            spend_join = SQL(
                "LEFT JOIN (%s) AS orders(partner_id, amount) ON orders.partner_id = p.id",
                program._spend_query(members, spend_from, spend_to),
            )
        else:
            scan_from = None if spend_from is None else min(spend_from, self.date_from)
            scan_to = max(spend_to, self.date_to)
            # A lifetime spend ends with the window: every document of the pass is spend.
            whole_scan = (spend_from, spend_to) == (scan_from, scan_to) and program.qualification_basis != "paid"
            qualifies = SQL("TRUE") if whole_scan else SQL(
                "TRUE %s", program._spend_document_filter("m", spend_from, spend_to, exclusions=False),
            )
            spend_column = SQL("COALESCE(d.spend, 0)")
            spend_join = SQL()
        window = SQL("m.invoice_date BETWEEN %s AND %s", self.date_from, self.date_to)
        rounding = program.currency_id.rounding
        replay_rules = [_ReplayRule(step, 1, 1.0, minimum, rounding) for step, minimum in steps]
        replay_rules += [_ReplayRule(*rule, rounding) for rule in fractional]
        sums = [
            SQL("SUM(%s) FILTER (WHERE %s)", _document_points_sql(rule, self._earns_sql(program, "m")), window)
            for rule in replay_rules
        ]
        corrections = [SQL("SUM(%s)", _credit_note_correction_sql(rule)) for rule in replay_rules]
        return self.env.execute_query(SQL(
            """
            WITH notes AS (
                SELECT n.partner_id %(corrections)s
                  FROM (%(credit_notes)s) AS n
                 WHERE n.invoice_date >= %(date_from)s
              GROUP BY n.partner_id
            ), d AS (
                SELECT m.commercial_partner_id AS partner_id,
                       SUM(m.amount_untaxed_signed) FILTER (WHERE %(qualifies)s) AS spend,
                       COUNT(*) FILTER (WHERE %(window)s) AS documents,
                       SUM(m.amount_untaxed_signed) FILTER (WHERE %(window)s) AS amount %(sums)s
                  FROM %(documents)s
                 WHERE %(sale_documents)s
                   AND m.company_id = %(company)s
                   AND (%(scan_from)s::date IS NULL OR m.invoice_date >= %(scan_from)s::date)
                   AND m.invoice_date <= %(scan_to)s
                   %(excluded)s
              GROUP BY m.commercial_partner_id
            )
            SELECT p.id, %(spend_column)s::float8, COALESCE(d.documents, 0), COALESCE(d.amount, 0)::float8
                   %(columns)s
              FROM (%(members)s) AS p
         LEFT JOIN d ON d.partner_id = p.id
         LEFT JOIN notes ON notes.partner_id = p.id
                   %(spend_join)s
            """,
            sums=SQL().join(SQL(", %s AS %s", total, SQL.identifier(f"s{index}")) for index, total in enumerate(sums)),
            corrections=SQL().join(
                SQL(", %s AS %s", total, SQL.identifier(f"s{index}")) for index, total in enumerate(corrections)
            ),
            credit_notes=self._credit_notes_query(program),
            date_from=self.date_from,
            qualifies=qualifies,
            window=window,
            excluded=excluded,
            documents=program._sale_documents_table("m"),
            sale_documents=program._sale_documents_condition("m"),
            company=program.company_id.id,
            scan_from=scan_from,
            scan_to=scan_to,
            spend_column=spend_column,
            members=members,
            spend_join=spend_join,
            columns=SQL().join(
                SQL(", (COALESCE(d.%(sum)s, 0) + COALESCE(notes.%(sum)s, 0))::int8", sum=SQL.identifier(f"s{index}"))
                for index in range(len(sums))
            ),
        ))

    @api.model
    def _earns_sql(self, program, move_alias):
        """SQL condition: the invoice ``move_alias`` has earned its points by now (posted, or
        paid on a program that gives points on payment)."""
        if program.points_trigger != "paid":
            return SQL("TRUE")
        return SQL("%s IN ('paid', 'in_payment')", SQL.identifier(move_alias, "payment_state"))

    def _credit_notes_query(self, program):
        """The program's credit notes of an invoice up to the window's end, one row each:
        ``partner_id``, ``invoice_date``, ``amount`` (signed, negative), ``invoiced`` (the
        invoice's amount), ``earns`` (whether the invoice earned points) and ``net_after``
        (the invoice's amount net of its credit notes up to this one, by date then id):
        what the engine nets a credit note against (see ``_credit_note_correction_sql``).
        Found through the index of the documents' reversed invoice: few documents are
        credit notes, and the pass over every document reads no more for them."""
        excluded = SQL().join(SQL(" AND NOT (%s)", condition) for condition in program._spend_exclusions("n"))
        invoice_excluded = SQL().join(
            SQL(" AND NOT (%s)", condition) for condition in program._spend_exclusions("inv"))
        return SQL(
            """SELECT n.commercial_partner_id AS partner_id, n.invoice_date, n.amount_untaxed_signed AS amount,
                      inv.amount_untaxed_signed AS invoiced,
                      (%(invoice_is_sale)s AND inv.move_type = 'out_invoice' AND %(invoice_earns)s %(invoice_excluded)s)
                          AS earns,
                      inv.amount_untaxed_signed + SUM(n.amount_untaxed_signed) OVER (
                          PARTITION BY n.reversed_entry_id ORDER BY n.invoice_date, n.id) AS net_after
                 FROM %(notes)s
                 JOIN %(invoices)s ON inv.id = n.reversed_entry_id
                WHERE n.reversed_entry_id IS NOT NULL
                  AND %(note_is_sale)s AND n.move_type = 'out_refund'
                  AND n.company_id = %(company)s
                  AND n.invoice_date <= %(date_to)s
                  %(excluded)s""",
            invoice_is_sale=program._sale_documents_condition("inv"),
            invoice_earns=self._earns_sql(program, "inv"),
            invoice_excluded=invoice_excluded,
            notes=program._sale_documents_table("n"),
            invoices=program._sale_documents_table("inv"),
            note_is_sale=program._sale_documents_condition("n"),
            company=program.company_id.id,
            date_to=self.date_to,
            excluded=excluded,
        )

    def _ledger_rates(self):
        """(redemption rate, expiry rate) of the program's points over the window."""
        ledger = self.env["wholesale.loyalty.ledger"]
        ledger.flush_model(["program_id", "date", "points", "kind"])
        [(earned, redeemed, expired)] = self.env.execute_query(SQL(
            """SELECT COALESCE(SUM(points) FILTER (WHERE kind IN ('earn', 'bonus', 'reversal')), 0),
                      COALESCE(-SUM(points) FILTER (WHERE kind = 'redeem'), 0),
                      COALESCE(-SUM(points) FILTER (WHERE kind = 'expire'), 0)
                 FROM wholesale_loyalty_ledger
                WHERE program_id = %s AND date BETWEEN %s AND %s""",
            self.program_id.id, self.date_from, self.date_to,
        ))
        return observed_rates(earned, redeemed, expired)

    def _roi(self, cost):
        """ROI of the chosen assumptions with ``cost`` as the program cost; None without."""
        scenario = self.roi_scenario_id
        if not scenario:
            return None
        inputs = scenario._roi_inputs()._replace(program_cost=cost)
        if input_errors(inputs):
            return None
        return roi_percent(inputs, revenue_gain(inputs))

    def _simulate(self):
        self.ensure_one()
        self._check_settings()
        current, proposed = self._settings(proposed=False), self._settings(proposed=True)
        with collector_paused():
            customers = self._customers([current, proposed])
            now, then = evaluate(current, customers), evaluate(proposed, customers)
            moves = movers(current, proposed, customers, now, then)
        redemption, expiry = self._ledger_rates()
        current_roi, proposed_roi = self._roi(now.cost), self._roi(then.cost)
        for line in self.tier_line_ids:
            key = line._key()
            line.write({
                "current_member_count": now.members.get(key, 0) if line.tier_id else 0,
                "proposed_member_count": then.members.get(key, 0),
            })
        self._write_moves(moves, {tier.key: tier.name for tier in proposed.tiers})
        self.write({
            "state": "done",
            "baseline_data": self._program_settings(),
            "simulated_date": fields.Datetime.now(),
            "customer_count": len(customers),
            "current_untiered_count": now.members.get(None, 0),
            "proposed_untiered_count": then.members.get(None, 0),
            "moved_up_count": sum(1 for move in moves if move.direction == "up"),
            "moved_down_count": sum(1 for move in moves if move.direction == "down"),
            "sales_amount": sum(customer.sales for customer in customers),
            "current_discount_cost": now.discount_cost,
            "proposed_discount_cost": then.discount_cost,
            "current_points": now.points,
            "proposed_points": then.points,
            "current_points_value": now.points_value,
            "proposed_points_value": then.points_value,
            "current_liability": expected_liability(now.points_value, redemption, expiry),
            "proposed_liability": expected_liability(then.points_value, redemption, expiry),
            "current_rebates": now.rebates,
            "proposed_rebates": then.rebates,
            "current_cost": now.cost,
            "proposed_cost": then.cost,
            "cost_difference": then.cost - now.cost,
            "roi_computed": current_roi is not None and proposed_roi is not None,
            "current_roi_percent": current_roi or 0.0,
            "proposed_roi_percent": proposed_roi or 0.0,
            "redemption_rate": redemption * 100,
            "expiry_rate": expiry * 100,
        })
        return now, then, moves

    def _write_moves(self, moves, names):
        """Replace the simulation's movers with ``moves`` (see ``wholesale.loyalty.simulation.move``).
        Written as one SQL value: through the field, the ORM would copy and convert a list of
        thousands of rows several times over."""
        rows = [
            [move.partner_id, move.qualifying, move.current_key, names.get(move.proposed_key), move.direction]
            for move in moves
        ]
        self.env.execute_query(SQL(
            "UPDATE wholesale_loyalty_simulation SET mover_data = %s WHERE id = %s",
            numbered_movers(SQL("%s::jsonb", json.dumps(rows))) if rows else None, self.id,
        ))
        self.invalidate_recordset(["mover_data", "move_ids"])
        # The movers of the previous run are gone: forget what was read of them.
        self.env["wholesale.loyalty.simulation.move"].invalidate_model()

    def _sensitivity_settings(self):
        """[(value, settings)] of the run: the proposal with the chosen setting at each value."""
        self.ensure_one()
        setting, line = self.sensitivity_setting, self.sensitivity_tier_line_id
        if not setting:
            raise UserError(self.env._("Choose the setting the sensitivity run varies."))
        tier_setting = setting in TIER_SETTINGS
        if tier_setting and not line:
            raise UserError(self.env._("Choose the tier whose setting the sensitivity run varies."))
        if not 2 <= self.sensitivity_steps <= MAX_SENSITIVITY_STEPS:
            raise ValidationError(self.env._(
                "A sensitivity run takes from 2 to %(max)s steps.", max=MAX_SENSITIVITY_STEPS))
        values = sweep(self.sensitivity_from, self.sensitivity_to, self.sensitivity_steps)
        for value in (values[0], values[-1]):
            problem = setting_problem(self.env, setting, value)
            if problem:
                raise ValidationError(self.env._(
                    "Simulation %(simulation)s: the sensitivity range is not possible: %(problem)s.",
                    simulation=self.name, problem=problem,
                ))
        proposed = self._settings(proposed=True)
        if tier_setting:
            field = {"threshold_amount": "threshold", "discount_percent": "discount_percent",
                     "points_multiplier": "multiplier", "rebate_percent": "rebate_percent"}[setting]
            return [(value, replace_tier(proposed, line._key(), **{field: value})) for value in values]
        field = {"points_amount_step": "amount_step", "points_per_step": "per_step",
                 "points_min_order_amount": "min_order"}[setting]
        if setting == "points_per_step":
            values = [round(value) for value in values]
        return [(value, proposed._replace(**{field: value})) for value in values]

    def _run_sensitivity(self):
        self.ensure_one()
        self._check_settings()
        runs = self._sensitivity_settings()
        with collector_paused():
            customers = self._customers([settings for _value, settings in runs])
            # Per step, members and cost per tier: not the whole outcome, which names every customer's tier.
            outcomes = [
                (outcome.members, outcome.cost_by_tier)
                for outcome in (evaluate(settings, customers) for _value, settings in runs)
            ]
        order = {tier.key: position for position, tier in enumerate(
            sorted(runs[0][1].tiers, key=lambda tier: tier.threshold))}
        names = {tier.key: tier.name for tier in runs[0][1].tiers}
        rows = []
        for step, ((value, _settings), (members, cost_by_tier)) in enumerate(zip(runs, outcomes, strict=True), start=1):
            for key in [None, *order]:
                rows.append({
                    "simulation_id": self.id,
                    "step": step,
                    "value": value,
                    "tier_name": names.get(key) or self.env._("No tier"),
                    "tier_sequence": order.get(key, -1),
                    "member_count": members.get(key, 0),
                    "cost": self.currency_id.round(cost_by_tier.get(key, 0.0)),
                })
        self.sensitivity_line_ids.unlink()
        return self.env["wholesale.loyalty.simulation.sensitivity"].create(rows)

    # ------------------------------------------------------------------ apply

    def _program_settings(self):
        """The program's settings today, as ``tools/proposal.py`` reads them."""
        lines = self.env["wholesale.loyalty.simulation.tier"]
        return {
            "points": {name: self.program_id[name] for name in POINTS_FIELDS},
            "tiers": {str(tier.id): lines._tier_values(tier) for tier in self.program_id.tier_ids},
        }

    def _proposed_settings(self):
        """The proposal's settings, its tiers keyed as the program's (new ones by line)."""
        program_tiers = self.program_id.tier_ids
        return {
            "points": {name: self[name] for name in POINTS_FIELDS},
            "tiers": {
                str(line.tier_id.id) if line.tier_id in program_tiers else f"{NEW_TIER}{line.id}": line._tier_values()
                for line in self.tier_line_ids
            },
        }

    def _program_vals(self, changes):
        """The program's write for ``changes``: their settings only."""
        points, updates, created, removed = program_writes(changes)
        return {**points, "tier_ids": [
            *(Command.update(int(key), values) for key, values in updates.items()),
            *(Command.create(values) for values in created),
            *(Command.unlink(int(key)) for key in removed),
        ]}

    def _change_label(self, change):
        """The setting a change is about: "Point Value", "Gold: Discount (%)", "Gold"."""
        env = self.env
        if change.kind == "points":
            return self._fields[change.field]._description_string(env)
        tier_name = (change.old or change.new)["name"] if change.kind in ("new", "removed") else \
            self.baseline_data["tiers"][change.tier]["name"]
        if change.kind != "tier":
            return tier_name
        setting = self.env["wholesale.loyalty.simulation.tier"]._fields[change.field]._description_string(env)
        return f"{tier_name}: {setting}"

    def _change_sentence(self, change):
        """The change in words for the program's chatter: "Gold: threshold 1,000 → 2,000"."""
        env = self.env
        if change.kind == "points":
            return env._("%(setting)s: %(old)s → %(new)s", setting=self._change_label(change),
                         old=formatLang(env, change.old), new=formatLang(env, change.new))
        if change.kind == "new":
            return env._("New tier %(tier)s from %(threshold)s", tier=change.new["name"],
                         threshold=formatLang(env, change.new["threshold_amount"], currency_obj=self.currency_id))
        if change.kind == "removed":
            return env._("Tier %(tier)s removed", tier=change.old["name"])
        tier_fields = self.env["wholesale.loyalty.simulation.tier"]._fields
        text = (lambda value: value) if change.field == "name" else (lambda value: formatLang(env, value))
        return env._("%(tier)s: %(setting)s %(old)s → %(new)s",
                     tier=self.baseline_data["tiers"][change.tier]["name"],
                     setting=tier_fields[change.field]._description_string(env),
                     old=text(change.old), new=text(change.new))

    def _apply_note(self, sentences):
        env = self.env

        def money(amount):
            return formatLang(env, amount, currency_obj=self.currency_id)

        effect = [
            env._("Customers moving up: %(up)s, down: %(down)s (of %(members)s members)",
                  up=self.moved_up_count, down=self.moved_down_count, members=self.customer_count),
            env._("Discount cost: %(old)s → %(new)s", old=money(self.current_discount_cost),
                  new=money(self.proposed_discount_cost)),
            env._("Points issued: %(old)s → %(new)s (value %(old_value)s → %(new_value)s)",
                  old=formatLang(env, self.current_points, digits=0),
                  new=formatLang(env, self.proposed_points, digits=0),
                  old_value=money(self.current_points_value), new_value=money(self.proposed_points_value)),
            env._("Rebates: %(old)s → %(new)s", old=money(self.current_rebates), new=money(self.proposed_rebates)),
            env._("Total cost: %(old)s → %(new)s", old=money(self.current_cost), new=money(self.proposed_cost)),
        ]
        items = Markup().join(Markup("<li>%s</li>") % text for text in sentences)
        effects = Markup().join(Markup("<li>%s</li>") % text for text in effect)
        return Markup("<p>%s</p><ul>%s</ul><p>%s</p><ul>%s</ul>") % (
            env._("Settings changed by the what-if simulation %(simulation)s:", simulation=self.name),
            items,
            env._("Simulated effect over %(start)s – %(end)s:", start=format_date(env, self.date_from),
                  end=format_date(env, self.date_to)),
            effects,
        )


def _whole_factor(rule):
    """Whether ``rule`` earns a whole number of points per step (most programs do)."""
    factor = points_factor(rule.per_step, rule.multiplier)
    return factor == factor.to_integral_value()


def _steps_key(rule):
    return (rule.amount_step, rule.min_order or 0.0)


def _customer_reader(rules, steps, fractional):
    """A function of a row of ``_replay_rows`` that returns its :class:`Customer`; where
    each rule's points are in the row is worked out once, not per customer."""
    offset = 4  # customer, spend, documents, sales
    sources = [
        (rule, offset + len(steps) + fractional.index(rule), 1) if rule in fractional
        else (rule, offset + steps.index(_steps_key(rule)), int(points_factor(rule.per_step, rule.multiplier)))
        for rule in rules
    ]

    def read(row):
        return Customer(row[0], row[1], row[3], {rule: row[index] * factor for rule, index, factor in sources})

    return read


class _ReplayRule(NamedTuple):
    """A points rule as the replay sums it: whole steps (``per_step`` 1, ``multiplier`` 1)
    for rules whose points per step are whole, shared by the rules of one step and minimum."""

    amount_step: float
    per_step: int
    multiplier: float
    min_order: float
    rounding: float

    def points(self, amount, minimum=True):
        """SQL of the points of ``amount``, a sum of stored amounts (see ``points_sql``);
        ``minimum``: with the minimum order (invoices), or without (credit notes, which are
        no orders)."""
        return points_sql(amount, self.amount_step, self.per_step, self.multiplier,
                          self.min_order if minimum else 0.0, rounding=self.rounding, rounded=True)


def _document_points_sql(rule, earns):
    """Points of the document ``m`` under ``rule``, as the engine counts them: an invoice
    that ``earns`` (an SQL condition) its rule's points, a credit note taking back the points
    of its own amount (the engine's rule for a credit note of no invoice; those of an invoice
    are corrected by :func:`_credit_note_corrections_sql`).

    A credit note is told by its negative signed amount (a posted invoice has none): the
    spend index holds the amount, not the type, and the pass reads nothing else."""
    amount = SQL("m.amount_untaxed_signed")
    return SQL(
        "CASE WHEN %(amount)s < 0 THEN -%(refunded)s WHEN %(earns)s THEN %(earned)s ELSE 0 END",
        amount=amount, refunded=rule.points(SQL("-%s", amount), minimum=False),
        earns=earns, earned=rule.points(amount),
    )


def _credit_note_correction_sql(rule):
    """For a credit note ``n`` of an invoice (columns of :meth:`_credit_notes_query`): what
    the engine takes back (what the invoice holds before the note less what it holds after,
    its rule on its net amount, never more than it earned; see ``points_to_hold``) minus what
    :func:`_document_points_sql` counted for it."""
    earned = SQL("CASE WHEN n.earns THEN %s ELSE 0 END", rule.points(SQL("n.invoiced")))

    def held(net):
        return points_to_hold_sql(earned, net, rule.points)

    return SQL(
        "%(counted)s - (%(before)s - %(after)s)",
        counted=rule.points(SQL("-n.amount"), minimum=False),
        before=held(SQL("(n.net_after - n.amount)")), after=held(SQL("n.net_after")),
    )


@contextlib.contextmanager
def _jit_off(cr):
    """Run a statement without PostgreSQL's just-in-time compilation: the replay's estimated
    cost sets it off, and compiling takes longer than the aggregation it would speed up."""
    cr.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
    [(previous, _off)] = cr.fetchall()
    try:
        yield
    finally:
        cr.execute("SELECT set_config('jit', %s, true)", [previous])
