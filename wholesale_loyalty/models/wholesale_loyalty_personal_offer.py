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
        default) up to date with the purchase history: one set-based statement per program.
        Returns a Counter of offers ``created``, ``extended`` and ``ended``. Safe to run
        again: offers still earned are left or extended, never duplicated."""
        # sudo: the nightly rule keeps every member's offers, whoever starts it.
        offers = self.sudo()
        Program = offers.env["wholesale.loyalty.program"].with_context(active_test=False)
        programs = programs.sudo() if programs is not None else Program.search([])
        offers.env.flush_all()  # the statement reads invoices, partners and offers with SQL
        run = run_in_batches(
            offers.env, programs, 1, lambda batch: offers._update_program_offers(batch),
            commit=commit and may_commit(offers.env),
        )
        self.invalidate_model()
        return sum(run.results, Counter())

    def _update_program_offers(self, program):
        """Apply the program's offer rule to all its members at once (see ``_update_offers``)."""
        program.ensure_one()
        today = program._today()
        discount = float_round(program.personal_offer_discount, precision_digits=2)
        enabled = program.active and offers_enabled(
            program.personal_offer_months, program.personal_offer_min_months, discount
        )
        earned = self._earned_query(program, today) if enabled else SQL(
            "SELECT NULL::int, NULL::int WHERE FALSE"
        )
        [row] = self.env.execute_query(SQL(
            """
            WITH earned(partner_id, product_id) AS MATERIALIZED (%(earned)s),
            running AS (
                SELECT id, partner_id, product_id, discount_percent, date_from, date_to
                  FROM wholesale_loyalty_personal_offer
                 WHERE program_id = %(program)s AND date_from <= %(today)s AND date_to >= %(today)s
            ), kept AS (
                SELECT r.id, r.date_to FROM running r
                  JOIN earned e ON e.partner_id = r.partner_id AND e.product_id = r.product_id
                 WHERE r.discount_percent = %(discount)s
            ), extended AS (
                UPDATE wholesale_loyalty_personal_offer o
                   SET date_to = %(until)s, write_uid = %(uid)s, write_date = %(now)s
                  FROM kept k
                 WHERE o.id = k.id AND k.date_to < %(until)s
             RETURNING o.id
            ), ended AS (
                UPDATE wholesale_loyalty_personal_offer o
                   SET date_to = %(yesterday)s, write_uid = %(uid)s, write_date = %(now)s
                  FROM running r
                 WHERE o.id = r.id AND r.date_from < %(today)s AND r.id NOT IN (SELECT id FROM kept)
             RETURNING o.id
            ), dropped AS (
                -- Found and lost on the same day: no history worth an offer of no day.
                DELETE FROM wholesale_loyalty_personal_offer o
                 USING running r
                 WHERE o.id = r.id AND r.date_from >= %(today)s AND r.id NOT IN (SELECT id FROM kept)
             RETURNING o.id
            ), created AS (
                INSERT INTO wholesale_loyalty_personal_offer
                       (partner_id, program_id, company_id, product_id, discount_percent, date_from, date_to,
                        create_uid, write_uid, create_date, write_date)
                SELECT e.partner_id, %(program)s, %(company)s, e.product_id, %(discount)s, %(today)s, %(until)s,
                       %(uid)s, %(uid)s, %(now)s, %(now)s
                  FROM earned e
                 WHERE NOT EXISTS (SELECT 1 FROM kept k JOIN running r ON r.id = k.id
                                    WHERE r.partner_id = e.partner_id AND r.product_id = e.product_id)
             RETURNING id
            )
            SELECT (SELECT COUNT(*) FROM created), (SELECT COUNT(*) FROM extended),
                   (SELECT COUNT(*) FROM ended) + (SELECT COUNT(*) FROM dropped)
            """,
            earned=earned, program=program.id, company=program.company_id.id, discount=discount,
            today=today, yesterday=today - timedelta(days=1), until=offer_end(today),
            uid=self.env.uid, now=fields.Datetime.now(),
        ))
        return Counter(dict(zip(("created", "extended", "ended"), row, strict=True)))

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
        return SQL(
            """
            SELECT bought.partner_id, bought.product_id
              FROM (SELECT m.commercial_partner_id AS partner_id, l.product_id
                      FROM account_move_line l
                      JOIN account_move m ON m.id = l.move_id
                      LEFT JOIN account_move r ON r.id = m.reversed_entry_id
                      JOIN product_product pp ON pp.id = l.product_id
                      JOIN product_template pt ON pt.id = pp.product_tmpl_id
                      JOIN res_partner p ON p.id = m.commercial_partner_id
                     WHERE %(documents)s
                       AND m.company_id = %(company)s
                       AND m.invoice_date >= %(start)s
                       AND COALESCE(r.invoice_date, m.invoice_date) BETWEEN %(start)s AND %(end)s
                       AND l.display_type = 'product'
                       AND l.is_downpayment IS NOT TRUE
                       AND pt.type = 'consu'
                       AND l.product_id <> ALL(%(own_products)s)
                       AND p.wholesale_program_id = %(program)s
                  GROUP BY m.commercial_partner_id, l.product_id,
                           date_trunc('month', COALESCE(r.invoice_date, m.invoice_date))
                    HAVING SUM(-l.balance) > 0) AS bought
          GROUP BY bought.partner_id, bought.product_id
            HAVING COUNT(*) >= %(min_months)s
            """,
            documents=program._sale_documents_condition("m"), company=program.company_id.id,
            start=start, end=end, own_products=self._own_product_ids(), program=program.id,
            min_months=program.personal_offer_min_months,
        )

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
