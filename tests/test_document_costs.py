"""What every document reads without asking the database: the registry's caches follow each
change of what they hold, and the views of an account follow the statements that write it."""
from odoo import Command
from odoo.tests import tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestCachedRules(WholesaleLoyaltyCommon):
    """Bonus rules, paid tiers, the tiers' points terms and the company's timezone are cached:
    each counts from the next document after a change."""

    def test_a_bonus_rule_counts_from_the_next_document(self):
        rules, points = self.env["wholesale.loyalty.bonus.rule"], self.env["wholesale.loyalty.points"]
        self.assertNotIn(self.program.id, rules._program_ids_with_rules("early_payment"))
        self.assertFalse(points._rules(self.program, "early_payment"))
        rule = rules.create({
            "name": "Early", "program_id": self.program.id, "trigger": "early_payment", "days_early": 5, "points": 7,
        })
        self.assertIn(self.program.id, rules._program_ids_with_rules("early_payment"))
        self.assertEqual(points._rules(self.program, "early_payment"), rule)
        rule.trigger = "first_order"
        self.assertIn(self.program.id, rules._program_ids_with_rules("first_order"))
        self.assertFalse(points._rules(self.program, "early_payment"))

    def test_the_first_paid_tier_of_a_program_is_seen_by_the_engine(self):
        memberships = self.env["wholesale.loyalty.membership"]
        self.assertNotIn(self.program.id, memberships._program_ids_with_memberships())
        self.assertEqual(memberships._tier_floors(self.program, self.customer.ids, self.program._today()), {})
        today = self.program._today()
        memberships.sudo().create({
            "partner_id": self.customer.id, "program_id": self.program.id, "tier_id": self.platinum.id,
            "company_id": self.program.company_id.id, "state": "active",
            "date_start": today, "date_end": today.replace(year=today.year + 1),
        })
        self.assertIn(self.program.id, memberships._program_ids_with_memberships())
        self.assertEqual(memberships._tier_floors(self.program, self.customer.ids, today),
                         {self.customer.id: self.platinum.id})
        self.engine._evaluate_partners(self.customer, "manual")
        self.assertTier(self.customer, self.platinum)

    def test_a_tier_earns_with_its_points_terms_as_they_are_now(self):
        self.assertEqual(self.program._multiplier(self.gold), 1.5)
        self.assertFalse(self.program._points_never_expire(self.gold))
        self.gold.write({"points_multiplier": 2.0, "points_never_expire": True})
        self.assertEqual(self.program._multiplier(self.gold), 2.0)
        self.assertTrue(self.program._points_never_expire(self.gold))
        self.assertEqual(self.program._multiplier(self.env["wholesale.loyalty.tier"]), 1.0)
        self.program.points_amount_step, self.program.points_per_step = 100.0, 1
        self.assertEqual(self.program._points_for(1000.0, self.gold), 20)

    def test_the_company_timezone_follows_its_partner(self):
        programs = self.env["wholesale.loyalty.program"]
        company = self.program.company_id
        company.partner_id.tz = "Asia/Tokyo"
        self.assertEqual(programs._company_timezone(company), "Asia/Tokyo")
        company.partner_id.tz = "America/Lima"
        self.assertEqual(programs._company_timezone(company), "America/Lima")


@tagged("post_install", "-at_install")
class TestViewsAfterStatements(WholesaleLoyaltyCommon):
    """The ledger and the engine write accounts with SQL: the customer's views, its contacts'
    and its quotations' show the new values at once."""

    def test_views_of_the_customer_its_contact_and_its_quotation_follow_the_account(self):
        self.program.write({"points_amount_step": 100.0, "points_per_step": 1})
        contact = self.env["res.partner"].create({"name": "Buyer", "parent_id": self.customer.id})
        product = self.env["product.product"].create({"name": "Goods", "list_price": 100.0})
        quotation = self.env["sale.order"].create({
            "partner_id": contact.id, "order_line": [Command.create({"product_id": product.id})],
        })
        self._invoice(self.customer, 500, "2026-03-01")
        shown = (self.customer.wholesale_points_balance, contact.wholesale_points_balance,
                 quotation.wholesale_points_balance, self.customer.wholesale_tier_id, contact.wholesale_tier_id)
        self.assertEqual(shown, (5, 5, 5, self.silver, self.silver))
        self._invoice(self.customer, 1500, "2026-03-02")
        shown = (self.customer.wholesale_points_balance, contact.wholesale_points_balance,
                 quotation.wholesale_points_balance, self.customer.wholesale_tier_id, contact.wholesale_tier_id)
        self.assertEqual(shown, (20, 20, 20, self.gold, self.gold))
