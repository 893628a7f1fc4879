"""The administrator's configuration screens in a real browser (headless Chromium)."""
from odoo import Command
from odoo.tests import tagged

from .test_tours import ChromiumTourCase


@tagged("post_install", "-at_install")
class TestAdminTours(ChromiumTourCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wholesale.loyalty.program"].sudo().search([]).write({"active": False})
        cls.tag = cls.env["res.partner.category"].create({"name": "Admin tour members"})
        cls.program = cls.env["wholesale.loyalty.program"].create({
            "name": "Admin Tour Existing Program",
            "qualification_period": "lifetime",
            "partner_domain": str([("category_id", "in", cls.tag.ids)]),
            "tier_ids": [
                Command.create({"name": "Silver", "threshold_amount": 0}),
                Command.create({"name": "Gold", "threshold_amount": 10000, "discount_percent": 3}),
            ],
        })
        cls.customer = cls.env["res.partner"].create({
            "name": "Admin Tour Customer", "is_company": True, "customer_rank": 1,
            "category_id": [Command.link(cls.tag.id)],
        })
        gold = cls.program.tier_ids.filtered(lambda tier: tier.name == "Gold")
        cls.customer.write({"wholesale_tier_id": gold.id, "wholesale_tier_locked": True,
                            "wholesale_tier_lock_reason": "Admin tour fixture"})
        cls.customer.wholesale_award_points(120, "Webinar attended", reference="admin-tour-webinar")

    def test_admin_configures_program_and_recalculates(self):
        self.start_tour("/odoo", "wholesale_loyalty_admin_program_tour", login="admin")
        program = self.env["wholesale.loyalty.program"].search([("name", "=", "Admin Tour Program")])
        self.assertEqual(program.tier_ids.mapped("name"), ["Admin Tour Gold"])
        self.assertEqual(program.tier_ids.discount_percent, 3)
        self.assertIn("Free delivery from the first pallet", program.tier_ids.benefits)
        self.assertEqual(program.period_months, 12)

    def test_admin_sees_tier_and_points_on_customer(self):
        self.start_tour(f"/odoo/action-base.action_partner_form/{self.customer.id}",
                        "wholesale_loyalty_admin_customer_tour", login="admin")
        self.assertEqual(self.customer.wholesale_points_balance, 120)
