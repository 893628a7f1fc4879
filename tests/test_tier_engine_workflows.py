"""Local-time periods, program membership (defaults, previews, moves, enrollment on demand)
and fresh values after the engine's bulk writes."""
from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.tests import Form, tagged

from odoo.addons.wholesale_loyalty.tools.tier_rules import local_today, utc_bounds

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestLocalTimePeriods(WholesaleLoyaltyCommon):
    """Period boundaries are the company's days, not UTC's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.write({"qualification_basis": "confirmed", "qualification_period": "previous_month"})
        cls.company_partner = cls.program.company_id.partner_id

    def _confirmed_order(self, amount, at):
        with freeze_time(at):
            order = self.env["sale.order"].create({
                "partner_id": self.customer.id,
                "order_line": [Command.create({"product_id": self.product_a.id, "product_uom_qty": 1,
                                               "price_unit": amount, "tax_id": [Command.clear()]})],
            })
            order.action_confirm()
        return order

    def test_utc_bounds_of_local_days(self):
        self.assertEqual(
            utc_bounds(date(2026, 10, 1), date(2026, 10, 31), "Europe/Istanbul"),
            (datetime(2026, 9, 30, 21, 0), datetime(2026, 10, 31, 21, 0)),
        )
        # Summer time ends within the month: each bound has its own offset.
        self.assertEqual(
            utc_bounds(date(2026, 10, 1), date(2026, 10, 31), "Europe/Brussels"),
            (datetime(2026, 9, 30, 22, 0), datetime(2026, 10, 31, 23, 0)),
        )
        self.assertEqual(utc_bounds(None, date(2026, 10, 31), False), (None, datetime(2026, 11, 1)))
        self.assertEqual(local_today("Europe/Istanbul", datetime(2026, 10, 31, 21, 30)), date(2026, 11, 1))

    def test_order_after_local_midnight_counts_in_the_new_month(self):
        self.company_partner.tz = "Europe/Istanbul"  # UTC+3
        self._confirmed_order(2000.0, "2026-09-30 20:30:00")  # 23:30 on 30 September, local
        self._confirmed_order(1200.0, "2026-09-30 21:30:00")  # 00:30 on 1 October, local
        self._confirmed_order(3000.0, "2026-10-31 21:30:00")  # 00:30 on 1 November, local
        with freeze_time("2026-11-02 09:00:00"):
            self.customer.wholesale_recompute_tier()
        self.assertTier(self.customer, self.gold, 1200.0)

    def test_today_is_the_company_date(self):
        self.company_partner.tz = "Europe/Istanbul"
        self._confirmed_order(1200.0, "2026-10-15 10:00:00")
        # 22:00 UTC on 31 October is already 1 November for the company: last month is October.
        with freeze_time("2026-10-31 22:00:00"):
            self.customer.wholesale_recompute_tier()
        self.assertTier(self.customer, self.gold, 1200.0)
        self.assertEqual(str(self.customer.wholesale_member_ids.tier_evaluated_on), "2026-11-01")

    def test_user_timezone_when_the_company_has_none(self):
        self.company_partner.tz = False
        self.env.user.tz = "Europe/Istanbul"
        self._confirmed_order(1200.0, "2026-09-30 21:30:00")  # 00:30 on 1 October for the user
        with freeze_time("2026-11-02 09:00:00"):
            self.customer.wholesale_recompute_tier()
        self.assertTier(self.customer, self.gold, 1200.0)


@tagged("post_install", "-at_install")
class TestProgramMembership(WholesaleLoyaltyCommon):
    """Who a program takes, when, and how a move between programs is recorded."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2026-04-01"):
            cls._invoice(cls.customer, 1500.0, "2026-03-30")  # Gold in the test program
        cls.other_tag = cls.env["res.partner.category"].create({"name": "Distributor"})

    def _mails_to(self, partner):
        return self.env["mail.mail"].sudo().search([("recipient_ids", "in", partner.ids)])

    def _new_program(self, name, **values):
        return self.env["wholesale.loyalty.program"].create({
            "name": name,
            "qualification_period": "lifetime",
            "tier_ids": [
                Command.create({"name": f"{name} Basic", "threshold_amount": 0}),
                Command.create({"name": f"{name} Premium", "threshold_amount": 1000}),
            ],
            **values,
        })

    def _late_joiner(self, name="Late Joiner"):
        """A customer who matches the program's filter but was never evaluated since."""
        partner = self.env["res.partner"].create({"name": name, "is_company": True})
        partner.category_id = [Command.link(self.member_tag.id)]  # no evaluation on write
        self.assertFalse(partner.wholesale_program_id)
        return partner

    def test_customer_without_the_first_filters_column_goes_to_the_next_program(self):
        # The first program takes customers whose reference starts with "VIP"; one without
        # reference matches neither that filter nor "reference not VIP": the next program takes it.
        self.program.sequence = 20
        first = self._new_program("Referenced", sequence=10, partner_domain=str([("ref", "=like", "VIP%")]))
        vip = self._customer("Very Important", ref="VIP-1")
        plain = self._customer("No Reference")
        self.engine._recalculate()
        self.assertEqual(vip.wholesale_program_id, first)
        self.assertEqual(plain.wholesale_program_id, self.program)
        self.assertEqual(self.customer.wholesale_program_id, self.program)

    def test_new_program_defaults_take_no_members_of_other_programs(self):
        self.customer.customer_rank = 1
        history_before = self._history(self.customer)
        mails_before = len(self._mails_to(self.customer))
        newcomer = self.env["res.partner"].create({"name": "Unclaimed Buyer", "is_company": True, "customer_rank": 1})
        program = self._new_program("Newer")
        self.assertEqual(program.partner_domain, '[("customer_rank", ">", 0)]')
        highest = max(self.env["wholesale.loyalty.program"].with_context(active_test=False).search([])
                      .filtered(lambda other: other != program).mapped("sequence"))
        self.assertGreater(program.sequence, highest)
        # Customers of the test program stay there, untouched and not mailed, also after a full run.
        self.engine._recalculate()
        self.assertEqual(self.customer.wholesale_program_id, self.program)
        self.assertTier(self.customer, self.gold)
        self.assertEqual(self._history(self.customer), history_before)
        self.assertEqual(len(self._mails_to(self.customer)), mails_before)
        # A customer no program claimed joins at once, without waiting for the nightly run.
        self.assertEqual(newcomer.wholesale_program_id, program)
        self.assertEqual(newcomer.wholesale_tier_id.name, "Newer Basic")

    def test_companies_and_internal_users_never_join(self):
        company_partner = self.env.company.partner_id
        company_partner.customer_rank = 3
        staff = self._company_user("loyalty_staff", "base.group_user")
        staff.partner_id.write({"customer_rank": 2, "parent_id": False})
        portal = self._company_user("loyalty_portal_buyer", "base.group_portal")
        portal.partner_id.write({"customer_rank": 2, "parent_id": False})
        program = self._new_program("Open", partner_domain="[]")
        self.assertFalse(company_partner.wholesale_program_id)
        self.assertFalse(staff.partner_id.wholesale_program_id)
        self.assertEqual(portal.partner_id.wholesale_program_id, program, "portal customers are customers")
        self.assertFalse(staff.partner_id.wholesale_status()[0]["program"])
        self.engine._recalculate()
        self.assertFalse(company_partner.wholesale_program_id)
        self.assertFalse(staff.partner_id.wholesale_program_id)

    def test_preview_then_apply_moves_customers_with_one_history_line_each(self):
        self.customer.category_id = [Command.link(self.other_tag.id)]
        program = self._new_program("Distribution", partner_domain=str([("category_id", "in", self.other_tag.ids)]))
        self.assertEqual(self.customer.wholesale_program_id, self.program, "the older program comes first")
        history_before = self._history(self.customer)
        mails_before = len(self._mails_to(self.customer))

        wizard = Form(self.env["wholesale.loyalty.program.membership.wizard"].with_context(
            default_program_id=program.id))
        wizard.sequence = self.program.sequence - 1
        self.assertEqual(wizard.move_count, 1)
        self.assertIn("1 customers move from Test Program to Distribution", wizard.preview)
        self.assertEqual(self.customer.wholesale_program_id, self.program, "a preview changes nothing")
        self.assertEqual(self._history(self.customer), history_before)

        wizard.save().action_apply()
        self.assertEqual(program.sequence, self.program.sequence - 1)
        self.assertEqual(self.customer.wholesale_program_id, program)
        self.assertEqual(self.customer.wholesale_tier_id.name, "Distribution Premium")
        move = self._history(self.customer) - history_before
        self.assertRecordValues(move, [{
            "old_program_id": self.program.id, "program_id": program.id, "old_tier_id": self.gold.id,
            "reason": "program_change", "notification_pending": False,
        }])
        self.assertNotEqual(move.direction, "down")
        self.assertIn("Test Program", move.note)
        self.assertIn("Distribution", move.note)
        self.assertEqual(len(self._mails_to(self.customer)), mails_before, "a move is no tier news")

    def test_plain_filter_write_applies_at_once(self):
        other = self._customer("Beta Supplies")
        history_before = self._history(other)
        program = self._new_program("Distribution", partner_domain=str([("id", "=", 0)]))
        self.program.sequence = program.sequence + 10  # now the test program comes last
        self.assertEqual(other.wholesale_program_id, self.program)
        program.partner_domain = str([("name", "=", "Beta Supplies")])
        self.assertEqual(other.wholesale_program_id, program)
        self.assertEqual(self.customer.wholesale_program_id, self.program)
        self.assertEqual((self._history(other) - history_before).reason, "program_change")
        # Narrowing the filter again gives the customer back to the test program.
        program.partner_domain = str([("id", "=", 0)])
        self.assertEqual(other.wholesale_program_id, self.program)
        self.assertEqual(self._history(other)[-1].old_program_id, program)

    def test_filter_matching_no_program_any_more_removes_members(self):
        self.program.partner_domain = str([("id", "=", 0)])
        self.assertFalse(self.customer.wholesale_program_id)
        self.assertFalse(self.customer.wholesale_tier_id)
        leave = self._history(self.customer)[-1]
        self.assertRecordValues(leave, [{"program_id": self.program.id, "new_tier_id": False,
                                         "reason": "program_change"}])

    def test_status_of_an_eligible_customer_shows_what_it_would_join_and_enrolls_nobody(self):
        partner = self._late_joiner()
        status = partner.wholesale_status()[0]
        self.assertEqual(status["program"], "Test Program")
        self.assertEqual(status["tier"], "Silver")
        self.assertEqual(status["next_tier"], "Gold")
        self.assertFalse(self._history(partner), "reading the status writes no history")
        self.assertFalse(partner.wholesale_program_id, "nor an account: the customer is no member yet")

    def test_award_enrolls_an_eligible_customer(self):
        partner = self._late_joiner()
        entry_ids = partner.wholesale_award_points(10, "Review on our website", reference="crm-review-1")
        self.assertEqual(len(entry_ids), 1)
        self.assertEqual(partner.wholesale_program_id, self.program)
        self.assertEqual(partner.wholesale_points_balance, 10)

    def test_lock_enrolls_an_eligible_customer(self):
        partner = self._late_joiner()
        action = partner.action_wholesale_lock_tier()
        wizard = self.env["wholesale.loyalty.tier.lock.wizard"].with_context(action["context"]).create({
            "tier_id": self.platinum.id, "reason": "Strategic account",
        })
        wizard.action_apply()
        self.assertTier(partner, self.platinum)
        self.assertTrue(partner.wholesale_tier_locked)

    def test_quotation_shows_the_tier_an_eligible_customer_would_join(self):
        partner = self._late_joiner()
        order = self.env["sale.order"].create({
            "partner_id": partner.id,
            "order_line": [Command.create({"product_id": self.product_a.id, "product_uom_qty": 1})],
        })
        self.assertEqual(order.wholesale_tier_id, self.silver)
        self.assertIn("Gold", order.wholesale_next_tier_message)
        self.assertFalse(partner.wholesale_program_id, "a quotation being read enrolls nobody")
        order.action_confirm()
        self.assertEqual(partner.wholesale_program_id, self.program, "its confirmation does")

    def test_customer_matching_nothing_stays_out(self):
        outsider = self.env["res.partner"].create({"name": "Outsider", "is_company": True})
        self.assertFalse(outsider.wholesale_status()[0]["program"])
        self.assertFalse(outsider.wholesale_program_id)
        self.assertFalse(self._history(outsider))


@tagged("post_install", "-at_install")
class TestFreshValuesAfterBulkWrites(WholesaleLoyaltyCommon):
    """What the engine and the points ledger write with SQL shows at once, in the same
    transaction, on the customer and on quotations."""

    def test_next_tier_follows_a_real_time_upgrade(self):
        order = self._quotation()
        self.assertEqual(self.customer.wholesale_next_tier_id, self.gold)
        self.assertIn("Gold", order.wholesale_next_tier_message)
        with freeze_time("2026-04-01"):
            self._invoice(self.customer, 1500.0, "2026-03-30")
        self.assertEqual(self.customer.wholesale_tier_id, self.gold)
        self.assertEqual(self.customer.wholesale_next_tier_id, self.platinum)
        self.assertAlmostEqual(self.customer.wholesale_amount_to_next_tier, 3500.0)
        self.assertEqual(self.customer.wholesale_status()[0]["next_tier"], "Platinum")
        self.assertIn("Platinum", order.wholesale_next_tier_message)

    def test_next_tier_follows_a_recalculation(self):
        with freeze_time("2026-04-01"):
            self._invoice(self.customer, 1500.0, "2026-03-30")
        order = self._quotation()
        self.assertEqual(self.customer.wholesale_next_tier_id, self.platinum)
        self.assertIn("Platinum", order.wholesale_next_tier_message)
        self.platinum.threshold_amount = 1200.0
        with freeze_time("2026-04-02"):
            self.engine._recalculate(programs=self.program)
        self.assertEqual(self.customer.wholesale_tier_id, self.platinum)
        self.assertFalse(self.customer.wholesale_next_tier_id)
        self.assertFalse(self.customer.wholesale_amount_to_next_tier)
        self.assertFalse(self.customer.wholesale_status()[0]["next_tier"])
        self.assertFalse(order.wholesale_next_tier_message)

    def test_leaving_the_program_clears_next_tier(self):
        self.assertEqual(self.customer.wholesale_next_tier_id, self.gold)
        self.customer.category_id = [Command.clear()]
        self.customer.wholesale_recompute_tier()
        self.assertFalse(self.customer.wholesale_program_id)
        self.assertFalse(self.customer.wholesale_next_tier_id)

    def test_points_balance_on_quotation_follows_an_award(self):
        order = self._quotation()
        self.assertEqual(order.wholesale_points_balance, 0)
        self.customer.wholesale_award_points(25, "Webinar attended")
        self.assertEqual(self.customer.wholesale_points_balance, 25)
        self.assertEqual(order.wholesale_points_balance, 25)
