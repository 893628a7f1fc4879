"""Benefits that change documents: the tier's pricelist, personal manager, free shipping,
products reserved to a tier and the return window."""
from freezegun import freeze_time
from lxml import html

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestTierPricelist(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.program.company_id
        cls.own_pricelist, cls.gold_pricelist, cls.platinum_pricelist, cls.manual_pricelist = (
            cls.env["product.pricelist"].create([
                {"name": name, "company_id": company.id}
                for name in ("Own terms", "Gold customers", "Platinum customers", "Negotiated")
            ])
        )
        cls.gold.pricelist_id = cls.gold_pricelist
        cls.customer.property_product_pricelist = cls.own_pricelist
        cls.buyer = cls.env["res.partner"].create({"name": "Alpha Buyer", "parent_id": cls.customer.id})

    def assertPricelist(self, pricelist, partners=None):
        for partner in partners or self.customer | self.buyer:
            partner.invalidate_recordset()
            self.assertEqual(partner.property_product_pricelist, pricelist, partner.name)

    def test_upgrade_sets_tier_pricelist_on_customer_and_contacts(self):
        self.assertPricelist(self.own_pricelist)
        with freeze_time("2026-04-01"):
            self._invoice(self.customer, 1500.0, "2026-04-01")
        self.assertTier(self.customer, self.gold)
        self.assertPricelist(self.gold_pricelist)
        order = self.env["sale.order"].create({"partner_id": self.buyer.id})
        self.assertEqual(order.pricelist_id, self.gold_pricelist, "a contact's quotation prices with it")
        self.assertEqual(order.wholesale_tier_pricelist_id, self.gold_pricelist, "the banner names it")
        self.assertEqual(self.customer.wholesale_status()[0]["pricelist"], "Gold customers")

    def test_downgrade_gives_back_own_pricelist(self):
        with freeze_time("2026-04-01"):
            invoice = self._invoice(self.customer, 1500.0, "2026-04-01")
            self._refund(invoice, 1500.0, "2026-04-01")
        self.assertTier(self.customer, self.silver)
        self.assertPricelist(self.own_pricelist)

    def test_moving_between_tiers_with_pricelists(self):
        self.platinum.pricelist_id = self.platinum_pricelist
        with freeze_time("2026-04-01"):
            first = self._invoice(self.customer, 1500.0, "2026-04-01")
            invoice = self._invoice(self.customer, 4000.0, "2026-04-01")
            self.assertTier(self.customer, self.platinum)
            self.assertPricelist(self.platinum_pricelist)
            self._refund(invoice, 4000.0, "2026-04-01")
            self.assertTier(self.customer, self.gold)
            self.assertPricelist(self.gold_pricelist)
            self._refund(first, 1500.0, "2026-04-01")
        self.assertTier(self.customer, self.silver)
        # The customer's own pricelist survives two tiers with pricelists of their own.
        self.assertPricelist(self.own_pricelist)

    def test_pricelist_chosen_by_hand_is_not_replaced(self):
        with freeze_time("2026-04-01"):
            invoice = self._invoice(self.customer, 1500.0, "2026-04-01")
            self.customer.property_product_pricelist = self.manual_pricelist
            self._refund(invoice, 1500.0, "2026-04-01")
        self.assertTier(self.customer, self.silver)
        self.assertPricelist(self.manual_pricelist, self.customer)

    def test_locked_tier_gets_and_keeps_its_pricelist(self):
        self.customer.write({"wholesale_tier_id": self.gold.id, "wholesale_tier_locked": True,
                             "wholesale_tier_lock_reason": "Key account"})
        self.assertPricelist(self.gold_pricelist)
        self.customer.wholesale_recompute_tier()
        self.assertTier(self.customer, self.gold)
        self.assertPricelist(self.gold_pricelist)

    def test_leaving_the_program_gives_back_own_pricelist(self):
        with freeze_time("2026-04-01"):
            self._invoice(self.customer, 1500.0, "2026-04-01")
            self.assertPricelist(self.gold_pricelist)
            self.customer.category_id = [Command.unlink(self.member_tag.id)]
            self.customer.wholesale_recompute_tier()
        self.assertFalse(self.customer.wholesale_program_id)
        self.assertPricelist(self.own_pricelist)

    def test_pricelist_of_another_company_is_refused(self):
        other = self.setup_other_company()["company"]
        foreign = self.env["product.pricelist"].create({"name": "Foreign", "company_id": other.id})
        with self.assertRaisesRegex(ValidationError, "Platinum.*Foreign"), self.cr.savepoint():
            self.platinum.pricelist_id = foreign
        self.platinum.invalidate_recordset()
        self.assertFalse(self.platinum.pricelist_id)


@tagged("post_install", "-at_install")
class TestTierManager(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls._company_user("wl_personal_manager", "sales_team.group_sale_salesman",
                                        name="Personal Manager")
        cls.usual_rep = cls._company_user("wl_usual_rep", "sales_team.group_sale_salesman", name="Usual Rep")
        cls.key_team = cls.env["crm.team"].create({"name": "Key Accounts", "company_id": cls.program.company_id.id})
        cls.gold.write({"manager_user_id": cls.manager.id, "manager_team_id": cls.key_team.id})

    def _notes(self, partner):
        return partner.message_ids.filtered(lambda message: "personal manager" in (message.body or ""))

    def test_upgrade_assigns_manager_to_customer_without_one(self):
        with freeze_time("2026-04-01"):
            self._invoice(self.customer, 1500.0, "2026-04-01")
        self.assertEqual(self.customer.user_id, self.manager)
        self.assertEqual(self.customer.wholesale_team_id, self.key_team)
        order = self.env["sale.order"].create({"partner_id": self.customer.id})
        self.assertEqual((order.user_id, order.team_id), (self.manager, self.key_team))
        self.assertEqual(len(self._notes(self.customer)), 1)
        self.assertIn("Personal Manager", self._notes(self.customer).body)

    def test_if_none_keeps_the_customers_salesperson(self):
        self.customer.user_id = self.usual_rep
        with freeze_time("2026-04-01"):
            self._invoice(self.customer, 1500.0, "2026-04-01")
        self.assertEqual(self.customer.user_id, self.usual_rep)
        self.assertEqual(self.customer.wholesale_team_id, self.key_team, "the team was missing: it is given")

    def test_always_replaces_the_salesperson(self):
        self.gold.manager_assignment = "always"
        self.customer.user_id = self.usual_rep
        with freeze_time("2026-04-01"):
            self._invoice(self.customer, 1500.0, "2026-04-01")
        self.assertEqual(self.customer.user_id, self.manager)
        self.assertEqual(len(self._notes(self.customer)), 1)

    def test_downgrade_assigns_nobody(self):
        self.silver.manager_user_id = self.usual_rep
        with freeze_time("2026-04-01"):
            invoice = self._invoice(self.customer, 1500.0, "2026-04-01")
            self.customer.user_id = False
            self._refund(invoice, 1500.0, "2026-04-01")
        self.assertTier(self.customer, self.silver)
        self.assertFalse(self.customer.user_id)


@tagged("post_install", "-at_install")
class TestFreeShipping(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gold.write({"free_shipping": True, "free_shipping_min_amount": 500.0})
        cls.carrier = cls._express_carrier()
        with freeze_time("2026-04-01"):
            cls._invoice(cls.customer, 1500.0, "2026-04-01")

    def test_gold_quotation_ships_free_with_the_reason(self):
        order, delivery = self._quotation_with_delivery(self.carrier)
        self.assertEqual(order.wholesale_tier_id, self.gold)
        self.assertEqual(delivery.price_unit, 0.0)
        self.assertIn("Free shipping: Gold tier", delivery.name)
        self.assertAlmostEqual(delivery.wholesale_carrier_price, 20.0)

    def test_a_carrier_free_over_an_amount_gives_the_line_one_reason_the_tiers(self):
        self.carrier.write({"free_over": True, "amount": 800.0})
        _order, delivery = self._quotation_with_delivery(self.carrier)
        self.assertEqual(delivery.price_unit, 0.0)
        self.assertEqual(delivery.name.split("\n"), ["Express", "Free shipping: Gold tier"])

    def test_removing_the_tier_restores_the_carrier_price(self):
        order, delivery = self._quotation_with_delivery(self.carrier)
        order.wholesale_tier_id = False
        self.assertAlmostEqual(delivery.price_unit, 20.0)
        self.assertNotIn("Free shipping", delivery.name)
        order.action_wholesale_refresh_tier()
        self.assertEqual(delivery.price_unit, 0.0)
        self.assertEqual(delivery.name.count("Free shipping"), 1)

    def test_below_the_minimum_pays_the_carrier(self):
        order, delivery = self._quotation_with_delivery(self.carrier, price=400.0)
        self.assertAlmostEqual(delivery.price_unit, 20.0, msg="380 of goods is below the 500 minimum")
        order.order_line.filtered(lambda line: not line.is_delivery).price_unit = 1000.0
        self.assertEqual(delivery.price_unit, 0.0)
        order.order_line.filtered(lambda line: not line.is_delivery).product_uom_qty = 0.1
        self.assertAlmostEqual(delivery.price_unit, 20.0)

    def test_silver_customer_pays_shipping(self):
        silver_customer = self._customer("Beta Silver")
        order = self.env["sale.order"].create({
            "partner_id": silver_customer.id,
            "order_line": [Command.create({"product_id": self.product_a.id, "price_unit": 1000.0})],
        })
        order.set_delivery_line(self.carrier, 20.0)
        self.assertAlmostEqual(order.order_line.filtered("is_delivery").price_unit, 20.0)

    def test_confirmed_order_keeps_free_shipping(self):
        order, delivery = self._quotation_with_delivery(self.carrier)
        order.action_confirm()
        order.wholesale_tier_id = False
        self.assertEqual(delivery.price_unit, 0.0)

    def test_negative_minimum_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "Gold"), self.cr.savepoint():
            self.gold.free_shipping_min_amount = -1
        self.gold.invalidate_recordset()
        self.assertAlmostEqual(self.gold.free_shipping_min_amount, 500.0)


@tagged("post_install", "-at_install")
class TestExclusiveProducts(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rep = cls._company_user("wl_exclusive_rep", "sales_team.group_sale_salesman")
        cls.loyalty_admin = cls._company_user(
            "wl_exclusive_admin",
            "sales_team.group_sale_salesman_all_leads,wholesale_loyalty.group_wholesale_loyalty_manager",
        )
        cls.product_b.product_tmpl_id.wholesale_exclusive_tier_id = cls.platinum
        with freeze_time("2026-04-01"):
            cls._invoice(cls.customer, 1500.0, "2026-04-01")

    def _exclusive_quotation(self, partner=None):
        """The sales rep's quotation of the exclusive product B."""
        return self._quotation(partner, lines=((self.product_b, 1),), user=self.rep)

    def test_sales_rep_is_warned_when_adding_the_product(self):
        order = self.env["sale.order"].with_user(self.rep).create({"partner_id": self.customer.id})
        line = self.env["sale.order.line"].with_user(self.rep).new({"order_id": order.id})
        line.product_id = self.product_b
        warning = line._onchange_product_id_wholesale_exclusive()["warning"]
        for name in (self.product_b.display_name, "Platinum", "Alpha Trading", "Gold"):
            self.assertIn(name, warning["message"])
        self.assertIn("Platinum", self._exclusive_quotation().wholesale_exclusive_warning)

    def test_confirmation_is_refused(self):
        order = self._exclusive_quotation()
        with self.assertRaisesRegex(UserError, "product_b.*Platinum.*Alpha Trading"):
            order.action_confirm()
        self.assertEqual(order.state, "draft")

    def test_sales_rep_cannot_allow_it_even_with_a_context_key(self):
        order = self._exclusive_quotation()
        for context in ({}, {"wholesale_notifying": True}, {"wholesale_exclusive_override": True}):
            with self.assertRaises(AccessError), self.cr.savepoint():
                order.with_user(self.rep).with_context(**context).write(
                    {"wholesale_exclusive_override_reason": "Good customer"}
                )
        with self.assertRaises(AccessError):
            order.with_user(self.rep).write({"wholesale_exclusive_override_user_id": self.rep.id})
        with self.assertRaises(AccessError):
            self.env["sale.order"].with_user(self.rep).create({
                "partner_id": self.customer.id, "wholesale_exclusive_override_reason": "Good customer",
            })
        self.assertFalse(order.wholesale_exclusive_override_reason)

    def test_loyalty_administrator_allows_it_with_a_reason(self):
        order = self._exclusive_quotation()
        order.with_user(self.loyalty_admin).write({"wholesale_exclusive_override_reason": "  Launch partner  "})
        self.assertEqual(order.wholesale_exclusive_override_reason, "Launch partner")
        self.assertEqual(order.wholesale_exclusive_override_user_id, self.loyalty_admin)
        order.with_user(self.rep).action_confirm()
        self.assertEqual(order.state, "sale")
        # Who allowed it and why go to the order's chatter (the fixtures switch tracking off).
        self.assertTrue(order._fields["wholesale_exclusive_override_reason"].tracking)
        self.assertTrue(order._fields["wholesale_exclusive_override_user_id"].tracking)
        self.assertFalse(order.copy().wholesale_exclusive_override_reason, "a copy is checked again")

    def test_allowance_covers_only_the_products_it_was_given_for(self):
        order = self._exclusive_quotation()
        order.with_user(self.loyalty_admin).write({"wholesale_exclusive_override_reason": "Launch partner"})
        self.assertEqual(order.wholesale_exclusive_override_product_ids, self.product_b)
        expensive = self.env["product.product"].create({
            "name": "Reserved press", "list_price": 5000, "wholesale_exclusive_tier_id": self.platinum.id,
        })
        order.with_user(self.rep).write({"order_line": [Command.create({"product_id": expensive.id,
                                                                         "product_uom_qty": 10})]})
        with self.assertRaisesRegex(UserError, "Reserved press"):
            order.with_user(self.rep).action_confirm()
        self.assertEqual(order.state, "draft")
        with self.assertRaises(AccessError):
            order.with_user(self.rep).write({"wholesale_exclusive_override_product_ids": [Command.link(expensive.id)]})
        order.with_user(self.loyalty_admin).write({"wholesale_exclusive_override_reason": "Launch partner, press too"})
        self.assertEqual(order.wholesale_exclusive_override_product_ids, self.product_b | expensive)
        order.with_user(self.rep).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_allowance_is_for_the_customer_it_was_given_for(self):
        order = self._exclusive_quotation()
        order.with_user(self.loyalty_admin).write({"wholesale_exclusive_override_reason": "Launch partner"})
        order.with_user(self.rep).write({"partner_id": self._customer("Other Buyer").id})
        self.assertFalse(order.wholesale_exclusive_override_reason)
        self.assertFalse(order.wholesale_exclusive_override_product_ids)
        with self.assertRaises(UserError):
            order.with_user(self.rep).action_confirm()

    def test_blank_reason_allows_nothing(self):
        order = self._exclusive_quotation()
        order.with_user(self.loyalty_admin).write({"wholesale_exclusive_override_reason": "   "})
        self.assertFalse(order.wholesale_exclusive_override_user_id)
        with self.assertRaises(UserError):
            order.action_confirm()

    def test_higher_tier_may_buy(self):
        big = self._customer("Gamma Platinum")
        with freeze_time("2026-04-01"):
            self._invoice(big, 6000.0, "2026-04-01")
        order = self._exclusive_quotation(big)
        self.assertFalse(order.wholesale_exclusive_warning)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_early_access_ends_after_the_date(self):
        template = self.product_b.product_tmpl_id
        with freeze_time("2026-05-10"):
            template.wholesale_exclusive_until = "2026-05-10"
            with self.assertRaisesRegex(UserError, "until"):
                self._exclusive_quotation().action_confirm()
        with freeze_time("2026-05-11"):
            order = self._exclusive_quotation()
            self.assertFalse(order.wholesale_exclusive_warning)
            order.action_confirm()
            self.assertEqual(order.state, "sale")

    def test_date_without_tier_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "early access"):
            self.product_a.product_tmpl_id.wholesale_exclusive_until = "2026-05-10"


@tagged("post_install", "-at_install")
class TestReturnWindow(WholesaleLoyaltyCommon, HttpCase):

    def test_return_days_on_portal_and_statement(self):
        self.gold.return_days = 60
        with freeze_time("2026-04-01"):
            self._invoice(self.customer, 1500.0, "2026-04-01")
        buyer = self.env["res.partner"].create({
            "name": "Returning Buyer", "email": "returning.buyer@example.com", "parent_id": self.customer.id,
        })
        company = self.program.company_id
        new_test_user(self.env, login="wl_returns_portal", password="wl_returns_portal_pw",
                      groups="base.group_portal", partner_id=buyer.id, company_id=company.id,
                      company_ids=[company.id])
        self.authenticate("wl_returns_portal", "wl_returns_portal_pw")
        card = html.fromstring(self.url_open("/my/wholesale-loyalty").text)
        returns = card.xpath("//*[contains(@class, 'o_wholesale_return_days')]")
        self.assertEqual(" ".join(returns[0].text_content().split()),
                         "Returns accepted within 60 days of delivery.")
        content, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "wholesale_loyalty_reports.report_loyalty_statement", self.customer.ids
        )
        statement = html.fromstring(content).xpath("//*[contains(@class, 'o_statement_return_days')]")
        self.assertIn("within 60 days", statement[0].text_content())

    def test_return_days_in_status(self):
        self.gold.return_days = 60
        with freeze_time("2026-04-01"):
            self._invoice(self.customer, 1500.0, "2026-04-01")
        status = self.customer.wholesale_status()[0]
        self.assertEqual(status["return_days"], 60)
        self.assertFalse(status["free_shipping"])

    def test_negative_return_days_are_refused_naming_the_tier(self):
        with self.assertRaisesRegex(ValidationError, "Gold.*Test Program.*-5"), self.cr.savepoint():
            self.gold.return_days = -5
        with self.assertRaisesRegex(ValidationError, "Diamond"):
            self.env["wholesale.loyalty.tier"].create({
                "program_id": self.program.id, "name": "Diamond", "threshold_amount": 9000, "return_days": -1,
            })
        self.gold.invalidate_recordset()
        self.assertEqual(self.gold.return_days, 0)
        self.assertFalse(self.program.tier_ids.filtered(lambda tier: tier.name == "Diamond"))
