"""Retroactive volume rebates: settlement maths, re-settlement, credit notes, rights."""
from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestRebates(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.rebate_period = "quarter"
        cls.gold.rebate_percent = 2
        cls.platinum.rebate_percent = 5
        cls.Rebate = cls.env["wholesale.loyalty.rebate"]
        cls.rebate_product = cls.env.ref("wholesale_loyalty.product_volume_rebate")

    def _settle(self, day, **kwargs):
        with freeze_time(day):
            return self.Rebate._settle(programs=self.program, **kwargs)

    def assertRebate(self, rebate, base, rate, amount, previous=0.0):
        self.assertEqual(len(rebate), 1)
        self.assertAlmostEqual(rebate.base_amount, base, places=2)
        self.assertAlmostEqual(rebate.rate, rate, places=2)
        self.assertAlmostEqual(rebate.amount, amount, places=2)
        self.assertAlmostEqual(rebate.previous_amount, previous, places=2)
        note = rebate.move_id
        self.assertEqual((note.move_type, note.state, note.partner_id), ("out_refund", "draft", rebate.partner_id))
        self.assertEqual(note.invoice_line_ids.product_id, self.rebate_product)
        self.assertAlmostEqual(note.amount_untaxed, amount, places=2)
        self.assertEqual(rebate.state, "draft")

    def test_crossing_a_threshold_mid_period_is_retroactive_to_the_period_start(self):
        january = self._invoice(self.customer, 600, "2026-01-10")
        february = self._invoice(self.customer, 600, "2026-02-10")  # reaches Gold (1000) here
        small = self._customer("Small Shop")
        self._invoice(small, 500, "2026-02-15")  # stays Silver: no rebate
        rebates = self._settle("2026-04-01")
        self.assertEqual(rebates.partner_id, self.customer)
        # 2% on the whole quarter, January included.
        self.assertRebate(rebates, base=1200, rate=2, amount=24)
        self.assertEqual(rebates.tier_id, self.gold)
        self.assertEqual((rebates.date_from, rebates.date_to),
                         (fields.Date.to_date("2026-01-01"), fields.Date.to_date("2026-03-31")))
        self.assertEqual(rebates.invoice_ids, january | february)
        self.assertIn(january.name, rebates.move_id.narration)
        self.assertEqual(rebates.move_id.invoice_date, fields.Date.to_date("2026-04-01"))

    def test_running_again_pays_nothing_twice(self):
        self._invoice(self.customer, 1200, "2026-02-10")
        self.assertEqual(len(self._settle("2026-04-01")), 1)
        self.assertFalse(self._settle("2026-04-01"))
        self.assertFalse(self._settle("2026-05-01"))  # the next monthly run
        self.assertEqual(self.Rebate.search_count([("partner_id", "=", self.customer.id)]), 1)

    def test_late_invoice_is_caught_up_with_only_the_difference(self):
        self._invoice(self.customer, 1200, "2026-02-10")
        first = self._settle("2026-04-01")
        self.assertRebate(first, base=1200, rate=2, amount=24)
        late = self._invoice(self.customer, 3900, "2026-03-20")  # booked in April into Q1: now Platinum
        second = self._settle("2026-05-01")
        self.assertRebate(second, base=5100, rate=5, amount=231, previous=24)
        self.assertIn(late, second.invoice_ids)
        self.assertFalse(self._settle("2026-06-01"))
        total = sum(self.Rebate.search([("partner_id", "=", self.customer.id)]).mapped("amount"))
        self.assertAlmostEqual(total, 255.0, places=2)  # 5% of 5,100, once

    def test_cancelled_credit_note_is_settled_again(self):
        self._invoice(self.customer, 1200, "2026-02-10")
        first = self._settle("2026-04-01")
        first.move_id.button_cancel()
        self.assertEqual(first.state, "cancel")
        again = self._settle("2026-04-02")
        self.assertRebate(again, base=1200, rate=2, amount=24)
        # A deleted draft credit note is settled again as well.
        again.move_id.unlink()
        self.assertEqual(again.state, "cancel")
        self.assertRebate(self._settle("2026-04-03"), base=1200, rate=2, amount=24)

    def test_posted_credit_note_stays_credited_and_is_not_a_return(self):
        self._invoice(self.customer, 1000, "2026-02-10")
        first = self._settle("2026-04-01")
        self.assertRebate(first, base=1000, rate=2, amount=20)
        # Dated inside the period: it must not lower the period's volume.
        first.move_id.invoice_date = "2026-03-31"
        first.move_id.action_post()
        self.assertEqual(first.state, "posted")
        self._invoice(self.customer, 4000, "2026-03-20")
        second = self._settle("2026-04-15")
        self.assertRebate(second, base=5000, rate=5, amount=230, previous=20)

    def test_credit_notes_lower_the_period_volume(self):
        invoice = self._invoice(self.customer, 1200, "2026-02-10")
        self._refund(invoice, 300, "2026-03-01")
        self.assertFalse(self._settle("2026-04-01"))  # 900: below Gold

    def test_monthly_period_and_batches(self):
        self.program.rebate_period = "month"
        other = self._customer("Beta Wholesale")
        self._invoice(self.customer, 1500, "2026-02-03")
        self._invoice(other, 6000, "2026-02-20")
        self._invoice(other, 9000, "2026-03-02")  # March: not settled on 5 March
        rebates = self._settle("2026-03-05", batch_size=1)
        self.assertEqual(len(rebates), 2)
        by_partner = {rebate.partner_id: rebate for rebate in rebates}
        self.assertRebate(by_partner[self.customer], base=1500, rate=2, amount=30)
        self.assertRebate(by_partner[other], base=6000, rate=5, amount=300)
        self.assertEqual(set(rebates.mapped("date_to")), {fields.Date.to_date("2026-02-28")})

    def test_scheduled_action_settles_rebates(self):
        self._invoice(self.customer, 1200, "2026-02-10")
        cron = self.env.ref("wholesale_loyalty.ir_cron_settle_rebates")
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "months"))
        with freeze_time("2026-04-01"):
            cron.method_direct_trigger()
        rebate = self.Rebate.search([("partner_id", "=", self.customer.id)])
        self.assertRebate(rebate, base=1200, rate=2, amount=24)

    def test_program_button_and_access_rights(self):
        company = self.program.company_id
        manager = new_test_user(
            self.env, login="wl_rb_manager", groups="sales_team.group_sale_manager,account.group_account_invoice",
            company_id=company.id, company_ids=[company.id],
        )
        sales_rep = new_test_user(
            self.env, login="wl_rb_rep", groups="sales_team.group_sale_salesman",
            company_id=company.id, company_ids=[company.id],
        )
        billing = new_test_user(
            self.env, login="wl_rb_billing", groups="account.group_account_invoice",
            company_id=company.id, company_ids=[company.id],
        )
        self._invoice(self.customer, 1200, "2026-02-10")
        with freeze_time("2026-04-01"):
            with self.assertRaises(AccessError), self.cr.savepoint():
                self.program.with_user(sales_rep).action_settle_rebates()
            self.assertFalse(self.Rebate.search_count([]))
            action = self.program.with_user(manager).action_settle_rebates()
        rebate = self.Rebate.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(action["domain"], [("id", "in", rebate.ids)])
        self.assertRebate(rebate, base=1200, rate=2, amount=24)
        # Accountants see the rebates they review; nobody but the settlement creates them.
        self.assertEqual(self.Rebate.with_user(billing).search([]), rebate)
        self.assertEqual(self.Rebate.with_user(sales_rep).search([]), rebate)
        with self.assertRaises(AccessError):
            self.Rebate.with_user(billing).create({
                "partner_id": self.customer.id, "program_id": self.program.id, "date_from": "2026-01-01",
                "date_to": "2026-03-31", "amount": 10,
            })
        rebate.move_id.with_user(billing).action_post()
        self.assertEqual(rebate.state, "posted")

    def test_nothing_to_settle_says_so(self):
        with freeze_time("2026-04-01"):
            action = self.program.action_settle_rebates()
        self.assertEqual(action["tag"], "display_notification")

    def test_rebate_outside_0_100_is_refused(self):
        for percent in (-1, 101):
            with self.subTest(percent=percent):
                with self.assertRaisesRegex(ValidationError, "Tier Gold of program"), self.cr.savepoint():
                    self.gold.rebate_percent = percent
                    self.env.flush_all()
                self.gold.invalidate_recordset()
                self.assertEqual(self.gold.rebate_percent, 2)

    def test_posted_rebate_does_not_lower_the_customer_tier_spend(self):
        with freeze_time("2026-02-10"):
            self._invoice(self.customer, 1000, "2026-02-10")
        rebate = self._settle("2026-04-01")
        with freeze_time("2026-04-02"):
            rebate.move_id.action_post()
            self.customer.wholesale_recompute_tier()
        self.assertTier(self.customer, self.gold, 1000.0)

    def test_reversal_of_a_rebate_is_no_spend_and_earns_no_points(self):
        with freeze_time("2026-02-10"):
            self._invoice(self.customer, 60000, "2026-02-10")  # Platinum: 5% rebate, 3,000
        rebate = self._settle("2026-04-01")
        with freeze_time("2026-04-02"):
            balance = self._balance()
            rebate.move_id.action_post()
            self.assertEqual(self._balance(), balance, "a rebate credit note takes no points")
            reversal = rebate.move_id._reverse_moves([{"invoice_date": "2026-04-02", "date": "2026-04-02"}])
            reversal.action_post()
            self.assertEqual(reversal.move_type, "out_invoice")
            self.customer.wholesale_recompute_tier()
        self.assertTier(self.customer, self.platinum, 60000.0)
        self.assertEqual(self._balance(), balance, "giving a rebate back earns no points")
        self.assertGreater(balance, 0)
