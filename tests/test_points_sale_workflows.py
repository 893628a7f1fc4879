"""Quotations and orders with a tier discount or a points discount, edited, copied,
confirmed and invoiced the way users do it."""
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestSalePointsWorkflows(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2026-04-01"):
            cls._invoice(cls.customer, 1500.0, "2026-03-30")  # Gold: 5% off
            cls.customer.wholesale_award_points(500, "Opening balance")
        cls.ledger = cls.env["wholesale.loyalty.ledger"]
        cls.sales_rep = cls._company_user("wl_sale_flows_rep", "sales_team.group_sale_salesman")
        cls.delivered_goods = cls.env["product.product"].create({
            "name": "Goods invoiced on delivery", "type": "consu", "invoice_policy": "delivery",
            "list_price": 1000.0, "taxes_id": [Command.set(cls.tax_sale_a.ids)],
        })

    def _reach_platinum(self):
        with freeze_time("2026-04-02"):
            self._invoice(self.customer, 4000.0, "2026-04-02")
        self.assertTier(self.customer, self.platinum)

    def _redeemed_points(self):
        return -sum(self.ledger.search([("partner_id", "=", self.customer.id), ("kind", "=", "redeem")])
                    .mapped("points"))

    # ---------------------------------------------------------------- tier discount and prices

    def test_confirmation_keeps_the_prices_the_customer_accepted_after_a_tier_change(self):
        order = self._quotation(lines=((None, 1), (None, 2)))
        negotiated, priced = order.order_line
        negotiated.discount = 12.0
        order.action_quotation_sent()
        self._reach_platinum()
        accepted = order.amount_untaxed
        self.assertAlmostEqual(accepted, 880.0 + 1900.0)
        order.action_confirm()
        self.assertEqual((negotiated.discount, priced.discount), (12.0, 5.0))
        self.assertAlmostEqual(order.amount_untaxed, accepted, msg="the order keeps the accepted prices")
        self.assertEqual(order.wholesale_tier_id, self.platinum, "the order records the tier held at confirmation")

    def test_pricelist_discounts_and_tier_discount_with_a_negotiated_line(self):
        self.env.ref("base.group_user").implied_ids += self.env.ref("sale.group_discount_per_so_line")
        pricelist = self.env["product.pricelist"].create({
            "name": "Three percent off",
            "item_ids": [Command.create({"compute_price": "percentage", "percent_price": 3.0,
                                         "applied_on": "3_global"})],
        })
        outsider = self.env["res.partner"].create({"name": "Walk-in", "property_product_pricelist": pricelist.id})
        self.assertEqual(self._quotation(outsider).order_line.discount, 3.0, "Odoo's own pricelist discount")
        self.customer.property_product_pricelist = pricelist
        order = self._quotation(lines=((None, 1), (None, 1)))
        negotiated, priced = order.order_line
        self.assertEqual((negotiated.discount, priced.discount), (5.0, 5.0), "the better of pricelist and tier")
        negotiated.discount = 12.0
        negotiated.product_uom_qty = 2
        self.assertEqual(negotiated.discount, 12.0)
        self._reach_platinum()
        order.action_confirm()
        self.assertEqual((negotiated.discount, priced.discount), (12.0, 5.0))
        self.assertAlmostEqual(order.amount_untaxed, 1760.0 + 950.0)

    def test_negotiated_discount_survives_later_changes_until_prices_are_updated(self):
        order = self._quotation()
        line = order.order_line
        line.discount = 12.0
        line.product_uom_qty = 3
        self.assertEqual(line.discount, 12.0, "a quantity change keeps the negotiated discount")
        order.write({"order_line": [Command.create({"product_id": self.product_a.id, "product_uom_qty": 1})]})
        self.assertEqual(order.order_line[-1].discount, 5.0, "a new line takes the tier discount")
        self.assertEqual(line.discount, 12.0)
        self._reach_platinum()
        order.action_update_prices()
        self.assertEqual(order.wholesale_tier_id, self.platinum)
        self.assertEqual(order.order_line.mapped("discount"), [10.0, 10.0], "updating prices reprices every line")

    def test_customer_change_prices_the_lines_with_the_new_customer_tier(self):
        outsider = self.env["res.partner"].create({"name": "Walk-in"})
        with Form(self.env["sale.order"]) as form:
            form.partner_id = outsider
            with form.order_line.new() as line:
                line.product_id = self.product_a
            self.assertEqual(form.order_line.edit(0).discount, 0.0)
            form.partner_id = self.customer
        order = form.record
        self.assertEqual(order.wholesale_tier_id, self.gold)
        self.assertEqual(order.order_line.discount, 5.0)
        with Form(order) as form:
            form.partner_id = outsider
        self.assertFalse(order.wholesale_tier_id)
        self.assertEqual(order.order_line.discount, 0.0, "the tier discount leaves with the member")

    def test_confirmed_line_keeps_its_discount_when_its_quantity_changes(self):
        order = self._quotation()
        order.action_confirm()
        self._reach_platinum()
        order.order_line.product_uom_qty = 2
        self.assertEqual(order.order_line.discount, 5.0)

    # ---------------------------------------------------------------- points line

    def test_copy_of_an_order_carries_no_points_discount(self):
        order = self._quotation()
        self._redeem(order, 100)
        copy = order.copy()
        self.assertFalse(copy.order_line.filtered(lambda line: line.product_id == self.program.redemption_product_id))
        self.assertEqual(copy.wholesale_points_redeemed, 0)
        self.assertAlmostEqual(copy.amount_untaxed, 950.0, msg="the copy is priced without the points")
        order.action_confirm()
        copy.action_confirm()
        self.assertEqual(self._redeemed_points(), 100)

    def test_points_line_amount_is_the_value_of_its_points(self):
        self.program.point_value = 1.25
        order = self._quotation()
        line = self._redeem(order, 100)
        self.assertAlmostEqual(line.price_subtotal, -125.0)
        self.assertEqual(line.discount, 0.0)
        self.assertFalse(line.product_updatable)

    def test_points_line_cannot_be_edited_outside_the_redemption(self):
        order = self._quotation()
        line = self._redeem(order, 157)
        order.user_id = self.sales_rep
        edits = [
            {"price_unit": -1157.0}, {"product_uom_qty": 2}, {"discount": 50.0},
            {"tax_id": [Command.clear()]}, {"wholesale_points_redeemed": 1},
        ]
        for env in (self.env, self.env(user=self.sales_rep)):
            for values in edits:
                for context in ({}, {"wholesale_reprice": True, "wholesale_points_lines_writer": True}):
                    with self.subTest(user=env.user.login, values=values, context=context), \
                            self.assertRaisesRegex(UserError, "cannot be edited|Redeem Points"):
                        line.with_env(env).with_context(**context).write(values)
            with self.assertRaisesRegex(UserError, "cannot be edited"):
                order.with_env(env).write({"order_line": [Command.update(line.id, {"price_unit": -1157.0})]})
            with self.assertRaisesRegex(UserError, "Redeem Points"):
                env["sale.order.line"].create({
                    "order_id": order.id, "product_id": self.program.redemption_product_id.id,
                    "price_unit": -100.0, "wholesale_points_redeemed": 100,
                })
        self.assertAlmostEqual(line.price_subtotal, -157.0)
        line.name = "Loyalty discount"  # the label is free text
        order.action_confirm()
        self.assertEqual(self._redeemed_points(), 157)
        self.assertAlmostEqual(order.amount_untaxed, 950.0 - 157.0)

    def test_removing_the_points_line_is_allowed(self):
        order = self._quotation()
        self._redeem(order, 100).unlink()
        self.assertEqual(order.wholesale_points_redeemed, 0)
        order.action_confirm()
        self.assertEqual(self._redeemed_points(), 0)

    def test_goods_changes_that_break_the_cap_are_refused(self):
        order = self._quotation(lines=((None, 1), (None, 1)))
        first, second = order.order_line
        self._redeem(order, 380)  # the cap: 20% of 1,900
        with self.assertRaisesRegex(UserError, "at most 190 points"), self.cr.savepoint():
            second.unlink()
        with self.assertRaisesRegex(UserError, "at most"), self.cr.savepoint():
            first.product_uom_qty = 0
        with self.assertRaisesRegex(UserError, "at most"), self.cr.savepoint():
            order.write({"order_line": [Command.update(first.id, {"price_unit": 10.0})]})
        order.invalidate_recordset()
        self.assertRecordValues(order.order_line[:2], [{"product_uom_qty": 1}, {"product_uom_qty": 1}])
        first.product_uom_qty = 3  # more goods keep the points within the cap
        self.assertAlmostEqual(order.amount_untaxed, 3800.0 - 380.0)

    def test_goods_changes_beyond_the_balance_are_refused(self):
        order = self._quotation(lines=((None, 3),))
        self._redeem(order, 300)
        other = self._quotation(lines=((None, 3),))
        self._redeem(other, 300)
        other.action_confirm()
        with self.assertRaisesRegex(UserError, "has only 215"), self.cr.savepoint():
            order.order_line[0].product_uom_qty = 4
        with self.assertRaisesRegex(UserError, "has only 215 left"), self.cr.savepoint():
            order.action_confirm()

    def test_confirmation_checks_the_cap_and_writes_nothing(self):
        order = self._quotation()
        self._redeem(order, 150)
        self.program.max_redeem_percent = 10.0
        with self.assertRaisesRegex(UserError, f"Order {order.name} uses 150 points, but at most 95 points"), \
                self.cr.savepoint():
            order.action_confirm()
        order.invalidate_recordset()
        self.assertEqual(order.state, "draft")
        self.assertEqual(self._redeemed_points(), 0)

    def test_redeeming_on_an_order_of_another_company_is_refused(self):
        other_company = self.setup_other_company(name="Other Wholesale Co")["company"]
        order = self.env["sale.order"].with_company(other_company).create({
            "partner_id": self.customer.id, "company_id": other_company.id,
            "order_line": [Command.create({"product_id": self.product_a.id, "product_uom_qty": 1})],
        })
        # The customer's points are of this company's program; the other company has none.
        with self.assertRaisesRegex(UserError, "is not a member of a loyalty program"):
            self._redeem(order, 10)
        self.assertEqual(order.wholesale_points_redeemed, 0)

    # ---------------------------------------------------------------- invoicing

    def test_points_discount_is_invoiced_with_the_delivered_goods(self):
        order = self._quotation(lines=((self.delivered_goods, 3),))
        self._redeem(order, 157)
        order.action_confirm()
        goods = order.order_line.filtered(lambda line: not line.wholesale_points_redeemed)
        with self.assertRaises(UserError, msg="a points discount is never invoiced alone"):
            order._create_invoices()
        goods.qty_delivered = 1
        first = order._create_invoices()
        self.assertEqual(first.move_type, "out_invoice")
        self.assertAlmostEqual(first.amount_untaxed, 950.0 - 52.33)
        goods.qty_delivered = 3
        second = order._create_invoices()
        self.assertEqual(second.move_type, "out_invoice")
        self.assertAlmostEqual(second.amount_untaxed, 1900.0 - 104.67, msg="the last invoice takes the remainder")
        (first | second).action_post()
        self.assertAlmostEqual(first.amount_untaxed + second.amount_untaxed, order.amount_untaxed)
        self.assertAlmostEqual(first.amount_total + second.amount_total, order.amount_total)
        self.assertEqual(order.invoice_status, "invoiced")
        self.assertEqual(order.order_line.filtered("wholesale_points_redeemed").qty_invoiced, 1.0)
        self.assertEqual(order.wholesale_points_redeemed, 157, "the line still names all the points it pays")

    def test_points_discount_follows_the_goods_it_pays_by_taxes(self):
        self.delivered_goods.taxes_id = self.tax_sale_b
        order = self._quotation(lines=((self.product_a, 1), (self.delivered_goods, 1)))
        points_lines = self._redeem(order, 190)
        self.assertEqual(len(points_lines), 2)
        order.action_confirm()
        first = order._create_invoices()
        taxed_a = points_lines.filtered(lambda line: line.tax_id == self.tax_sale_a)
        self.assertAlmostEqual(first.amount_untaxed, 950.0 + taxed_a.price_subtotal,
                               msg="only the discount of the goods invoiced now")
        order.order_line.filtered(lambda line: line.product_id == self.delivered_goods).qty_delivered = 1
        second = order._create_invoices()
        self.assertAlmostEqual(first.amount_untaxed + second.amount_untaxed, order.amount_untaxed)
        self.assertTrue(all(move.amount_total > 0 for move in first | second))
