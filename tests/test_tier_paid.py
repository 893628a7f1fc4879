"""Paid tiers: a tier bought with a membership product holds until the membership ends,
renewals extend it, credit notes and removed payments undo it."""
from datetime import date

import pytest
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.wholesale_loyalty.tools.membership_rules import Credit, Period, Purchase, layout_memberships

from .common import WholesaleLoyaltyCommon


def test_renewal_starts_when_the_running_membership_ends():
    periods = layout_memberships([
        Purchase(2, date(2027, 1, 15), 12),
        Purchase(1, date(2026, 3, 1), 12),
    ])
    assert periods == {
        1: Period(date(2026, 3, 1), date(2027, 2, 28), False),
        2: Period(date(2027, 3, 1), date(2028, 2, 29), False),
    }


def test_refunded_membership_ends_on_the_credit_note_and_the_next_moves_up():
    periods = layout_memberships([
        Purchase(1, date(2026, 3, 1), 12, (Credit(date(2026, 6, 10), 0.0),)),
        Purchase(2, date(2026, 5, 1), 12),
    ])
    assert periods == {
        1: Period(date(2026, 3, 1), date(2026, 6, 10), True),
        2: Period(date(2026, 6, 10), date(2027, 6, 9), False),
    }


def test_renewal_refunded_before_it_starts_takes_no_time():
    periods = layout_memberships([
        Purchase(1, date(2026, 3, 1), 12),
        Purchase(2, date(2026, 4, 1), 12, (Credit(date(2026, 5, 1), 0.0),)),
        Purchase(3, date(2026, 6, 1), 1),
    ])
    assert periods[2] == Period(date(2027, 3, 1), date(2027, 3, 1), True)
    assert periods[3] == Period(date(2027, 3, 1), date(2027, 3, 31), False)


def test_a_fee_below_the_price_gives_its_share_of_the_days_rounded_down():
    periods = layout_memberships([Purchase(1, date(2026, 3, 1), 12, share=0.1)])
    assert periods[1] == Period(date(2026, 3, 1), date(2026, 4, 5), False)  # 36 of 365 days


def test_a_fee_paying_no_whole_day_gives_none():
    periods = layout_memberships([Purchase(1, date(2026, 3, 1), 12, share=0.001)])
    assert periods[1] == Period(date(2026, 3, 1), date(2026, 2, 28), False)


def test_partial_credit_takes_back_the_days_it_paid_for_but_not_the_days_held():
    shortened = layout_memberships([Purchase(1, date(2026, 3, 1), 12, (Credit(date(2026, 5, 1), 0.9),))])
    assert shortened[1] == Period(date(2026, 3, 1), date(2027, 1, 22), False)  # 328 of 365 days
    held = layout_memberships([Purchase(1, date(2026, 3, 1), 12, (Credit(date(2026, 9, 1), 0.1),))])
    assert held[1] == Period(date(2026, 3, 1), date(2026, 8, 31), False)


def test_credits_count_in_date_order_and_after_the_end_take_nothing():
    credits = (Credit(date(2026, 6, 1), 0.0), Credit(date(2026, 4, 1), 0.1))
    periods = layout_memberships([Purchase(1, date(2026, 3, 1), 12, credits)])
    assert periods[1] == Period(date(2026, 3, 1), date(2026, 4, 5), False), "it ran out before the last credit"
    late = layout_memberships([Purchase(1, date(2026, 3, 1), 1, (Credit(date(2026, 5, 1), 0.0),))])
    assert late[1] == Period(date(2026, 3, 1), date(2026, 3, 31), False)


def test_renewal_after_a_partial_credit_starts_the_day_after_the_shortened_end():
    periods = layout_memberships([
        Purchase(1, date(2026, 3, 1), 12, (Credit(date(2026, 4, 1), 0.5),)),
        Purchase(2, date(2026, 6, 1), 12),
    ])
    assert periods[2] == Period(date(2026, 8, 30), date(2027, 8, 29), False)


@pytest.mark.parametrize(("start", "months", "end"), [
    (date(2026, 1, 31), 1, date(2026, 2, 27)),
    (date(2024, 2, 29), 12, date(2025, 2, 27)),
    (date(2026, 3, 1), 12, date(2027, 2, 28)),
])
def test_membership_end_is_the_day_before_the_same_day_months_later(start, months, end):
    assert layout_memberships([Purchase(1, start, months)])[1].date_end == end


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
    def _fee_invoice(cls, partner, date, quantity=1, post=True, company=None, price_unit=300.0, **values):
        move = cls.env["account.move"].with_company(company or cls.env.company).create({
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_date": date,
            "invoice_line_ids": [Command.create({
                "product_id": cls.fee_product.id, "quantity": quantity, "price_unit": price_unit,
                "tax_ids": [Command.clear()],
            })],
            **values,
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

    def _fee_credit_note(self, invoice, amount, date):
        """A posted credit note giving back ``amount`` of the fee of ``invoice``."""
        refund = self.env["account.move"].create({
            "move_type": "out_refund", "partner_id": invoice.partner_id.id, "invoice_date": date,
            "reversed_entry_id": invoice.id, "currency_id": invoice.currency_id.id,
            "invoice_line_ids": [Command.create({
                "product_id": self.fee_product.id, "quantity": 1, "price_unit": amount, "tax_ids": [Command.clear()],
            })],
        })
        refund.action_post()
        return refund

    def _approve(self, membership, user, reason="Launch offer"):
        action = membership.with_user(user).action_approve()
        wizard = self.env[action["res_model"]].with_user(user).with_context(action["context"]).create(
            {"reason": reason}
        )
        return wizard.action_apply()

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
            self.assertEqual(self.customer._wholesale_member().membership_tier_id, self.gold)
            self.assertEqual(self.customer._wholesale_member().membership_until, date(2027, 2, 28))

    def test_a_tier_made_purchasable_or_withdrawn_counts_from_the_next_invoice(self):
        # The tiers customers can buy are cached for the posting of every invoice: a change
        # of them must reach the next invoice, not the next restart.
        self.gold.membership_available = False
        with freeze_time("2026-03-01"):
            self._bought("2026-03-01")
            self.assertFalse(self._membership(), "the tier was not for sale")
            self.gold.membership_available = True
            self._bought("2026-03-01")
            self.assertEqual(self._membership().tier_id, self.gold)
            self.gold.membership_available = False
            other = self._customer("Beta Trading")
            self._bought("2026-03-01", partner=other)
            self.assertFalse(self._membership(other), "the tier is no longer for sale")

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

    # ------------------------------------------------------------------ what the money pays for

    def test_fee_of_zero_or_less_buys_nothing(self):
        with freeze_time("2026-03-01"):
            given_back = self._fee_invoice(self.customer, "2026-03-01", post=False, quantity=-1, price_unit=500.0)
            given_back.write({"invoice_line_ids": [Command.create({
                "name": "Goods", "quantity": 1, "price_unit": 800.0, "tax_ids": [Command.clear()],
            })]})
            given_back.action_post()
            free = self._fee_invoice(self.customer, "2026-03-01", price_unit=0.0)
            discounted = self._fee_invoice(self.customer, "2026-03-01", post=False)
            discounted.invoice_line_ids.discount = 100.0
            discounted.action_post()
            netted = self._fee_invoice(self.customer, "2026-03-01", post=False)
            netted.write({"invoice_line_ids": [Command.create({
                "product_id": self.fee_product.id, "quantity": 1, "price_unit": -300.0, "tax_ids": [Command.clear()],
            })]})
            netted.action_post()
            self._pay(given_back, "2026-03-01")
        for invoice in (given_back, free, discounted, netted):
            self.assertIn(invoice.payment_state, ("paid", "in_payment"), invoice.name)
        self.assertFalse(self._membership())
        self.assertTier(self.customer, self.silver)

    def test_fee_below_the_price_gives_nothing_until_approved(self):
        manager = self._company_user("fee_approver", "wholesale_loyalty.group_wholesale_loyalty_manager")
        rep = self._company_user(
            "fee_rep", "sales_team.group_sale_salesman,wholesale_loyalty.group_wholesale_loyalty_user"
        )
        with freeze_time("2026-03-01"):
            invoice = self._fee_invoice(self.customer, "2026-03-01", post=False)
            invoice.invoice_line_ids.discount = 90.0
            invoice.action_post()
            self._pay(invoice, "2026-03-01")
        membership = self._membership()
        self.assertRecordValues(membership, [{
            "state": "to_approve", "amount": 30.0, "list_amount": 300.0, "months": 12,
            "date_start": False, "date_end": False, "approved_by_id": False,
        }])
        self.assertTier(self.customer, self.silver)
        self.assertFalse(self._membership_mails())
        self.assertIn("awaits a loyalty administrator's approval", self.customer.message_ids.mapped("preview")[0])
        with freeze_time("2026-03-05"):
            self.memberships._cron_end_expired()
            self.engine._recalculate()
        self.assertTier(self.customer, self.silver)
        with self.assertRaises(AccessError):
            membership.with_user(rep).action_approve()
        with self.assertRaises(AccessError):
            self.env["wholesale.loyalty.membership.approve.wizard"].with_user(rep).create({
                "membership_id": membership.id, "reason": "Me",
            })
        with freeze_time("2026-03-10 09:00:00"):
            self._approve(membership, manager, "Launch offer agreed by the director")
        # 30 of 300 pays 36 of the 365 days of the year from the day of the approval.
        self.assertRecordValues(membership, [{
            "state": "active", "date_start": date(2026, 3, 10), "date_end": date(2026, 4, 14),
            "approved_by_id": manager.id, "approved_amount": 30.0,
            "approval_reason": "Launch offer agreed by the director",
        }])
        self.assertEqual(str(membership.approved_on), "2026-03-10 09:00:00")
        self.assertTier(self.customer, self.gold)
        self.assertIn("Thank you for your membership", self._membership_mails().body_html)
        self.assertTrue(any("approved against the tier's price" in note and "fee_approver" in note.lower()
                            for note in self.customer.message_ids.mapped("preview")))
        with self.assertRaisesRegex(UserError, "does not await approval"):
            self._approve(membership, manager)

    def test_a_tenth_of_a_unit_is_a_tenth_of_the_fee_and_needs_approval(self):
        with freeze_time("2026-03-01"):
            self._pay(self._fee_invoice(self.customer, "2026-03-01", quantity=0.1), "2026-03-01")
        self.assertRecordValues(self._membership(), [{
            "state": "to_approve", "amount": 30.0, "list_amount": 300.0, "months": 12,
        }])
        self.assertTier(self.customer, self.silver)

    def test_approval_holds_for_the_fee_approved_only(self):
        manager = self._company_user("fee_approver2", "wholesale_loyalty.group_wholesale_loyalty_manager")
        with freeze_time("2026-03-01"):
            invoice = self._fee_invoice(self.customer, "2026-03-01", price_unit=150.0)
            self._pay(invoice, "2026-03-01")
            self._approve(self._membership(), manager)
            self.assertEqual(self._membership().date_end, date(2026, 8, 29))
            # Reset, posted and paid again as it was: the same approval holds.
            invoice.button_draft()
            self.assertEqual(self._membership().state, "cancelled")
            self.assertTier(self.customer, self.silver)
            invoice.action_post()
            self._pay(invoice, "2026-03-01")
        self.assertRecordValues(self._membership(), [{"state": "active", "approved_by_id": manager.id}])
        self.assertTier(self.customer, self.gold)
        with freeze_time("2026-03-02"):
            invoice.button_draft()
            invoice.invoice_line_ids.price_unit = 100.0
            invoice.action_post()
            self._pay(invoice, "2026-03-02")
        self.assertRecordValues(self._membership(), [{
            "state": "to_approve", "amount": 100.0, "approved_by_id": False, "approval_reason": False,
        }])
        self.assertTier(self.customer, self.silver)

    def test_copied_fee_invoice_buys_only_once_paid(self):
        with freeze_time("2026-03-01"):
            invoice = self._bought("2026-03-01")
            copy = invoice.copy({"invoice_date": "2026-03-01"})
            copy.action_post()
        self.assertEqual(len(self._membership()), 1, "a posted copy is not a paid one")
        with freeze_time("2026-04-01"):
            self._pay(copy, "2026-04-01")
        self.assertRecordValues(self._membership()[1], [{
            "move_id": copy.id, "date_start": date(2027, 3, 1), "is_renewal": True,
        }])

    def test_fee_in_a_foreign_currency_counts_in_company_currency(self):
        foreign = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0), ("2026-04-01", 4.0)])
        with freeze_time("2026-03-01"):
            full = self._fee_invoice(self.customer, "2026-03-01", price_unit=600.0, currency_id=foreign.id)
            self._pay(full, "2026-03-01")
            short = self._fee_invoice(self._customer("Beta Trading"), "2026-03-01", price_unit=500.0,
                                      currency_id=foreign.id)
            self._pay(short, "2026-03-01")
        self.assertRecordValues(self._membership(), [{"state": "active", "amount": 300.0, "list_amount": 300.0}])
        self.assertRecordValues(self.memberships.search([("move_id", "=", short.id)]), [{
            "state": "to_approve", "amount": 250.0,
        }])
        # A full credit note at another rate gives back the whole fee, not half of it.
        with freeze_time("2026-05-01"):
            self._credit_note(full, "2026-05-01")
        self.assertRecordValues(self._membership(), [{"state": "refunded", "amount_credited": 300.0}])
        self.assertTier(self.customer, self.silver)

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

    def test_credit_note_of_part_of_the_fee_takes_back_the_days_it_paid_for(self):
        with freeze_time("2026-03-01"):
            invoice = self._bought("2026-03-01")
        with freeze_time("2026-05-01"):
            history, mails = self._history(self.customer), self._membership_mails()
            goodwill = self._fee_credit_note(invoice, 30.0, "2026-05-01")
        # 270 of 300 pays 90% of the year's 365 days: 328 whole days from 1 March.
        self.assertRecordValues(self._membership(), [{
            "state": "active", "date_start": date(2026, 3, 1), "date_end": date(2027, 1, 22),
            "amount_credited": 30.0, "refund_move_id": False,
        }])
        self.assertTier(self.customer, self.gold)
        self.assertEqual(self._history(self.customer), history, "the tier held does not change")
        self.assertEqual(self._membership_mails(), mails, "the customer was told by the credit note itself")
        self.assertIn("now ends on", self.customer.message_ids.mapped("preview")[0])
        with freeze_time("2026-06-01"):
            rest = self._fee_credit_note(invoice, 270.0, "2026-06-01")
        self.assertRecordValues(self._membership(), [{
            "state": "refunded", "date_end": date(2026, 6, 1), "refund_move_id": rest.id, "amount_credited": 300.0,
        }])
        self.assertTier(self.customer, self.silver)
        # The last credit note undone: the goodwill one alone holds again.
        with freeze_time("2026-06-02"):
            rest.button_draft()
        self.assertRecordValues(self._membership(), [{"state": "active", "date_end": date(2027, 1, 22)}])
        self.assertTier(self.customer, self.gold)
        self.assertTrue(goodwill)

    def test_money_back_takes_the_paid_tier_at_once_whatever_the_grace(self):
        self.program.downgrade_grace_days = 30
        with freeze_time("2026-03-01"):
            invoice = self._bought("2026-03-01")
        with freeze_time("2026-05-01"):
            self._credit_note(invoice, "2026-05-01")
        self.customer.invalidate_recordset()
        self.assertTier(self.customer, self.silver)
        self.assertFalse(self.customer._wholesale_member().downgrade_since)
        self._send_tier_notifications()
        change = self._history(self.customer)[-1]
        self.assertRecordValues(change, [{
            "reason": "membership", "old_tier_id": self.gold.id, "new_tier_id": self.silver.id,
            "date": date(2026, 5, 1), "direction": "down", "notification_pending": False,
        }])
        self.assertTrue(any(note.startswith("Loyalty tier changed from Gold to Silver")
                            for note in self.customer.message_ids.mapped("preview")))
        self.assertIn("ended on", self._membership_mails()[0].body_html)

    def test_credit_note_not_linked_to_the_fee_invoice_takes_the_days_back(self):
        self.program.downgrade_grace_days = 30
        with freeze_time("2026-03-01"):
            self._bought("2026-03-01")
        with freeze_time("2026-05-01"):
            refund = self.env["account.move"].create({
                "move_type": "out_refund", "partner_id": self.customer.id, "invoice_date": "2026-05-01",
                "invoice_line_ids": [Command.create({
                    "product_id": self.fee_product.id, "quantity": 1, "price_unit": 300.0,
                    "tax_ids": [Command.clear()],
                })],
            })
            refund.action_post()
        membership = self._membership()
        self.assertEqual((membership.state, membership.date_end, membership.refund_move_id),
                         ("refunded", date(2026, 5, 1), refund))
        self.assertTier(self.customer, self.silver)
        with freeze_time("2026-05-02"):
            refund.button_draft()
        self.assertEqual((membership.state, membership.date_end), ("active", date(2027, 2, 28)),
                         "the credit note no longer posted gives the days back")

    def test_fee_given_back_on_a_later_invoice_shortens_the_membership(self):
        with freeze_time("2026-03-01"):
            self._bought("2026-03-01")
        with freeze_time("2026-04-01"):
            later = self.env["account.move"].create({
                "move_type": "out_invoice", "partner_id": self.customer.id, "invoice_date": "2026-04-01",
                "invoice_line_ids": [
                    Command.create({"name": "Goods", "quantity": 1, "price_unit": 500.0, "tax_ids": [Command.clear()]}),
                    Command.create({"product_id": self.fee_product.id, "quantity": -1, "price_unit": 150.0,
                                    "tax_ids": [Command.clear()]}),
                ],
            })
            later.action_post()
        membership = self._membership()
        self.assertEqual(len(membership), 1, "giving a fee back buys nothing")
        self.assertEqual(membership.state, "active")
        self.assertAlmostEqual(membership.amount_credited, 150.0, places=2)
        self.assertEqual(membership.date_end, date(2026, 8, 29), "half the fee kept: 182 of the 365 days")

    def test_removed_payment_takes_the_paid_tier_at_once_whatever_the_grace(self):
        self.program.downgrade_grace_days = 30
        with freeze_time("2026-03-01"):
            invoice = self._bought("2026-03-01")
        with freeze_time("2026-04-01"):
            invoice.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable") \
                .remove_move_reconcile()
            self.engine._recalculate()
        self.assertEqual(self._membership().state, "cancelled")
        self.assertTier(self.customer, self.silver)
        self.assertFalse(self.customer._wholesale_member().downgrade_since)
        self.assertEqual((self._history(self.customer)[-1].old_tier_id, self._history(self.customer)[-1].new_tier_id),
                         (self.gold, self.silver))

    def test_credit_note_taking_back_days_already_held_ends_it_at_once(self):
        self.program.downgrade_grace_days = 30
        with freeze_time("2026-03-01"):
            invoice = self._bought("2026-03-01")
        with freeze_time("2026-06-01"):
            self._fee_credit_note(invoice, 270.0, "2026-06-01")
        # 30 of 300 pays 36 days, fewer than held already: the days held stay, no more.
        self.assertRecordValues(self._membership(), [{"state": "expired", "date_end": date(2026, 5, 31)}])
        self.assertTier(self.customer, self.silver)
        self.assertFalse(self.customer._wholesale_member().downgrade_since)
        self.assertIn("ended on", self._membership_mails()[0].body_html)

    def test_grace_still_softens_spend_above_a_credited_paid_tier(self):
        """Money back takes what it paid for, not a higher tier spend earned before."""
        self.program.downgrade_grace_days = 30
        with freeze_time("2026-03-01"):
            goods = self._invoice(self.customer, 6000.0, "2026-03-01", taxes=self.env["account.tax"])
            invoice = self._bought("2026-03-01")
        self.assertTier(self.customer, self.platinum)
        with freeze_time("2026-04-01"):
            self._refund(goods, 6000.0, "2026-04-01")
        self.assertTier(self.customer, self.platinum)
        self.assertEqual(self.customer._wholesale_member().downgrade_since, date(2026, 4, 1))
        with freeze_time("2026-04-10"):
            self._credit_note(invoice, "2026-04-10")
        self.assertTier(self.customer, self.platinum)
        self.assertEqual(self.customer._wholesale_member().downgrade_since, date(2026, 4, 1))
        with freeze_time("2026-05-01"):
            self.engine._recalculate()
        self.assertTier(self.customer, self.silver)

    def test_renewal_after_a_partial_credit_starts_when_the_shortened_one_ends(self):
        with freeze_time("2026-03-01"):
            invoice = self._bought("2026-03-01")
        with freeze_time("2026-04-01"):
            self._fee_credit_note(invoice, 150.0, "2026-04-01")
        with freeze_time("2026-06-01"):
            self._bought("2026-06-01")
        first, renewal = self._membership()
        # Half the fee pays 182 of the year's 365 days.
        self.assertEqual((first.date_end, first.state), (date(2026, 8, 29), "active"))
        self.assertRecordValues(renewal, [{
            "date_start": date(2026, 8, 30), "date_end": date(2027, 8, 29), "is_renewal": True, "state": "active",
        }])
        with freeze_time("2026-09-01"):
            self.memberships._cron_end_expired()
            self.engine._recalculate()
        self.assertTier(self.customer, self.gold)

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
