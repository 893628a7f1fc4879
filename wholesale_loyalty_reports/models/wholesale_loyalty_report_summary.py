from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import analysis_store

# Groupings, filters and measures the totals can answer exactly as the customer months do.
# The month is a month in both, so a grouping by day, week or quarter of it gives the same
# groups.
DIMENSIONS = frozenset({
    "date", "company_id", "currency_id", "user_id", "country_id", "program_id", "tier_id", "is_member", "membership",
})
MEASURES = frozenset(analysis_store.MEASURES)
COUNT = "row_count:sum"


class WholesaleLoyaltyReportSummary(models.Model):
    """The loyalty analysis by company, salesperson, month, program, tier and country: the
    totals of the analysis store, a few rows per month. ``wholesale.loyalty.report`` reads
    its groupings from here when they need no customer; nothing else uses this model."""

    _name = "wholesale.loyalty.report.summary"
    _description = "Wholesale Loyalty Analysis Totals"
    _auto = False
    _rec_name = "date"
    _order = "date desc"

    date = fields.Date(string="Month", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    program_id = fields.Many2one("wholesale.loyalty.program", string="Program", readonly=True)
    tier_id = fields.Many2one("wholesale.loyalty.tier", string="Tier", readonly=True)
    is_member = fields.Boolean(string="Member", readonly=True)
    membership = fields.Selection([("member", "Members"), ("non_member", "Non-members")], readonly=True)
    revenue = fields.Monetary(string="Untaxed Revenue", readonly=True)
    invoice_count = fields.Integer(string="Invoices", readonly=True)
    refund_count = fields.Integer(string="Credit Notes", readonly=True)
    points_earned = fields.Integer(readonly=True)
    points_redeemed = fields.Integer(readonly=True)
    points_expired = fields.Integer(readonly=True)
    points_net = fields.Integer(string="Points Balance Change", readonly=True)
    row_count = fields.Integer(string="Customer Months", readonly=True)

    _depends = analysis_store.SOURCES

    @property
    def _table_query(self):
        # Difference rows of one line are folded here; a line that sums up no customer row
        # any more (its customers all moved to another tier) is no group of the analysis.
        sums = ", ".join(f"SUM({name}) AS {name}" for name in analysis_store.MEASURES)
        return SQL(
            f"""SELECT row_number() OVER () AS id, s.*,
                       (SELECT c.currency_id FROM res_company c WHERE c.id = s.company_id) AS currency_id,
                       s.program_id IS NOT NULL AS is_member,
                       CASE WHEN s.program_id IS NOT NULL THEN 'member' ELSE 'non_member' END AS membership
                  FROM (SELECT company_id, user_id, month AS date, program_id, tier_id, country_id,
                               {sums}, SUM(row_count) AS row_count
                          FROM %s
                      GROUP BY company_id, user_id, month, program_id, tier_id, country_id
                        HAVING SUM(row_count) > 0) s""",  # noqa: S608 - names are constants of the store
            SQL.identifier(analysis_store.TOTAL_TABLE),
        )

    # ------------------------------------------------------------------ answering for the analysis

    @api.model
    def _can_answer(self, domain, groupby, aggregates, having, order):
        """Whether a grouping of the analysis reads the same from the totals: it groups and
        filters on totals' dimensions only and sums measures (or counts rows)."""
        if having:
            return False
        if any(spec.split(":")[0].split(".")[0] not in DIMENSIONS for spec in groupby):
            return False
        if not all(self._answers_aggregate(spec) for spec in aggregates):
            return False
        if order and any(
            term.split()[0].split(":")[0] not in DIMENSIONS | MEASURES | {"__count"}
            for term in order.split(",") if term.strip()
        ):
            return False
        return all(self._domain_fields_known(domain))

    @staticmethod
    def _answers_aggregate(spec):
        if spec == "__count":
            return True
        name, _sep, function = spec.partition(":")
        return name in MEASURES and function == "sum"

    @staticmethod
    def _domain_fields_known(domain):
        for leaf in domain or ():
            if isinstance(leaf, list | tuple) and leaf and isinstance(leaf[0], str):
                yield leaf[0].split(".")[0] in DIMENSIONS

    @api.model
    def _read_group_as_report(self, domain, groupby, aggregates, offset, limit, order):
        """``_read_group`` of the analysis, answered from the totals: ``__count`` becomes the
        sum of the customer rows each total stands for."""
        asked = [COUNT if spec == "__count" else spec for spec in aggregates]
        if order:
            order = order.replace("__count", COUNT)
        rows = self._read_group(domain, groupby, asked, offset=offset, limit=limit, order=order)
        counted = {index for index, spec in enumerate(aggregates) if spec == "__count"}
        width = len(groupby)
        return [
            row[:width] + tuple(
                (value or 0) if index in counted else value for index, value in enumerate(row[width:])
            )
            for row in rows
        ]
