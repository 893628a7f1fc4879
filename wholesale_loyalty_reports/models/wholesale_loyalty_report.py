from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import analysis_store


class WholesaleLoyaltyReport(models.Model):
    """Sales and points per customer (commercial partner), company, salesperson and month,
    read from the analysis store that PostgreSQL keeps up to date as documents move, so a
    pivot over millions of invoices reads no invoice. Program, tier and membership are the
    customer's current ones.
    """

    _name = "wholesale.loyalty.report"
    _description = "Wholesale Loyalty Analysis"
    _auto = False
    _rec_name = "date"
    _order = "date desc, revenue desc"

    date = fields.Date(string="Month", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    program_id = fields.Many2one("wholesale.loyalty.program", string="Program", readonly=True)
    tier_id = fields.Many2one("wholesale.loyalty.tier", string="Tier", readonly=True)
    is_member = fields.Boolean(string="Member", readonly=True, help="The customer belongs to a loyalty program.")
    # The same as is_member, for grouping: a graph legend or a pivot header reads
    # "Members" / "Non-members", not "true" / "false".
    membership = fields.Selection(
        [("member", "Members"), ("non_member", "Non-members")],
        readonly=True,
        help="Whether the customer belongs to a loyalty program.",
    )
    revenue = fields.Monetary(
        string="Untaxed Revenue", readonly=True, help="Posted customer invoices net of credit notes, untaxed."
    )
    invoice_count = fields.Integer(string="Invoices", readonly=True)
    refund_count = fields.Integer(string="Credit Notes", readonly=True)
    points_earned = fields.Integer(readonly=True, help="Points earned and bonus points received.")
    points_redeemed = fields.Integer(readonly=True)
    points_expired = fields.Integer(readonly=True)
    points_net = fields.Integer(string="Points Balance Change", readonly=True, help="Sum of all ledger entries.")

    row_count = fields.Integer(
        string="Customer Months", readonly=True,
        help="Rows of the analysis: one per customer, company, salesperson and month.",
    )

    _depends = analysis_store.SOURCES

    # The rows are kept up to date by the analysis store (tools/analysis_store.py): one
    # row per customer, company, salesperson (of the invoice; for points, the customer's)
    # and month, changed by PostgreSQL triggers as invoices and ledger entries move. Rows
    # are split by salesperson so that the report can follow the visibility of the invoices
    # it sums up. Program, tier and membership are the customer's current ones.

    @property
    def _table_query(self):
        return SQL("SELECT %s FROM %s", self._select(), self._from())

    @api.model
    def _select(self):
        # The currency is a subquery: a join on the company misleads the planner's row
        # estimate into a nested loop over res_partner.
        return SQL(
            """t.id,
               t.month AS date,
               t.partner_id,
               NULLIF(t.company_id, 0) AS company_id,
               (SELECT c.currency_id FROM res_company c WHERE c.id = t.company_id) AS currency_id,
               NULLIF(t.user_id, 0) AS user_id,
               p.country_id,
               m.program_id AS program_id,
               m.tier_id AS tier_id,
               m.program_id IS NOT NULL AS is_member,
               CASE WHEN m.program_id IS NOT NULL THEN 'member' ELSE 'non_member' END AS membership,
               t.revenue,
               t.invoice_count,
               t.refund_count,
               t.points_earned,
               t.points_redeemed,
               t.points_expired,
               t.points_net,
               1 AS row_count"""
        )

    @api.model
    def _from(self):
        # The partner and its member (of the row's company, at most one) are LEFT JOINed so
        # that PostgreSQL drops the joins when none of their columns is asked for, as for a
        # pivot's totals.
        return SQL(
            """%s t LEFT JOIN res_partner p ON p.id = t.partner_id
                    LEFT JOIN wholesale_loyalty_member m
                           ON m.partner_id = t.partner_id AND m.company_id = t.company_id AND m.active""",
            SQL.identifier(analysis_store.MONTH_TABLE),
        )

    @api.model
    def _sale_documents(self):
        """The invoices the revenue sums up: every posted customer invoice and credit note
        (the scheme's sale documents), rebate credit notes included. The revenue is what
        the accounts show, net of rebates paid back; the tiers' qualifying spend leaves
        rebates out (see ``wholesale.loyalty.program._spend_exclusions``)."""
        return self.env["wholesale.loyalty.program"]._sale_documents_condition("r")

    def init(self):
        analysis_store.install(self.env.cr, self._sale_documents_sql())

    def _sale_documents_sql(self):
        condition = self._sale_documents()
        return self.env.cr.mogrify(condition.code, condition.params).decode()

    @api.model
    def _rebuild_store(self):
        """Recomputes the analysis from the documents (scheduled daily; also repairs what
        two transactions racing on one customer may have left in the totals)."""
        analysis_store.rebuild(self.env.cr, self._sale_documents_sql())

    @api.model
    def _compact_store(self):
        analysis_store.compact(self.env.cr)

    # ------------------------------------------------------------------ grouping

    @api.model
    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        """Groupings that need no customer (by tier, month, program, salesperson ...) are
        read from the totals, a few rows per month, instead of the customer months: the
        figures are the same, ``__count`` included (the totals keep how many customer rows
        they sum up)."""
        summary = self.env["wholesale.loyalty.report.summary"]
        if not summary._can_answer(domain, groupby, aggregates, having, order):
            return super()._read_group(domain, groupby, aggregates, having, offset, limit, order)
        return summary._read_group_as_report(domain, groupby, aggregates, offset, limit, order)
