"""What a sales rep may and may not do."""
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestAccessRights(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sales_rep = cls._company_user("wl_rep", "sales_team.group_sale_salesman")
        cls.loyalty_manager = cls._company_user("wl_manager", "sales_team.group_sale_manager")

    def test_sales_rep_reads_tiers_and_history(self):
        customer = self.customer.with_user(self.sales_rep)
        self.assertEqual(customer.wholesale_tier_id.name, "Silver")
        self.assertTrue(customer._wholesale_member().tier_history_ids)
        self.assertEqual(customer.wholesale_status()[0]["tier"], "Silver")
        self.assertTrue(self.program.with_user(self.sales_rep).tier_ids)

    def test_sales_rep_cannot_change_programs_or_tiers(self):
        with self.assertRaises(AccessError):
            self.program.with_user(self.sales_rep).write({"name": "Mine"})
        with self.assertRaises(AccessError):
            self.gold.with_user(self.sales_rep).write({"discount_percent": 50})
        with self.assertRaises(AccessError):
            self.env["wholesale.loyalty.program"].with_user(self.sales_rep).create({"name": "Rogue"})

    def test_sales_rep_cannot_lock_tiers(self):
        with self.assertRaises(AccessError):
            self.env["wholesale.loyalty.tier.lock.wizard"].with_user(self.sales_rep).create({
                "partner_id": self.customer.id, "tier_id": self.platinum.id, "reason": "friend",
            })
        with self.assertRaises(AccessError), self.cr.savepoint():
            self.customer.with_user(self.sales_rep).write({
                "wholesale_tier_id": self.platinum.id,
                "wholesale_tier_locked": True,
                "wholesale_tier_lock_reason": "friend",
            })
        self.assertTier(self.customer, self.silver)

    def test_sales_rep_cannot_write_history(self):
        with self.assertRaises(AccessError):
            self.env["wholesale.loyalty.tier.history"].with_user(self.sales_rep).create({
                "partner_id": self.customer.id, "reason": "manual",
            })

    def test_sales_rep_confirming_an_order_updates_the_tier(self):
        self.program.qualification_basis = "confirmed"
        order = self.env["sale.order"].with_user(self.sales_rep).create({
            "partner_id": self.customer.id,
            "order_line": [(0, 0, {"product_id": self.product_a.id, "product_uom_qty": 2})],
        })
        order.action_confirm()
        self.assertTier(self.customer, self.gold)

    def test_manager_configures_and_locks(self):
        program = self.program.with_user(self.loyalty_manager)
        program.write({"downgrade_grace_days": 15})
        self.env["wholesale.loyalty.tier.lock.wizard"].with_user(self.loyalty_manager).create({
            "partner_id": self.customer.id, "tier_id": self.platinum.id, "reason": "Key account",
        }).action_apply()
        self.assertTier(self.customer, self.platinum)
        self.assertEqual(self._history(self.customer)[-1].create_uid, self.loyalty_manager)

    def test_other_company_programs_are_hidden(self):
        other = self.setup_other_company()["company"]
        foreign = self.env["wholesale.loyalty.program"].sudo().create({"name": "Foreign", "company_id": other.id})
        visible = self.env["wholesale.loyalty.program"].with_user(self.loyalty_manager).search([])
        self.assertNotIn(foreign, visible)
