from odoo import api, fields, models
from odoo.tools import SQL


class WholesaleLoyaltyReport(models.Model):
    """Sales and points per customer (commercial partner), company and month.

    Invoices and ledger entries are each aggregated by customer and month first, then
    joined: the view reads every posted customer invoice once, with no per-line work, so a
    pivot over hundreds of thousands of invoices stays fast. Program, tier and membership are
    the customer's current ones.
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

    _depends = {
        "account.move": [
            "commercial_partner_id", "company_id", "invoice_user_id", "invoice_date", "amount_untaxed_signed",
            "move_type", "state",
        ],
        "wholesale.loyalty.ledger": ["partner_id", "company_id", "date", "kind", "points"],
        "res.partner": ["user_id", "country_id", "wholesale_program_id", "wholesale_tier_id"],
        "res.company": ["currency_id"],
    }

    # Invoices and ledger entries go through one aggregation (UNION ALL, then GROUP BY) and
    # only the result, a row per customer, company and month, meets res_partner: cheaper than
    # aggregating both sides and joining them on computed keys. Rows are split by salesperson
    # (of the invoice; for points, the customer's) so that the report can follow the
    # visibility of the invoices it sums up. Each piece below can be extended by an add-on.

    @property
    def _table_query(self):
        return SQL(
            "WITH movements AS (%s UNION ALL %s), monthly AS (%s) SELECT %s FROM %s",
            self._invoice_movements(), self._ledger_movements(), self._monthly(), self._select(), self._from(),
        )

    @api.model
    def _invoice_movements(self):
        return SQL("SELECT %s FROM %s WHERE %s", self._select_invoices(), self._from_invoices(), self._where())

    @api.model
    def _select_invoices(self):
        return SQL(
            """m.commercial_partner_id AS partner_id,
               m.company_id,
               m.invoice_user_id AS user_id,
               date_trunc('month', m.invoice_date::timestamp)::date AS month,
               m.amount_untaxed_signed AS revenue,
               (m.move_type = 'out_invoice')::int AS invoice_count,
               (m.move_type = 'out_refund')::int AS refund_count,
               0 AS points_earned,
               0 AS points_redeemed,
               0 AS points_expired,
               0 AS points_net,
               m.id AS move_id,
               NULL::int AS entry_id"""
        )

    @api.model
    def _from_invoices(self):
        return SQL("account_move m")

    @api.model
    def _where(self):
        """The invoices the revenue sums up: every posted customer invoice and credit note
        (the scheme's sale documents), rebate credit notes included. The revenue is what
        the accounts show, net of rebates paid back; the tiers' qualifying spend leaves
        rebates out (see ``wholesale.loyalty.program._spend_exclusions``)."""
        return SQL(
            "%s AND m.invoice_date IS NOT NULL",
            self.env["wholesale.loyalty.program"]._sale_documents_condition("m"),
        )

    @api.model
    def _ledger_movements(self):
        return SQL("SELECT %s FROM %s", self._select_ledger(), self._from_ledger())

    @api.model
    def _select_ledger(self):
        return SQL(
            """l.partner_id,
               l.company_id,
               lp.user_id,
               date_trunc('month', l.date::timestamp)::date,
               0,
               0,
               0,
               CASE WHEN l.kind IN ('earn', 'bonus') THEN l.points ELSE 0 END,
               CASE WHEN l.kind = 'redeem' THEN -l.points ELSE 0 END,
               CASE WHEN l.kind = 'expire' THEN -l.points ELSE 0 END,
               l.points,
               NULL,
               l.id"""
        )

    @api.model
    def _from_ledger(self):
        return SQL("wholesale_loyalty_ledger l LEFT JOIN res_partner lp ON lp.id = l.partner_id")

    @api.model
    def _monthly(self):
        # Ids: twice the row's smallest invoice id, or twice its smallest ledger id plus one
        # when the month has points but no invoice. Rows own disjoint sets of invoices (and
        # of entries), so ids are unique and stay the same from one read to the next.
        return SQL(
            """SELECT partner_id,
                      company_id,
                      user_id,
                      month,
                      SUM(revenue) AS revenue,
                      SUM(invoice_count) AS invoice_count,
                      SUM(refund_count) AS refund_count,
                      SUM(points_earned) AS points_earned,
                      SUM(points_redeemed) AS points_redeemed,
                      SUM(points_expired) AS points_expired,
                      SUM(points_net) AS points_net,
                      COALESCE(MIN(move_id)::bigint * 2, MIN(entry_id)::bigint * 2 + 1) AS id
                 FROM movements
             GROUP BY %s""",
            self._group_by(),
        )

    @api.model
    def _group_by(self):
        return SQL("partner_id, company_id, user_id, month")

    @api.model
    def _select(self):
        # The currency is a subquery: a join on the aggregated company misleads the
        # planner's row estimate into a nested loop over res_partner.
        return SQL(
            """t.id,
               t.month AS date,
               t.partner_id,
               t.company_id,
               (SELECT c.currency_id FROM res_company c WHERE c.id = t.company_id) AS currency_id,
               t.user_id,
               p.country_id,
               p.wholesale_program_id AS program_id,
               p.wholesale_tier_id AS tier_id,
               p.wholesale_program_id IS NOT NULL AS is_member,
               CASE WHEN p.wholesale_program_id IS NOT NULL THEN 'member' ELSE 'non_member' END AS membership,
               t.revenue,
               t.invoice_count,
               t.refund_count,
               t.points_earned,
               t.points_redeemed,
               t.points_expired,
               t.points_net"""
        )

    @api.model
    def _from(self):
        # The partner is LEFT JOINed (every invoice and entry has one) so that PostgreSQL
        # drops the join when no partner column is asked for, as for a pivot's totals.
        return SQL("monthly t LEFT JOIN res_partner p ON p.id = t.partner_id")
