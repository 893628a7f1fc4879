"""Ledger entries, tier history and paid tiers point to the customer's account
(``member_id``) and keep its partner and program: every path that writes them links the
member of their partner and program, and a member of another customer or program is refused."""
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import WholesaleLoyaltyCommon

LINKED_MODELS = ("wholesale.loyalty.ledger", "wholesale.loyalty.tier.history", "wholesale.loyalty.membership")


@tagged("post_install", "-at_install")
class TestMemberLinks(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.points_validity_months = 1
        cls.beta = cls._customer("Beta Supply")
        cls.points = cls.env["wholesale.loyalty.points"]
        cls.ledger = cls.env["wholesale.loyalty.ledger"]
        cls.members = cls.env["wholesale.loyalty.member"].with_context(active_test=False)
        cls.fee_product = cls.env["product.product"].create({
            "name": "Gold membership (12 months)", "type": "service", "list_price": 300.0,
        })
        cls.gold.write({"membership_available": True, "membership_product_id": cls.fee_product.id})
        cls.administrator = cls._company_user(
            "wl_links_admin", "base.group_system,base.group_partner_manager,sales_team.group_sale_manager"
        )

    def _member(self, partner, program=None):
        return self.members.search([("partner_id", "=", partner.id), ("program_id", "=", (program or self.program).id)])

    def _rows(self, model, partner, **domain):
        return self.env[model].sudo().search(
            [("partner_id", "=", partner.id), *[(name, "=", value) for name, value in domain.items()]], order="id",
        )

    def assertLinked(self, rows):
        """Each row has a member, the one of its own partner and program."""
        self.assertTrue(rows, "the path wrote rows")
        for row in rows:
            self.assertEqual(row.member_id, self._member(row.partner_id, row.program_id),
                             f"{row._name} {row.id} points to the account of its customer and program")

    def assertEveryRowLinked(self):
        """No row of the database points to an account of another customer or program."""
        self.env.flush_all()
        for model in LINKED_MODELS:
            table = self.env[model]._table
            self.env.cr.execute(f"""
                SELECT count(*) FROM {table} t LEFT JOIN wholesale_loyalty_member m ON m.id = t.member_id
                 WHERE t.program_id IS NOT NULL
                   AND (m.id IS NULL OR m.partner_id <> t.partner_id OR m.program_id <> t.program_id)""")  # noqa: S608
            self.assertEqual(self.env.cr.fetchone()[0], 0, f"every row of {model} has the member of its key")

    # ------------------------------------------------------------------ every path links its rows

    def test_earning_redeeming_and_crediting_link_the_account(self):
        with freeze_time("2026-03-01"):
            invoice = self._invoice(self.customer, 2000.0, "2026-03-01")
            self.assertLinked(self._rows("wholesale.loyalty.ledger", self.customer, kind="earn"))
            order = self._redeemed_order(5, amount=1000.0)
            self.assertLinked(self._rows("wholesale.loyalty.ledger", self.customer, kind="redeem"))
            self._refund(invoice, 500.0, "2026-03-01")
            order._action_cancel()
        reversals = self._rows("wholesale.loyalty.ledger", self.customer, kind="reversal")
        self.assertEqual(len(reversals), 2, "the credit note takes points, the cancelled order gives them back")
        self.assertLinked(reversals)
        self.assertEqual(self._member(self.customer).points_balance, self._balance())
        self.assertEveryRowLinked()

    def test_expiry_and_manual_award_link_the_account(self):
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 1000.0, "2026-03-01")
            self.customer.wholesale_award_points(5, "Trade fair")
        self.assertLinked(self._rows("wholesale.loyalty.ledger", self.customer, kind="bonus"))
        with freeze_time("2026-05-01"):
            self.assertEqual(self.points._expire_lots(), 2)
        expiries = self._rows("wholesale.loyalty.ledger", self.customer, kind="expire")
        self.assertLinked(expiries)
        self.assertEqual(self._balance(), 0)

    def test_tier_changes_by_the_engine_and_by_hand_link_the_account(self):
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 1500.0, "2026-03-01")
        self.assertTier(self.customer, self.gold)
        by_engine = self._rows("wholesale.loyalty.tier.history", self.customer, new_tier_id=self.gold.id)
        self.assertLinked(by_engine)
        self.customer.write({
            "wholesale_tier_id": self.platinum.id, "wholesale_tier_locked": True,
            "wholesale_tier_lock_reason": "Key account",
        })
        self.assertLinked(self._rows("wholesale.loyalty.tier.history", self.customer, reason="manual"))
        self.assertEqual(self._member(self.customer).tier_history_ids, self._rows("wholesale.loyalty.tier.history",
                                                                               self.customer),
                         "the account shows its customer's tier history")

    def test_a_paid_tier_links_the_account(self):
        with freeze_time("2026-03-01"):
            fee = self.env["account.move"].create({
                "move_type": "out_invoice", "partner_id": self.customer.id, "invoice_date": "2026-03-01",
                "invoice_line_ids": [Command.create({
                    "product_id": self.fee_product.id, "quantity": 1, "price_unit": 300.0, "tax_ids": [Command.clear()],
                })],
            })
            fee.action_post()
            self._pay(fee, "2026-03-01")
        self.assertTier(self.customer, self.gold)
        self.assertLinked(self._rows("wholesale.loyalty.membership", self.customer))
        self.assertLinked(self._rows("wholesale.loyalty.tier.history", self.customer, reason="membership"))

    def test_a_paid_tier_moved_to_another_customer_moves_to_its_account(self):
        membership = self.env["wholesale.loyalty.membership"].sudo().create({
            "partner_id": self.customer.id, "program_id": self.program.id, "tier_id": self.gold.id,
            "company_id": self.program.company_id.id, "months": 12, "state": "cancelled",
        })
        self.assertEqual(membership.member_id, self._member(self.customer))
        membership.write({"partner_id": self.beta.id})
        self.assertEqual(membership.member_id, self._member(self.beta))

    def test_merged_customers_rows_move_to_the_survivors_account(self):
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 1500.0, "2026-03-01")
            self._invoice(self.beta, 700.0, "2026-03-01")
            merged_away = self._member(self.customer)
            self.env["base.partner.merge.automatic.wizard"].with_user(self.administrator).create({
                "partner_ids": [Command.set((self.customer | self.beta).ids)], "dst_partner_id": self.beta.id,
            }).action_merge()
        self.env.invalidate_all()
        self.assertFalse(merged_away.exists(), "the merged-away customer's account goes")
        survivor = self._member(self.beta)
        entries = self._rows("wholesale.loyalty.ledger", self.beta)
        self.assertEqual(len(entries), 2, "both customers' points are the survivor's")
        self.assertEqual(entries.member_id, survivor)
        self.assertEqual(survivor.points_balance, 15 + 7)
        self.assertEqual(survivor.ledger_ids, entries)
        self.assertLinked(self._rows("wholesale.loyalty.tier.history", self.beta))
        self.assertEveryRowLinked()

    def test_moving_to_another_program_and_back_links_each_programs_account(self):
        with freeze_time("2026-03-01"):
            self._invoice(self.customer, 300.0, "2026-03-01")
        vip = self.env["wholesale.loyalty.program"].create({
            "name": "VIP", "sequence": -10, "partner_domain": str([("id", "=", self.customer.id)]),
            "tier_ids": [Command.create({"name": "VIP", "threshold_amount": 0})],
        })
        with freeze_time("2026-03-02"):
            self._invoice(self.customer, 400.0, "2026-03-02")
        vip_entries = self._rows("wholesale.loyalty.ledger", self.customer, program_id=vip.id)
        self.assertEqual(vip_entries.member_id, self._member(self.customer, vip))
        vip.active = False
        self.engine._recalculate()
        history = self._rows("wholesale.loyalty.tier.history", self.customer)
        self.assertEqual(set(history.program_id.ids), {self.program.id, vip.id})
        self.assertLinked(history)
        self.assertLinked(self._rows("wholesale.loyalty.ledger", self.customer))
        self.assertEqual(self._member(self.customer).points_balance, 3)
        self.assertEqual(self._member(self.customer, vip).points_balance, 4, "kept in the archived VIP account")
        self.assertEveryRowLinked()

    def test_points_in_a_program_without_an_account_open_an_archived_one(self):
        other = self.env["wholesale.loyalty.program"].create({
            "name": "Other", "sequence": 50, "partner_domain": str([("id", "=", 0)]),
            "tier_ids": [Command.create({"name": "Other", "threshold_amount": 0})],
        })
        self.assertFalse(self._member(self.customer, other))
        entry = self.ledger._create_entries([self.ledger._entry_vals(
            self.customer, other, "adjust", 4, note="Carried over",
        )])
        account = self._member(self.customer, other)
        self.assertEqual(entry.member_id, account)
        self.assertFalse(account.active, "an account opened for points only is archived")
        self.assertEqual(account.points_balance, 4)

    # ------------------------------------------------------------------ the link stays true

    def test_a_member_of_another_customer_or_program_is_refused_and_nothing_is_written(self):
        with freeze_time("2026-03-01"):
            self._invoice(self.beta, 100.0, "2026-03-01")
        others = self._member(self.beta)
        counts = {model: self.env[model].sudo().search_count([]) for model in LINKED_MODELS}
        vals = self.ledger._entry_vals(self.customer, self.program, "adjust", 5, note="Goodwill", member=others)
        with self.assertRaisesRegex(ValidationError, "belongs to Beta Supply"):
            self.ledger._create_entries([vals])
        with self.assertRaises(ValidationError):
            self.env["wholesale.loyalty.tier.history"].sudo().create({
                "partner_id": self.customer.id, "program_id": self.program.id, "member_id": others.id,
                "new_tier_id": self.silver.id,
            })
        with self.assertRaises(ValidationError):
            self.env["wholesale.loyalty.membership"].sudo().create({
                "partner_id": self.customer.id, "program_id": self.program.id, "member_id": others.id,
                "tier_id": self.gold.id, "company_id": self.program.company_id.id, "months": 12,
            })
        self.assertEqual(counts, {model: self.env[model].sudo().search_count([]) for model in LINKED_MODELS})
        self.assertEqual(self._balance(), 0)

    def test_a_row_given_its_member_takes_the_members_customer_and_program(self):
        history = self.env["wholesale.loyalty.tier.history"].sudo().create({
            "member_id": self._member(self.customer).id, "new_tier_id": self.silver.id, "note": "Checked",
        })
        self.assertEqual((history.partner_id, history.program_id), (self.customer, self.program))
