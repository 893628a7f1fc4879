from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, float_round, format_date

from odoo.addons.wholesale_loyalty.models.wholesale_loyalty_program import SALE_DOCUMENTS
from odoo.addons.wholesale_loyalty.tools.access import LIABILITY_GROUPS, LOYALTY_USER, check_caller_groups
from odoo.addons.wholesale_loyalty.tools.points_rules import EXPIRING_SOON_DAYS

from ..tools.kpi import growth_percent, months_in_period, percent, previous_period, ratio


class WholesaleLoyaltyKpi(models.TransientModel):
    """The program's KPI screen: members and non-members side by side, participation,
    redemption, tier distribution and points liability.

    Every figure comes from a few set-based queries (see the ``_compute_*`` methods); the
    ``action_open_*`` buttons open the records behind a number. Sales figures sum up the
    invoices the user may read (a salesperson with own documents only sees theirs); points
    figures are the program's, which every loyalty user may read.

    A user has one screen per program: opening the KPIs again shows it (refreshed) and the
    program chosen last is remembered as the user's default.
    """

    _name = "wholesale.loyalty.kpi"
    _description = "Wholesale Loyalty KPIs"

    program_id = fields.Many2one(
        "wholesale.loyalty.program",
        required=True,
        ondelete="cascade",
        default=lambda self: self._default_program(),
        domain="[('company_id', 'in', allowed_company_ids)]",
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    currency_id = fields.Many2one(related="program_id.currency_id")
    point_value = fields.Float(related="program_id.point_value", string="Point Value")
    date_from = fields.Date(
        string="From", required=True, default=lambda self: self._default_date_from()
    )
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)
    months = fields.Float(
        string="Exact Months", compute="_compute_sales_figures", store=True, digits=(16, 2),
        help="Exact length of the period in months, the base of the per-month ratios.",
    )
    month_count = fields.Integer(
        string="Months", compute="_compute_sales_figures", store=True,
        help="Length of the period, rounded to whole months.",
    )

    # Members against non-members (customers of no program) who bought in the period.
    member_customer_count = fields.Integer(string="Buying Members", compute="_compute_sales_figures", store=True)
    member_revenue = fields.Monetary(compute="_compute_sales_figures", store=True)
    member_invoice_count = fields.Integer(compute="_compute_sales_figures", store=True)
    member_avg_invoice = fields.Monetary(string="Member Average Invoice", compute="_compute_sales_figures", store=True)
    member_invoice_frequency = fields.Float(
        string="Member Invoices per Customer per Month", compute="_compute_sales_figures", store=True,
        digits=(16, 2),
    )
    member_repeat_rate = fields.Float(
        string="Member Repeat-Purchase Rate (%)", compute="_compute_sales_figures", store=True, digits=(16, 1),
        help="Buying customers with two invoices or more in the period.",
    )
    member_revenue_previous = fields.Monetary(compute="_compute_sales_figures", store=True)
    member_revenue_growth = fields.Float(
        string="Member Revenue Growth (%)", compute="_compute_sales_figures", store=True, digits=(16, 1),
        help="Against the period of the same length just before.",
    )
    nonmember_customer_count = fields.Integer(
        string="Buying Non-Members", compute="_compute_sales_figures", store=True
    )
    nonmember_revenue = fields.Monetary(string="Non-Member Revenue", compute="_compute_sales_figures", store=True)
    nonmember_invoice_count = fields.Integer(
        string="Non-Member Invoice Count", compute="_compute_sales_figures", store=True
    )
    nonmember_avg_invoice = fields.Monetary(
        string="Non-Member Average Invoice", compute="_compute_sales_figures", store=True
    )
    nonmember_invoice_frequency = fields.Float(
        string="Non-Member Invoices per Customer per Month", compute="_compute_sales_figures", store=True,
        digits=(16, 2),
    )
    nonmember_repeat_rate = fields.Float(
        string="Non-Member Repeat-Purchase Rate (%)", compute="_compute_sales_figures", store=True,
        digits=(16, 1),
    )
    nonmember_revenue_previous = fields.Monetary(
        string="Non-Member Revenue Previous Period", compute="_compute_sales_figures", store=True
    )
    nonmember_revenue_growth = fields.Float(
        string="Non-Member Revenue Growth (%)", compute="_compute_sales_figures", store=True, digits=(16, 1)
    )
    participation_rate = fields.Float(
        string="Participation Rate (%)", compute="_compute_sales_figures", store=True, digits=(16, 1),
        help="Buying customers of the period who are members of the program.",
    )

    # Points movements in the period.
    points_earned = fields.Integer(compute="_compute_points_figures", store=True, help="Earned and bonus points.")
    points_redeemed = fields.Integer(compute="_compute_points_figures", store=True)
    points_expired = fields.Integer(compute="_compute_points_figures", store=True)
    redemption_rate = fields.Float(
        string="Redemption Rate (%)", compute="_compute_points_figures", store=True, digits=(16, 1),
        help="Points redeemed in the period against points earned in the period.",
    )

    # Liability today, by tier.
    member_count = fields.Integer(string="Members", compute="_compute_liability", store=True)
    points_outstanding = fields.Integer(compute="_compute_liability", store=True)
    liability_amount = fields.Monetary(string="Points Liability", compute="_compute_liability", store=True)
    points_expiring_30d = fields.Integer(string="Expiring in 30 Days", compute="_compute_liability", store=True)
    points_expiring_90d = fields.Integer(string="Expiring in 90 Days", compute="_compute_liability", store=True)
    expiring_30d_amount = fields.Monetary(compute="_compute_liability", store=True)
    expiring_90d_amount = fields.Monetary(compute="_compute_liability", store=True)
    tier_line_ids = fields.One2many(
        "wholesale.loyalty.kpi.tier", "kpi_id", string="Tiers", compute="_compute_liability", store=True
    )
    # The liability in the books (wholesale.loyalty.liability), tied out now: for who keeps the books.
    books_method = fields.Selection(related="program_id.liability_method", string="Liability Method",
                                    groups=LIABILITY_GROUPS)
    books_ledger_amount = fields.Monetary(
        string="Liability in the Ledger", compute="_compute_books_tie_out", groups=LIABILITY_GROUPS,
        help="What the open lots carry: deferred revenue or provision not yet released.",
    )
    books_amount = fields.Monetary(
        string="Liability in the Books", compute="_compute_books_tie_out", groups=LIABILITY_GROUPS,
        help="Balance of the program's liability account on its entries.",
    )
    books_difference = fields.Monetary(
        string="Tie-out Difference", compute="_compute_books_tie_out", groups=LIABILITY_GROUPS)
    books_budget_percent = fields.Float(
        string="Liability Budget Used (%)", compute="_compute_books_tie_out", digits=(16, 1), groups=LIABILITY_GROUPS,
        help="The points liability against the program's budget: warned at 80% and 100%.",
    )

    # Paid memberships: what their fees brought against what their holders received.
    membership_holder_count = fields.Integer(
        string="Paying Members", compute="_compute_membership_figures", store=True,
        help="Customers who held a paid membership of the program during the period.",
    )
    membership_fee_income = fields.Monetary(
        compute="_compute_membership_figures", store=True,
        help="Untaxed membership fees invoiced in the period, net of their credit notes.",
    )
    membership_discount_amount = fields.Monetary(
        string="Discounts to Paying Members", compute="_compute_membership_figures", store=True,
        help="Line discounts on the invoices of paying members dated while they held their membership.",
    )
    membership_points_amount = fields.Monetary(
        string="Points to Paying Members", compute="_compute_membership_figures", store=True,
        help="Value of the points paying members earned while they held their membership.",
    )
    membership_rebate_amount = fields.Monetary(
        string="Rebates to Paying Members", compute="_compute_membership_figures", store=True,
        help="Volume rebates credited to paying members for periods ending in the period.",
    )
    membership_benefit_amount = fields.Monetary(
        string="Benefits Received by Paying Members", compute="_compute_membership_figures", store=True,
    )
    membership_net_amount = fields.Monetary(
        string="Fees Less Benefits", compute="_compute_membership_figures", store=True,
    )

    # Personal offers: how many offered items customers bought at the offer.
    offer_item_count = fields.Integer(
        string="Offered Items", compute="_compute_offer_figures", store=True,
        help="Customer and product pairs with a personal offer running during the period.",
    )
    offer_taken_count = fields.Integer(
        string="Offered Items Bought", compute="_compute_offer_figures", store=True,
        help="Offered items the customer bought during the offer at the offer's discount.",
    )
    offer_uptake_rate = fields.Float(
        string="Offer Uptake (%)", compute="_compute_offer_figures", store=True, digits=(16, 1),
        help="Offered items bought during the offer at its discount, against all offered items.",
    )
    offer_revenue = fields.Monetary(
        string="Revenue at Offer", compute="_compute_offer_figures", store=True,
        help="Untaxed invoiced amount of the lines bought at a personal offer's discount during it, net "
        "of their credit notes.",
    )

    @api.model
    def _default_program(self):
        # The main program is the one most customers belong to, not the first by sequence
        # (a small program for a few tagged customers usually comes first to match them first).
        programs = self.env["wholesale.loyalty.program"].search([("company_id", "in", self.env.companies.ids)])
        return programs.sorted(lambda program: -program.member_count)[:1]

    @api.depends("program_id")
    def _compute_display_name(self):
        for kpi in self:
            kpi.display_name = self.env._("Loyalty KPIs — %(program)s", program=kpi.program_id.name) \
                if kpi.program_id else self.env._("Loyalty KPIs")

    @api.model
    def _default_date_from(self):
        today = fields.Date.context_today(self)
        return today.replace(day=1) - relativedelta(months=11)

    @api.depends("program_id", "date_from", "date_to")
    def _compute_sales_figures(self):
        for kpi in self:
            if not kpi.program_id or not kpi.date_from or not kpi.date_to or kpi.date_to < kpi.date_from:
                kpi.update(kpi._sales_figures({}, 0.0))
                continue
            months = months_in_period(kpi.date_from, kpi.date_to)
            kpi.update(kpi._sales_figures(kpi._query_sales(), months))

    def _query_sales(self):
        """Revenue, invoices, buying and repeat customers per (member, period): one query
        over the invoices the user may read.

        Members belong to this program; non-members to no program (members of other
        programs are neither). Credit notes lower the revenue but are not invoices;
        rebate credit notes too: the revenue is net of rebates, as in the analysis.
        """
        self.ensure_one()
        previous_from, _previous_to = previous_period(self.date_from, self.date_to)
        # Stored figures are computed as superuser: sum up what the screen's owner may read.
        owner = self.create_uid or self.env.user
        moves = self.env["account.move"].with_user(owner)._wholesale_report_sales_query(
            self.company_id, previous_from, self.date_to
        )

        def column(name):
            return SQL.identifier(moves.table, name)

        moves.groupby = SQL("1, 2")
        per_customer = moves.select(
            SQL("%s AS partner_id", column("commercial_partner_id")),
            SQL("%s >= %s AS is_current", column("invoice_date"), self.date_from),
            SQL("SUM(%s) AS revenue", column("amount_untaxed_signed")),
            SQL("COUNT(*) FILTER (WHERE %s = 'out_invoice') AS invoices", column("move_type")),
        )
        self.env["wholesale.loyalty.member"].flush_model()
        rows = self.env.execute_query_dict(SQL(
            """
            WITH per_customer AS (%(per_customer)s)
            SELECT m.program_id IS NOT NULL AS is_member,
                   c.is_current,
                   COUNT(*) FILTER (WHERE c.invoices > 0) AS customers,
                   COUNT(*) FILTER (WHERE c.invoices > 1) AS repeat_customers,
                   COALESCE(SUM(c.revenue), 0) AS revenue,
                   COALESCE(SUM(c.invoices), 0) AS invoices
              FROM per_customer c
         LEFT JOIN wholesale_loyalty_member m
                ON m.partner_id = c.partner_id AND m.company_id = %(company)s AND m.active
             WHERE m.program_id = %(program)s OR m.program_id IS NULL
          GROUP BY 1, 2
            """,
            per_customer=per_customer, program=self.program_id.id, company=self.program_id.company_id.id,
        ))
        return {(row["is_member"], row["is_current"]): row for row in rows}

    def _sales_figures(self, groups, months):
        empty = {"customers": 0, "repeat_customers": 0, "revenue": 0.0, "invoices": 0}
        values = {"months": months, "month_count": int(float_round(months, precision_digits=0))}
        for prefix, is_member in (("member", True), ("nonmember", False)):
            current = groups.get((is_member, True), empty)
            previous = groups.get((is_member, False), empty)
            revenue, invoices, customers = float(current["revenue"]), current["invoices"], current["customers"]
            values.update({
                f"{prefix}_customer_count": customers,
                f"{prefix}_revenue": revenue,
                f"{prefix}_invoice_count": invoices,
                f"{prefix}_avg_invoice": ratio(revenue, invoices),
                f"{prefix}_invoice_frequency": ratio(ratio(invoices, customers), months),
                f"{prefix}_repeat_rate": percent(current["repeat_customers"], customers),
                f"{prefix}_revenue_previous": float(previous["revenue"]),
                f"{prefix}_revenue_growth": growth_percent(revenue, float(previous["revenue"])),
            })
        values["participation_rate"] = percent(
            values["member_customer_count"], values["member_customer_count"] + values["nonmember_customer_count"]
        )
        return values

    @api.depends("program_id", "date_from", "date_to")
    def _compute_points_figures(self):
        Ledger = self.env["wholesale.loyalty.ledger"]
        for kpi in self:
            sums = {}
            if kpi.program_id and kpi.date_from and kpi.date_to:
                # sudo: sums for the figures only; the buttons open the entries with the user's rights.
                sums = dict(Ledger.sudo()._read_group(kpi._ledger_period_domain(), ["kind"], ["points:sum"]))
            earned = sums.get("earn", 0) + sums.get("bonus", 0)
            redeemed = -sums.get("redeem", 0)
            kpi.points_earned = earned
            kpi.points_redeemed = redeemed
            kpi.points_expired = -sums.get("expire", 0)
            kpi.redemption_rate = percent(redeemed, earned)

    @api.depends("program_id", "date_from", "date_to")
    def _compute_membership_figures(self):
        for kpi in self:
            if not kpi.program_id or not kpi.date_from or not kpi.date_to or kpi.date_to < kpi.date_from:
                row = {"holders": 0, "fees": 0.0, "discounts": 0.0, "points": 0, "rebates": 0.0}
            else:
                row = kpi._query_membership_figures()
            currency = kpi.currency_id or kpi.env.company.currency_id
            points_amount = currency.round(row["points"] * kpi.program_id.point_value)
            discounts, rebates = currency.round(float(row["discounts"])), currency.round(float(row["rebates"]))
            benefits = discounts + points_amount + rebates
            kpi.membership_holder_count = row["holders"]
            kpi.membership_fee_income = float(row["fees"])
            kpi.membership_discount_amount = discounts
            kpi.membership_points_amount = points_amount
            kpi.membership_rebate_amount = rebates
            kpi.membership_benefit_amount = benefits
            kpi.membership_net_amount = float(row["fees"]) - benefits

    def _query_membership_figures(self):
        """Fees of the program's paid tiers and the benefits their holders received while
        holding them, in one query: the fees and discounts over the invoices the user may
        read (as every sales figure), points and rebates over the program's records.

        A line discount is what the line's untaxed amount left out of its gross price
        (amount x discount / (100 - discount)), whatever gave it: tier or pricelist."""
        self.ensure_one()
        owner = self.create_uid or self.env.user
        moves = self.env["account.move"].with_user(owner)._wholesale_report_sales_query(
            self.company_id, self.date_from, self.date_to
        )
        documents = moves.select(
            SQL.identifier(moves.table, "id"),
            SQL.identifier(moves.table, "commercial_partner_id"),
            SQL.identifier(moves.table, "invoice_date"),
        )
        for model, names in (
            ("account.move.line", ["move_id", "product_id", "balance", "discount", "display_type"]),
            ("wholesale.loyalty.membership", ["partner_id", "program_id", "state", "date_start", "date_end",
                                              "product_id"]),
            ("wholesale.loyalty.tier", ["program_id", "membership_product_id"]),
            ("wholesale.loyalty.ledger", ["partner_id", "program_id", "kind", "date", "points"]),
            ("wholesale.loyalty.rebate", ["partner_id", "program_id", "state", "date_from", "date_to", "amount"]),
        ):
            self.env[model].flush_model(names)
        return self.env.execute_query_dict(SQL(
            """
            WITH held AS (
                SELECT partner_id, date_start, date_end
                  FROM wholesale_loyalty_membership
                 WHERE program_id = %(program)s AND state != 'cancelled'
                   AND date_start <= %(date_to)s AND date_end >= %(date_from)s
            ), fee_products AS (
                SELECT membership_product_id AS id FROM wholesale_loyalty_tier
                 WHERE program_id = %(program)s AND membership_product_id IS NOT NULL
                 UNION
                SELECT product_id FROM wholesale_loyalty_membership
                 WHERE program_id = %(program)s AND product_id IS NOT NULL
            ), lines AS (
                SELECT -l.balance AS amount, l.discount,
                       l.product_id IN (SELECT id FROM fee_products) AS is_fee,
                       EXISTS (SELECT 1 FROM held h WHERE h.partner_id = d.commercial_partner_id
                                  AND d.invoice_date BETWEEN h.date_start AND h.date_end) AS while_held
                  FROM account_move_line l
                  JOIN (%(documents)s) AS d(id, commercial_partner_id, invoice_date) ON d.id = l.move_id
                 WHERE l.display_type = 'product'
            )
            SELECT (SELECT COUNT(DISTINCT partner_id) FROM held) AS holders,
                   (SELECT COALESCE(SUM(amount), 0) FROM lines WHERE is_fee) AS fees,
                   (SELECT COALESCE(SUM(amount * discount / (100 - discount)), 0) FROM lines
                     WHERE NOT is_fee AND while_held AND discount > 0 AND discount < 100) AS discounts,
                   (SELECT COALESCE(SUM(e.points), 0) FROM wholesale_loyalty_ledger e
                     WHERE e.program_id = %(program)s AND e.kind IN ('earn', 'bonus')
                       AND e.date BETWEEN %(date_from)s AND %(date_to)s
                       AND EXISTS (SELECT 1 FROM held h WHERE h.partner_id = e.partner_id
                                      AND e.date BETWEEN h.date_start AND h.date_end)) AS points,
                   (SELECT COALESCE(SUM(r.amount), 0) FROM wholesale_loyalty_rebate r
                     WHERE r.program_id = %(program)s AND r.state = 'posted'
                       AND r.date_to BETWEEN %(date_from)s AND %(date_to)s
                       AND EXISTS (SELECT 1 FROM held h WHERE h.partner_id = r.partner_id
                                      AND h.date_start <= r.date_to AND h.date_end >= r.date_from)) AS rebates
            """,
            program=self.program_id.id, date_from=self.date_from, date_to=self.date_to, documents=documents,
        ))[0]

    @api.depends("program_id", "date_from", "date_to")
    def _compute_offer_figures(self):
        for kpi in self:
            if not kpi.program_id or not kpi.date_from or not kpi.date_to or kpi.date_to < kpi.date_from:
                row = {"items": 0, "taken": 0, "revenue": 0.0}
            else:
                row = kpi._query_offer_figures()
            kpi.offer_item_count = row["items"]
            kpi.offer_taken_count = row["taken"]
            kpi.offer_uptake_rate = percent(row["taken"], row["items"])
            kpi.offer_revenue = float(row["revenue"])

    def _query_offer_figures(self):
        """Offered items (customer x product) of the program running during the period, those
        bought at the offer, and the revenue of those lines, in one query over the invoices
        the user may read (as every sales figure).

        A line is bought at the offer when it is a goods line of the offer's customer and
        product, on an invoice (or credit note) dated while the offer ran, whose discount is
        the offer's: a line that got a better tier or pricelist discount owes nothing to the
        offer."""
        self.ensure_one()
        owner = self.create_uid or self.env.user
        moves = self.env["account.move"].with_user(owner)._wholesale_report_sales_query(
            self.company_id, self.date_from, self.date_to
        )
        documents = moves.select(
            SQL.identifier(moves.table, "id"),
            SQL.identifier(moves.table, "commercial_partner_id"),
            SQL.identifier(moves.table, "invoice_date"),
            SQL.identifier(moves.table, "move_type"),
        )
        self.env["account.move.line"].flush_model(["move_id", "product_id", "balance", "discount", "display_type"])
        self.env["wholesale.loyalty.personal.offer"].flush_model()
        return self.env.execute_query_dict(SQL(
            """
            WITH offers AS (
                SELECT id, partner_id, product_id, discount_percent, date_from, date_to
                  FROM wholesale_loyalty_personal_offer
                 WHERE program_id = %(program)s AND date_from <= %(date_to)s AND date_to >= %(date_from)s
            ), taken AS (
                SELECT o.partner_id, o.product_id, -l.balance AS amount, d.move_type
                  FROM account_move_line l
                  JOIN (%(documents)s) AS d(id, commercial_partner_id, invoice_date, move_type) ON d.id = l.move_id
                  JOIN offers o ON o.partner_id = d.commercial_partner_id AND o.product_id = l.product_id
                               AND d.invoice_date BETWEEN o.date_from AND o.date_to
                 WHERE l.display_type = 'product' AND ABS(l.discount - o.discount_percent) < 0.005
            )
            SELECT (SELECT COUNT(*) FROM (SELECT DISTINCT partner_id, product_id FROM offers) pairs) AS items,
                   (SELECT COUNT(*) FROM (SELECT DISTINCT partner_id, product_id FROM taken
                                           WHERE move_type = 'out_invoice') bought) AS taken,
                   (SELECT COALESCE(SUM(amount), 0) FROM taken) AS revenue
            """,
            program=self.program_id.id, date_from=self.date_from, date_to=self.date_to, documents=documents,
        ))[0]

    @api.depends("program_id")
    def _compute_liability(self):
        today = fields.Date.context_today(self)
        for kpi in self:
            lines = kpi._tier_lines(today) if kpi.program_id else []
            point_value = kpi.program_id.point_value
            totals = {key: sum(line[key] for line in lines) for key in (
                "customer_count", "points_outstanding", "points_expiring_30d", "points_expiring_90d"
            )}
            kpi.member_count = totals["customer_count"]
            kpi.points_outstanding = totals["points_outstanding"]
            kpi.liability_amount = totals["points_outstanding"] * point_value
            kpi.points_expiring_30d = totals["points_expiring_30d"]
            kpi.points_expiring_90d = totals["points_expiring_90d"]
            kpi.expiring_30d_amount = totals["points_expiring_30d"] * point_value
            kpi.expiring_90d_amount = totals["points_expiring_90d"] * point_value
            kpi.tier_line_ids = [Command.clear()] + [Command.create(line) for line in lines]

    @api.depends("program_id")
    def _compute_books_tie_out(self):
        # sudo: the figures of the program the screen shows, for accountants who read no program
        programs = self.program_id.sudo()
        tie_outs = self.env["wholesale.loyalty.liability"]._tie_out(programs)
        for kpi in self:
            tie_out = tie_outs.get(kpi.program_id.id, {})
            kpi.books_ledger_amount = tie_out.get("ledger", 0.0)
            kpi.books_amount = tie_out.get("books", 0.0)
            kpi.books_difference = tie_out.get("difference", 0.0)
            budget = kpi.program_id.sudo().liability_budget
            kpi.books_budget_percent = 100.0 * tie_out.get("ledger", 0.0) / budget if budget else 0.0

    def _tier_lines(self, today):
        """Members, outstanding and expiring points per current tier of the customers: one
        count of members and one aggregation of the program's ledger. Customers who hold
        points of the program but left it are shown on a line without tier."""
        self.ensure_one()
        program = self.program_id
        # sudo: counts and sums for the figures; the buttons open the records with the
        # user's own rights.
        members = dict(self.env["wholesale.loyalty.member"].sudo()._read_group(
            [("program_id", "=", program.id)], ["tier_id"], ["__count"],
        ))
        self.env["wholesale.loyalty.ledger"].flush_model()
        self.env["wholesale.loyalty.member"].flush_model()
        rows = self.env.execute_query(SQL(
            """
            SELECT CASE WHEN m.active THEN m.tier_id END AS tier_id,
                   SUM(l.points),
                   COALESCE(SUM(l.remaining_points) FILTER (
                       WHERE l.remaining_points > 0 AND l.expiry_date BETWEEN %(today)s AND %(in_30)s), 0),
                   COALESCE(SUM(l.remaining_points) FILTER (
                       WHERE l.remaining_points > 0 AND l.expiry_date BETWEEN %(today)s AND %(in_90)s), 0)
              FROM wholesale_loyalty_ledger l
         LEFT JOIN wholesale_loyalty_member m ON m.partner_id = l.partner_id AND m.program_id = l.program_id
             WHERE l.program_id = %(program)s
          GROUP BY 1
            """,
            program=program.id, today=today,
            in_30=today + relativedelta(days=EXPIRING_SOON_DAYS), in_90=today + relativedelta(days=90),
        ))
        points = {tier_id: (balance, in_30, in_90) for tier_id, balance, in_30, in_90 in rows}
        total_members = sum(members.values())
        tiers = program.tier_ids.sorted("threshold_amount")
        lines = []
        for tier in [*tiers, self.env["wholesale.loyalty.tier"]]:
            count = members.get(tier, 0)
            balance, in_30, in_90 = points.get(tier.id or None, (0, 0, 0))
            if not tier and not count and not balance:
                continue
            lines.append({
                "tier_id": tier.id,
                "customer_count": count,
                "share_percent": percent(count, total_members),
                "points_outstanding": balance,
                "liability_amount": balance * program.point_value,
                "points_expiring_30d": in_30,
                "points_expiring_90d": in_90,
            })
        return lines

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for kpi in self:
            if kpi.date_to < kpi.date_from:
                raise ValidationError(self.env._(
                    "The period ends (%(date_to)s) before it starts (%(date_from)s).",
                    date_to=kpi.date_to, date_from=kpi.date_from,
                ))

    @api.model_create_multi
    def create(self, vals_list):
        screens = super().create(vals_list)
        screens[-1:]._remember_program()
        return screens

    def write(self, vals):
        result = super().write(vals)
        if "program_id" in vals:
            self[-1:]._remember_program()
        return result

    def _remember_program(self):
        """The program of the user's last screen opens next time: a personal default."""
        if self.program_id:
            self.env["ir.default"].set(
                self._name, "program_id", self.program_id.id, user_id=True, company_id=self.company_id.id
            )

    # ------------------------------------------------------------------ actions

    @api.model
    def action_open_dashboard(self):
        """Open the user's screen of the program they chose last (else the first one):
        the screen they already have, refreshed, or a new one with the default period.
        The tier lines must exist as records for their buttons to work."""
        check_caller_groups(self.env, LOYALTY_USER)
        remembered = self.default_get(["program_id"]).get("program_id")
        program = self.env["wholesale.loyalty.program"].search(
            [("id", "=", remembered), ("company_id", "in", self.env.companies.ids)]
        ) if remembered else self._default_program()
        program = program or self._default_program()
        kpi = self.search([("create_uid", "=", self.env.uid), ("program_id", "=", program.id)], limit=1,
                          order="id desc") if program else self.browse()
        if kpi:
            kpi._recompute_figures()
        else:
            kpi = self.create({"program_id": program.id} if program else {})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Loyalty KPIs"),
            "res_model": self._name,
            "res_id": kpi.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def action_refresh(self):
        """Recompute every figure (new invoices or points since the screen was opened),
        reload the screen and say so."""
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        self._recompute_figures()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Figures of %(program)s recomputed for %(date_from)s - %(date_to)s.",
                    program=self.program_id.name,
                    date_from=format_date(self.env, self.date_from),
                    date_to=format_date(self.env, self.date_to),
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _recompute_figures(self):
        for field in self._fields.values():
            if field.compute and field.store:
                self.env.add_to_compute(field, self)
        self.flush_recordset()

    def _window(self, name, model, domain, view_mode="list,form", context=None):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": view_mode,
            "domain": domain,
            "context": context or {},
            "target": "current",
        }

    def _invoice_domain(self, members, move_types=SALE_DOCUMENTS):
        self.ensure_one()
        program = self.program_id
        membership = (
            ("commercial_partner_id.wholesale_member_ids", "any", [("program_id", "=", program.id)]) if members
            else ("commercial_partner_id.wholesale_member_ids", "not any", [("company_id", "=", program.company_id.id)])
        )
        return [
            ("state", "=", "posted"),
            ("move_type", "in", move_types),
            ("company_id", "=", self.company_id.id),
            ("invoice_date", ">=", self.date_from),
            ("invoice_date", "<=", self.date_to),
            membership,
        ]

    def _buying_customer_ids(self, members):
        groups = self.env["account.move"]._read_group(
            self._invoice_domain(members) + [("move_type", "=", "out_invoice")],
            ["commercial_partner_id"],
        )
        return [partner.id for (partner,) in groups]

    def _ledger_period_domain(self):
        self.ensure_one()
        return [
            ("program_id", "=", self.program_id.id),
            ("date", ">=", self.date_from),
            ("date", "<=", self.date_to),
        ]

    def _invoices_window(self, name, domain):
        """Customer invoices in their own list (customer, dates, amounts) and form, opened
        in the current app: no Invoicing action, whose menu would switch apps."""
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "account.move",
            "view_mode": "list,form",
            "views": [
                (self.env.ref("account.view_out_invoice_tree").id, "list"),
                (self.env.ref("account.view_move_form").id, "form"),
            ],
            "search_view_id": [self.env.ref("account.view_account_invoice_filter").id],
            "domain": domain,
            "context": {"create": False, "default_move_type": "out_invoice"},
            "target": "current",
        }

    def action_open_member_invoices(self):
        """The members' invoices of the period, without credit notes: the invoice count."""
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return self._invoices_window(
            self.env._("Invoices of members of %(program)s", program=self.program_id.name),
            self._invoice_domain(True, ("out_invoice",)),
        )

    def action_open_nonmember_invoices(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return self._invoices_window(
            self.env._("Invoices of non-members"), self._invoice_domain(False, ("out_invoice",))
        )

    def action_open_member_revenue(self):
        """The members' invoices and credit notes of the period: the revenue."""
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return self._invoices_window(
            self.env._("Invoices and credit notes of members of %(program)s", program=self.program_id.name),
            self._invoice_domain(True),
        )

    def action_open_nonmember_revenue(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return self._invoices_window(
            self.env._("Invoices and credit notes of non-members"), self._invoice_domain(False)
        )

    def action_open_member_customers(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return self._window(
            self.env._("Buying members of %(program)s", program=self.program_id.name),
            "res.partner",
            [("id", "in", self._buying_customer_ids(True))],
        )

    def action_open_nonmember_customers(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return self._window(
            self.env._("Buying non-members"), "res.partner", [("id", "in", self._buying_customer_ids(False))]
        )

    def action_open_members(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return self._window(
            self.env._("Members of %(program)s", program=self.program_id.name),
            "wholesale.loyalty.member",
            [("program_id", "=", self.program_id.id)],
            context={"search_default_group_tier": 1},
        )

    def action_open_analysis(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wholesale_loyalty_reports.wholesale_loyalty_report_action"
        )
        action["domain"] = [
            ("company_id", "=", self.company_id.id),
            ("date", ">=", self.date_from.replace(day=1)),
            ("date", "<=", self.date_to),
            "|", ("program_id", "=", self.program_id.id), ("is_member", "=", False),
        ]
        return action

    def _action_ledger(self, name, domain, context=None):
        return self._window(name, "wholesale.loyalty.ledger", domain, context=context)

    def action_open_points_earned(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return self._action_ledger(
            self.env._("Points earned in %(program)s", program=self.program_id.name),
            self._ledger_period_domain() + [("kind", "in", ("earn", "bonus"))]
        )

    def action_open_points_redeemed(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return self._action_ledger(
            self.env._("Points redeemed in %(program)s", program=self.program_id.name),
            self._ledger_period_domain() + [("kind", "=", "redeem")]
        )

    def action_open_points_expired(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return self._action_ledger(
            self.env._("Points expired in %(program)s", program=self.program_id.name),
            self._ledger_period_domain() + [("kind", "=", "expire")]
        )

    def action_open_liability(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return self._action_ledger(
            self.env._("Outstanding points of %(program)s", program=self.program_id.name),
            [("program_id", "=", self.program_id.id)],
            context={"group_by": ["partner_id"]},
        )

    def _expiring_domain(self, days):
        today = fields.Date.context_today(self)
        return [
            ("program_id", "=", self.program_id.id),
            ("remaining_points", ">", 0),
            ("expiry_date", ">=", today),
            ("expiry_date", "<=", today + relativedelta(days=days)),
        ]

    def action_open_expiring_30d(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return self._action_ledger(
            self.env._("Points of %(program)s expiring within 30 days", program=self.program_id.name),
            self._expiring_domain(EXPIRING_SOON_DAYS),
        )

    def action_open_expiring_90d(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return self._action_ledger(
            self.env._("Points of %(program)s expiring within 90 days", program=self.program_id.name),
            self._expiring_domain(90),
        )

    def action_open_tier_graph(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return self._window(
            self.env._("Tier distribution of %(program)s", program=self.program_id.name),
            "wholesale.loyalty.member",
            [("program_id", "=", self.program_id.id)],
            view_mode="graph,list,form",
            context={"group_by": ["tier_id"], "graph_mode": "bar"},
        )

    def action_open_personal_offers(self):
        """The personal offers of the program that ran during the period: the offered items."""
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return self._window(
            self.env._("Personal offers of %(program)s", program=self.program_id.name),
            "wholesale.loyalty.personal.offer",
            [
                ("program_id", "=", self.program_id.id),
                ("date_from", "<=", self.date_to), ("date_to", ">=", self.date_from),
            ],
        )

    def action_open_memberships(self):
        """The paid memberships held during the period: the paying members."""
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return self._window(
            self.env._("Paid memberships of %(program)s", program=self.program_id.name),
            "wholesale.loyalty.membership",
            [
                ("program_id", "=", self.program_id.id), ("state", "!=", "cancelled"),
                ("date_start", "<=", self.date_to), ("date_end", ">=", self.date_from),
            ],
        )
