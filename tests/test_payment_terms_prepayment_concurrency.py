"""Two real transactions applying a prepayment discount on the same money at once, as two
accountants would on a server with several workers."""
from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged

from .concurrency import assert_one_wins

INVOICE_DATE = "2026-03-01"


@tagged("post_install", "-at_install")
class TestConcurrentPrepaymentDiscounts(BaseCase):
    """Runs outside the usual test transaction: each discount is applied in its own thread
    and cursor, and both commit for real."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.company
            term = env["account.payment.term"].create({
                "name": "Concurrent prepayment 5%",
                "company_id": company.id,
                "line_ids": [Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})],
                "wholesale_discount_rule_ids": [Command.create({"kind": "prepayment", "days": 5,
                                                                "discount_percent": 5})],
            })
            customer = env["res.partner"].create({"name": "Concurrent Prepayer", "is_company": True})
            journal = env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", company.id)], limit=1)
            payment = env["account.payment"].create({
                "payment_type": "inbound", "partner_type": "customer", "partner_id": customer.id,
                "amount": 1000.0, "date": "2026-02-19", "journal_id": journal.id,
            })
            payment.action_post()
            cls.payment_line_ids = payment.move_id.line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
            ).ids
            cls.invoice_ids = env["account.move"].create([{
                "move_type": "out_invoice", "partner_id": customer.id, "invoice_date": INVOICE_DATE,
                "invoice_payment_term_id": term.id,
                "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": 1000.0,
                                                     "tax_ids": [Command.clear()]})],
            } for _index in range(2)]).ids

    def test_the_same_money_is_reserved_once(self):
        winner, [loser] = assert_one_wins(
            self, self.registry,
            lambda env, invoice_id: env["account.move"].browse(invoice_id).action_wholesale_apply_prepayment_discount(),
            self.invoice_ids, "already the base",
        )
        applied = [winner]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            reservations = env["wholesale.prepayment.reservation"].search(
                [("payment_line_id", "in", self.payment_line_ids)]
            )
            self.assertEqual(reservations.move_id.ids, applied)
            self.assertAlmostEqual(sum(reservations.mapped("base_amount")), 1000.0, places=2)
            self.assertAlmostEqual(env["account.move"].browse(applied).amount_total, 950.0, places=2)
            self.assertAlmostEqual(env["account.move"].browse(loser).amount_total, 1000.0, places=2)
