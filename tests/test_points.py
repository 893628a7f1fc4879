"""Earning, redeeming, reversing and expiring points through the real flows."""
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestPoints(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.write({"points_validity_months": 12})
        # Multipliers are tested on their own; elsewhere a point is a point whatever the tier.
        cls.gold.points_multiplier = 1.0
        cls.ledger = cls.env["wholesale.loyalty.ledger"]
        cls.loyalty_manager = cls._company_user("wl_points_manager", "sales_team.group_sale_manager")
        cls.sales_rep = cls._company_user("wl_points_rep", "sales_team.group_sale_salesman")

    # ---------------------------------------------------------------- earning

    def test_accrual_arithmetic(self):
        self.gold.points_multiplier = 1.5
        with freeze_time("2026-03-01"):
            invoice = self._invoice(self.customer, 12345.0, "2026-03-01")
        self.assertGreater(invoice.amount_tax, 0)
        earned = self._entries(kind="earn")
        self.assertRecordValues(earned, [{"points": 123, "remaining_points": 123, "move_id": invoice.id}])
        self.assertEqual(str(earned.expiry_date), "2027-03-01")
        self.assertTier(self.customer, self.platinum)  # the invoice counted after earning at Silver
        with freeze_time("2026-03-02"):
            self.customer.write({"wholesale_tier_id": self.gold.id, "wholesale_tier_locked": True,
                                 "wholesale_tier_lock_reason": "test Gold multiplier"})
            self._invoice(self.customer, 12345.0, "2026-03-02")
        self.assertEqual(self._entries(kind="earn")[-1].points, 184)
        self.assertEqual(self._balance(), 307)

    def test_first_invoice_of_a_new_customer_earns(self):
        self.program.partner_domain = str([("customer_rank", ">", 0), ("name", "=like", "Newcomer%")])
        newcomer = self.env["res.partner"].create({"name": "Newcomer Trading", "is_company": True})
        self.assertFalse(newcomer.wholesale_program_id, "no customer rank yet")
        with freeze_time("2026-03-01"):
            self._invoice(newcomer, 700.0, "2026-03-01")
        self.assertEqual(newcomer.wholesale_program_id, self.program)
        self.assertEqual(self._entries(newcomer, "earn").points, 7)

    def test_below_minimum_earns_nothing(self):
        self.program.points_min_order_amount = 500.0
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 499.0, "2026-03-01")
            self._invoice(self.customer, 500.0, "2026-03-01")
        self.assertEqual(self._entries(kind="earn").mapped("points"), [5])

    def test_paid_trigger_earns_on_full_payment_and_shows_pending(self):
        self.program.points_trigger = "paid"
        with freeze_time("2026-03-01"):
            invoice = self._invoice(self.customer, 1000.0, "2026-03-01")
            self.assertFalse(self._entries(kind="earn"))
            self.env.invalidate_all()  # pending points follow the invoices, which no field depends on
            self.assertEqual(self.customer._wholesale_member().points_pending, 10)
            self._pay(invoice, "2026-03-02", amount=invoice.amount_total / 2)
            self.assertFalse(self._entries(kind="earn"), "a partial payment earns nothing yet")
            self._pay(invoice, "2026-03-03")
        self.assertEqual(self._entries(kind="earn").points, 10)
        self.env.invalidate_all()
        self.assertEqual(self.customer._wholesale_member().points_pending, 0)
        self.assertEqual(self.customer.wholesale_status()[0]["points_balance"], 10)

    def test_paid_trigger_holds_points_only_while_paid(self):
        self.program.points_trigger = "paid"
        with freeze_time("2026-03-01"):
            invoice = self._invoice(self.customer, 1000.0, "2026-03-01")
            self._pay(invoice, "2026-03-02")
            self.assertEqual(self._balance(), 10)
            receivable = invoice.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
            receivable.matched_credit_ids.credit_move_id.remove_move_reconcile()  # the payment bounced
            self.assertEqual(invoice.payment_state, "not_paid")
            self.assertEqual(self._balance(), 0, "the points go with the money")
            self.assertIn("Invoice no longer paid", self._entries(kind="reversal").mapped("note"))
            self._pay(invoice, "2026-03-05")
        self.assertEqual(self._balance(), 10, "paid again, it earns again, once")
        self.assertEqual(len(self._entries(kind="earn")), 2)

    def test_reposting_does_not_earn_twice(self):
        with freeze_time("2026-03-01"):
            invoice = self._invoice(self.customer, 1000.0, "2026-03-01")
            invoice.button_draft()
            self.assertEqual(self._balance(), 0)
            self.assertEqual(self._entries(kind="reversal").points, -10)
            invoice.action_post()
        self.assertEqual(self._balance(), 10)
        self.assertEqual(len(self._entries(kind="earn")), 2)

    def test_partial_and_full_credit_notes(self):
        with freeze_time("2026-03-01"):
            invoice = self._invoice(self.customer, 12345.0, "2026-03-01")
            self._refund(invoice, 345.0, "2026-03-02")
            self.assertEqual(self._balance(), 120)
            self._refund(invoice, 12000.0, "2026-03-03")
        self.assertEqual(self._balance(), 0)
        self.assertEqual(self._entries(kind="reversal").mapped("points"), [-3, -120])
        self.assertTrue(all(entry.reversed_entry_id.kind == "earn" for entry in self._entries(kind="reversal")))

    def test_refund_of_spent_points_shows_a_negative_balance(self):
        with freeze_time("2026-03-01"):
            invoice = self._invoice(self.customer, 5000.0, "2026-03-01")
            order = self._quotation(amount=1000.0)
            self._redeem(order, 50)
            order.action_confirm()
            self.assertEqual(self._balance(), 0)
            invoice._reverse_moves([{"invoice_date": "2026-03-02"}], cancel=True)
        self.assertEqual(self._balance(), -50)
        with freeze_time("2026-03-05"):
            self._invoice(self.customer, 8000.0, "2026-03-05")
        new_lot = self._entries(kind="earn")[-1]
        self.assertEqual(self._balance(), new_lot.points - 50)
        self.assertEqual(new_lot.remaining_points, new_lot.points - 50, "the debt is paid first")

    # ---------------------------------------------------------------- redeeming

    def test_redeem_wizard_adds_discount_line_and_takes_points_at_confirmation(self):
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 20000.0, "2026-03-01")  # 200 points, Platinum: 10% off
            order = self._quotation(amount=1000.0)
            self.assertAlmostEqual(order.amount_untaxed, 900.0)
            wizard = self._redeem_wizard(order, 150)
            wizard.action_apply()
        self.assertEqual(wizard.balance, 200)
        self.assertEqual(wizard.max_points, 180, "20% of the untaxed 900")
        self.assertAlmostEqual(wizard.amount, 150.0)
        line = order.order_line.filtered("wholesale_points_redeemed")
        self.assertEqual(line.product_id, self.program.redemption_product_id)
        self.assertAlmostEqual(line.price_subtotal, -150.0)
        self.assertEqual(line.discount, 0.0, "no tier discount on the points line")
        self.assertEqual(line.tax_id, order.order_line[0].tax_id, "the discount carries the taxes of what it pays")
        self.assertAlmostEqual(order.amount_untaxed, 750.0)
        self.assertEqual(order.wholesale_points_redeemed, 150)
        self.assertEqual(self._balance(), 200, "nothing is taken before confirmation")
        self._redeem(order, 100)  # a second use replaces the first
        self.assertEqual(order.wholesale_points_redeemed, 100)
        self.assertEqual(len(order.order_line.filtered("wholesale_points_redeemed")), 1)
        with freeze_time("2026-03-02"):
            order.action_confirm()
        redeem = self._entries(kind="redeem")
        self.assertEqual(redeem.points, -100)
        self.assertEqual(redeem.allocation_ids.mapped("points"), [100])
        self.assertEqual(self._balance(), 100)

    def test_cancel_gives_points_back_to_the_same_lots(self):
        with freeze_time("2026-01-01"):
            self._invoice(self.customer, 3000.0, "2026-01-01")
        with freeze_time("2026-02-01"):
            self._invoice(self.customer, 3000.0, "2026-02-01")
        first, second = self._entries(kind="earn")
        with freeze_time("2026-03-01"):
            order = self._quotation(amount=1000.0)
            self._redeem(order, 40)
            order.action_confirm()
        self.assertEqual((first.remaining_points, second.remaining_points), (0, 20))
        order._action_cancel()
        self.assertEqual((first.remaining_points, second.remaining_points), (30, 30))
        self.assertEqual(self._entries(kind="reversal").points, 40)
        self.assertEqual(self._balance(), 60)

    def test_redeem_bad_input_writes_nothing(self):
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 1000.0, "2026-03-01")
        order = self._quotation(amount=1000.0)
        for points, message in ((0, "above zero"), (-5, "above zero"), (11, "has 10 points")):
            with self.assertRaisesRegex(UserError, message):
                self._redeem(order, points)
        self.program.max_redeem_percent = 0.5
        with self.assertRaisesRegex(UserError, "At most 4 points"):  # 0.5% of 950 (Gold: 5% off)
            self._redeem(order, 10)
        self.assertFalse(order.order_line.filtered("wholesale_points_redeemed"))
        order.action_confirm()
        with self.assertRaisesRegex(UserError, "quotation"):
            self._redeem(order, 1)
        self.assertEqual(self._balance(), 10)

    def test_confirming_more_than_the_balance_is_refused(self):
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 1000.0, "2026-03-01")
        first, second = self._quotation(amount=1000.0), self._quotation(amount=1000.0)
        self._redeem(first, 8)
        self._redeem(second, 8)
        first.action_confirm()
        with self.assertRaisesRegex(UserError, "has only 2 left"), self.cr.savepoint():
            second.action_confirm()
        self.assertEqual(self._balance(), 2)

    # ---------------------------------------------------------------- expiry

    def test_fifo_expiry_across_lots(self):
        self.program.points_validity_months = 1
        with freeze_time("2026-01-10"):
            self._invoice(self.customer, 2000.0, "2026-01-10")  # 20 points, expire 2026-02-10
        with freeze_time("2026-01-20"):
            self._invoice(self.customer, 3000.0, "2026-01-20")  # 30 points, expire 2026-02-20
            order = self._quotation(amount=1000.0)
            self._redeem(order, 25)
            order.action_confirm()
        first, second = self._entries(kind="earn")
        self.assertEqual((first.remaining_points, second.remaining_points), (0, 25))
        points = self.env["wholesale.loyalty.points"]
        with freeze_time("2026-02-15"):
            points._expire_lots()
            self.assertFalse(self._entries(kind="expire"), "the first lot was spent, nothing to expire")
        with freeze_time("2026-02-21"):
            points._expire_lots()
            points._expire_lots()
        expired = self._entries(kind="expire")
        self.assertEqual(expired.points, -25)
        self.assertEqual(expired.allocation_ids.lot_id, second)
        self.assertEqual(self._balance(), 0)

    def test_top_tier_points_never_expire(self):
        self.program.points_validity_months = 1
        self.platinum.points_never_expire = True
        self.customer.write({"wholesale_tier_id": self.platinum.id, "wholesale_tier_locked": True,
                             "wholesale_tier_lock_reason": "VIP"})
        with freeze_time("2026-01-10"):
            self._invoice(self.customer, 2000.0, "2026-01-10")
        self.assertFalse(self._entries(kind="earn").expiry_date)
        with freeze_time("2027-01-10"):
            self.env["wholesale.loyalty.points"]._expire_lots()
        self.assertEqual(self._balance(), 20)

    def test_expiry_reminder_mails_once_a_week(self):
        self.program.points_validity_months = 1
        with freeze_time("2026-01-10"):
            self._invoice(self.customer, 2000.0, "2026-01-10")
        points = self.env["wholesale.loyalty.points"]
        mails = self.env["mail.mail"].sudo()
        with freeze_time("2026-01-20"):
            self.assertEqual(points._send_expiry_reminders(), 1)
            self.assertEqual(points._send_expiry_reminders(), 0)
        sent = mails.search([("recipient_ids", "in", self.customer.ids), ("subject", "like", "expire")])
        self.assertEqual(len(sent), 1)
        self.assertIn("20", sent.subject)

    # ---------------------------------------------------------------- bonuses and API

    def test_each_bonus_rule_once(self):
        self.program.write({"points_trigger": "paid", "bonus_rule_ids": [
            Command.create({"name": "Welcome", "trigger": "first_order", "points": 50}),
            Command.create({"name": "Early", "trigger": "early_payment", "days_early": 10, "points": 20}),
            Command.create({"name": "Referral", "trigger": "referral", "points": 70}),
        ]})
        referred = self._customer("Referred Co", wholesale_referrer_id=self.customer.id)
        with freeze_time("2026-03-01"):
            invoice = self._invoice(referred, 1000.0, "2026-03-01", invoice_date_due="2026-03-31")
            self._pay(invoice, "2026-03-05")
            second = self._invoice(referred, 1000.0, "2026-03-06", invoice_date_due="2026-03-08")
            self._pay(second, "2026-03-07")
        bonuses = self._entries(referred, "bonus")
        self.assertEqual(sorted(bonuses.mapped("points")), [20, 50], "welcome once; early only for the early one")
        self.assertEqual(self._entries(self.customer, "bonus").points, 70)
        self.assertEqual(self._balance(referred), 10 + 10 + 20 + 50)

    def test_award_api_is_idempotent_and_for_managers_only(self):
        partner = self.customer.with_user(self.loyalty_manager)
        first = partner.wholesale_award_points(25, "Webinar attended", reference="crm-webinar-7")
        again = partner.wholesale_award_points(25, "Webinar attended", reference="crm-webinar-7")
        self.assertEqual(first, again)
        self.assertEqual(self._balance(), 25)
        with self.assertRaises(AccessError):
            self.customer.with_user(self.sales_rep).wholesale_award_points(5, "friend")
        with self.assertRaisesRegex(UserError, "reason"):
            partner.wholesale_award_points(5, " ")
        with self.assertRaisesRegex(UserError, "above zero"):
            partner.wholesale_award_points(0, "nothing")
        self.assertEqual(self._balance(), 25)

    def test_award_wizard_says_what_it_awarded_and_the_new_balance(self):
        self.customer.with_user(self.loyalty_manager).wholesale_award_points(25, "Webinar attended")
        action = self.customer.with_user(self.loyalty_manager).action_wholesale_award_points()
        wizard = self.env[action["res_model"]].with_user(self.loyalty_manager).with_context(action["context"]).create(
            {"points": 40, "reason": "Survey answered"}
        )
        notice = wizard.action_apply()
        self.assertEqual(notice["tag"], "display_notification")
        self.assertIn("40 points awarded to", notice["params"]["message"])
        self.assertIn("Survey answered", notice["params"]["message"])
        self.assertIn("balance is 65 points", notice["params"]["message"])
        self.assertEqual(self._balance(), 65)

    def test_ledger_is_append_only(self):
        entry = self.customer.with_user(self.loyalty_manager).wholesale_award_points(5, "Survey")
        entry = self.ledger.browse(entry)
        for user in (self.loyalty_manager, self.env.ref("base.user_admin")):
            with self.assertRaises(UserError):
                entry.with_user(user).write({"points": 500})
            with self.assertRaises(UserError):
                entry.with_user(user).unlink()
        with self.assertRaises(UserError):
            entry.sudo().write({"points": 500})
        with self.assertRaises(UserError):
            entry.sudo().unlink()
        self.assertEqual(self._balance(), 5)

    def test_program_points_bad_input(self):
        for values in ({"points_amount_step": 0}, {"points_validity_months": -1}, {"max_redeem_percent": 120}):
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, self.program.name), \
                    self.cr.savepoint():
                self.program.write(values)
                self.program.flush_recordset()
        self.program.invalidate_recordset()
        self.assertEqual(self.program.points_amount_step, 100.0)
