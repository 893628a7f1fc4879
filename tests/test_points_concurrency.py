"""Two real transactions confirming orders that together overspend the same points."""
from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged

from .concurrency import assert_one_wins


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
