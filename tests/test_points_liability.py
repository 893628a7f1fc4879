"""The points liability in the books: IFRS 15 deferral and a provision, tied out to the ledger.

Every figure is computed by hand in the test's comments.
"""
import io

import openpyxl
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.wholesale_loyalty.tools.liability_rules import deferred_revenue, expected_cost, released_share

from .common import WholesaleLoyaltyCommon
from .test_tours import ChromiumTourCase


class PointsLiabilityCase(WholesaleLoyaltyCommon):
    """A program deferring its points the standard's way, and the helpers of its tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 1 point per 10 of untaxed sales: 100,000 earns 10,000 points, worth 1 each. Invoices
        # below 50,000 earn none: the invoices of the orders paid with points defer nothing.
        cls.program.write({
            "points_amount_step": 10.0, "points_validity_months": 12, "max_redeem_percent": 100,
            "points_min_order_amount": 50000.0,
        })
        for tier in cls.program.tier_ids:
            tier.points_multiplier = 1.0
        cls.liability_account = cls.env["account.account"].create({
            "name": "Contract liability: loyalty points", "code": "289100", "account_type": "liability_current",
        })
        cls.deferral_account = cls.env["account.account"].create({
            "name": "Revenue deferred to loyalty points", "code": "409100", "account_type": "income",
        })
        cls.expense_account = cls.env["account.account"].create({
            "name": "Loyalty points expense", "code": "619100", "account_type": "expense",
        })
        cls.journal = cls.company_data["default_journal_misc"]
        cls.program.write({
            "liability_method": "deferral",
            "liability_account_id": cls.liability_account.id,
            "liability_revenue_account_id": cls.deferral_account.id,
            "liability_expense_account_id": cls.expense_account.id,
            "liability_journal_id": cls.journal.id,
            "expected_redemption_percent": 95.0,
        })
        cls.accountant = cls._company_user("wl_liability_accountant", "account.group_account_invoice")
        cls.sales_rep = cls._company_user("wl_liability_rep", "sales_team.group_sale_salesman")

    # ---------------------------------------------------------------- helpers

    def _manual_entry_on_the_liability(self, amount, date="2026-03-31"):
        """A journal entry posted by hand on the program's liability account: the books then
        disagree with the ledger by ``amount``."""
        manual = self.env["account.move"].create({
            "journal_id": self.journal.id, "date": date,
            "wholesale_liability_program_id": self.program.id,
            "line_ids": [
                Command.create({"account_id": self.liability_account.id, "partner_id": self.customer.id,
                                "debit": amount}),
                Command.create({"account_id": self.deferral_account.id, "credit": amount}),
            ],
        })
        manual.action_post()
        return manual

    def _sale(self, amount=100000.0, date="2026-03-01", **values):
        with freeze_time(date):
            return self._invoice(self.customer, amount, date, taxes=self.env["account.tax"], **values)

    def _liability_moves(self):
        return self.env["account.move"].search(
            [("wholesale_liability_program_id", "=", self.program.id)], order="id")

    def _balance_on(self, account, moves=None):
        moves = moves if moves is not None else self._liability_moves()
        lines = moves.line_ids.filtered(lambda line: line.account_id == account)
        return round(sum(lines.mapped("balance")), 2)

    def _redeem_on_order(self, points, amount=10000.0, date="2026-04-01"):
        with freeze_time(date):
            order = self.env["sale.order"].create({
                "partner_id": self.customer.id,
                "order_line": [Command.create({"product_id": self.product_a.id, "product_uom_qty": 1,
                                               "price_unit": amount, "tax_id": False})],
            })
            self._redeem(order, points)
            order.action_confirm()
        return order

    def _invoice_order(self, order, date="2026-04-10"):
        with freeze_time(date):
            invoice = order._create_invoices()
            invoice.invoice_date = date
            invoice.action_post()
        return invoice

    def assertTiesOut(self, ledger):
        tie_out = self.program.liability_tie_out()
        self.assertAlmostEqual(tie_out["ledger"], ledger, places=2)
        self.assertAlmostEqual(tie_out["books"], ledger, places=2)
        self.assertEqual(tie_out["difference"], 0.0)
        self.assertAlmostEqual(-self._balance_on(self.liability_account), ledger, places=2)
        return tie_out


@tagged("post_install", "-at_install")
class TestPointsLiability(PointsLiabilityCase):

    # ---------------------------------------------------------------- pure rules

    def test_rules_of_the_standard(self):
        # S = 10,000 x 1 x 95% = 9,500; D = 100,000 x 9,500 / 109,500 = 8,675.799...
        self.assertAlmostEqual(expected_cost(10000, 1.0, 95.0), 9500.0)
        self.assertAlmostEqual(deferred_revenue(100000.0, 9500.0), 8675.7990867, places=6)
        # Redeeming 950 of the 10,000 points expected to be redeemed at 95%: a tenth of D.
        self.assertAlmostEqual(released_share(8675.80, 10000, 95.0, 950), 867.58, places=6)
        # A credit note takes back its share at face: 2,500 of 10,000 points, a quarter.
        self.assertAlmostEqual(released_share(8675.80, 10000, 100.0, 2500), 2168.95, places=6)
        self.assertEqual(deferred_revenue(0.0, 9500.0), 0.0)

    # ---------------------------------------------------------------- deferral

    def test_earning_invoice_defers_revenue_the_standard_way(self):
        invoice = self._sale()
        earned = self._entries(kind="earn")
        self.assertEqual(earned.points, 10000)
        self.assertAlmostEqual(earned.liability_deferred, 8675.80, places=2)
        move = earned.liability_move_id
        self.assertEqual(move, self._liability_moves())
        self.assertRecordValues(move, [{
            "state": "posted", "journal_id": self.journal.id, "date": invoice.date,
            "wholesale_liability_source_id": invoice.id, "ref": invoice.name,
        }])
        self.assertRecordValues(move.line_ids.sorted("balance"), [
            {"account_id": self.liability_account.id, "balance": -8675.80, "partner_id": self.customer.id},
            {"account_id": self.deferral_account.id, "balance": 8675.80, "partner_id": self.customer.id},
        ])
        self.assertFalse(move.line_ids.tax_ids, "only revenue moves, taxes are untouched")
        tie_out = self.assertTiesOut(8675.80)
        self.assertEqual(tie_out["lines"], [{
            "partner_id": self.customer.id, "partner": self.customer.display_name,
            "ledger": 8675.80, "books": 8675.80, "difference": 0.0,
        }])

    def test_redemption_releases_its_share_when_invoiced_and_expiry_the_rest(self):
        self._sale()
        order = self._redeem_on_order(950)
        redeem = self._entries(kind="redeem")
        self.assertFalse(redeem.liability_move_id, "nothing is released before the points line is invoiced")
        self.assertTiesOut(8675.80)
        invoice = self._invoice_order(order)
        self.assertFalse(self._entries(kind="earn")[1:], "the order's invoice is below the minimum")
        # 8,675.80 x 950 / (10,000 x 95%) = 867.58 back to revenue, dated like the invoice.
        move = redeem.liability_move_id
        self.assertRecordValues(move, [{"date": invoice.date, "wholesale_liability_source_id": invoice.id}])
        self.assertRecordValues(move.line_ids.sorted("balance"), [
            {"account_id": self.deferral_account.id, "balance": -867.58},
            {"account_id": self.liability_account.id, "balance": 867.58},
        ])
        lot = self._entries(kind="earn")
        self.assertAlmostEqual(lot.liability_released, 867.58, places=2)
        self.assertTiesOut(7808.22)
        # What is left expires a year later: 7,808.22 of breakage goes to revenue.
        with freeze_time("2027-03-02"):
            self.env["wholesale.loyalty.points"]._expire_lots()
        expiry = self._entries(kind="expire")
        self.assertEqual(expiry.points, -9050)
        self.assertRecordValues(expiry.liability_move_id.line_ids.sorted("balance"), [
            {"account_id": self.deferral_account.id, "balance": -7808.22},
            {"account_id": self.liability_account.id, "balance": 7808.22},
        ])
        self.assertTiesOut(0.0)
        self.assertEqual(self._balance_on(self.deferral_account), 0.0, "all deferred revenue came back")

    def test_redemptions_beyond_the_expected_share_release_nothing_more(self):
        # 6,000 points: S = 5,700, D = 60,000 x 5,700 / 65,700 = 5,205.48.
        self._sale(amount=60000.0)
        self.assertAlmostEqual(self._entries(kind="earn").liability_deferred, 5205.48, places=2)
        order = self._redeem_on_order(5800, amount=7000.0)  # 5,800 / 5,700 of D: capped at D
        self._invoice_order(order)
        self.assertAlmostEqual(self._entries(kind="redeem").liability_booked, -5205.48, places=2)
        self.assertTiesOut(0.0)

    def test_order_cancelled_before_its_invoice_books_nothing(self):
        self._sale()
        order = self._redeem_on_order(950)
        order._action_cancel()
        give_back = self._entries(kind="reversal")
        self.assertEqual(give_back.points, 950)
        self.assertFalse(give_back.liability_move_id)
        self.assertTiesOut(8675.80)
        self.assertEqual(len(self._liability_moves()), 1)

    def test_credit_note_of_the_points_line_defers_again(self):
        self._sale()
        order = self._redeem_on_order(950)
        invoice = self._invoice_order(order)
        self.assertTiesOut(7808.22)
        with freeze_time("2026-04-20"):
            refund = invoice._reverse_moves([{"invoice_date": "2026-04-20"}], cancel=True)
        self.assertEqual(self._balance(), 10000, "the credit note gives the points back")
        self.assertTiesOut(8675.80)
        back = self._liability_moves()[-1]
        self.assertRecordValues(back, [{"date": refund.date, "wholesale_liability_source_id": refund.id}])
        self.assertEqual(len(self._liability_moves()), 3, "nothing deleted: a new entry puts it back")

    def test_credit_note_takes_its_share_back(self):
        invoice = self._sale()
        with freeze_time("2026-03-05"):
            refund = self._refund(invoice, 25000.0, "2026-03-05")
        reversal = self._entries(kind="reversal")
        self.assertEqual(reversal.points, -2500)
        # 8,675.80 x 2,500 / 10,000 = 2,168.95 of the deferral taken back.
        self.assertRecordValues(reversal.liability_move_id, [{
            "date": refund.date, "wholesale_liability_source_id": refund.id,
        }])
        self.assertAlmostEqual(reversal.liability_booked, -2168.95, places=2)
        self.assertTiesOut(6506.85)
        # The credit note reset to draft gives the points and their deferral back.
        refund.button_draft()
        self.assertTiesOut(8675.80)

    def test_invoice_reset_and_posted_again_books_afresh_without_deleting(self):
        invoice = self._sale()
        with freeze_time("2026-03-02"):
            invoice.button_draft()
            self.assertTiesOut(0.0)
            invoice.action_post()
        self.assertTiesOut(8675.80)
        self.assertEqual(len(self._liability_moves()), 3)
        self.assertTrue(all(move.state == "posted" for move in self._liability_moves()))

    def test_bonus_points_are_charged_to_expense_at_expected_cost(self):
        self.customer.wholesale_award_points(100, "Trade fair")
        bonus = self._entries(kind="bonus")
        # 100 points x 1 x 95% = 95.00, no revenue to defer.
        self.assertRecordValues(bonus.liability_move_id.line_ids.sorted("balance"), [
            {"account_id": self.liability_account.id, "balance": -95.0},
            {"account_id": self.expense_account.id, "balance": 95.0},
        ])
        self.assertTiesOut(95.0)

    def test_foreign_currency_invoice_defers_in_company_currency(self):
        currency = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        # 200,000 EUR at 2 per company unit: 100,000 in company currency, 10,000 points.
        invoice = self._sale(amount=200000.0, currency_id=currency.id)
        self.assertAlmostEqual(invoice.amount_untaxed_signed, 100000.0)
        self.assertEqual(self._entries(kind="earn").points, 10000)
        self.assertTiesOut(8675.80)
        self.assertEqual(self._entries(kind="earn").liability_move_id.currency_id, self.program.currency_id)

    def test_locked_period_books_on_the_first_open_day(self):
        self.program.points_trigger = "paid"
        invoice = self._sale(date="2026-03-10")
        self.assertFalse(self._liability_moves(), "the paid trigger earns on payment")
        self.env.company.fiscalyear_lock_date = "2026-03-31"
        with freeze_time("2026-04-05"):
            self._pay(invoice, "2026-04-05")
        move = self._entries(kind="earn").liability_move_id
        self.assertEqual(str(move.date), "2026-04-01")
        self.assertIn("locked", move.line_ids[0].name)
        self.assertTiesOut(8675.80)

    def test_true_up_when_the_expected_share_changes(self):
        self._sale()
        self._invoice_order(self._redeem_on_order(950))
        self.assertTiesOut(7808.22)
        self.program.expected_redemption_percent = 80.0
        with freeze_time("2026-05-01"):
            self.assertEqual(self.env["wholesale.loyalty.liability"]._true_up(self.program), 1)
        # At 80%: S = 8,000, D = 100,000 x 8,000 / 108,000 = 7,407.41; the 950 points redeemed
        # release 7,407.41 x 950 / 8,000 = 879.63: the lot carries 6,527.78, 1,280.44 less.
        lot = self._entries(kind="earn")
        self.assertAlmostEqual(lot.liability_deferred, 7407.41, places=2)
        self.assertEqual(lot.liability_share, 80.0)
        true_up = self._liability_moves()[-1]
        self.assertEqual(str(true_up.date), "2026-05-01")
        self.assertRecordValues(true_up.line_ids.sorted("balance"), [
            {"account_id": self.deferral_account.id, "balance": -1280.44},
            {"account_id": self.liability_account.id, "balance": 1280.44},
        ])
        self.assertTiesOut(6527.78)
        with freeze_time("2026-06-01"):
            self.assertEqual(self.env["wholesale.loyalty.liability"]._true_up(self.program), 0, "once only")
        self.assertEqual(len(self._liability_moves()), 3)
        # The rest of the lot now releases at 80%: 7,050 more points redeemed release all of it.
        self._invoice_order(self._redeem_on_order(7050, amount=9000.0, date="2026-06-05"), date="2026-06-10")
        self.assertTiesOut(0.0)

    def test_observed_share_replaces_the_fixed_one_once_lots_close(self):
        self.program.redemption_estimate = "observed"
        self._sale()
        self.assertEqual(self.program.liability_share_now, 95.0, "no closed lot yet: the fixed share")
        self._invoice_order(self._redeem_on_order(950))
        with freeze_time("2027-03-02"):
            self.env["wholesale.loyalty.points"]._expire_lots()
        # The closed lot: 950 points redeemed, 9,050 expired, 9.5% redeemed.
        self.program.invalidate_recordset(["liability_share_now"])
        self.assertAlmostEqual(self.program.liability_share_now, 9.5)
        self._sale(date="2027-03-05")
        # S = 10,000 x 1 x 9.5% = 950, D = 100,000 x 950 / 100,950 = 941.06.
        lot = self._entries(kind="earn")[-1]
        self.assertAlmostEqual(lot.liability_share, 9.5)
        self.assertAlmostEqual(lot.liability_deferred, 941.06, places=2)
        self.assertTiesOut(941.06)

    def test_budget_holds_points_without_revenue_and_warns(self):
        self.program.liability_budget = 10000.0
        self._sale()
        # 8,675.80 of a budget of 10,000: 86.8%, the followers are told once.
        self.assertEqual(self.program.liability_budget_alert, "80")
        self.assertAlmostEqual(self.program.liability_budget_percent, 86.8, places=1)
        warnings = self.program.message_ids.filtered(lambda message: "of its budget" in (message.body or ""))
        self.assertEqual(len(warnings), 1)
        self.assertIn("86.8%", warnings.body)
        # 2,000 points more cost 1,900 expected: 10,575.80 is above the budget, the award waits.
        self.assertEqual(self.customer.wholesale_award_points(2000, "Trade fair", reference="fair-26"), [])
        request = self.env["wholesale.loyalty.award.request"].search([("partner_id", "=", self.customer.id)])
        self.assertRecordValues(request, [{"points": 2000, "state": "pending", "reason": "Trade fair"}])
        self.assertEqual(len(request.activity_ids), 1)
        self.assertEqual(self._balance(), 10000)
        self.customer.wholesale_award_points(2000, "Trade fair", reference="fair-26")
        self.assertEqual(len(request.search([("partner_id", "=", self.customer.id)])), 1, "asked once")
        # Earning on invoices never waits: 6,000 points defer 5,205.48 more, 138.8% of the budget.
        self._sale(amount=60000.0, date="2026-03-02")
        self.assertEqual(self._balance(), 16000)
        self.assertEqual(self.program.liability_budget_alert, "100")
        with self.assertRaises(AccessError):
            request.with_user(self.sales_rep).action_approve()
        request.action_approve()
        self.assertEqual(request.state, "approved")
        self.assertEqual(request.entry_id.points, 2000)
        self.assertFalse(request.activity_ids)
        self.assertTiesOut(8675.80 + 5205.48 + 1900.0)

    def test_bonus_rules_above_the_budget_wait_too(self):
        self.program.liability_budget = 5000.0
        self.env["wholesale.loyalty.bonus.rule"].create({
            "program_id": self.program.id, "name": "Welcome", "trigger": "first_order", "points": 500,
        })
        newcomer = self._customer("Newcomer Supply")
        with freeze_time("2026-03-01"):
            self._invoice(newcomer, 60000.0, "2026-03-01", taxes=self.env["account.tax"])
        # The invoice earns (5,205.48 deferred, above the budget); its welcome bonus waits.
        self.assertEqual(self._entries(newcomer).mapped("kind"), ["earn"])
        request = self.env["wholesale.loyalty.award.request"].search([("partner_id", "=", newcomer.id)])
        self.assertRecordValues(request, [{"points": 500, "state": "pending"}])
        wizard = self.env["wholesale.loyalty.award.wizard"].create(
            {"partner_id": newcomer.id, "points": 10, "reason": "Survey"})
        self.assertEqual(wizard.action_apply()["params"]["type"], "warning")
        request.action_refuse()
        self.assertEqual(request.state, "refused")
        self.assertEqual(self._balance(newcomer), 6000)

    # ---------------------------------------------------------------- provision

    def test_provision_charges_expected_cost_uses_and_releases_it(self):
        self.program.liability_method = "provision"
        self._sale()
        # 10,000 points x 1 x 95% = 9,500 provided.
        self.assertRecordValues(self._entries(kind="earn").liability_move_id.line_ids.sorted("balance"), [
            {"account_id": self.liability_account.id, "balance": -9500.0},
            {"account_id": self.expense_account.id, "balance": 9500.0},
        ])
        self._invoice_order(self._redeem_on_order(950))
        # 9,500 x 950 / 9,500 = 950 used.
        self.assertAlmostEqual(self._entries(kind="redeem").liability_booked, -950.0, places=2)
        self.assertTiesOut(8550.0)
        with freeze_time("2027-03-02"):
            self.env["wholesale.loyalty.points"]._expire_lots()
        self.assertTiesOut(0.0)
        self.assertEqual(self._balance_on(self.expense_account), 0.0, "unused provision released")

    def test_no_method_books_nothing(self):
        self.program.liability_method = "none"
        self._sale()
        self.assertFalse(self._liability_moves())
        self.assertEqual(self.program.liability_tie_out()["ledger"], 0.0)

    # ---------------------------------------------------------------- tie-out and its access

    def test_tie_out_for_accountants_and_loyalty_admins_only(self):
        self._sale()
        tie_out = self.program.with_user(self.accountant).liability_tie_out()
        self.assertEqual((tie_out["ledger"], tie_out["books"], tie_out["difference"]), (8675.80, 8675.80, 0.0))
        with self.assertRaises(AccessError):
            self.program.with_user(self.sales_rep).liability_tie_out()
        self.program.invalidate_recordset()
        self.assertEqual(self.program.liability_difference, 0.0)
        self.assertAlmostEqual(self.program.liability_books_amount, 8675.80, places=2)

    def test_kpi_screen_shows_the_tie_out_to_who_keeps_the_books(self):
        self._sale()
        kpi = self.env["wholesale.loyalty.kpi"].create({
            "program_id": self.program.id, "date_from": "2026-03-01", "date_to": "2026-03-31",
        })
        self.assertRecordValues(kpi, [{
            "books_method": "deferral", "books_ledger_amount": 8675.80, "books_amount": 8675.80,
            "books_difference": 0.0,
        }])
        seen = kpi.with_user(self.sales_rep).read(["points_outstanding"])[0]
        self.assertEqual(seen["points_outstanding"], 10000)
        with self.assertRaises(AccessError):
            kpi.with_user(self.sales_rep).read(["books_amount"])

    def test_tie_out_shows_a_manual_entry_on_the_account(self):
        self._sale()
        self._manual_entry_on_the_liability(100.0)
        tie_out = self.program.liability_tie_out()
        self.assertAlmostEqual(tie_out["difference"], -100.0, places=2)
        self.assertAlmostEqual(tie_out["lines"][0]["difference"], -100.0, places=2)

    def test_printed_tie_out(self):
        self._sale()
        html, _kind = self.env["ir.actions.report"].with_user(self.accountant)._render_qweb_html(
            "wholesale_loyalty.report_liability_tie_out", self.program.ids)
        self.assertIn("8,675.80", html.decode())
        self.assertIn(self.customer.name, html.decode())

    def test_exported_tie_out(self):
        self._sale()
        action = self.program.with_user(self.accountant).action_export_liability_tie_out()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        self.assertEqual(attachment.create_uid, self.accountant)
        workbook = openpyxl.load_workbook(io.BytesIO(attachment.raw))
        rows = list(workbook.active.iter_rows(values_only=True))
        self.assertEqual(rows[0], ("Customer", "Liability in the Ledger", "Liability in the Books",
                                   "Liability Difference"))
        self.assertEqual(rows[1], (self.customer.display_name, 8675.80, 8675.80, 0.0))
        self.assertEqual(rows[2], (self.program.name, 8675.80, 8675.80, 0.0))

    # ---------------------------------------------------------------- bad input

    def test_bad_settings_are_refused_and_write_nothing(self):
        other_company = self.env["res.company"].create({"name": "Other Wholesale Co"})
        foreign_journal = self.env["account.journal"].create({
            "name": "Other misc", "code": "OMSC", "type": "general", "company_id": other_company.id,
        })
        cases = [
            ({"liability_account_id": False}, "liability account"),
            ({"liability_journal_id": False}, "journal"),
            ({"liability_revenue_account_id": False}, "deferred revenue account"),
            ({"liability_journal_id": foreign_journal.id}, "another company"),
            ({"liability_account_id": self.expense_account.id}, "not a liability"),
            ({"expected_redemption_percent": 120.0}, "between 0 and 100"),
            ({"expected_redemption_percent": -1.0}, "between 0 and 100"),
        ]
        for values, message in cases:
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, message), \
                    self.env.cr.savepoint():
                self.program.write(values)
            self.program.invalidate_recordset()
            self.assertEqual(self.program.liability_account_id, self.liability_account)
            self.assertEqual(self.program.liability_journal_id, self.journal)
            self.assertEqual(self.program.expected_redemption_percent, 95.0)
        with self.assertRaisesRegex(ValidationError, "needs"):
            self.env["wholesale.loyalty.program"].create({
                "name": "Half set", "partner_domain": "[('id', '=', 0)]", "liability_method": "provision",
            })


@tagged("post_install", "-at_install")
class TestPointsLiabilityTour(ChromiumTourCase):

    def test_accountant_reads_the_tie_out_on_the_program(self):
        self.env["wholesale.loyalty.program"].sudo().search([]).write({"active": False})
        tag = self.env["res.partner.category"].create({"name": "Liability tour members"})
        accounts = self.env["account.account"].create([
            {"name": "Contract liability: loyalty points", "code": "289300", "account_type": "liability_current"},
            {"name": "Revenue deferred to points", "code": "409300", "account_type": "income"},
            {"name": "Loyalty points expense", "code": "619300", "account_type": "expense"},
        ])
        program = self.env["wholesale.loyalty.program"].create({
            "name": "Liability Tour Program", "points_amount_step": 10.0,
            "partner_domain": str([("category_id", "in", tag.ids)]),
            "tier_ids": [Command.create({"name": "Base", "threshold_amount": 0})],
            "liability_method": "deferral", "expected_redemption_percent": 95.0,
            "liability_account_id": accounts[0].id, "liability_revenue_account_id": accounts[1].id,
            "liability_expense_account_id": accounts[2].id,
            "liability_journal_id": self.env["account.journal"].search(
                [("type", "=", "general"), ("company_id", "=", self.env.company.id)], limit=1).id,
        })
        customer = self.env["res.partner"].create({
            "name": "Liability Tour Customer", "is_company": True, "category_id": [Command.link(tag.id)],
        })
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": customer.id, "invoice_date": "2026-03-01",
            "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": 100000.0,
                                                 "tax_ids": [Command.clear()]})],
        })
        invoice.action_post()
        keeper = new_test_user(self.env, login="wl_liability_keeper", groups=(
            "base.group_user,account.group_account_invoice,wholesale_loyalty.group_wholesale_loyalty_manager"))
        self.start_tour(f"/odoo/action-wholesale_loyalty.wholesale_loyalty_program_action/{program.id}",
                        "wholesale_loyalty_liability_tour", login=keeper.login)
        self.assertEqual(program.liability_tie_out()["ledger"], 8675.80)


@tagged("post_install", "-at_install")
class TestOpeningLiability(PointsLiabilityCase):
    """Points customers hold when a program starts booking its liability: the books open with them."""

    def _points_held_before_booking(self):
        """Without a liability: 100,000 earns 10,000 points (lot to 2027-03-01), 950 of them are
        redeemed on an order invoiced, and 100 bonus points (lot to 2027-04-20) are given."""
        self.program.liability_method = "none"
        self._sale()
        self._invoice_order(self._redeem_on_order(950))
        with freeze_time("2026-04-20"):
            self.customer.wholesale_award_points(100, "Trade fair")
        self.assertFalse(self._liability_moves())

    def test_switching_deferral_on_books_the_points_held(self):
        self._points_held_before_booking()
        with freeze_time("2026-05-01"):
            self.program.liability_method = "deferral"
        # 9,050 points x 1 x 95% = 8,597.50 caught up on the deferred revenue account (revenue
        # of the period) and 100 bonus points x 1 x 95% = 95.00 on the expense account: 8,692.50
        # on the liability, in one entry dated today.
        move = self._liability_moves()
        self.assertEqual(len(move), 1)
        self.assertRecordValues(move, [{
            "state": "posted", "journal_id": self.journal.id, "date": fields.Date.to_date("2026-05-01"),
        }])
        self.assertRecordValues(move.line_ids.sorted("balance"), [
            {"account_id": self.liability_account.id, "balance": -8597.50, "partner_id": self.customer.id},
            {"account_id": self.liability_account.id, "balance": -95.00, "partner_id": self.customer.id},
            {"account_id": self.expense_account.id, "balance": 95.00, "partner_id": self.customer.id},
            {"account_id": self.deferral_account.id, "balance": 8597.50, "partner_id": self.customer.id},
        ])
        earned, bonus = self._entries(kind="earn"), self._entries(kind="bonus")
        self.assertRecordValues(earned | bonus, [
            {"liability_deferred": 8597.50, "liability_points": 9050, "liability_source": "opening"},
            {"liability_deferred": 95.00, "liability_points": 100, "liability_source": "expense"},
        ])
        self.assertTiesOut(8692.50)
        # Booking again books nothing more.
        self.program.action_book_opening_liability()
        self.assertEqual(self._liability_moves(), move)
        self.assertTiesOut(8692.50)
        # 950 more redeemed: 8,597.50 x 950 / (9,050 x 95%) = 950.00 back to revenue.
        self._invoice_order(self._redeem_on_order(950, date="2026-06-01"), date="2026-06-10")
        self.assertAlmostEqual(self._entries(kind="redeem")[-1].liability_booked, -950.0, places=2)
        self.assertTiesOut(7742.50)
        # The 8,100 points left of the earned lot expire: 7,647.50 of breakage to revenue.
        with freeze_time("2027-03-02"):
            self.env["wholesale.loyalty.points"]._expire_lots()
        self.assertTiesOut(95.0)
        self.assertEqual(self._balance_on(self.deferral_account), 0.0, "all the revenue caught up came back")
        self.assertEqual(self._balance_on(self.expense_account), 95.0, "what the bonus lot still carries")

    def test_switching_provision_on_charges_the_expense(self):
        self._points_held_before_booking()
        with freeze_time("2026-05-01"):
            self.program.liability_method = "provision"
        self.assertRecordValues(self._liability_moves().line_ids.sorted("balance"), [
            {"account_id": self.liability_account.id, "balance": -8692.50},
            {"account_id": self.expense_account.id, "balance": 8692.50},
        ])
        self.assertTiesOut(8692.50)
        with freeze_time("2027-03-02"):
            self.env["wholesale.loyalty.points"]._expire_lots()
        # 8,597.50 of the earned lot released; the bonus lot keeps 95.00.
        self.assertTiesOut(95.0)
        self.assertEqual(self._balance_on(self.expense_account), 95.0)

    def test_the_button_books_lots_left_without_liability_once(self):
        self._points_held_before_booking()
        # The method set by SQL (an import, a script): the lots carry nothing until the button.
        self.env.cr.execute("UPDATE wholesale_loyalty_program SET liability_method = 'deferral' WHERE id = %s",
                            [self.program.id])
        self.program.invalidate_recordset(["liability_method"])
        self.assertEqual(self.program.liability_tie_out()["ledger"], 0.0)
        with freeze_time("2026-05-01"):
            self.program.action_book_opening_liability()
            self.program.action_book_opening_liability()
        self.assertEqual(len(self._liability_moves()), 1)
        self.assertTiesOut(8692.50)
        with self.assertRaises(AccessError):
            self.program.with_user(self.accountant).action_book_opening_liability()

    def test_locked_period_opens_on_the_first_open_day(self):
        self._points_held_before_booking()
        self.env.company.sudo().fiscalyear_lock_date = "2026-05-31"
        with freeze_time("2026-05-01"):
            self.program.liability_method = "deferral"
        move = self._liability_moves()
        self.assertEqual(str(move.date), "2026-06-01")
        self.assertIn("locked", move.line_ids[0].name)
        self.assertTiesOut(8692.50)

    def test_down_payment_defers_on_the_goods_the_points_count(self):
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [Command.create({"product_id": self.product_a.id, "product_uom_qty": 1,
                                           "price_unit": 100000.0, "tax_id": False})],
        })
        order.action_confirm()
        invoices = []
        for method, values in (("percentage", {"amount": 30}), ("delivered", {})):
            self.env["sale.advance.payment.inv"].with_context(active_model="sale.order", active_ids=order.ids).create(
                {"advance_payment_method": method, **values}).create_invoices()
            invoices.append(order.invoice_ids.sorted("id")[-1])
            invoices[-1].action_post()
        self.assertAlmostEqual(invoices[1].amount_untaxed, 70000.0, places=2)
        earned = self._entries(kind="earn")
        self.assertEqual((earned.move_id, earned.points), (invoices[1], 10000), "the goods in full earn")
        # G = 100,000 (the goods the points count, not the net 70,000): D = 100,000 x 9,500 /
        # 109,500 = 8,675.80, not 70,000 x 9,500 / 79,500 = 8,364.78.
        self.assertAlmostEqual(earned.liability_deferred, 8675.80, places=2)
        self.assertTiesOut(8675.80)
