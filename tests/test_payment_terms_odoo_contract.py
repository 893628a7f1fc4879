"""What the wholesale cash discount relies on in Odoo's own early payment discount code.

The schedule's percentage is shown to Odoo's methods through the record cache
(``wholesale.payment.discount._presented_as``). These tests fail loudly when a new Odoo
version stops reading those fields in those methods, or books something else than our
percentage."""
import inspect

from odoo import Command
from odoo.tests import tagged

from odoo.addons.wholesale_loyalty.models.payment_terms.wholesale_payment_discount import _ODOO_EPD_READERS

from .common import WholesaleLoyaltyCommon

INVOICE_DATE = "2026-03-01"  # due 2026-03-31


@tagged("post_install", "-at_install")
class TestOdooEarlyPaymentContract(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.term = cls.env["account.payment.term"].create({
            "name": "2/10, 3/20 wholesale, net 30",
            "company_id": cls.company_data["company"].id,
            "line_ids": [Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})],
            "early_pay_discount_computation": "excluded",
            "wholesale_discount_rule_ids": [
                Command.create({"kind": "early", "days": 10, "discount_percent": 2}),
                Command.create({"kind": "early", "days": 20, "discount_percent": 3}),
            ],
        })
        cls.discount_account = cls.company_data["company"].account_journal_early_pay_discount_loss_account_id

    def _odoo_source(self, model, method):
        """The source of ``method`` as the account module defines it (not our override)."""
        defined = [
            cls for cls in type(self.env[model]).mro()
            if getattr(cls, "_module", None) == "account" and method in vars(cls)
        ]
        self.assertEqual(len(defined), 1, f"Odoo's account module no longer defines {model}.{method}")
        return inspect.getsource(vars(defined[0])[method])

    def test_odoo_methods_still_read_the_fields_we_present(self):
        self.assertTrue(_ODOO_EPD_READERS)
        for (model, field), readers in _ODOO_EPD_READERS.items():
            self.assertIn(field, self.env[model]._fields)
            for reader_model, method in readers:
                with self.subTest(field=f"{model}.{field}", reader=f"{reader_model}.{method}"):
                    self.assertIn(
                        f".{field}", self._odoo_source(reader_model, method),
                        f"{reader_model}.{method} no longer reads {field}: the wholesale cash "
                        "discount must be presented to Odoo another way",
                    )

    def test_our_overrides_present_the_discount_to_those_methods(self):
        # Each Odoo method that reads a presented field is one we wrap.
        for reader_model, method in {reader for readers in _ODOO_EPD_READERS.values() for reader in readers}:
            with self.subTest(reader=f"{reader_model}.{method}"):
                ours = [
                    cls for cls in type(self.env[reader_model]).mro()
                    if getattr(cls, "_module", None) == "wholesale_loyalty" and method in vars(cls)
                ]
                self.assertEqual(len(ours), 1)

    def test_only_the_fields_odoo_reads_can_be_presented(self):
        invoice = self._invoice(self.customer, 1000.0, INVOICE_DATE, invoice_payment_term_id=self.term.id)
        discounts = self.env["wholesale.payment.discount"]
        days = self.term.discount_days
        with self.assertRaisesRegex(ValueError, "discount_days"), \
                discounts._presented_as(invoice.invoice_payment_term_id, {"discount_days": days + 5}):
            pass
        self.assertEqual(self.term.discount_days, days, "nothing is left in the cache")

    def test_booked_discount_is_our_percentage(self):
        stored = self.term.read(["early_discount", "discount_percentage"])[0]
        for payment_date, percent in (("2026-03-11", 3), ("2026-03-21", 2)):
            with self.subTest(payment_date=payment_date):
                invoice = self._invoice(self.customer, 10000.0, INVOICE_DATE, invoice_payment_term_id=self.term.id)
                payment = self.env["account.payment.register"].with_context(
                    active_model="account.move", active_ids=invoice.ids,
                ).create({"payment_date": payment_date})._create_payments()
                booked = payment.move_id.line_ids.filtered(lambda line: line.account_id == self.discount_account)
                self.assertAlmostEqual(sum(booked.mapped("debit")), 10000.0 * percent / 100, places=2)
                self.assertIn(invoice.payment_state, ("paid", "in_payment"))
                # The term itself keeps no single discount: the percentage lived in the cache only.
                self.term.invalidate_recordset()
                self.assertFalse(self.term.early_discount)
                self.assertEqual(self.term.discount_percentage, stored["discount_percentage"])

    def test_mixed_invoice_tax_uses_our_largest_percentage(self):
        self.term.early_pay_discount_computation = "mixed"
        invoice = self._invoice(self.customer, 10000.0, INVOICE_DATE, invoice_payment_term_id=self.term.id)
        # 15% tax on the price less the best discount the schedule offers (3%).
        self.assertAlmostEqual(invoice.amount_tax, 10000.0 * 0.97 * 0.15, places=2)
        epd_lines = invoice.line_ids.filtered(lambda line: line.display_type == "epd")
        self.assertTrue(epd_lines)
        self.assertIn("3.0%", epd_lines[0].name)
