import uuid
from collections import Counter
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, float_round

from ..tools.batches import may_commit, run_in_batches
from ..tools.personal_offers import offer_end, offer_window, offers_enabled


class WholesaleLoyaltyPersonalOffer(models.Model):
    """A member's personal discount on a product it buys regularly.

    The nightly run (:meth:`_update_offers`) finds, for every program with offers on, the
    products each member bought in at least ``personal_offer_min_months`` of the last
    ``personal_offer_months`` full months (see ``tools/personal_offers.py``), and keeps one
    running offer per customer and product: still earned, it runs on; no longer earned, it
    ends the day before (history kept). Quotation lines of the product get the best of the
    pricelist discount, the tier discount and the offer.
    """

    _name = "wholesale.loyalty.personal.offer"
    _description = "Wholesale Loyalty Personal Offer"
    _order = "date_to desc, partner_id, product_id, id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, ondelete="cascade", index=True,
        domain="[('parent_id', '=', False)]",
    )
    program_id = fields.Many2one("wholesale.loyalty.program", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="program_id.company_id", store=True, index=True)
    product_id = fields.Many2one(
        "product.product", required=True, ondelete="cascade", index=True, check_company=True,
    )
    discount_percent = fields.Float(string="Discount (%)", digits="Discount", required=True)
    date_from = fields.Date(string="From", required=True, default=fields.Date.context_today)
    date_to = fields.Date(
        string="Until", required=True, index=True,
        help="Last day of the offer. The nightly run extends it while the customer keeps buying the "
        "product regularly, and ends it the day before it finds that no longer so.",
    )

    _sql_constraints = [
        (
            "discount_percent_range",
            "CHECK(discount_percent > 0 AND discount_percent <= 100)",
            "The discount of a personal offer must be above 0 and at most 100%.",
        ),
        ("period_order", "CHECK(date_from <= date_to)", "A personal offer must end on or after the day it starts."),
    ]

    @api.constrains("discount_percent", "date_from", "date_to")
    def _check_values(self):
        for offer in self:
            if not 0 < offer.discount_percent <= 100:
                raise ValidationError(self.env._(
                    "Personal offer of %(customer)s on %(product)s: the discount must be above 0 and at most 100%%.",
                    customer=offer.partner_id.display_name, product=offer.product_id.display_name,
                ))
            if offer.date_to < offer.date_from:
                raise ValidationError(self.env._(
                    "Personal offer of %(customer)s on %(product)s: it ends before it starts.",
                    customer=offer.partner_id.display_name, product=offer.product_id.display_name,
                ))

    # ------------------------------------------------------------------ reading offers

    @api.model
    def _running_domain(self, day):
        return [("date_from", "<=", day), ("date_to", ">=", day)]

    @api.model
    def _discounts(self, program, partner_ids, product_ids, day):
        """{(customer id, product id): discount} of the offers of ``program`` running on
        ``day`` for those customers and products: one grouped read. Nothing when the
        program gives no offers (switched off since the last nightly run)."""
        if not program or not program.personal_offer_months or not partner_ids or not product_ids:
            return {}
        groups = self._read_group(
            [("program_id", "=", program.id), ("partner_id", "in", list(partner_ids)),
             ("product_id", "in", list(product_ids)), *self._running_domain(day)],
            ["partner_id", "product_id"], ["discount_percent:max"],
        )
        return {(partner.id, product.id): discount for partner, product, discount in groups}

    # ------------------------------------------------------------------ the nightly run

    @api.model
    def _update_offers(self, programs=None, commit=False):
        """Bring the offers of ``programs`` (every program, archived ones included, by
        default) up to date with the purchase history: one GROUP BY and four set-based statements per program.
        Returns a Counter of offers ``created``, ``extended`` and ``ended``. Safe to run
        again: offers still earned are left or extended, never duplicated."""
        # sudo: the nightly rule keeps every member's offers, whoever starts it.
        offers = self.sudo()
        Program = offers.env["wholesale.loyalty.program"].with_context(active_test=False)
        programs = programs.sudo() if programs is not None else Program.search([])
        offers.env.flush_all()  # the statements read invoices, partners and offers with SQL
        commit = commit and may_commit(offers.env)

        def update(batch):
            # A few set-based statements that PostgreSQL's JIT would compile for longer than
            # they run (several times the work at 2,000 customers): off for them only, then
            # back as it was, like the planner setting of ``tools.batches.streamed`` (a failure
            # rolls the transaction back, and the setting with it).
            [(jit, _off)] = offers.env.execute_query(SQL(
                "SELECT current_setting('jit'), set_config('jit', 'off', true)"
            ))
            counts = offers._update_program_offers(batch)
            offers.env.execute_query(SQL("SELECT set_config('jit', %s, true)", jit))
            return counts

        run = run_in_batches(offers.env, programs, 1, update, commit=commit)
        self.invalidate_model()
        return sum(run.results, Counter())

    def _update_program_offers(self, program):
        """Apply the program's offer rule to all its members at once (see ``_update_offers``).

        The pairs earned today go to a temporary table first, analyzed: the statements that
        compare them with the offers are then planned on real row counts (the hash joins of
        a set-based pass, not the nested loops a guess of one row would give)."""
        program.ensure_one()
        today = program._today()
        discount = float_round(program.personal_offer_discount, precision_digits=2)
        enabled = program.active and offers_enabled(
            program.personal_offer_months, program.personal_offer_min_months, discount
        )
        earned = SQL.identifier(f"wholesale_offer_earned_{uuid.uuid4().hex[:12]}")
        nothing = SQL("SELECT NULL::int AS partner_id, NULL::int AS product_id WHERE FALSE")
        self.env.execute_query(SQL(
            "CREATE TEMPORARY TABLE %s ON COMMIT DROP AS %s", earned,
            self._earned_query(program, today) if enabled else nothing,
        ))
        self.env.execute_query(SQL("ANALYZE %s", earned))
        values = {
            "earned": earned, "program": program.id, "company": program.company_id.id, "discount": discount,
            "today": today, "yesterday": today - timedelta(days=1), "until": offer_end(today),
            "uid": self.env.uid, "now": fields.Datetime.now(),
        }
        running = SQL(
            "o.program_id = %(program)s AND o.date_from <= %(today)s AND o.date_to >= %(today)s", **values
        )
        still_earned = SQL(
            """o.discount_percent = %(discount)s
               AND EXISTS (SELECT 1 FROM %(earned)s e
                            WHERE e.partner_id = o.partner_id AND e.product_id = o.product_id)""",
            **values,
        )
        counts = Counter()
        counts["extended"] = len(self.env.execute_query(SQL(
            """UPDATE wholesale_loyalty_personal_offer o
                  SET date_to = %(until)s, write_uid = %(uid)s, write_date = %(now)s
                WHERE %(running)s AND %(still_earned)s AND o.date_to < %(until)s
            RETURNING o.id""",
            running=running, still_earned=still_earned, **values,
        )))
        counts["ended"] = len(self.env.execute_query(SQL(
            """UPDATE wholesale_loyalty_personal_offer o
                  SET date_to = %(yesterday)s, write_uid = %(uid)s, write_date = %(now)s
                WHERE %(running)s AND o.date_from < %(today)s AND NOT (%(still_earned)s)
            RETURNING o.id""",
            running=running, still_earned=still_earned, **values,
        )))
        # Found and lost on the same day: no history worth an offer of no day.
        counts["ended"] += len(self.env.execute_query(SQL(
            """DELETE FROM wholesale_loyalty_personal_offer o
                WHERE %(running)s AND o.date_from >= %(today)s AND NOT (%(still_earned)s)
            RETURNING o.id""",
            running=running, still_earned=still_earned, **values,
        )))
        # What runs of the program now is what is still earned: the other pairs start today.
        counts["created"] = len(self.env.execute_query(SQL(
            """INSERT INTO wholesale_loyalty_personal_offer
                      (partner_id, program_id, company_id, product_id, discount_percent, date_from, date_to,
                       create_uid, write_uid, create_date, write_date)
               SELECT e.partner_id, %(program)s, %(company)s, e.product_id, %(discount)s, %(today)s, %(until)s,
                      %(uid)s, %(uid)s, %(now)s, %(now)s
                 FROM %(earned)s e
                WHERE NOT EXISTS (SELECT 1 FROM wholesale_loyalty_personal_offer o
                                   WHERE %(running)s AND o.partner_id = e.partner_id AND o.product_id = e.product_id)
            RETURNING id""",
            running=running, **values,
        )))
        self.env.execute_query(SQL("DROP TABLE %s", earned))
        return +counts

    @api.model
    def _earned_query(self, program, today):
        """SELECT of (customer, product) of every member of ``program`` who bought the
        product in at least K of the last N full months: one GROUP BY over the goods lines
        of the window's posted invoices and credit notes, per customer, product and month.

        A month counts when its lines are worth more than zero net of credit notes; a credit
        note counts in the month of the invoice it reverses, so a month credited in full
        does not count even when the credit note came later. Services (paid-tier fees,
        discounts, points), down payments and the add-on's own products are no goods."""
        start, end = offer_window(today, program.personal_offer_months)
        # Members and goods go in as lists, which PostgreSQL checks by hash: the pass is the
        # window's GROUP BY itself, whatever the statistics of partners and products say
        # (a program enrolled tonight, products created today would otherwise be guessed at
        # one row and planned as nested loops over every line).
        # The lines are read by their own date (stored on the line): a credit note is dated
        # after its invoice, so every line of the window's months is among those from its
        # first day; the month each counts in is filtered after.
        return SQL(
            """
            SELECT bought.partner_id, bought.product_id
              FROM (SELECT m.commercial_partner_id AS partner_id, l.product_id,
                           date_trunc('month', CASE WHEN m.reversed_entry_id IS NULL THEN l.invoice_date
                                                    ELSE (SELECT r.invoice_date FROM account_move r
                                                           WHERE r.id = m.reversed_entry_id) END) AS month
                      FROM account_move_line l
                      JOIN account_move m ON m.id = l.move_id
                     WHERE %(documents)s
                       AND m.company_id = %(company)s
                       AND m.commercial_partner_id = ANY(%(members)s)
                       AND l.invoice_date >= %(start)s
                       AND %(goods_line)s
                       AND l.product_id = ANY(%(goods)s)
                  GROUP BY 1, 2, 3
                    HAVING SUM(-l.balance) > 0) AS bought
             WHERE bought.month BETWEEN %(start)s AND %(end)s
          GROUP BY bought.partner_id, bought.product_id
            HAVING COUNT(*) >= %(min_months)s
            """,
            documents=program._sale_documents_condition("m"), company=program.company_id.id,
            goods_line=self.env["account.move.line"]._wholesale_goods_condition("l"),
            members=self.env["wholesale.loyalty.tier.engine"]._member_ids(program), goods=self._goods_ids(),
            start=start, end=end, min_months=program.personal_offer_min_months,
        )

    @api.model
    def _goods_ids(self):
        """Ids of the products that are goods: no service (paid-tier fees, fitting), none of
        the add-on's own products (points, rebates, prepayment discounts)."""
        return [row[0] for row in self.env.execute_query(SQL(
            """SELECT pp.id FROM product_product pp JOIN product_template pt ON pt.id = pp.product_tmpl_id
                WHERE pt.type = 'consu' AND pp.id <> ALL(%s)""",
            self._own_product_ids(),
        ))]

    @api.model
    def _own_product_ids(self):
        """The add-on's own products (points, rebates, prepayment discounts): never goods."""
        refs = ("product_points_redemption", "product_volume_rebate", "product_prepayment_discount")
        products = [self.env.ref(f"wholesale_loyalty.{ref}", raise_if_not_found=False) for ref in refs]
        return [product.id for product in products if product] or [0]

    @api.model
    def _cron_update_personal_offers(self):
        """Nightly: the offers of every program, one program per committed batch."""
        self._update_offers(commit=True)
