"""Each event type, queued by the real path that causes it, with the data an integrator acts on."""
from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestEventTypes(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wholesale.loyalty.webhook"].sudo().search([]).write({"active": False})
        cls.program.write({"points_validity_months": 1})
        cls.gold.points_multiplier = 1.0
        cls.webhook = cls.env["wholesale.loyalty.webhook"].create({
            "name": "CRM", "url": "https://crm.example.com/events", "secret": "s",
            "company_id": cls.program.company_id.id,
        })

    def _payloads(self, event_type, partner=None):
        events = self.env["wholesale.loyalty.event"].search([
            ("event_type", "=", event_type), ("partner_id", "=", (partner or self.customer).id),
        ], order="id")
        self.assertEqual(set(events.mapped("company_id")), {self.program.company_id} if events else set())
        return events.mapped("payload")

    def test_tier_changed_and_points_earned_by_an_invoice(self):
        with freeze_time("2026-03-01"):
            invoice = self._invoice(self.customer, 1500.0, "2026-03-01")
        [change] = [data for data in self._payloads("tier.changed") if data["reason"] == "realtime"]
        self.assertEqual((change["partner_id"], change["program_id"]), (self.customer.id, self.program.id))
        self.assertEqual((change["old_tier"]["name"], change["new_tier"]["name"]), ("Silver", "Gold"))
        self.assertEqual((change["new_tier"]["id"], change["direction"]), (self.gold.id, "up"))
        self.assertAlmostEqual(change["qualifying_amount"], 1500.0)
        [earned] = self._payloads("points.earned")
        self.assertEqual((earned["points"], earned["balance"], earned["kind"]), (15, 15, "earn"))
        self.assertEqual((earned["invoice_id"], earned["invoice_name"]), (invoice.id, invoice.name))
        self.assertEqual(earned["expiry_date"], "2026-04-01")

    def test_points_redeemed_expired_and_will_expire(self):
        with freeze_time("2026-01-10"):
            self._invoice(self.customer, 3000.0, "2026-01-10")  # 30 points, expire 10 February
            order = self._redeemed_order(10, amount=1000.0)
        [redeemed] = self._payloads("points.redeemed")
        self.assertEqual((redeemed["points"], redeemed["balance"]), (-10, 20))
        self.assertEqual((redeemed["sale_order_id"], redeemed["sale_order_name"]), (order.id, order.name))
        with freeze_time("2026-02-01"):
            self.env["wholesale.loyalty.points"]._send_expiry_reminders()
        [warning] = self._payloads("points.will_expire")
        self.assertEqual((warning["points"], warning["first_expiry_date"]), (20, "2026-02-10"))
        with freeze_time("2026-02-11"):
            self.env["wholesale.loyalty.points"]._expire_lots()
        [expired] = self._payloads("points.expired")
        self.assertEqual((expired["points"], expired["balance"]), (-20, 0))

    def test_tier_will_downgrade_says_what_keeps_the_tier(self):
        self.program.write({
            "qualification_period": "rolling", "period_months": 3, "downgrade_grace_days": 0,
            "retention_warning_days": 30,
        })
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 1200.0, "2026-01-10")
        with freeze_time("2026-03-15"):
            self.env["wholesale.loyalty.tier.forecast"]._cron_warn_tier_risks()
        [risk] = self._payloads("tier.will_downgrade")
        self.assertEqual(risk["tier"], {"id": self.gold.id, "name": "Gold"})
        self.assertEqual(risk["keep_tier_by"], "2026-04-10")
        self.assertAlmostEqual(risk["keep_tier_amount"], 1000.0)
        with freeze_time("2026-03-15"):
            self.customer.invalidate_recordset()
            self.assertEqual(risk["keep_tier_by"], self.customer._wholesale_member().keep_tier_by.isoformat(),
                             "the same day the customer's screen shows")

    def test_paid_tier_started_and_ended(self):
        product = self.env["product.product"].create({
            "name": "Gold membership (12 months)", "type": "service", "list_price": 300.0,
        })
        self.gold.write({"membership_available": True, "membership_product_id": product.id})
        fee = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.customer.id, "invoice_date": "2026-03-01",
            "invoice_line_ids": [Command.create({
                "product_id": product.id, "quantity": 1, "price_unit": 300.0, "tax_ids": [Command.clear()],
            })],
        })
        with freeze_time("2026-03-01"):
            fee.action_post()
            self._pay(fee, "2026-03-01")
        [started] = self._payloads("paid_tier.started")
        self.assertEqual(started["tier"], {"id": self.gold.id, "name": "Gold"})
        self.assertEqual((started["date_start"], started["date_end"]), ("2026-03-01", "2027-02-28"))
        self.assertEqual((started["invoice_id"], started["reason"]), (fee.id, "started"))
        self.assertIn("Gold", [data["new_tier"]["name"] for data in self._payloads("tier.changed")
                               if data["new_tier"]])
        with freeze_time("2026-04-01"):
            refund = fee._reverse_moves([{"invoice_date": "2026-04-01", "date": "2026-04-01"}])
            refund.action_post()
        [ended] = self._payloads("paid_tier.ended")
        self.assertEqual((ended["reason"], ended["credit_note_id"]), ("refunded", refund.id))

    def test_rebate_settled(self):
        self.program.rebate_period = "quarter"
        self.gold.rebate_percent = 2
        self._invoice(self.customer, 1200.0, "2026-02-10")
        with freeze_time("2026-04-01"):
            rebate = self.env["wholesale.loyalty.rebate"]._settle(programs=self.program)
        [settled] = self._payloads("rebate.settled")
        self.assertEqual((settled["rebate_id"], settled["credit_note_id"]), (rebate.id, rebate.move_id.id))
        self.assertEqual((settled["date_from"], settled["date_to"]), ("2026-01-01", "2026-03-31"))
        self.assertAlmostEqual(settled["amount"], 24.0)
        self.assertEqual(settled["tier"]["name"], "Gold")

    def test_joining_another_companys_program_tells_only_that_company(self):
        other_company = self.setup_other_company()["company"]
        foreign = self.env["wholesale.loyalty.webhook"].create({
            "name": "Other CRM", "url": "https://other.example.com/events", "secret": "s",
            "company_id": other_company.id,
        })
        other_program = self.env["wholesale.loyalty.program"].with_company(other_company).create({
            "name": "Other Program", "sequence": -1, "company_id": other_company.id,
            "partner_domain": str([("id", "=", self.customer.id)]),
            "tier_ids": [Command.create({"name": "Member", "threshold_amount": 0})],
        })
        self.env["wholesale.loyalty.tier.engine"]._enroll(other_program)
        events = self.env["wholesale.loyalty.event"].search([("partner_id", "=", self.customer.id)])
        mine = events.filtered(lambda event: event.webhook_id == self.webhook)
        theirs = events.filtered(lambda event: event.webhook_id == foreign)
        # Each company runs its own program: the customer is a member of both.
        self.assertEqual(self.customer.wholesale_program_id, self.program)
        self.assertEqual(self.customer.wholesale_tier_id, self.silver)
        self.assertEqual(self.customer.with_company(other_company).wholesale_program_id, other_program)
        self.assertFalse(mine.filtered(lambda event: event.payload.get("program_id") == other_program.id),
                         "nothing of the other company's program")
        self.assertIsNone(theirs.payload["old_tier"], "nothing of this company's program")
        self.assertEqual(theirs.payload["program_id"], other_program.id)
