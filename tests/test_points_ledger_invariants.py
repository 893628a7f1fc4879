"""The points ledger stays true whatever users do, in whatever order.

A Hypothesis state machine (tests/ledger_machine.py) quotes, redeems, edits, copies,
confirms, cancels and invoices orders; posts, pays, unreconciles, credits, resets and cancels
invoices (also in a foreign currency) and the fee of a paid tier; moves time, expires points,
recalculates tiers, merges customers and awards points over the API; invoices, pays and credits in a
second company with its own program for the same customers; settles, posts and reverses volume
rebates; discounts invoices on money received in advance, then edits them or resets the payment;
sells products reserved to Platinum with an administrator's allowance. Each example first draws
the programs' settings (points trigger, qualification basis and period, points validity, downgrade
grace). After every step it checks the balances, the append-only ledger, each invoice's points
under its company's program, each order's points discount, confirmed prices, the memberships fees
hold, that entries stay in their company, that rebates earn nothing, that prepaid money backs each
discount once and that confirmed orders hold only allowed reserved products; after each full
recalculation, that every customer holds in each program the tier its spend there (or a running
paid membership) gives, on the drawn basis and period, with the drawn grace.

CI explores a fixed seed; ``WHOLESALE_LOYALTY_DEEP=1`` (``setup/test.sh --deep``) explores ten
times more with random seeds.
"""
import os

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from odoo import Command
from odoo.tests import tagged

from .common import WholesaleLoyaltyCommon
from .ledger_machine import STATS, LedgerMachine

DEEP = os.environ.get("WHOLESALE_LOYALTY_DEEP") == "1"
EXAMPLES = int(os.environ.get("WHOLESALE_LOYALTY_EXAMPLES", 0)) or (800 if DEEP else 80)
STEPS = int(os.environ.get("WHOLESALE_LOYALTY_STEPS", 0)) or 30


class LedgerCommon(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Lots expire within the weeks a sequence covers; Gold earns 1.5 points per step.
        cls.program.points_validity_months = 1
        cls.customers = cls.customer | cls._customer("Beta Supply") | cls._customer("Gamma Wholesale")
        # Gold can be bought for a month: the machine invoices, pays, credits and cancels the fee.
        # Its own category: a drawn setting leaves it out of the spend (spend by product line).
        cls.fees_category = cls.env["product.category"].create({"name": "Paid tiers (ledger machine)"})
        cls.membership_product = cls.env["product.product"].create({
            "name": "Gold membership", "type": "service", "list_price": 200.0, "categ_id": cls.fees_category.id,
        })
        cls.gold.write({
            "membership_available": True, "membership_product_id": cls.membership_product.id,
            "membership_months": 1,
        })
        cls.foreign_currency = cls.setup_other_currency("EUR", rates=[("2020-01-01", 2.0)])
        cls.loyalty_manager = cls._company_user("wl_ledger_manager", "sales_team.group_sale_manager")
        # Merging contacts whose e-mails differ is for administrators.
        cls.administrator = cls._company_user(
            "wl_ledger_admin", "base.group_system,base.group_partner_manager,sales_team.group_sale_manager"
        )
        cls.sales_rep = cls._company_user("wl_ledger_sales_rep", "sales_team.group_sale_salesman_all_leads")
        # Volume rebates are settled monthly: Gold customers get 2%, Platinum 1%.
        cls.program.rebate_period = "month"
        cls.gold.rebate_percent = 2
        cls.platinum.rebate_percent = 1
        # Payment terms with prepayment discounts (3% for money received 5 days before the
        # invoice date, 5% for 30 days), and plain ones to switch to.
        cls.prepayment_term = cls._prepayment_term()
        cls.plain_term = cls.env["account.payment.term"].create({
            "name": "Net 30", "company_id": cls.company_data["company"].id,
            "line_ids": [Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})],
        })
        cls.prepayment_product = cls.env.ref("wholesale_loyalty.product_prepayment_discount")
        # Two products reserved to Platinum: an administrator allows them order by order.
        cls.reserved_products = cls.env["product.product"].create([
            {"name": "Reserved press", "list_price": 900.0, "wholesale_exclusive_tier_id": cls.platinum.id},
            {"name": "Reserved oven", "list_price": 700.0, "wholesale_exclusive_tier_id": cls.platinum.id},
        ])
        # A second company with its own program for the same (shared) customers.
        cls.other_company_data = cls.setup_other_company(name="Second Wholesale Co")
        cls.other_company = cls.other_company_data["company"]
        cls.env.user.company_ids |= cls.other_company
        cls.other_program = cls.env["wholesale.loyalty.program"].create({
            "name": "Second Company Program",
            "company_id": cls.other_company.id,
            "qualification_basis": "invoiced",
            "qualification_period": "lifetime",
            "partner_domain": str([("category_id", "in", cls.member_tag.ids)]),
            "tier_ids": [
                Command.create({"name": "Bronze", "threshold_amount": 0}),
                Command.create({"name": "Steel", "threshold_amount": 800, "points_multiplier": 2.0}),
            ],
        })
        # Accounts and journal of each company for a points liability in the books, which an
        # example may draw: 90% of the points expected to be redeemed.
        cls.liability_settings = {
            data["company"].id: cls._liability_settings(data) for data in (cls.company_data, cls.other_company_data)
        }

    @classmethod
    def _liability_settings(cls, company_data):
        company = company_data["company"]
        accounts = cls.env["account.account"].with_company(company).create([
            {"name": "Loyalty points liability", "code": "289200", "account_type": "liability_current"},
            {"name": "Revenue deferred to points", "code": "409200", "account_type": "income"},
            {"name": "Loyalty points expense", "code": "619200", "account_type": "expense"},
        ])
        return {
            "liability_account_id": accounts[0].id, "liability_revenue_account_id": accounts[1].id,
            "liability_expense_account_id": accounts[2].id,
            "liability_journal_id": company_data["default_journal_misc"].id,
            "expected_redemption_percent": 90.0,
        }


@tagged("post_install", "-at_install")
class TestLedgerInvariants(LedgerCommon):

    @pytest.fixture(autouse=True)
    def _capture_manager(self, request):
        self.capture_manager = request.config.pluginmanager.getplugin("capturemanager")

    def _print(self, text):
        with self.capture_manager.global_and_fixture_disabled():
            print(text)  # noqa: T201

    def test_ledger_invariants_hold_in_any_sequence(self):
        """Balances, entries, invoice points, points discounts and confirmed prices stay right."""
        LedgerMachine.case = self
        STATS.update(sequences=0, steps=0, done=0, refused=0)
        try:
            run_state_machine_as_test(LedgerMachine, settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                derandomize=not DEEP,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large],
            ))
        finally:
            self._print(
                f"\nledger invariants ({'random seeds' if DEEP else 'fixed seed'}): {STATS['sequences']} sequences, "
                f"{STATS['steps']} steps; user actions done {STATS['done']}, refused {STATS['refused']}"
            )


@tagged("post_install", "-at_install")
class TestLedgerRegressions(LedgerCommon):
    """Sequences the state machine found, replayed as plain tests."""

    def _merge(self, source, into):
        self.env["base.partner.merge.automatic.wizard"].with_user(self.administrator).create({
            "partner_ids": [Command.set((source | into).ids)], "dst_partner_id": into.id,
        }).action_merge()
        self.env.invalidate_all()

    def _ledger_sum(self, partner):
        entries = self.env["wholesale.loyalty.ledger"].sudo().search([("partner_id", "=", partner.id)])
        return sum(entries.mapped("points"))

    def test_merged_customer_balance_counts_the_points_it_received(self):
        alpha, beta = self.customers[:2]
        with freeze_time("2026-01-05"):
            alpha.with_user(self.loyalty_manager).wholesale_award_points(7, "Webinar")
            beta.with_user(self.loyalty_manager).wholesale_award_points(30, "Webinar")
            self._merge(alpha, beta)
        self.assertEqual(self._ledger_sum(beta), 37, "Alpha's entries moved to Beta")
        self.assertEqual(beta.wholesale_points_balance, 37)

    def test_merged_lots_pay_what_the_customer_owes(self):
        alpha, beta = self.customers[:2]
        with freeze_time("2026-01-05"):
            # A credit note linked to no invoice takes points Alpha does not have: a debt of 10.
            self._invoice(alpha, 1000.0, "2026-01-05", move_type="out_refund")
            beta.with_user(self.loyalty_manager).wholesale_award_points(30, "Webinar")
            self._merge(beta, alpha)
        self.assertEqual(self._ledger_sum(alpha), 20)
        self.assertEqual(alpha.wholesale_points_balance, 20)
        lots = self.env["wholesale.loyalty.ledger"].sudo().search([("partner_id", "=", alpha.id), ("points", ">", 0)])
        self.assertEqual(sum(lots.mapped("remaining_points")), 20, "the merged lots pay the debt first")

    def test_merge_keeps_entries_of_the_same_reference(self):
        alpha, beta = self.customers[:2]
        with freeze_time("2026-01-05"):
            alpha.with_user(self.loyalty_manager).wholesale_award_points(7, "Webinar", reference="crm-1")
            beta.with_user(self.loyalty_manager).wholesale_award_points(30, "Webinar", reference="crm-1")
            entries = self.env["wholesale.loyalty.ledger"].sudo().search([("partner_id", "in", (alpha | beta).ids)])
            self._merge(alpha, beta)
        self.assertEqual(len(entries.exists()), 2, "no ledger entry is deleted by a merge")
        self.assertEqual(self._ledger_sum(beta), 37)
        self.assertEqual(beta.wholesale_points_balance, 37)

    def test_merges_in_a_chain_keep_entries_of_the_same_reference(self):
        """Alpha merged into Beta, then Beta into Gamma: Alpha's award moved to Beta without a
        clash, and to Gamma beside Gamma's own of the same reference."""
        alpha, beta, gamma = self.customers
        with freeze_time("2026-01-05"):
            alpha.with_user(self.loyalty_manager).wholesale_award_points(1, "Webinar", reference="crm-2")
            gamma.with_user(self.loyalty_manager).wholesale_award_points(5, "Webinar", reference="crm-2")
            self._merge(alpha, beta)
            self._merge(beta, gamma)
        entries = self.env["wholesale.loyalty.ledger"].sudo().search([("partner_id", "=", gamma.id)])
        self.assertEqual(sorted(entries.mapped("reference")), ["crm-2", f"crm-2:merged:{beta.id}"])
        self.assertEqual(self._ledger_sum(gamma), 6)
        self.assertEqual(gamma.wholesale_points_balance, 6)

    def test_sales_rep_merges_two_members_and_tier_follows_the_merged_spend(self):
        alpha, beta = self.customers[:2]
        (alpha | beta).email = "buying@example.com"
        rep = self._company_user("wl_ledger_rep", "sales_team.group_sale_salesman,base.group_partner_manager")
        with freeze_time("2026-01-05"):
            self._invoice(alpha, 600.0, "2026-01-05")
            self._invoice(beta, 700.0, "2026-01-05")
            self.assertEqual((alpha.wholesale_tier_id, beta.wholesale_tier_id), (self.silver, self.silver))
            self.env["base.partner.merge.automatic.wizard"].with_user(rep).create({
                "partner_ids": [Command.set((alpha | beta).ids)], "dst_partner_id": beta.id,
            }).action_merge()
        self.env.invalidate_all()
        self.assertFalse(alpha.exists())
        self.assertEqual(beta.wholesale_tier_id, self.gold, "1,300 of merged spend reaches Gold")
        self.assertEqual(beta.wholesale_points_balance, self._ledger_sum(beta))
        self.assertEqual(self._ledger_sum(beta), 6 + 7)

    def _fee_invoice(self, customer):
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": customer.id, "invoice_date": "2026-01-05",
            "invoice_line_ids": [Command.create({
                "product_id": self.membership_product.id, "quantity": 1, "price_unit": 200.0,
                "tax_ids": [Command.clear()],
            })],
        })
        invoice.action_post()
        return invoice

    def _credit_and_copy(self, invoice):
        """The credit note wizard's 'modify': a posted credit note and a new draft invoice."""
        before = self.env["account.move"].search([]).ids
        self.env["account.move.reversal"].with_context(active_model="account.move", active_ids=invoice.ids).create({
            "journal_id": invoice.journal_id.id, "date": "2026-01-05", "reason": "Returned",
        }).modify_moves()
        new = self.env["account.move"].search([("id", "not in", before)])
        return new.filtered(lambda move: move.move_type == "out_refund"), new.filtered(
            lambda move: move.move_type == "out_invoice")

    def test_a_fee_credited_twice_takes_back_the_next_fee_paid(self):
        """Paid twice and credited twice, the fee money is all back with the customer: the
        second credit of the first fee takes the second fee's membership."""
        customer = self.customers[0]
        memberships = self.env["wholesale.loyalty.membership"].sudo()
        with freeze_time("2026-01-05"):
            self._invoice(customer, 150.0, "2026-01-05", move_type="out_refund")
            first = self._fee_invoice(customer)
            _refund, second = self._credit_and_copy(first)
            receivable = first.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
            receivable.matched_credit_ids.credit_move_id.remove_move_reconcile()
            self._pay(first, "2026-01-05")
            second.action_post()
            self._pay(second, "2026-01-05")
            self.assertEqual(memberships.search([("move_id", "=", second.id)]).state, "active")
            self._credit_and_copy(first)
            self.assertEqual(memberships.search([("move_id", "=", second.id)]).state, "refunded",
                             "400 paid, 400 credited: no fee money kept")
            self.assertFalse(memberships.search([("partner_id", "=", customer.id), ("state", "=", "active")]))
