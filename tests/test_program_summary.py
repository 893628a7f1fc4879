"""The program form and the portal sum a program up in plain sentences."""
from odoo.tests import Form, tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestProgramSummary(WholesaleLoyaltyCommon):

    def _money(self, amount):
        return self.program.currency_id.format(amount)

    def test_each_tier_says_how_it_is_reached_and_what_it_gives(self):
        self.gold.write({"rebate_percent": 2, "free_shipping": True, "free_shipping_min_amount": 500})
        self.platinum.points_never_expire = True
        self.assertEqual(self.program.summary.split("\n"), [
            f"Silver: from {self._money(0)} invoiced in total",
            f"Gold: from {self._money(1000)} invoiced in total: 5.00% off every line; 1.50× points; "
            f"a 2.00% rebate; free shipping from {self._money(500)}",
            f"Platinum: from {self._money(5000)} invoiced in total: 10.00% off every line; "
            "points that never expire",
            f"Points: 1 per {self._money(100)} when an invoice is posted, worth {self._money(1)} each, "
            "paying up to 20.00% of an order",
        ])

    def test_the_period_basis_and_points_settings_are_said_as_set(self):
        self.program.write({
            "qualification_basis": "paid", "qualification_period": "rolling", "period_months": 6,
            "apply_tier_discount": False, "points_trigger": "paid", "points_validity_months": 12,
            "point_value": 0.0125,
        })
        lines = self.program.summary.split("\n")
        self.assertEqual(lines[1], f"Gold: from {self._money(1000)} paid in the last 6 months: 1.50× points")
        self.assertIn("when an invoice is paid", lines[-1])
        self.assertIn("0.0125", lines[-1], "a point value finer than the currency is shown in full")
        self.assertTrue(lines[-1].endswith("; they expire after 12 months"))

    def test_a_new_program_is_summed_up_once_saved(self):
        form = Form(self.env["wholesale.loyalty.program"])  # the form computes it while filled in
        form.name = "Draft Program"
        with form.tier_ids.new() as tier:
            tier.name = "Bronze"
            tier.threshold_amount = 300
        program = form.save()
        self.assertTrue(program.summary.startswith(f"Bronze: from {self._money(300)} invoiced in the last 12 months"))
