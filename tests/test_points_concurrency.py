"""Two real transactions moving the same customer's points: orders that together overspend
them, invoices that earn at once."""
from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged

from .concurrency import DONE, assert_one_wins, run_together


@tagged("post_install", "-at_install")
class TestConcurrentRedemption(BaseCase):
    """Runs outside the usual test transaction: each order is confirmed in its own thread
    and cursor, and both commit for real, as two salespeople would."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            tag = env["res.partner.category"].create({"name": "Concurrency test"})
            cls.program_id = env["wholesale.loyalty.program"].create({
                "name": "Concurrency Program",
                "sequence": -100,  # the first program for its members
                "qualification_period": "lifetime",
                "partner_domain": str([("category_id", "in", tag.ids)]),
                "tier_ids": [Command.create({"name": "Member", "threshold_amount": 0})],
            }).id
            customer = env["res.partner"].create({
                "name": "Concurrent Customer", "is_company": True, "category_id": [Command.link(tag.id)],
            })
            cls.customer_id = customer.id
            customer.wholesale_award_points(100, "Opening balance")
            product = env["product.product"].create({"name": "Concurrency product", "list_price": 1000.0})
            cls.order_ids = []
            for _index in range(2):
                order = env["sale.order"].create({
                    "partner_id": customer.id,
                    "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1,
                                                   "tax_id": [Command.clear()]})],
                })
                env["wholesale.loyalty.redeem.wizard"].with_context(
                    active_id=order.id, active_model="sale.order").create({"points": 60}).action_apply()
                cls.order_ids.append(order.id)

    @classmethod
    def tearDownClass(cls):
        with cls.registry.cursor() as cr:
            # Leave nothing that other tests' programs could compete with.
            api.Environment(cr, SUPERUSER_ID, {})["wholesale.loyalty.program"].browse(cls.program_id).active = False
        super().tearDownClass()

    def test_only_one_of_two_overspending_orders_confirms(self):
        winner, [loser] = assert_one_wins(
            self, self.registry, lambda env, order_id: env["sale.order"].browse(order_id).action_confirm(),
            self.order_ids, "has only 40 left",
        )
        confirmed = [winner]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            customer = env["res.partner"].browse(self.customer_id)
            ledger = env["wholesale.loyalty.ledger"].search([("partner_id", "=", customer.id)])
            self.assertEqual(sum(ledger.mapped("points")), 40)
            self.assertEqual(customer.wholesale_points_balance, 40)
            self.assertEqual(ledger.filtered(lambda entry: entry.kind == "redeem").sale_order_id.ids, confirmed)
            self.assertEqual(env["sale.order"].browse(loser).state, "draft")


@tagged("post_install", "-at_install")
class TestConcurrentEarning(BaseCase):
    """Two invoices of one customer posted at once, as two accountants would (each in its own
    journal, so that only the loyalty meets): each earns once, the first-order bonus is given
    once, whichever of them has to be retried."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            tag = env["res.partner.category"].create({"name": "Concurrent earning test"})
            program = env["wholesale.loyalty.program"].create({
                "name": "Concurrent Earning Program",
                "sequence": -100,  # the first program for its members
                "qualification_period": "lifetime",
                "points_amount_step": 100.0, "points_per_step": 1,
                "partner_domain": str([("category_id", "in", tag.ids)]),
                "tier_ids": [Command.create({"name": "Member", "threshold_amount": 0})],
                "bonus_rule_ids": [Command.create({"name": "Welcome", "trigger": "first_order", "points": 25})],
            })
            cls.program_id = program.id
            customer = env["res.partner"].create({
                "name": "Concurrent Earner", "is_company": True, "category_id": [Command.link(tag.id)],
            })
            cls.customer_id = customer.id
            company = program.company_id
            sales = env["account.journal"].search([("type", "=", "sale"), ("company_id", "=", company.id)], limit=1)
            income = sales.default_account_id
            # A second sales journal, never the default one, archived once the test is done.
            second = env["account.journal"].create({
                "name": "Concurrent earning sales", "code": "WLCE", "type": "sale", "sequence": 1000,
                "company_id": company.id, "default_account_id": income.id,
            })
            cls.journal_id = second.id
            journals = sales | second
            cls.invoice_ids = env["account.move"].create([{
                "move_type": "out_invoice", "partner_id": customer.id, "journal_id": journal.id,
                "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": 1000.0,
                                                     "account_id": income.id, "tax_ids": [Command.clear()]})],
            } for journal in journals]).ids

    @classmethod
    def tearDownClass(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["wholesale.loyalty.program"].browse(cls.program_id).active = False
            env["account.journal"].browse(cls.journal_id).active = False
        super().tearDownClass()

    def test_invoices_posted_at_once_earn_once_each_and_the_first_order_bonus_once(self):
        def post(env, invoice_id):
            env["account.move"].browse(invoice_id).action_post()

        outcomes = run_together(self.registry, {
            invoice_id: lambda env, invoice_id=invoice_id: post(env, invoice_id) for invoice_id in self.invoice_ids
        })
        self.assertEqual(len(outcomes), 2, f"no other error than a failure to serialize: {outcomes}")
        for invoice_id, outcome in outcomes.items():
            if outcome != DONE:
                self.assertIsInstance(outcome, SerializationFailure)
                with self.registry.cursor() as cr:  # as Odoo retries the request
                    post(api.Environment(cr, SUPERUSER_ID, {}), invoice_id)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            entries = env["wholesale.loyalty.ledger"].search([("partner_id", "=", self.customer_id)])
            self.assertEqual(sorted(entries.mapped("kind")), ["bonus", "earn", "earn"])
            self.assertEqual(sorted(entries.filtered(lambda entry: entry.kind == "earn").move_id.ids),
                             sorted(self.invoice_ids))
            customer = env["res.partner"].browse(self.customer_id)
            self.assertEqual(customer.wholesale_points_balance, 45)
            self.assertEqual(sum(entries.mapped("remaining_points")), 45)
