"""Who sees the Discount column of order lines: salespeople once a program applies tier
discounts, not every internal user because the add-on is installed."""
from lxml import etree

from odoo.tests import new_test_user, tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestLineDiscountSetting(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.discounts = cls.env.ref("sale.group_discount_per_so_line")
        cls.loyalty_users = cls.env.ref("wholesale_loyalty.group_wholesale_loyalty_user")
        # A database where nobody switched Sales > Settings > Discounts on and no program
        # applies tier discounts yet.
        cls.env.ref("base.group_user")._remove_group(cls.discounts)
        cls.loyalty_users._remove_group(cls.discounts)
        cls.env["wholesale.loyalty.program"].search([]).write({"apply_tier_discount": False})
        company = cls.program.company_id
        cls.salesperson = cls._company_user("disc_rep", "sales_team.group_sale_salesman")
        cls.employee = cls._company_user("disc_employee", "base.group_user")
        cls.admin = new_test_user(
            cls.env, login="disc_admin", company_id=company.id, company_ids=[company.id],
            groups="sales_team.group_sale_manager,wholesale_loyalty.group_wholesale_loyalty_manager",
        )

    def _sees_discounts(self, user):
        return user.with_user(user).has_group("sale.group_discount_per_so_line")

    def _line_columns(self, user):
        """Whether the order form's line list has the Discount column for ``user``."""
        arch = self.env["sale.order"].with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]
        return bool(etree.fromstring(arch).xpath("//field[@name='order_line']/list/field[@name='discount']"))

    def test_no_discount_column_until_a_program_applies_tier_discounts(self):
        self.assertFalse(self._sees_discounts(self.salesperson))
        self.assertFalse(self._sees_discounts(self.employee))
        self.assertFalse(self._line_columns(self.salesperson))

    def test_program_applying_tier_discounts_shows_the_column_to_salespeople_only(self):
        self.env["wholesale.loyalty.program"].with_user(self.admin).create({
            "name": "Discounting Program",
            "company_id": self.program.company_id.id,
            "apply_tier_discount": True,
            "partner_domain": str([("id", "=", 0)]),
        })
        self.assertTrue(self._sees_discounts(self.salesperson))
        self.assertTrue(self._line_columns(self.salesperson), "the rep sees the tier discount on the line")
        self.assertFalse(self._sees_discounts(self.employee), "an employee who does not sell is left alone")

    def test_switching_tier_discounts_on_shows_the_column(self):
        self.program.with_user(self.admin).write({"apply_tier_discount": True})
        self.assertTrue(self._sees_discounts(self.salesperson))
        self.assertFalse(self._sees_discounts(self.employee))

    def test_program_without_tier_discounts_changes_nothing(self):
        self.env["wholesale.loyalty.program"].with_user(self.admin).create({
            "name": "Points Only",
            "company_id": self.program.company_id.id,
            "apply_tier_discount": False,
            "partner_domain": str([("id", "=", 0)]),
        })
        self.assertFalse(self._sees_discounts(self.salesperson))
