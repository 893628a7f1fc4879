"""Spend by product line: a program counts only some product categories, or leaves some out,
for tiers, points, rebates, quotations and the what-if replay alike. Silver 0 / Gold 1000
(x1.5) / Platinum 5000; 1 point per 100."""
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import WholesaleLoyaltyCommon

TODAY = "2026-05-04"


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestSpendCategories(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Category = cls.env["product.category"]
        cls.goods = Category.create({"name": "Goods (loyalty test)"})
        cls.drinks = Category.create({"name": "Drinks", "parent_id": cls.goods.id})
        cls.services = Category.create({"name": "Services (loyalty test)"})
        cls.juice = cls._product("Juice", cls.drinks)
        cls.crates = cls._product("Crates", cls.goods)
        cls.installation = cls._product("Installation", cls.services, type="service")

    @classmethod
    def _product(cls, name, category, **values):
        return cls.env["product.product"].create({"name": name, "categ_id": category.id, **values})

    def _mixed_invoice(self, lines, move_type="out_invoice", post=True, **values):
        """An invoice of [(product or None, amount)]."""
        move = self.env["account.move"].create({
            "move_type": move_type, "partner_id": self.customer.id, "invoice_date": TODAY,
            "invoice_line_ids": [Command.create({
                "product_id": product.id if product else False, "name": product.name if product else "Freight",
                "quantity": 1, "price_unit": amount, "tax_ids": [Command.set(self.tax_sale_a.ids)],
            }) for product, amount in lines],
            **values,
        })
        if post:
            move.action_post()
        return move

    def _spend(self):
        return self.program._spend_by_partner([self.customer.id], None, TODAY).get(self.customer.id, 0.0)

    def test_only_the_counted_categories_and_their_subcategories_count(self):
        self.program.qualifying_categ_ids = self.goods
        self._mixed_invoice([(self.juice, 600), (self.crates, 300), (self.installation, 500), (None, 200)])
        self.assertAlmostEqual(self._spend(), 900.0, places=2)
        self.assertEqual(self._balance(), 9)
        self.assertTier(self.customer, self.silver, 900.0)
        self._mixed_invoice([(self.juice, 100)])
        self.assertTier(self.customer, self.gold, 1000.0)

    def test_excluded_categories_never_count(self):
        self.program.excluded_categ_ids = self.services
        self._mixed_invoice([(self.juice, 600), (self.installation, 500), (None, 200)])
        self.assertAlmostEqual(self._spend(), 800.0, places=2, msg="lines without product count when nothing is listed")
        self.assertEqual(self._balance(), 8)

    def test_a_subcategory_may_be_left_out_of_a_counted_one(self):
        self.program.write({"qualifying_categ_ids": [Command.set(self.goods.ids)],
                            "excluded_categ_ids": [Command.set(self.drinks.ids)]})
        self._mixed_invoice([(self.juice, 600), (self.crates, 300)])
        self.assertAlmostEqual(self._spend(), 300.0, places=2)
        self.assertEqual(self._balance(), 3)

    def test_credit_notes_take_back_what_their_lines_counted(self):
        self.program.excluded_categ_ids = self.services
        invoice = self._mixed_invoice([(self.juice, 900), (self.installation, 500)])
        self.assertEqual(self._balance(), 9)
        self._mixed_invoice([(self.installation, 500)], move_type="out_refund", reversed_entry_id=invoice.id)
        self.assertAlmostEqual(self._spend(), 900.0, places=2, msg="a service credited is no purchase given back")
        self.assertEqual(self._balance(), 9)
        self._mixed_invoice([(self.juice, 400)], move_type="out_refund", reversed_entry_id=invoice.id)
        self.assertAlmostEqual(self._spend(), 500.0, places=2)
        self.assertEqual(self._balance(), 5)

    def test_a_credit_note_linked_to_no_invoice_takes_the_points_of_its_counted_lines(self):
        self.program.excluded_categ_ids = self.services
        self._mixed_invoice([(self.juice, 900)])
        self._mixed_invoice([(self.juice, 300), (self.installation, 500)], move_type="out_refund")
        self.assertEqual(self._balance(), 9 - 3)

    def test_confirmed_orders_count_their_counted_lines(self):
        self.program.write({"qualification_basis": "confirmed", "qualifying_categ_ids": [Command.set(self.goods.ids)]})
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1, "price_unit": amount})
                           for product, amount in ((self.juice, 700), (self.installation, 800))],
        })
        self.assertEqual(order.wholesale_points_estimate, 7, "the quotation estimates the counted lines' points")
        order.action_confirm()
        self.assertTier(self.customer, self.silver, 700.0)

    def test_rebates_are_paid_on_the_counted_spend(self):
        self.program.write({"excluded_categ_ids": [Command.set(self.services.ids)], "rebate_period": "month"})
        self.gold.rebate_percent = 2
        with freeze_time("2026-04-10"):
            self._mixed_invoice([(self.juice, 1200), (self.installation, 3000)], invoice_date="2026-04-10")
        rebate = self.env["wholesale.loyalty.rebate"]._settle(programs=self.program)
        self.assertAlmostEqual(rebate.base_amount, 1200.0, places=2)
        self.assertAlmostEqual(rebate.amount, 24.0, places=2)

    def test_the_what_if_replay_counts_the_same_lines_as_the_engine(self):
        self.program.write({"excluded_categ_ids": [Command.set(self.services.ids)], "qualification_period": "rolling",
                            "period_months": 12})
        other = self._customer("Beta Wholesale")
        self._mixed_invoice([(self.juice, 1100), (self.installation, 4000)])
        self._mixed_invoice([(self.crates, 800), (self.installation, 900)], partner_id=other.id)
        self.program.action_recalculate_tiers()
        self.assertTier(self.customer, self.gold, 1100.0)
        self.assertTier(other, self.silver, 800.0)
        simulation = self.env["wholesale.loyalty.simulation"].create({"program_id": self.program.id})
        simulation.action_simulate()
        self.assertFalse(simulation.move_ids, "nobody moves under the program's own settings")
        self.assertAlmostEqual(simulation.sales_amount, 1900.0, places=2)
        self.assertEqual(simulation.current_points, 16 + 8, "Alpha 11 x 1.5, Beta 8")

    def test_the_same_category_cannot_both_count_and_be_excluded(self):
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.program.write({"qualifying_categ_ids": [Command.set(self.goods.ids)],
                                "excluded_categ_ids": [Command.set(self.goods.ids)]})
        self.assertFalse(self.program.qualifying_categ_ids, "nothing was written")
