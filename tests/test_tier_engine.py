"""Grace periods, locks, history, notifications and the scheduled recalculation."""
from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestTierEngine(WholesaleLoyaltyCommon):

    def _mails_to(self, partner):
        return self.env["mail.mail"].sudo().search([("recipient_ids", "in", partner.ids)])

    def test_new_customer_joins_entry_tier(self):
        newcomer = self._customer("Newcomer Ltd")
        self.assertEqual(newcomer.wholesale_program_id, self.program)
        self.assertTier(newcomer, self.silver, 0.0)
        self.assertEqual(self._history(newcomer).reason, "enrollment")
        self.assertFalse(self._mails_to(newcomer), "joining at the open entry tier is no news")
        self.assertEqual(newcomer.wholesale_next_tier_id, self.gold)
        self.assertAlmostEqual(newcomer.wholesale_amount_to_next_tier, 1000.0)

    def test_upgrade_writes_history_chatter_mail_and_tells_salesperson(self):
        salesperson = self.env["res.users"].create({
            "name": "Rep", "login": "rep_engine", "email": "rep@example.com",
            "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id])],
        })
        self.customer.user_id = salesperson
        with freeze_time("2026-04-01"):
            self._invoice(self.customer, 1500.0, "2026-03-30")
        entry = self._history(self.customer)[-1]
        self.assertTrue(entry.notification_pending, "nothing goes out inside the request")
        self.assertFalse(self._mails_to(self.customer))
        self._send_tier_notifications()
        self.assertRecordValues(entry, [{
            "old_tier_id": self.silver.id, "new_tier_id": self.gold.id, "reason": "realtime",
            "qualifying_amount": 1500.0, "direction": "up", "notification_pending": False,
        }])
        self.assertEqual(str(self.customer.wholesale_tier_since), "2026-04-01")
        customer_mail = self._mails_to(self.customer)
        self.assertEqual(len(customer_mail), 1)
        self.assertIn("Gold", customer_mail.subject)
        self.assertIn("Your discount is now <strong>5%</strong>", customer_mail.body_html)
        note = self.customer.message_ids.filtered(lambda message: "from Silver to Gold" in (message.body or ""))
        self.assertEqual(len(note), 1)
        notified = self.env["mail.message"].sudo().search([
            ("model", "=", "res.partner"), ("res_id", "=", self.customer.id),
            ("partner_ids", "in", salesperson.partner_id.ids),
        ])
        self.assertEqual(len(notified), 1)

    def test_downgrade_waits_for_grace_period(self):
        self.program.write({
            "qualification_period": "rolling", "period_months": 1, "downgrade_grace_days": 10,
        })
        with freeze_time("2026-01-15"):
            self._invoice(self.customer, 1200.0, "2026-01-10")
            self.assertTier(self.customer, self.gold)
        with freeze_time("2026-02-11"):  # the invoice left the window
            self.customer.wholesale_recompute_tier()
            self.assertTier(self.customer, self.gold, 0.0)
            self.assertEqual(str(self.customer._wholesale_member().downgrade_since), "2026-02-11")
        with freeze_time("2026-02-20"):
            self.customer.wholesale_recompute_tier()
            self.assertTier(self.customer, self.gold)
        with freeze_time("2026-02-21"):
            self.customer.wholesale_recompute_tier()
            self.assertTier(self.customer, self.silver)
            self.assertFalse(self.customer._wholesale_member().downgrade_since)
            self.assertEqual(self._history(self.customer)[-1].direction, "down")

    def test_requalifying_during_grace_keeps_tier(self):
        self.program.write({"qualification_period": "rolling", "period_months": 1, "downgrade_grace_days": 10})
        with freeze_time("2026-01-15"):
            self._invoice(self.customer, 1200.0, "2026-01-10")
        with freeze_time("2026-02-11"):
            self.customer.wholesale_recompute_tier()
            self.assertTrue(self.customer._wholesale_member().downgrade_since)
        with freeze_time("2026-02-15"):
            self._invoice(self.customer, 1000.0, "2026-02-15")
            self.assertTier(self.customer, self.gold, 1000.0)
            self.assertFalse(self.customer._wholesale_member().downgrade_since)
        history = self._history(self.customer)
        self.assertEqual(history.mapped("new_tier_id"), self.silver + self.gold)

    def test_lock_holds_tier_until_unlocked(self):
        wizard = self.env["wholesale.loyalty.tier.lock.wizard"].create({
            "partner_id": self.customer.id, "tier_id": self.platinum.id, "reason": "Strategic account",
        })
        wizard.action_apply()
        self.assertTier(self.customer, self.platinum)
        self.assertTrue(self.customer.wholesale_tier_locked)
        lock_entry = self._history(self.customer)[-1]
        self.assertRecordValues(lock_entry, [{
            "reason": "manual", "new_tier_id": self.platinum.id, "note": "Strategic account",
        }])
        with freeze_time("2026-04-01"):
            self._invoice(self.customer, 1500.0, "2026-03-30")
        self.assertTier(self.customer, self.platinum, 1500.0)
        self.customer.action_wholesale_unlock_tier()
        self.assertFalse(self.customer.wholesale_tier_locked)
        self.assertTier(self.customer, self.gold, 1500.0)
        self.assertEqual(self._history(self.customer)[-1].new_tier_id, self.gold)

    def test_lock_without_reason_is_refused(self):
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.customer.write({"wholesale_tier_locked": True, "wholesale_tier_lock_reason": "  "})
        self.customer.invalidate_recordset()
        self.assertFalse(self.customer.wholesale_tier_locked)
        self.assertEqual(len(self._history(self.customer)), 1)

    def test_history_cannot_be_edited(self):
        entry = self._history(self.customer)
        with self.assertRaises(UserError):
            entry.write({"new_tier_id": self.platinum.id})
        with self.assertRaises(UserError):
            entry.sudo().write({"note": "rewritten"})

    def test_scheduled_recalculation_is_idempotent(self):
        customers = self.customer | self._customer("Beta") | self._customer("Gamma")
        with freeze_time("2026-04-01"):
            self._invoice(customers[1], 1200.0, "2026-03-01")
            self._invoice(customers[2], 6000.0, "2026-03-01")
        # Simulate a change the real-time hooks did not see: the threshold moves.
        self.gold.threshold_amount = 1300.0
        with freeze_time("2026-04-02"):
            self.env["res.partner"]._cron_wholesale_recalculate_tiers(batch_size=2)
            self.assertTier(customers[1], self.silver, 1200.0)
            self.assertTier(customers[2], self.platinum, 6000.0)
            history_count = self.env["wholesale.loyalty.tier.history"].search_count([])
            row_versions = self._row_versions(customers)
            self.env["res.partner"]._cron_wholesale_recalculate_tiers(batch_size=2)
            self.engine._recalculate(programs=self.program)
            self.assertEqual(self.env["wholesale.loyalty.tier.history"].search_count([]), history_count)
            # Every UPDATE gives a row a new physical version: none may have happened.
            self.assertEqual(self._row_versions(customers), row_versions)

    def _row_versions(self, partners):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT partner_id, ctid::text FROM wholesale_loyalty_member WHERE partner_id = ANY(%s)", [partners.ids]
        )
        return dict(self.env.cr.fetchall())

    def test_interrupted_run_ends_like_a_clean_run(self):
        customers = self.customer | self._customer("Beta") | self._customer("Gamma") | self._customer("Delta")
        with freeze_time("2026-04-01"):
            for amount, customer in zip((100.0, 1200.0, 6000.0, 1000.0), customers, strict=True):
                self._invoice(customer, amount, "2026-03-01")
        self.gold.threshold_amount = 1100.0
        self.platinum.threshold_amount = 5500.0
        with freeze_time("2026-04-02"):
            remaining = self.engine._recalculate(only_stale=True, batch_size=2, batch_limit=1).remaining
            self.assertEqual(remaining, 2)
            self.assertTier(customers[3], self.gold, 1000.0)  # not reached yet
            self.env["res.partner"]._cron_wholesale_recalculate_tiers(batch_size=2)
            interrupted = [(c.wholesale_tier_id, c.wholesale_qualifying_amount) for c in customers]
            # A clean run from scratch gives the same state.
            self.engine._recalculate(programs=self.program)
            clean = [(c.wholesale_tier_id, c.wholesale_qualifying_amount) for c in customers]
        self.assertEqual(interrupted, clean)
        self.assertEqual(
            [tier for tier, _amount in clean], [self.silver, self.gold, self.platinum, self.silver]
        )

    def test_next_day_run_writes_no_customer_whose_state_stays(self):
        customers = self.customer | self._customer("Beta") | self._customer("Gamma")
        with freeze_time("2026-04-01"):
            self._invoice(customers[1], 1200.0, "2026-03-01")
            self._invoice(customers[2], 6000.0, "2026-03-01")
            self.env["res.partner"]._cron_wholesale_recalculate_tiers(batch_size=2)
        row_versions = self._row_versions(customers)
        with freeze_time("2026-04-02"):
            self.env["res.partner"]._cron_wholesale_recalculate_tiers(batch_size=2)
        self.assertEqual(self._row_versions(customers), row_versions)
        # A moved threshold reaches only the customer it concerns.
        self.platinum.threshold_amount = 6500.0
        with freeze_time("2026-04-03"):
            self.env["res.partner"]._cron_wholesale_recalculate_tiers(batch_size=2)
        after = self._row_versions(customers)
        self.assertTier(customers[2], self.gold, 6000.0)
        self.assertEqual(str(customers[2].wholesale_member_ids.tier_evaluated_on), "2026-04-03")
        self.assertNotEqual(after[customers[2].id], row_versions[customers[2].id])
        self.assertEqual({pid: after[pid] for pid in customers[:2].ids},
                         {pid: row_versions[pid] for pid in customers[:2].ids})

    def test_grace_runs_out_in_the_daily_run(self):
        self.program.write({"qualification_period": "rolling", "period_months": 1, "downgrade_grace_days": 2})
        with freeze_time("2026-01-15"):
            self._invoice(self.customer, 1200.0, "2026-01-10")
        for day in ("2026-02-11", "2026-02-12"):
            with freeze_time(day):
                self.env["res.partner"]._cron_wholesale_recalculate_tiers()
            self.assertTier(self.customer, self.gold, 0.0)
        with freeze_time("2026-02-13"):
            self.env["res.partner"]._cron_wholesale_recalculate_tiers()
        self.assertTier(self.customer, self.silver, 0.0)

    def test_batch_size_does_not_change_the_outcome(self):
        customers = self.customer | self._customer("Beta") | self._customer("Gamma") | self._customer("Delta")
        with freeze_time("2026-04-01"):
            for amount, customer in zip((100.0, 1200.0, 6000.0, 999.99), customers, strict=True):
                self._invoice(customer, amount, "2026-03-01")
        self.gold.threshold_amount = 999.99
        states = []
        for batch_size in (1, 3, 1000):
            with self.env.cr.savepoint(flush=True) as savepoint, freeze_time("2026-04-02"):
                run = self.engine._recalculate(programs=self.program, batch_size=batch_size)
                customers.invalidate_recordset()
                states.append((run.evaluated, dict(run.changes),
                               [(c.wholesale_tier_id, c.wholesale_qualifying_amount) for c in customers]))
                savepoint.rollback()
        self.assertEqual(states[0], states[1])
        self.assertEqual(states[0], states[2])
        self.assertEqual(states[0][1], {"up": 1})
        self.assertEqual([tier for tier, _amount in states[0][2]], [self.silver, self.gold, self.platinum, self.gold])

    def test_notification_cron_sends_each_mail_once(self):
        with freeze_time("2026-04-01"):
            self._invoice(self.customer, 1500.0, "2026-03-30")
        self.gold.threshold_amount = 1400.0
        with freeze_time("2026-04-02"):
            self.engine._recalculate(programs=self.program)
        mails_before = len(self._mails_to(self.customer))
        history = self.env["wholesale.loyalty.tier.history"]
        history._cron_send_tier_notifications()
        sent = len(self._mails_to(self.customer))
        history._cron_send_tier_notifications()
        self.assertGreater(sent, mails_before)
        self.assertEqual(len(self._mails_to(self.customer)), sent, "each mail once")
        self.assertFalse(history.search([("notification_pending", "=", True)]))

    def test_status_api(self):
        with freeze_time("2026-04-01"):
            self._invoice(self.customer, 1500.0, "2026-03-30")
            status = self.customer.wholesale_recompute_tier()[0]
        self.assertEqual(status["program"], "Test Program")
        self.assertEqual(status["tier"], "Gold")
        self.assertEqual(status["next_tier"], "Platinum")
        self.assertAlmostEqual(status["amount_to_next_tier"], 3500.0)
        self.assertAlmostEqual(status["discount_percent"], 5.0)
        self.assertEqual(status["tier_since"], "2026-04-01")
