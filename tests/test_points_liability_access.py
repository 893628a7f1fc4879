"""Accountants without any loyalty right work with the points liability: Accounting >
Reporting > Points Liability shows the tie-out of the programs of their companies, prints and
exports it, and reads nothing else of the loyalty programs nor changes anything. Bonuses for
ordering ahead wait for approval above the liability budget like every bonus rule."""
import io
from datetime import datetime

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .test_points_liability import PointsLiabilityCase

SCREEN = "wholesale.loyalty.liability.screen"


@tagged("post_install", "-at_install")
class TestPointsLiabilityForAccountants(PointsLiabilityCase):
    """Runs on the deferral program of the liability tests (sales 100,000 earning 10,000
    points worth 1 each, 95% expected: 8,675.80 deferred)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accounting_manager = cls._company_user("wl_liability_controller", "account.group_account_manager")
        cls.auditor = cls._company_user("wl_liability_auditor", "account.group_account_readonly")
        other = cls.setup_other_company()
        cls.other_company = other["company"]
        cls.other_program = cls.env["wholesale.loyalty.program"].create({
            "name": "Other Company Liability Program", "company_id": cls.other_company.id,
            "tier_ids": [Command.create({"name": "Base", "threshold_amount": 0})],
            "liability_method": "provision",
            "liability_account_id": cls.env["account.account"].with_company(cls.other_company).create({
                "name": "Loyalty provision", "code": "289200", "account_type": "liability_current",
            }).id,
            "liability_expense_account_id": cls.env["account.account"].with_company(cls.other_company).create({
                "name": "Loyalty expense", "code": "619200", "account_type": "expense",
            }).id,
            "liability_journal_id": other["default_journal_misc"].id,
        })

    def _screen_as(self, user):
        return self.env[SCREEN].with_user(user).create({})

    # ---------------------------------------------------------------- the screen

    def test_menu_opens_the_tie_out_for_billing_users_and_accounting_managers(self):
        menu = self.env.ref("wholesale_loyalty.wholesale_loyalty_liability_screen_menu")
        self.assertEqual(menu.parent_id, self.env.ref("account.account_reports_management_menu"))
        self._sale()
        for user in (self.accountant, self.accounting_manager, self.auditor):
            with self.subTest(user=user.login):
                self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(user)._visible_menu_ids())
                screen = self._screen_as(user)
                self.assertEqual(screen.program_key, str(self.program.id), "opens on the company's program")
                self.assertRecordValues(screen, [{
                    "ledger_amount": 8675.80, "books_amount": 8675.80, "difference": 0.0,
                    "expected_redemption_percent": 95.0,
                }])
                self.assertTrue(screen.method)
                self.assertRecordValues(screen.line_ids, [{
                    "partner_name": self.customer.complete_name, "ledger_amount": 8675.80,
                    "books_amount": 8675.80, "difference": 0.0,
                }])
        self.assertNotIn(menu.id, self.env["ir.ui.menu"].with_user(self.sales_rep)._visible_menu_ids())

    def test_the_screen_opens_in_its_form_for_a_billing_user(self):
        self._sale()
        form = Form(self.env[SCREEN].with_user(self.accountant))
        self.assertEqual(form.program_key, str(self.program.id))
        self.assertEqual(form.ledger_amount, 8675.80)
        self.assertEqual(len(form.line_ids), 1)
        screen = form.save()
        self.assertRecordValues(screen.line_ids, [{"partner_name": self.customer.complete_name,
                                                   "books_amount": 8675.80}])

    def test_the_screen_shows_a_manual_entry_as_a_difference(self):
        self._sale()
        self._manual_entry_on_the_liability(100.0)
        screen = self._screen_as(self.accountant)
        self.assertAlmostEqual(screen.difference, -100.0, places=2)
        self.assertAlmostEqual(screen.books_amount, 8575.80, places=2)
        self.assertAlmostEqual(screen.line_ids.difference, -100.0, places=2)

    def test_only_the_programs_of_the_accountants_companies(self):
        described = self.env[SCREEN].with_user(self.accountant).fields_get(["program_key"])
        choices = dict(described["program_key"]["selection"])
        self.assertIn(str(self.program.id), choices)
        self.assertNotIn(str(self.other_program.id), choices, "another company's program is not offered")
        with self.assertRaises(ValidationError):
            # A key forged by the client is refused.
            self.env[SCREEN].with_user(self.accountant).create({"program_key": str(self.other_program.id)})
        self.assertFalse(self.other_program.with_user(self.accountant).liability_tie_out(),
                         "the figures of another company's program are not given")

    def test_the_screen_prints_and_exports(self):
        self._sale()
        for user in (self.accountant, self.auditor):
            with self.subTest(user=user.login):
                screen = self._screen_as(user)
                action = screen.action_print()
                self.assertEqual(action["report_name"], "wholesale_loyalty.report_liability_tie_out")
                self.assertEqual(action["context"]["active_ids"], self.program.ids)
                html, _kind = self.env["ir.actions.report"].with_user(user)._render_qweb_html(
                    action["report_name"], self.program.ids)
                self.assertIn("8,675.80", html.decode())
                self.assertIn(self.customer.name, html.decode())
                action = screen.action_export()
                attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
                self.assertEqual(attachment.create_uid, user)
                rows = list(openpyxl.load_workbook(io.BytesIO(attachment.raw)).active.iter_rows(values_only=True))
                self.assertEqual(rows[1], (self.customer.display_name, 8675.80, 8675.80, 0.0))

    def test_others_get_no_screen(self):
        with self.assertRaises(AccessError):
            self._screen_as(self.sales_rep)
        screen = self._screen_as(self.accountant)
        with self.assertRaises(AccessError):
            screen.with_user(self.sales_rep).action_print()
        with self.assertRaises(AccessError):
            screen.with_user(self.sales_rep).action_export()

    # ---------------------------------------------------------------- read only, nothing else

    def test_accountants_read_no_loyalty_setting_and_write_none(self):
        for user in (self.accountant, self.accounting_manager, self.auditor):
            with self.subTest(user=user.login):
                program = self.program.with_user(user)
                with self.assertRaises(AccessError):
                    program.read(["name"])
                with self.assertRaises(AccessError):
                    program.write({"expected_redemption_percent": 50.0})
                with self.assertRaises(AccessError):
                    program.write({"liability_budget": 1.0})
                with self.assertRaises(AccessError):
                    self.env["wholesale.loyalty.bonus.rule"].with_user(user).create({
                        "program_id": self.program.id, "name": "Sneaky", "trigger": "first_order", "points": 1})
        self.assertEqual(self.program.expected_redemption_percent, 95.0)
        self.assertFalse(self.program.liability_budget)


@tagged("post_install", "-at_install")
class TestAdvanceOrderBonusBudget(PointsLiabilityCase):
    """A bonus for ordering ahead is a bonus rule: above the liability budget it waits."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule = cls.env["wholesale.loyalty.bonus.rule"].create({
            "program_id": cls.program.id, "name": "Two weeks ahead", "trigger": "advance_order",
            "days_ahead": 14, "points": 500,
        })

    def _order_ahead(self, amount=60000.0):
        """Confirmed on 1 March for delivery on 1 April and invoiced: 6,000 points earned,
        5,205.48 deferred."""
        with freeze_time("2026-03-01"):
            order = self.env["sale.order"].create({
                "partner_id": self.customer.id, "commitment_date": datetime(2026, 4, 1, 10),
                "order_line": [Command.create({"product_id": self.product_a.id, "product_uom_qty": 1,
                                               "price_unit": amount, "tax_id": False})],
            })
            order.action_confirm()
            invoice = order._create_invoices()
            invoice.action_post()
        return order, invoice

    def _request(self):
        return self.env["wholesale.loyalty.award.request"].search([("partner_id", "=", self.customer.id)])

    def test_below_the_budget_the_bonus_is_given(self):
        self.program.liability_budget = 100000.0
        order, _invoice = self._order_ahead()
        self.assertEqual(self._entries(kind="bonus").sale_order_id, order)
        self.assertEqual(self._balance(), 6500)
        self.assertFalse(self._request())

    def test_above_the_budget_the_bonus_waits_for_approval(self):
        self.program.liability_budget = 5000.0
        order, invoice = self._order_ahead()
        # 5,205.48 deferred is above 5,000: the invoice earns, the bonus waits.
        self.assertEqual(self._entries().mapped("kind"), ["earn"])
        request = self._request()
        self.assertRecordValues(request, [{
            "points": 500, "state": "pending", "sale_order_id": order.id, "bonus_rule_id": self.rule.id,
        }])
        self.assertEqual(len(request.activity_ids), 1)
        self.assertIn(order.name, request.reason)
        # Syncing the order again asks nothing more.
        self.env["wholesale.loyalty.points"]._sync_advance_order_bonuses(order)
        self.assertEqual(len(self._request()), 1)
        request.action_approve()
        self.assertEqual(request.entry_id.sale_order_id, order, "the bonus goes back with its order")
        self.assertEqual(self._balance(), 6500)
        self.env["wholesale.loyalty.points"]._sync_advance_order_bonuses(order)
        self.assertEqual(self._balance(), 6500, "given once")
        # Bonus points cost their expected value: 500 x 95% = 475.
        self.assertTiesOut(5205.48 + 475.0)
        # Cancelled, the order gives the approved bonus back with its points.
        invoice.button_cancel()
        order._action_cancel()
        self.assertEqual(self._balance(), 0)

    def test_an_order_no_longer_ahead_withdraws_its_waiting_bonus(self):
        self.program.liability_budget = 5000.0
        order, invoice = self._order_ahead()
        request = self._request()
        self.assertEqual(request.state, "pending")
        invoice.button_cancel()
        order._action_cancel()
        self.assertEqual(request.state, "refused", "nothing waits for an order that no longer earns")
        self.assertFalse(request.activity_ids)
        self.assertEqual(self._balance(), 0)
