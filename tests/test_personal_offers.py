"""Personal offers from purchase history: a member who bought a product in at least K of the
last N full months gets a discount on it (hand-computed cases: today is 2026-07-15, the six
full months looked back are January to June 2026, K is 3)."""
from datetime import date

from freezegun import freeze_time
from lxml import html

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.wholesale_loyalty.tools.personal_offers import (
    offer_end,
    offer_window,
    regular_products,
    settings_error,
)

from .common import WholesaleLoyaltyCommon

TODAY = "2026-07-15"


class PersonalOffersCommon(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.write({
            "personal_offer_months": 6, "personal_offer_min_months": 3, "personal_offer_discount": 8.0,
        })
        cls.Offer = cls.env["wholesale.loyalty.personal.offer"]
        cls.bolts = cls._product("Bolts")
        cls.nuts = cls._product("Nuts")
        cls.fitting = cls._product("Fitting service", type="service")

    @classmethod
    def _product(cls, name, **values):
        return cls.env["product.product"].create({"name": name, "type": "consu", "list_price": 100.0, **values})

    @classmethod
    def _sell(cls, partner, product, day, amount=100.0, move_type="out_invoice", company=None, **values):
        """A posted invoice (or credit note) of one line of ``product`` worth ``amount``."""
        line = values.pop("line", {})
        moves = cls.env["account.move"].with_company(company) if company else cls.env["account.move"]
        move = moves.create({
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": day,
            "invoice_line_ids": [Command.create({
                "product_id": product.id, "quantity": 1, "price_unit": amount, "tax_ids": [], **line,
            })],
            **values,
        })
        move.action_post()
        return move

    def _offers(self, program=None):
        return {
            (offer.partner_id, offer.product_id): offer
            for offer in self.Offer.search([("program_id", "=", (program or self.program).id)])
        }


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestPersonalOffers(PersonalOffersCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time(TODAY):
            # Alpha: bolts in 3 of the 6 months (an offer), nuts in 2 (none).
            for day in ("2026-01-10", "2026-03-10", "2026-05-10"):
                cls._sell(cls.customer, cls.bolts, day)
            for day in ("2026-02-10", "2026-04-10"):
                cls._sell(cls.customer, cls.nuts, day)
            # Beta: bolts in 3 months, but March credited in full in April: 2 months, no offer.
            # Nuts in 3 months, April credited in part: still 3 months, an offer.
            cls.beta = cls._customer("Beta Wholesale")
            for day in ("2026-01-12", "2026-02-12"):
                cls._sell(cls.beta, cls.bolts, day)
            march = cls._sell(cls.beta, cls.bolts, "2026-03-12")
            cls._sell(cls.beta, cls.bolts, "2026-04-02", move_type="out_refund", reversed_entry_id=march.id)
            for day in ("2026-02-20", "2026-03-20", "2026-04-20"):
                cls._sell(cls.beta, cls.nuts, day)
            cls._sell(cls.beta, cls.nuts, "2026-04-25", amount=50.0, move_type="out_refund")
            # Gamma: a service every month and bolts only as down payments: no goods bought.
            cls.gamma = cls._customer("Gamma Shops")
            for day in ("2026-01-05", "2026-02-05", "2026-03-05", "2026-04-05"):
                cls._sell(cls.gamma, cls.fitting, day)
                cls._sell(cls.gamma, cls.bolts, day, line={"is_downpayment": True})
            # Delta: bolts in December (before the window), January, February and this month
            # (not a full month yet): 2 months of the window.
            cls.delta = cls._customer("Delta Depot")
            for day in ("2025-12-05", "2026-01-05", "2026-02-05", "2026-07-02"):
                cls._sell(cls.delta, cls.bolts, day)

    def test_rules_without_database(self):
        today = date(2026, 7, 15)
        self.assertEqual(offer_window(today, 6), (date(2026, 1, 1), date(2026, 6, 30)))
        self.assertEqual(offer_end(today), date(2026, 8, 31))
        self.assertEqual(offer_end(date(2026, 12, 31)), date(2027, 1, 31))
        lines = [
            ("a", "bolts", date(2026, 1, 3), 10.0), ("a", "bolts", date(2026, 3, 3), 10.0),
            ("a", "bolts", date(2026, 6, 30), 10.0), ("b", "bolts", date(2026, 1, 3), 10.0),
            ("b", "bolts", date(2026, 2, 3), 10.0), ("b", "bolts", date(2026, 3, 3), 10.0),
            ("b", "bolts", date(2026, 3, 20), -10.0), ("c", "bolts", date(2026, 7, 1), 10.0),
        ]
        self.assertEqual(regular_products(lines, today, 6, 3), {("a", "bolts")})
        self.assertEqual(regular_products(lines, today, 6, 2), {("a", "bolts"), ("b", "bolts")})
        self.assertEqual(settings_error(6, 7, 5), "min_above_months")
        self.assertIsNone(settings_error(0, 3, 5), "offers switched off need no other setting")

    def test_members_get_offers_on_the_goods_they_buy_regularly(self):
        counts = self.Offer._update_offers(self.program)
        self.assertEqual(counts["created"], 2)
        offers = self._offers()
        self.assertEqual(set(offers), {(self.customer, self.bolts), (self.beta, self.nuts)})
        bolts = offers[self.customer, self.bolts]
        self.assertEqual(bolts.discount_percent, 8.0)
        self.assertEqual((bolts.date_from, bolts.date_to), (date(2026, 7, 15), date(2026, 8, 31)))
        self.assertEqual(bolts.company_id, self.program.company_id)

    def test_sql_agrees_with_the_rule_in_python(self):
        self.Offer._update_offers(self.program)
        lines = self.env["account.move.line"].search([
            ("move_id.commercial_partner_id", "in", (self.customer | self.beta | self.gamma | self.delta).ids),
            ("display_type", "=", "product"), ("product_id.type", "=", "consu"), ("is_downpayment", "=", False),
            ("parent_state", "=", "posted"),
        ])
        rows = [
            (line.move_id.commercial_partner_id.id, line.product_id.id,
             (line.move_id.reversed_entry_id or line.move_id).invoice_date, -line.balance)
            for line in lines
        ]
        expected = regular_products(rows, date(2026, 7, 15), 6, 3)
        found = {(partner.id, product.id) for partner, product in self._offers()}
        self.assertEqual(found, expected)

    def test_rerun_is_idempotent_extends_and_ends(self):
        self.Offer._update_offers(self.program)
        before = self._offers()
        again = self.Offer._update_offers(self.program)
        self.assertEqual(sum(again.values()), 0, "a second run the same day changes nothing")
        self.assertEqual(self._offers(), before)
        with freeze_time("2026-08-03"):
            # The window is now February to July: Alpha's January bolts left it (2 months),
            # Beta's nuts (February to April) still count.
            counts = self.Offer._update_offers(self.program)
        self.assertEqual((counts["extended"], counts["ended"], counts["created"]), (1, 1, 0))
        after = self._offers()
        self.assertEqual(after[self.beta, self.nuts], before[self.beta, self.nuts], "extended, not duplicated")
        self.assertEqual(after[self.beta, self.nuts].date_to, date(2026, 9, 30))
        self.assertEqual(after[self.customer, self.bolts].date_to, date(2026, 8, 2), "ended, history kept")
        self.assertEqual(len(self.Offer.search([("program_id", "=", self.program.id)])), 2)

    def test_offer_ends_when_a_month_is_credited_later(self):
        self.Offer._update_offers(self.program)
        may = self.env["account.move"].search([
            ("partner_id", "=", self.customer.id), ("invoice_date", "=", "2026-05-10"),
        ])
        with freeze_time("2026-07-20"):
            self._sell(self.customer, self.bolts, "2026-07-20", move_type="out_refund", reversed_entry_id=may.id)
            counts = self.Offer._update_offers(self.program)
        self.assertEqual(counts["ended"], 1)
        self.assertEqual(self._offers()[self.customer, self.bolts].date_to, date(2026, 7, 19))

    def test_offer_found_and_lost_the_same_day_leaves_nothing(self):
        self.Offer._update_offers(self.program)
        self.program.personal_offer_min_months = 4
        self.Offer._update_offers(self.program)
        self.assertFalse(self._offers(), "offers of no day are removed, not ended before they start")

    def test_switching_offers_off_ends_them(self):
        with freeze_time("2026-07-10"):
            self.Offer._update_offers(self.program)
        self.program.personal_offer_months = 0
        counts = self.Offer._update_offers(self.program)
        self.assertEqual(counts["ended"], 2)
        self.assertTrue(all(offer.date_to == date(2026, 7, 14) for offer in self._offers().values()))

    def test_new_discount_starts_a_new_offer(self):
        with freeze_time("2026-07-10"):
            self.Offer._update_offers(self.program)
        old = self._offers()[self.customer, self.bolts]
        self.program.personal_offer_discount = 6.0
        self.Offer._update_offers(self.program)
        offers = self.Offer.search([("partner_id", "=", self.customer.id)], order="id")
        self.assertEqual(offers.mapped("discount_percent"), [8.0, 6.0])
        self.assertEqual(old.date_to, date(2026, 7, 14))

    def test_two_companies_keep_their_offers_apart(self):
        other = self.setup_other_company()
        company = other["company"]
        program = self.env["wholesale.loyalty.program"].create({
            "name": "Other Program", "company_id": company.id,
            "partner_domain": str([("company_id", "=", company.id)]),
            "personal_offer_months": 6, "personal_offer_min_months": 3, "personal_offer_discount": 4.0,
            "tier_ids": [Command.create({"name": "Base", "threshold_amount": 0})],
        })
        epsilon = self.env["res.partner"].create({"name": "Epsilon", "is_company": True, "company_id": company.id})
        program.tier_ids.flush_model()
        self.engine._enroll(program)
        washers = self._product("Washers")
        for day in ("2026-02-01", "2026-03-01", "2026-04-01"):
            self._sell(epsilon, self.nuts, day, company=company, journal_id=other["default_journal_sale"].id)
            # Alpha buys washers from the other company: no offer in either program.
            self._sell(self.customer, washers, day, company=company, journal_id=other["default_journal_sale"].id)
        self.Offer._update_offers(self.program | program)
        self.assertEqual(set(self._offers(program)), {(epsilon, self.nuts)})
        self.assertEqual(self._offers(program)[epsilon, self.nuts].discount_percent, 4.0)
        self.assertEqual(set(self._offers()), {(self.customer, self.bolts), (self.beta, self.nuts)})
        user = self._company_user("wl_offer_rep", "sales_team.group_sale_salesman")
        self.assertFalse(self.Offer.with_user(user).search([("program_id", "=", program.id)]),
                         "users see the offers of their own companies only")


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestPersonalOffersOnQuotations(PersonalOffersCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time(TODAY):
            for day in ("2026-01-10", "2026-03-10", "2026-05-10"):
                cls._sell(cls.customer, cls.bolts, day)
            cls.Offer._update_offers(cls.program)

    def _quotation(self, *products):
        return self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1}) for product in products],
        })

    def test_offer_discount_on_its_product_only(self):
        self.assertTier(self.customer, self.silver)
        order = self._quotation(self.bolts, self.nuts)
        self.assertEqual(order.order_line.mapped("discount"), [8.0, 0.0])
        self.assertAlmostEqual(order.amount_untaxed, 92.0 + 100.0)

    def test_best_of_tier_and_offer_never_stacked(self):
        self._invoice(self.customer, 1000.0, "2026-07-01")  # Gold: 5%
        order = self._quotation(self.bolts, self.nuts)
        self.assertEqual(order.order_line.mapped("discount"), [8.0, 5.0], "the offer beats Gold's 5%")
        self._invoice(self.customer, 5000.0, "2026-07-02")  # Platinum: 10%
        order = self._quotation(self.bolts, self.nuts)
        self.assertEqual(order.order_line.mapped("discount"), [10.0, 10.0], "Platinum's 10% beats the offer")

    def test_best_of_pricelist_and_offer(self):
        self.env.ref("base.group_user").implied_ids += self.env.ref("sale.group_discount_per_so_line")
        pricelist = self.env["product.pricelist"].create({
            "name": "Twelve percent off",
            "item_ids": [Command.create({"compute_price": "percentage", "percent_price": 12.0,
                                         "applied_on": "3_global"})],
        })
        self.customer.property_product_pricelist = pricelist
        self.assertEqual(self._quotation(self.bolts).order_line.discount, 12.0, "the pricelist's 12% beats 8%")
        pricelist.item_ids.percent_price = 3.0
        self.assertEqual(self._quotation(self.bolts).order_line.discount, 8.0, "the offer beats the pricelist's 3%")

    def test_negotiated_and_accepted_discounts_are_kept(self):
        order = self._quotation(self.bolts)
        line = order.order_line
        line.discount = 3.0
        line.product_uom_qty = 4
        self.assertEqual(line.discount, 3.0, "a discount negotiated by hand stays")
        order.action_update_prices()
        self.assertEqual(line.discount, 8.0, "updating the prices applies the offer again")
        order.action_confirm()
        with freeze_time("2026-09-02"):
            self.Offer._update_offers(self.program)  # the window moved: no offer any more
            line.product_uom_qty = 5
        self.assertEqual(line.discount, 8.0, "a confirmed order keeps the discount the customer accepted")

    def test_contact_orders_get_the_company_offer_of_the_order_company(self):
        buyer = self.env["res.partner"].create({"name": "Buyer", "parent_id": self.customer.id})
        order = self.env["sale.order"].create({
            "partner_id": buyer.id, "order_line": [Command.create({"product_id": self.bolts.id})],
        })
        self.assertEqual(order.order_line.discount, 8.0)
        other = self.setup_other_company()["company"]
        elsewhere = self.env["sale.order"].with_company(other).create({
            "partner_id": self.customer.id, "company_id": other.id,
            "order_line": [Command.create({"product_id": self.bolts.id})],
        })
        self.assertEqual(elsewhere.order_line.discount, 0.0, "another company's quotation has no offer of ours")
        self.assertFalse(elsewhere.wholesale_offer_message)

    def test_banner_shows_the_regular_items(self):
        order = self._quotation(self.bolts, self.nuts)
        self.assertEqual(order.wholesale_offer_message, "Your regular items: 8% off Bolts")
        self.assertEqual(self._quotation(self.nuts).wholesale_offer_message,
                         "Your regular items: 8% off Bolts", "one product is named, not counted")
        self.program.personal_offer_months = 0
        self.assertFalse(self._quotation(self.bolts).wholesale_offer_message)
        self.assertEqual(self._quotation(self.bolts).order_line.discount, 0.0, "offers switched off give nothing")

    def test_kpi_uptake_and_revenue(self):
        beta = self._customer("Beta Wholesale")
        for day in ("2026-01-10", "2026-03-10", "2026-05-10"):
            self._sell(beta, self.nuts, day)
        self.Offer._update_offers(self.program)
        with freeze_time("2026-07-20"):
            self._sell(self.customer, self.bolts, "2026-07-20", amount=500.0, line={"discount": 8.0})
            self._sell(beta, self.nuts, "2026-07-20", amount=500.0)  # no offer discount: not taken up
        kpi = self.env["wholesale.loyalty.kpi"].create({
            "program_id": self.program.id, "date_from": "2026-07-01", "date_to": "2026-07-31",
        })
        self.assertEqual((kpi.offer_item_count, kpi.offer_taken_count), (2, 1))
        self.assertAlmostEqual(kpi.offer_uptake_rate, 50.0)
        self.assertAlmostEqual(kpi.offer_revenue, 460.0)
        action = kpi.action_open_personal_offers()
        self.assertEqual(self.env["wholesale.loyalty.personal.offer"].search_count(action["domain"]), 2)


@tagged("post_install", "-at_install")
class TestPersonalOfferSettingsAndRights(PersonalOffersCommon):

    def test_bad_settings_are_refused_and_nothing_written(self):
        cases = (
            ({"personal_offer_months": -1}, "cannot be negative"),
            ({"personal_offer_min_months": 7}, "more than the 6 months"),
            ({"personal_offer_min_months": 0}, "at least 1 month"),
            ({"personal_offer_discount": 100.5}, "between 0 and 100%"),
            ({"personal_offer_discount": -1}, "between 0 and 100%"),
        )
        for values, message in cases:
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, message):
                self.program.write(values)
            self.program.invalidate_recordset()
            self.assertEqual(
                (self.program.personal_offer_months, self.program.personal_offer_min_months,
                 self.program.personal_offer_discount), (6, 3, 8.0), "nothing written",
            )
        programs = self.env["wholesale.loyalty.program"].search_count([])
        with self.assertRaisesRegex(ValidationError, "more than the 2 months"):
            self.env["wholesale.loyalty.program"].create({
                "name": "Bad", "personal_offer_months": 2, "personal_offer_min_months": 3,
            })
        self.assertEqual(self.env["wholesale.loyalty.program"].search_count([]), programs)
        self.program.personal_offer_months = 0
        self.assertEqual(self.program.personal_offer_min_months, 3, "switched off, the other settings stay")

    def test_sales_rep_reads_offers_only_administrator_manages_them(self):
        today = fields.Date.today()
        offer = self.Offer.create({
            "partner_id": self.customer.id, "program_id": self.program.id, "product_id": self.bolts.id,
            "discount_percent": 8.0, "date_to": today,
        })
        rep = self._company_user("wl_offer_sales_rep", "sales_team.group_sale_salesman")
        self.assertEqual(self.Offer.with_user(rep).search([("program_id", "=", self.program.id)]), offer)
        values = {"partner_id": self.customer.id, "program_id": self.program.id, "product_id": self.nuts.id,
                  "discount_percent": 50.0, "date_to": today}
        with self.assertRaises(AccessError):
            self.Offer.with_user(rep).create(values)
        with self.assertRaises(AccessError):
            offer.with_user(rep).write({"discount_percent": 90.0})
        admin = self._company_user("wl_offer_admin", "sales_team.group_sale_salesman,"
                                   "wholesale_loyalty.group_wholesale_loyalty_manager")
        self.assertTrue(self.Offer.with_user(admin).create(values))
        with self.assertRaisesRegex(ValidationError, "above 0 and at most 100%"), self.cr.savepoint():
            offer.with_user(admin).write({"discount_percent": 120.0})
        offer.invalidate_recordset()
        self.assertEqual(offer.discount_percent, 8.0)


@tagged("post_install", "-at_install")
class TestPersonalOffersPortal(PersonalOffersCommon, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.today()
        cls.other = cls._customer("Other Wholesale")
        for partner, product in ((cls.customer, cls.bolts), (cls.other, cls.nuts)):
            cls.Offer.create({
                "partner_id": partner.id, "program_id": cls.program.id, "product_id": product.id,
                "discount_percent": 8.0, "date_from": today, "date_to": date(today.year + 1, 1, 31),
            })
        cls.Offer.create({  # ended yesterday: no longer shown
            "partner_id": cls.customer.id, "program_id": cls.program.id, "product_id": cls.fitting.id,
            "discount_percent": 9.0, "date_from": date(today.year - 1, 1, 1), "date_to": date(today.year - 1, 2, 1),
        })
        buyer = cls.env["res.partner"].create({"name": "Offer Buyer", "parent_id": cls.customer.id})
        cls.portal_user = new_test_user(
            cls.env, login="wl_offer_portal", password="wl_offer_portal_pw", groups="base.group_portal",
            partner_id=buyer.id, company_id=cls.program.company_id.id, company_ids=[cls.program.company_id.id],
        )

    def test_portal_lists_own_running_offers_only(self):
        self.authenticate("wl_offer_portal", "wl_offer_portal_pw")
        response = self.url_open("/my/wholesale-loyalty")
        self.assertEqual(response.status_code, 200)
        rows = html.fromstring(response.text).xpath("//tr[contains(@class, 'o_wholesale_offer_row')]")
        self.assertEqual(len(rows), 1)
        cells = [" ".join(cell.text_content().split()) for cell in rows[0].xpath("./td")]
        self.assertEqual(cells[:2], ["Bolts", "8%"])
        self.assertNotIn("Nuts", response.text)
        self.assertNotIn("Fitting service", response.text)

    def test_portal_user_cannot_read_offers_directly(self):
        with self.assertRaises(AccessError):
            self.Offer.with_user(self.portal_user).search([])
