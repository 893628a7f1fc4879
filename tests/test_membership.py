"""Paid tiers: a tier bought with a membership product holds until the membership ends,
renewals extend it, credit notes and removed payments undo it."""
from datetime import date

import pytest
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from odoo.addons.wholesale_loyalty.tools.membership_rules import Period, Purchase, layout_memberships

from .common import WholesaleLoyaltyCommon


def test_renewal_starts_when_the_running_membership_ends():
    periods = layout_memberships([
        Purchase(2, date(2027, 1, 15), 12, None),
        Purchase(1, date(2026, 3, 1), 12, None),
    ])
    assert periods == {
        1: Period(date(2026, 3, 1), date(2027, 2, 28), False),
        2: Period(date(2027, 3, 1), date(2028, 2, 29), False),
    }


def test_refunded_membership_ends_on_the_credit_note_and_the_next_moves_up():
    periods = layout_memberships([
        Purchase(1, date(2026, 3, 1), 12, date(2026, 6, 10)),
        Purchase(2, date(2026, 5, 1), 12, None),
    ])
    assert periods == {
        1: Period(date(2026, 3, 1), date(2026, 6, 10), True),
        2: Period(date(2026, 6, 10), date(2027, 6, 9), False),
    }


def test_renewal_refunded_before_it_starts_takes_no_time():
    periods = layout_memberships([
        Purchase(1, date(2026, 3, 1), 12, None),
        Purchase(2, date(2026, 4, 1), 12, date(2026, 5, 1)),
        Purchase(3, date(2026, 6, 1), 1, None),
    ])
    assert periods[2] == Period(date(2027, 3, 1), date(2027, 3, 1), True)
    assert periods[3] == Period(date(2027, 3, 1), date(2027, 3, 31), False)


@pytest.mark.parametrize(("start", "months", "end"), [
    (date(2026, 1, 31), 1, date(2026, 2, 27)),
    (date(2024, 2, 29), 12, date(2025, 2, 27)),
    (date(2026, 3, 1), 12, date(2027, 2, 28)),
])
def test_membership_end_is_the_day_before_the_same_day_months_later(start, months, end):
    assert layout_memberships([Purchase(1, start, months, None)])[1].date_end == end


@tagged("post_install", "-at_install")
class TestPaidTier(WholesaleLoyaltyCommon):
    """The Gold tier of the test program is sold for 300 a year."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fee_product = cls.env["product.product"].create({
            "name": "Gold membership (12 months)", "type": "service", "list_price": 300.0,
        })
        cls.gold.write({"membership_available": True, "membership_product_id": cls.fee_product.id})
        cls.memberships = cls.env["wholesale.loyalty.membership"]

    @classmethod
    def _fee_invoice(cls, partner, date, quantity=1, post=True, company=None):
        move = cls.env["account.move"].with_company(company or cls.env.company).create({
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_date": date,
            "invoice_line_ids": [Command.create({
                "product_id": cls.fee_product.id, "quantity": quantity, "price_unit": 300.0,
                "tax_ids": [Command.clear()],
            })],
        })
        if post:
            move.action_post()
        return move

    def _bought(self, date, partner=None):
        """A fee invoice of ``date``, paid that day."""
        invoice = self._fee_invoice(partner or self.customer, date)
        self._pay(invoice, date)
        return invoice

    def _credit_note(self, invoice, date):
        refund = invoice._reverse_moves([{"invoice_date": date, "date": date}])
        refund.action_post()
        return refund

    def _membership(self, partner=None):
        return self.memberships.search([("partner_id", "=", (partner or self.customer).id)], order="id")

    def _membership_mails(self, partner=None):
        return self.env["mail.mail"].sudo().search([
            ("recipient_ids", "in", (partner or self.customer).ids), ("model", "=", "wholesale.loyalty.membership"),
        ])

    # ------------------------------------------------------------------ bought

    def test_paid_fee_gives_the_tier_whatever_the_spend(self):
        with freeze_time("2026-03-01"):
            invoice = self._fee_invoice(self.customer, "2026-03-01")
            self.assertTier(self.customer, self.silver, 300.0)
            self.assertFalse(self._membership(), "a posted fee is not a paid one")
            self._pay(invoice, "2026-03-01")
        membership = self._membership()
        self.assertRecordValues(membership, [{
            "tier_id": self.gold.id, "program_id": self.program.id, "move_id": invoice.id, "state": "active",
            "date_start": date(2026, 3, 1), "date_end": date(2027, 2, 28), "amount": 300.0, "months": 12,
        }])
        self.assertTier(self.customer, self.gold, 300.0)
        change = self._history(self.customer)[-1]
        self.assertEqual((change.reason, change.old_tier_id, change.new_tier_id),
                         ("membership", self.silver, self.gold))
        self.assertIn("Paid membership Gold of Test Program", self.customer.message_ids.mapped("preview")[0])
        mails = self._membership_mails()
        self.assertEqual(len(mails), 1)
        self.assertIn("Thank you for your membership", mails.body_html)
        tier_mails = self.env["mail.mail"].sudo().search([
            ("recipient_ids", "in", self.customer.ids), ("model", "=", "wholesale.loyalty.tier.history"),
            ("res_id", "=", change.id),
        ])
        self.assertFalse(tier_mails, "the membership mail tells the change, not a mail about purchases")
        with freeze_time("2026-06-01"):
            status = self.customer.wholesale_status()[0]
            self.assertEqual((status["membership_tier"], status["membership_until"]), ("Gold", "2027-02-28"))
            self.customer.invalidate_recordset()
            self.assertEqual(self.customer.wholesale_membership_tier_id, self.gold)
            self.assertEqual(self.customer.wholesale_membership_until, date(2027, 2, 28))

    def test_two_units_buy_two_periods_and_higher_spend_keeps_its_tier(self):
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 6000.0, "2026-03-01")
            invoice = self._fee_invoice(self.customer, "2026-03-01", quantity=2)
            self._pay(invoice, "2026-03-01")
        self.assertEqual(self._membership().date_end, date(2028, 2, 29))
        self.assertTier(self.customer, self.platinum)

    def test_unpaid_or_partly_paid_fee_gives_nothing(self):
        with freeze_time("2026-03-01"):
            invoice = self._fee_invoice(self.customer, "2026-03-01")
            self._pay(invoice, "2026-03-01", amount=100.0)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertFalse(self._membership())
        self.assertTier(self.customer, self.silver)
        with freeze_time("2026-03-10"):
            self._pay(invoice, "2026-03-10", amount=200.0)
        self.assertRecordValues(self._membership(), [{"state": "active", "date_start": date(2026, 3, 10)}])
        self.assertTier(self.customer, self.gold)

    def test_paid_twice_or_synced_again_changes_nothing(self):
        with freeze_time("2026-03-01"):
            invoice = self._bought("2026-03-01")
            history, mails = self._history(self.customer), self._membership_mails()
            invoice._invoice_paid_hook()
            self.memberships._sync_invoices(invoice)
            self.engine._recalculate()
        self.assertEqual(len(self._membership()), 1)
        self.assertEqual(self._history(self.customer), history)
        self.assertEqual(self._membership_mails(), mails)
        self.assertTier(self.customer, self.gold)

    def test_full_recalculation_keeps_the_paid_tier(self):
        with freeze_time("2026-03-01"):
            self._bought("2026-03-01")
        with freeze_time("2026-09-01"):
            history = self._history(self.customer)
            self.engine._recalculate()
            self.customer.wholesale_recompute_tier()
        self.assertTier(self.customer, self.gold)
        self.assertEqual(self._history(self.customer), history)

    # ------------------------------------------------------------------ renewed

    def test_renewal_before_the_end_extends_the_membership(self):
        with freeze_time("2026-03-01"):
            self._bought("2026-03-01")
        with freeze_time("2027-01-15"):
            self._bought("2027-01-15")
        first, renewal = self._membership()
        self.assertEqual(first.date_end, date(2027, 2, 28))
        self.assertRecordValues(renewal, [{
            "date_start": date(2027, 3, 1), "date_end": date(2028, 2, 29), "is_renewal": True, "state": "active",
        }])
        self.assertIn("Thank you for renewing", self._membership_mails()[0].body_html)
        with freeze_time("2027-01-15"):
            self.assertEqual(self.customer.wholesale_status()[0]["membership_until"], "2028-02-29")
        with freeze_time("2027-03-02"):
            self.memberships._cron_end_expired()
            self.engine._recalculate()
        self.assertEqual(first.state, "expired")
        self.assertTier(self.customer, self.gold)

    def test_renewal_after_the_end_starts_when_paid(self):
        with freeze_time("2026-03-01"):
            self._bought("2026-03-01")
        with freeze_time("2027-04-01"):
            self._bought("2027-04-01")
        self.assertRecordValues(self._membership()[1], [{"date_start": date(2027, 4, 1), "is_renewal": False}])

    # ------------------------------------------------------------------ refunded

    def test_credit_note_of_the_fee_ends_the_membership(self):
        with freeze_time("2026-03-01"):
            invoice = self._bought("2026-03-01")
        with freeze_time("2026-05-01"):
            refund = self._credit_note(invoice, "2026-05-01")
        self.assertRecordValues(self._membership(), [{
            "state": "refunded", "date_end": date(2026, 5, 1), "refund_move_id": refund.id,
        }])
        self.assertTier(self.customer, self.silver)
        self.assertEqual(self._history(self.customer)[-1].reason, "membership")
        self.assertIn("ended on", self._membership_mails()[0].body_html)
        # The credit note undone: the membership holds again.
        with freeze_time("2026-05-02"):
            refund.button_draft()
        self.assertRecordValues(self._membership(), [{"state": "active", "date_end": date(2027, 2, 28)}])
        self.assertTier(self.customer, self.gold)

    def test_credit_note_without_the_fee_leaves_the_membership(self):
        with freeze_time("2026-03-01"):
            invoice = self._bought("2026-03-01")
            self._refund(invoice, 50.0, "2026-03-01")
        self.assertEqual(self._membership().state, "active")
        self.assertTier(self.customer, self.gold)

    def test_grace_period_applies_when_the_membership_is_credited(self):
        self.program.downgrade_grace_days = 30
        with freeze_time("2026-03-01"):
            invoice = self._bought("2026-03-01")
        with freeze_time("2026-05-01"):
            self._credit_note(invoice, "2026-05-01")
        self.customer.invalidate_recordset()
        self.assertTier(self.customer, self.gold)
        self.assertEqual(self.customer.wholesale_downgrade_since, date(2026, 5, 1))
        with freeze_time("2026-06-01"):
            self.engine._recalculate()
        self.assertTier(self.customer, self.silver)

    # ------------------------------------------------------------------ expired

    def test_expired_membership_falls_back_to_the_spend_tier_once(self):
        with freeze_time("2026-03-01"):
            self._bought("2026-03-01")
        with freeze_time("2027-02-28"):
            self.memberships._cron_end_expired()
        self.assertEqual(self._membership().state, "active", "the last day is still held")
        with freeze_time("2027-03-01"):
            self.memberships._cron_end_expired()
            history, mails = self._history(self.customer), self._membership_mails()
            self.memberships._cron_end_expired()
        self.assertEqual(self._membership().state, "expired")
        self.assertTier(self.customer, self.silver)
        self.assertEqual(history[-1].reason, "membership")
        self.assertEqual(self._history(self.customer), history, "a second run changes nothing")
        self.assertEqual(self._membership_mails(), mails)
        self.assertIn("ended on", mails[0].body_html)
        with freeze_time("2027-03-01"):
            self.assertFalse(self.customer.wholesale_status()[0]["membership_tier"])

    def test_the_tier_falls_back_on_recalculation_even_before_the_cron(self):
        with freeze_time("2026-03-01"):
            self._bought("2026-03-01")
        with freeze_time("2027-02-28"):
            self.engine._recalculate()
        self.assertTier(self.customer, self.gold)
        with freeze_time("2027-03-01"):
            self.engine._recalculate()
        self.assertTier(self.customer, self.silver)
        self.assertEqual(self._membership().state, "active", "the cron, not the engine, ends the membership")

    # ------------------------------------------------------------------ payment undone

    def test_removed_payment_cancels_and_paying_again_restores(self):
        with freeze_time("2026-03-01"):
            invoice = self._bought("2026-03-01")
        with freeze_time("2026-03-05"):
            invoice.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable") \
                .remove_move_reconcile()
        self.assertEqual(invoice.payment_state, "not_paid")
        membership = self._membership()
        self.assertEqual(membership.state, "cancelled")
        self.assertTier(self.customer, self.silver)
        self.assertIn("cancelled", self.customer.message_ids.mapped("preview")[0])
        with freeze_time("2026-03-06"):
            self._pay(invoice, "2026-03-06")
        self.assertEqual(self._membership(), membership, "the same membership, not a second one")
        self.assertRecordValues(membership, [{"state": "active", "date_start": date(2026, 3, 6)}])
        self.assertTier(self.customer, self.gold)

    def test_fee_invoice_reset_to_draft_or_cancelled_cancels(self):
        with freeze_time("2026-03-01"):
            invoice = self._bought("2026-03-01")
            invoice.button_draft()
            self.assertEqual(self._membership().state, "cancelled")
            self.assertTier(self.customer, self.silver)
            invoice.button_cancel()
        self.assertEqual(self._membership().state, "cancelled")

    # ------------------------------------------------------------------ rights and companies

    def test_billing_user_without_loyalty_rights_sells_the_membership(self):
        clerk = self._company_user("fee_clerk", "account.group_account_invoice")
        self.assertFalse(clerk.has_group("wholesale_loyalty.group_wholesale_loyalty_user"))
        with freeze_time("2026-03-01"):
            invoice = self._fee_invoice(self.customer, "2026-03-01", post=False)
            invoice.with_user(clerk).action_post()
            self._pay(invoice.with_user(clerk), "2026-03-01")
        self.assertEqual(self._membership().state, "active")
        self.assertTier(self.customer, self.gold)

    def test_memberships_are_read_only_for_everybody(self):
        with freeze_time("2026-03-01"):
            self._bought("2026-03-01")
        manager = self._company_user("paid_tier_admin", "wholesale_loyalty.group_wholesale_loyalty_manager")
        rep = self._company_user("paid_tier_rep", "sales_team.group_sale_salesman")
        for user in (manager, rep):
            membership = self._membership().with_user(user)
            self.assertEqual(membership.tier_id, self.gold, "loyalty users see memberships")
            with freeze_time("2026-03-02"):
                self.assertEqual(self.customer.with_user(user).wholesale_status()[0]["membership_tier"], "Gold")
            with self.assertRaises(AccessError):
                membership.write({"date_end": "2030-01-01"})
            with self.assertRaises(AccessError):
                membership.with_context(wholesale_notifying=True).create({
                    "partner_id": self.customer.id, "program_id": self.program.id, "tier_id": self.platinum.id,
                    "company_id": self.program.company_id.id, "months": 12,
                })
        self.assertEqual(self._membership().date_end, date(2027, 2, 28))

    def test_another_companys_invoice_or_product_buys_nothing(self):
        other = self.setup_other_company(name="Other Paid Tier Company")["company"]
        self.env.user.company_ids |= other
        with freeze_time("2026-03-01"):
            invoice = self._fee_invoice(self.customer, "2026-03-01", company=other)
            self._pay(invoice, "2026-03-01")
        self.assertEqual(invoice.company_id, other)
        self.assertFalse(self.memberships.search([("move_id", "=", invoice.id)]))
        self.assertTier(self.customer, self.silver)
        foreign = self.env["product.product"].create({
            "name": "Foreign membership", "type": "service", "company_id": other.id,
        })
        with self.assertRaisesRegex(ValidationError, "Other Paid Tier Company"):
            self.platinum.write({"membership_available": True, "membership_product_id": foreign.id})
        self.assertFalse(self.platinum.membership_product_id)

    # ------------------------------------------------------------------ bad input

    def test_bad_membership_settings_are_refused_and_write_nothing(self):
        goods = self.env["product.product"].create({"name": "Pallet", "type": "consu"})
        service = self.env["product.product"].create({"name": "Platinum membership", "type": "service"})
        cases = [
            ({"membership_months": -3}, "at least one month"),
            ({"membership_months": 0}, "at least one month"),
            ({"membership_available": True}, "choose the membership product"),
            ({"membership_available": True, "membership_product_id": goods.id}, "must be a service"),
            ({"membership_available": True, "membership_product_id": self.fee_product.id}, "buys one tier only"),
        ]
        for vals, message in cases:
            with self.subTest(vals=vals), self.assertRaisesRegex(ValidationError, message) as caught:
                self.platinum.write(vals)
            self.assertIn("Platinum", str(caught.exception))
            self.assertIn("Test Program", str(caught.exception))
        self.assertRecordValues(self.platinum, [{
            "membership_available": False, "membership_product_id": False, "membership_months": 12,
        }])
        with self.assertRaisesRegex(ValidationError, "Tier Diamond of program Test Program"):
            self.env["wholesale.loyalty.tier"].create({
                "program_id": self.program.id, "name": "Diamond", "threshold_amount": 9000,
                "membership_available": True, "membership_product_id": service.id, "membership_months": -1,
            })
        self.assertFalse(self.env["wholesale.loyalty.tier"].search([("name", "=", "Diamond")]))
        self.gold.membership_available = False
        with freeze_time("2026-03-01"):
            self._bought("2026-03-01")
        self.assertFalse(self._membership(), "a tier no longer for sale is not bought")
