"""The KPI screen's paid memberships: fee income against the benefits their holders received."""
from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestMembershipKpi(WholesaleLoyaltyCommon):
    """Alpha buys Gold and keeps it; Beta buys it and gets the fee credited ten days later;
    Gamma never pays a fee. Each buys goods at a 10% discount in February."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.point_value = 0.5
        cls.fee_product = cls.env["product.product"].create({
            "name": "Gold membership (12 months)", "type": "service", "list_price": 300.0,
        })
        cls.gold.write({"membership_available": True, "membership_product_id": cls.fee_product.id})
        cls.beta, cls.gamma = cls._customer("Beta Wholesale"), cls._customer("Gamma Wholesale")
        with freeze_time("2026-01-10"):
            for customer in (cls.customer, cls.beta):
                fee = cls._document(customer, "2026-01-10", cls.fee_product, 300.0)
                cls._pay(fee, "2026-01-10")
        with freeze_time("2026-01-20"):
            refund = fee._reverse_moves([{"invoice_date": "2026-01-20", "date": "2026-01-20"}])
            refund.action_post()
        with freeze_time("2026-02-01"):
            for customer in (cls.customer, cls.beta, cls.gamma):
                cls._document(customer, "2026-02-01", cls.product_a, 1000.0, discount=10.0)

    @classmethod
    def _document(cls, partner, date, product, price, discount=0.0):
        move = cls.env["account.move"].create({
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_date": date,
            "invoice_line_ids": [Command.create({
                "product_id": product.id, "quantity": 1, "price_unit": price, "discount": discount,
                "tax_ids": [Command.clear()],
            })],
        })
        move.action_post()
        return move

    def _kpi(self):
        return self.env["wholesale.loyalty.kpi"].create({
            "program_id": self.program.id, "date_from": "2026-01-01", "date_to": "2026-03-31",
        })

    def test_fee_income_against_the_benefits_of_paying_members(self):
        kpi = self._kpi()
        states = self.env["wholesale.loyalty.membership"].search(
            [("program_id", "=", self.program.id)], order="id"
        ).mapped("state")
        self.assertEqual(states, ["active", "refunded"])
        self.assertEqual(kpi.membership_holder_count, 2, "Beta held the tier ten days")
        self.assertAlmostEqual(kpi.membership_fee_income, 300.0, msg="two fees, one credited")
        # Only Alpha's February invoice is dated within a membership: 900 billed of 1000.
        self.assertAlmostEqual(kpi.membership_discount_amount, 100.0)
        held_points = self.env["wholesale.loyalty.ledger"].search([
            ("partner_id", "=", self.customer.id), ("kind", "in", ("earn", "bonus")),
        ]) | self.env["wholesale.loyalty.ledger"].search([
            ("partner_id", "=", self.beta.id), ("kind", "in", ("earn", "bonus")), ("date", "<=", "2026-01-20"),
        ])
        self.assertTrue(held_points, "the members earned points while they held the tier")
        self.assertAlmostEqual(kpi.membership_points_amount, sum(held_points.mapped("points")) * 0.5)
        self.assertAlmostEqual(kpi.membership_rebate_amount, 0.0)
        self.assertAlmostEqual(kpi.membership_benefit_amount, 100.0 + kpi.membership_points_amount)
        self.assertAlmostEqual(kpi.membership_net_amount, 300.0 - kpi.membership_benefit_amount)
        action = kpi.action_open_memberships()
        self.assertEqual(
            self.env[action["res_model"]].search(action["domain"]).partner_id, self.customer | self.beta
        )

    def test_period_without_memberships_shows_nothing(self):
        kpi = self.env["wholesale.loyalty.kpi"].create({
            "program_id": self.program.id, "date_from": "2025-01-01", "date_to": "2025-12-31",
        })
        self.assertEqual(kpi.membership_holder_count, 0)
        self.assertAlmostEqual(kpi.membership_fee_income, 0.0)
        self.assertAlmostEqual(kpi.membership_benefit_amount, 0.0)
