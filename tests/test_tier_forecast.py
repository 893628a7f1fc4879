"""Warning before a drop: when a customer's spend of a rolling period falls below its tier
without new purchases, what keeps the tier, and the warning sent once per risk."""
from datetime import date

from freezegun import freeze_time
from lxml import html

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestTierForecast(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.write({
            "qualification_period": "rolling", "period_months": 3, "downgrade_grace_days": 0,
            "retention_warning_days": 30,
        })
        cls.forecast = cls.env["wholesale.loyalty.tier.forecast"]

    def _risk(self, partner, today):
        return self.forecast._risks(self.program, [partner.id], today=today).get(partner.id)

    def _drops_on(self, partner, keep_by):
        """The engine's own answer: the tier holds the day before ``keep_by`` and not on it."""
        with freeze_time(date.fromordinal(keep_by.toordinal() - 1)):
            partner.wholesale_recompute_tier()
            held = partner.wholesale_tier_id
        with freeze_time(keep_by):
            partner.wholesale_recompute_tier()
            after = partner.wholesale_tier_id
        return held, after

    def test_first_day_below_the_tier_and_the_gap(self):
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 600.0, "2026-01-10")
            self._invoice(self.customer, 500.0, "2026-02-20")
            self.assertTier(self.customer, self.gold, 1100.0)
        risk = self._risk(self.customer, date(2026, 3, 1))
        # The 600 of 10 January leaves the three months on 10 April: 500 left, 500 short.
        self.assertEqual((risk.tier_id, risk.keep_by, risk.amount), (self.gold.id, date(2026, 4, 10), 500.0))
        self.assertEqual(self._drops_on(self.customer, risk.keep_by), (self.gold, self.silver))

    def test_document_of_a_month_end_leaves_after_the_clipped_date(self):
        with freeze_time("2026-01-05"):
            self._invoice(self.customer, 1200.0, "2025-11-30")
        risk = self._risk(self.customer, date(2026, 1, 5))
        # 30 November plus three months is 28 February (clipped): the window still starts on
        # 29 November that day; the invoice leaves on 1 March.
        self.assertEqual((risk.keep_by, risk.amount), (date(2026, 3, 1), 1000.0))
        self.assertEqual(self._drops_on(self.customer, risk.keep_by), (self.gold, self.silver))

    def test_credit_notes_count_when_they_leave_too(self):
        with freeze_time("2026-03-01"):
            invoice = self._invoice(self.customer, 1500.0, "2026-01-10")
            self._refund(invoice, 400.0, "2026-02-15")
            self._invoice(self.customer, 300.0, "2026-02-20")
            self.assertTier(self.customer, self.gold, 1400.0)
        risk = self._risk(self.customer, date(2026, 3, 1))
        # On 10 April the 1,500 leaves: -400 + 300 = -100 remain, 1,100 short of Gold.
        self.assertEqual((risk.keep_by, risk.amount), (date(2026, 4, 10), 1100.0))

    def test_spend_that_stays_above_is_no_risk(self):
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 1200.0, "2026-01-10")
            self._invoice(self.customer, 1100.0, "2026-02-20")
        risk = self._risk(self.customer, date(2026, 3, 1))
        # After 10 April 1,100 remain, still Gold; the risk is when that one leaves too.
        self.assertEqual((risk.keep_by, risk.amount), (date(2026, 5, 20), 1000.0))

    def test_customer_in_grace_must_buy_before_the_downgrade_day(self):
        self.program.downgrade_grace_days = 10
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 1200.0, "2026-01-10")
        with freeze_time("2026-04-12"):
            self.customer.wholesale_recompute_tier()
            self.assertTier(self.customer, self.gold, 0.0)
        risk = self._risk(self.customer, date(2026, 4, 12))
        self.assertEqual((risk.keep_by, risk.amount), (date(2026, 4, 22), 1000.0))

    def test_warning_names_the_day_the_tier_is_lost_after_grace_once(self):
        self.program.downgrade_grace_days = 10
        self.customer.user_id = self._company_user("forecast_grace_rep", "sales_team.group_sale_salesman")
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 1200.0, "2026-01-10")  # leaves the window on 10 April
            self._invoice(self.customer, 300.0, "2026-01-15")  # leaves on 15 April, in the grace
        risk = self._risk(self.customer, date(2026, 3, 25))
        self.assertEqual((risk.keep_by, risk.amount), (date(2026, 4, 20), 1000.0),
                         "the tier is lost ten days after the spend drops, when the 300 are gone too")

        def mails():
            return self.env["mail.mail"].sudo().search([
                ("recipient_ids", "in", self.customer.ids), ("subject", "like", "Keep your"),
            ])

        for day in ("2026-03-25", "2026-04-10", "2026-04-12", "2026-04-16"):
            with freeze_time(day):
                self.env["res.partner"]._cron_wholesale_recalculate_tiers()
                self.forecast._cron_warn_tier_risks()
        self.assertEqual(len(mails()), 1, "one warning per risk: the grace starting is the same risk")
        self.assertIn("04/20/2026", mails().body_html)
        self.assertEqual(self._drops_on(self.customer, risk.keep_by), (self.gold, self.silver),
                         "the daily run takes the tier on the day the warning named")

    def test_no_risk_for_locked_entry_tier_or_lifetime(self):
        beta = self._customer("Beta")
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 1200.0, "2026-01-10")
            self._invoice(beta, 1200.0, "2026-01-10")
        beta.write({"wholesale_tier_locked": True, "wholesale_tier_lock_reason": "Key account"})
        newcomer = self._customer("Newcomer")
        risks = self.forecast._risks(self.program, today=date(2026, 3, 1))
        self.assertIn(self.customer.id, risks)
        self.assertNotIn(beta.id, risks, "a locked tier does not move")
        self.assertNotIn(newcomer.id, risks, "the entry tier cannot be lost")
        self.program.qualification_period = "lifetime"
        self.assertFalse(self.forecast._risks(self.program, today=date(2026, 3, 1)))

    def test_status_form_and_quotation_show_the_risk(self):
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 1200.0, "2026-01-10")
            status = self.customer.wholesale_status()[0]
            self.assertEqual(status["keep_tier_by"], "2026-04-10")
            self.assertAlmostEqual(status["keep_tier_amount"], 1000.0)
            self.assertEqual(self.customer._wholesale_member().keep_tier_id, self.gold)
            order = self.env["sale.order"].create({
                "partner_id": self.customer.id,
                "order_line": [Command.create({"product_id": self.product_a.id, "product_uom_qty": 1})],
            })
            self.assertIn("to keep Gold", order.wholesale_keep_tier_message)
            self.assertIn("1,000.00", order.wholesale_keep_tier_message)

    def test_statement_shows_the_risk_as_the_portal_does(self):
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 1200.0, "2026-01-10")
            content, _kind = self.env["ir.actions.report"]._render_qweb_html(
                "wholesale_loyalty_reports.report_loyalty_statement", self.customer.ids)
        [line] = html.fromstring(content).xpath("//p[hasclass('o_statement_keep_tier')]")
        self.assertEqual(" ".join(line.text_content().split()), "Buy $ 1,000.00 more by 04/10/2026 to keep Gold.")

    def test_warning_is_sent_once_per_risk(self):
        salesperson = self._company_user("forecast_rep", "sales_team.group_sale_salesman")
        self.customer.user_id = salesperson
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 1200.0, "2026-01-10")

        def mails():
            return self.env["mail.mail"].sudo().search([
                ("recipient_ids", "in", self.customer.ids), ("subject", "like", "Keep your"),
            ])

        def activities():
            return self.customer.activity_ids.filtered(lambda activity: activity.user_id == salesperson)

        with freeze_time("2026-03-01"):  # 40 days ahead: not yet
            self.forecast._cron_warn_tier_risks()
        self.assertFalse(mails())
        with freeze_time("2026-03-15"):
            self.forecast._cron_warn_tier_risks()
            self.forecast._cron_warn_tier_risks()
        self.assertEqual(len(mails()), 1)
        self.assertIn("Gold", mails().subject)
        self.assertEqual(len(activities()), 1)
        self.assertIn("Keep Gold", activities().summary)
        self.assertIn("1,000.00", mails().body_html, "the mail says what keeps the tier")
        # A new purchase moves the risk to another day: that one is warned of again.
        with freeze_time("2026-03-20"):
            self._invoice(self.customer, 100.0, "2026-03-20")
            self.forecast._cron_warn_tier_risks()
        self.assertEqual(len(mails()), 1, "10 April is still the day: 1,200 leave, 100 remain")
        with freeze_time("2026-03-21"):
            self._invoice(self.customer, 950.0, "2026-03-21")
        with freeze_time("2026-05-25"):
            self.env["res.partner"]._cron_wholesale_recalculate_tiers()
            self.forecast._cron_warn_tier_risks()
        self.assertEqual(len(mails()), 2)

    def test_horizon_keeps_exactly_the_risks_due_by_it(self):
        self.program.downgrade_grace_days = 5
        beta, gamma, delta = self._customer("Beta"), self._customer("Gamma"), self._customer("Delta")
        with freeze_time("2026-01-05"):
            self._invoice(self.customer, 1200.0, "2025-11-30")  # leaves on 1 March
            self._invoice(beta, 700.0, "2025-12-01")
            self._invoice(beta, 700.0, "2026-01-02")  # 700 left on 1 March, all gone on 2 April
            self._invoice(gamma, 6000.0, "2025-12-15")  # Platinum until 15 March
            invoice = self._invoice(delta, 1500.0, "2025-12-20")
        with freeze_time("2026-03-01"):
            self._refund(invoice, 800.0, "2026-03-01")  # Delta below Gold: in grace
        full = self.forecast._risks(self.program, today=date(2026, 3, 1))
        self.assertEqual(len(full), 4)
        for due_by in (date(2026, 3, 1), date(2026, 3, 6), date(2026, 3, 15), date(2026, 3, 20), date(2026, 4, 2)):
            expected = {pid: risk for pid, risk in full.items() if risk.keep_by <= due_by}
            self.assertEqual(self.forecast._risks(self.program, today=date(2026, 3, 1), due_by=due_by), expected,
                             f"risks due by {due_by}")

    def test_negative_warning_days_are_refused(self):
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.program.retention_warning_days = -1
        self.program.invalidate_recordset()
        self.assertEqual(self.program.retention_warning_days, 30)
