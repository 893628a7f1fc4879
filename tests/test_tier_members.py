"""A customer's account per program (``wholesale.loyalty.member``): companies sharing customers
each run their own program, and the partner's loyalty fields are views of the account in the
current company."""
from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import TwoCompaniesCommon, WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestMembers(TwoCompaniesCommon):

    def _member(self, partner, program):
        return self.env["wholesale.loyalty.member"].with_context(active_test=False).search([
            ("partner_id", "=", partner.id), ("program_id", "=", program.id),
        ])

    def test_companies_sharing_a_customer_each_run_their_own_program(self):
        self._invoice_in(self.company_b, self.customer, 800.0)
        seen_by_a, seen_by_b = self.customer.with_company(self.company_a), self.customer.with_company(self.company_b)
        self.assertEqual((seen_by_a.wholesale_program_id, seen_by_a.wholesale_tier_id), (self.program, self.silver))
        self.assertEqual((seen_by_b.wholesale_program_id, seen_by_b.wholesale_tier_id), (self.program_b, self.gold_b))
        self.assertAlmostEqual(seen_by_a.wholesale_qualifying_amount, 0.0)
        self.assertAlmostEqual(seen_by_b.wholesale_qualifying_amount, 800.0)
        # Each company's invoices earn the points of its own program.
        self._invoice_in(self.company_a, self.customer, 1200.0)
        self.assertEqual(self._member(self.customer, self.program).points_balance, 12, "earned at Silver, held then")
        self.assertEqual(self._member(self.customer, self.program_b).points_balance, 8, "the 800 of company B")
        self.assertEqual(seen_by_a.wholesale_tier_id, self.gold)
        self.assertEqual(seen_by_b.wholesale_tier_id, self.gold_b)

    def test_quotations_use_their_companys_account(self):
        self._invoice_in(self.company_b, self.customer, 800.0)
        order_a = self.env["sale.order"].create({"partner_id": self.customer.id})
        order_b = self.env["sale.order"].with_company(self.company_b).create({
            "partner_id": self.customer.id, "company_id": self.company_b.id,
        })
        self.assertEqual(order_a.wholesale_tier_id, self.silver)
        self.assertEqual(order_b.wholesale_tier_id, self.gold_b)

    def test_a_quotation_for_a_newcomer_shows_the_tier_it_would_join_and_writes_nothing(self):
        newcomer = self.env["res.partner"].create({"name": "Newcomer", "is_company": True})
        newcomer.category_id = [Command.link(self.member_tag.id)]  # eligible, not enrolled by this write
        members_before = self.env["wholesale.loyalty.member"].search_count([])
        history_before = self.env["wholesale.loyalty.tier.history"].search_count([])
        order = self.env["sale.order"].create({"partner_id": newcomer.id})
        self.assertEqual(order.wholesale_tier_id, self.silver)
        self.assertEqual(self.env["wholesale.loyalty.member"].search_count([]), members_before)
        self.assertEqual(self.env["wholesale.loyalty.tier.history"].search_count([]), history_before)
        order.action_confirm()
        self.assertEqual(newcomer.wholesale_program_id, self.program, "the first document enrolls")

    def test_partner_fields_are_searchable_in_the_current_company(self):
        beta = self._customer("Beta")
        self._invoice_in(self.company_a, beta, 1500.0)
        partners = self.env["res.partner"]
        self.assertEqual(partners.search([("wholesale_tier_id", "=", self.gold.id)]), beta)
        self.assertIn(self.customer, partners.search([("wholesale_tier_id", "=", self.silver.id)]))
        self.assertIn(beta, partners.search([("wholesale_qualifying_amount", ">=", 1000)]))
        self.assertNotIn(self.customer, partners.search([("wholesale_qualifying_amount", ">=", 1000)]))
        outsider = self.env["res.partner"].create({"name": "Outsider", "is_company": True})
        self.assertIn(outsider, partners.search([("wholesale_program_id", "=", False)]))
        self.assertNotIn(self.customer, partners.search([("wholesale_program_id", "=", False)]))
        in_b = partners.with_company(self.company_b).search([("wholesale_tier_id", "=", self.entry_b.id)])
        self.assertIn(beta, in_b)

    def test_contacts_show_their_company_account_and_hold_none(self):
        contact = self.env["res.partner"].create({"name": "Buyer", "parent_id": self.customer.id})
        self._invoice_in(self.company_a, self.customer, 1200.0)
        self.assertEqual(contact.wholesale_tier_id, self.gold)
        self.assertEqual(contact.wholesale_points_balance, 12)
        self.assertFalse(self.env["wholesale.loyalty.member"].with_context(active_test=False).search([
            ("partner_id", "=", contact.id),
        ]))

    def test_an_administrators_lock_goes_to_the_current_companys_account(self):
        self.customer.with_company(self.company_b).write({
            "wholesale_tier_id": self.gold_b.id, "wholesale_tier_locked": True,
            "wholesale_tier_lock_reason": "Key account in B",
        })
        member_a, member_b = self._member(self.customer, self.program), self._member(self.customer, self.program_b)
        self.assertEqual((member_b.tier_id, member_b.tier_locked), (self.gold_b, True))
        self.assertEqual((member_a.tier_id, member_a.tier_locked), (self.silver, False))
        with self.assertRaises(ValidationError):
            self.customer.write({"wholesale_tier_locked": True, "wholesale_tier_lock_reason": " "})

    def test_moving_between_programs_of_a_company_archives_the_account_with_its_points(self):
        self._invoice_in(self.company_a, self.customer, 300.0)
        old_account = self._member(self.customer, self.program)
        self.assertEqual(old_account.points_balance, 3)
        vip = self.env["wholesale.loyalty.program"].create({
            "name": "VIP", "sequence": -10, "partner_domain": str([("id", "=", self.customer.id)]),
            "tier_ids": [Command.create({"name": "VIP", "threshold_amount": 0})],
        })
        self.assertEqual(self.customer.wholesale_program_id, vip)
        self.assertFalse(old_account.active)
        self.assertEqual(old_account.points_balance, 3, "the points stay in the program that gave them")
        self.assertEqual(self.customer.wholesale_points_balance, 0)
        self.assertEqual(self.customer.with_company(self.company_b).wholesale_program_id, self.program_b,
                         "the other company's program keeps its member")
        vip.active = False
        self.engine._recalculate()
        self.assertTrue(old_account.active, "back in the program: the same account")
        self.assertEqual(self.customer.wholesale_points_balance, 3)

    def test_one_account_per_customer_and_program(self):
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.env["wholesale.loyalty.member"].sudo().create({
                "partner_id": self.customer.id, "program_id": self.program.id,
            })


@tagged("post_install", "-at_install")
class TestActivePrograms(WholesaleLoyaltyCommon):
    """Every posted invoice reads the active programs from the registry's cache: a program
    created, reordered, archived or deleted counts from the next document on."""

    def _active(self):
        return self.engine._active_programs().filtered(lambda program: program.company_id == self.env.company)

    def test_the_active_programs_follow_every_change_of_the_programs(self):
        self.assertIn(self.program, self._active())
        second = self.env["wholesale.loyalty.program"].create({
            "name": "Second", "sequence": self.program.sequence + 1, "partner_domain": "[('id', '=', 0)]",
        })
        self.assertEqual(self._active()[-2:], self.program | second)
        second.sequence = self.program.sequence - 1
        self.assertEqual(self._active()[:2].ids, [second.id, self.program.id])
        self.program.active = False
        self.assertNotIn(self.program, self._active())
        self.program.active = True
        self.assertIn(self.program, self._active())
        second.unlink()
        self.assertNotIn(second.id, self.engine._active_programs().ids)
