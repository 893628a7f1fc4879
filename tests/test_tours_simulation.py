"""The what-if screen in a real browser (headless Chromium): an administrator raises a
threshold, sees who moves and applies it to the program."""
from odoo import Command, fields
from odoo.tests import tagged

from .test_tours import ChromiumTourCase


@tagged("post_install", "-at_install")
class TestToursSimulation(ChromiumTourCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wholesale.loyalty.program"].sudo().search([]).write({"active": False})
        cls.tag = cls.env["res.partner.category"].create({"name": "Tour simulation members"})
        cls.program = cls.env["wholesale.loyalty.program"].create({
            "name": "Tour Simulation Program",
            "qualification_period": "rolling",
            "period_months": 12,
            "partner_domain": str([("category_id", "in", cls.tag.ids)]),
            "tier_ids": [
                Command.create({"name": "Silver", "threshold_amount": 0}),
                Command.create({"name": "Gold", "threshold_amount": 1000, "discount_percent": 3}),
            ],
        })
        # Yesterday (UTC) lies in the window whatever the browser's time zone.
        yesterday = fields.Date.subtract(fields.Date.today(), days=1)
        for name, amount in (("Tour Simulation Alpha", 500.0), ("Tour Simulation Beta", 1500.0),
                             ("Tour Simulation Gamma", 2500.0)):
            partner = cls.env["res.partner"].create({
                "name": name, "is_company": True, "category_id": [Command.link(cls.tag.id)],
            })
            invoice = cls.env["account.move"].create({
                "move_type": "out_invoice", "partner_id": partner.id, "invoice_date": yesterday,
                "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": amount,
                                                     "tax_ids": [Command.clear()]})],
            })
            invoice.action_post()
        cls.program.action_recalculate_tiers()

    def test_admin_simulates_and_applies_a_raised_threshold(self):
        self.start_tour("/odoo", "wholesale_loyalty_simulation_tour", login="admin")
        simulation = self.env["wholesale.loyalty.simulation"].search([("name", "=", "Gold from 2,000")])
        self.assertEqual(simulation.moved_down_count, 1)
        self.assertEqual(simulation.move_ids.partner_id.name, "Tour Simulation Beta")
        self.assertTrue(simulation.applied_date)
        gold = self.program.tier_ids.filtered(lambda tier: tier.name == "Gold")
        self.assertEqual(gold.threshold_amount, 2000)
        self.assertIn("Gold from 2,000", self.program.message_ids[0].body)
