"""The customer's loyalty fields on ``res.partner`` are views of its account
(``wholesale.loyalty.member``) in the current company: few, groupable and sortable like
columns, and reading them (or the status API) writes nothing."""
from odoo import Command
from odoo.tests import tagged

from .common import TwoCompaniesCommon

OUR_MODULES = {"wholesale_loyalty", "wholesale_loyalty_reports"}
MOST_PARTNER_FIELDS = 14


@tagged("post_install", "-at_install")
class TestPartnerViews(TwoCompaniesCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.beta = cls._customer("Beta Supplies")
        cls.gamma = cls._customer("Gamma Wholesale")
        cls.outsider = cls.env["res.partner"].create({"name": "Outsider Ltd", "is_company": True})
        cls.shared = cls.customer | cls.beta | cls.gamma | cls.outsider
        # Company A: Alpha Gold, Beta and Gamma Silver. Company B: Beta Gold B, the others Entry B.
        cls._invoice_in(cls.company_a, cls.customer, 1200.0)
        cls._invoice_in(cls.company_b, cls.beta, 800.0)

    def _partners_in(self, company):
        return self.env["res.partner"].with_company(company).with_context(allowed_company_ids=company.ids)

    def _counts(self, company, groupby):
        groups = self._partners_in(company).read_group([("id", "in", self.shared.ids)], [groupby], [groupby])
        return {group[groupby][0] if group[groupby] else False: group[f"{groupby}_count"] for group in groups}

    # ------------------------------------------------------------------ few fields

    def test_partner_declares_few_loyalty_fields(self):
        ours = sorted(
            name for name, field in self.env["res.partner"]._fields.items()
            if OUR_MODULES.intersection(field._modules)
        )
        self.assertLessEqual(len(ours), MOST_PARTNER_FIELDS, f"res.partner declares {ours}")
        self.assertIn("wholesale_member_ids", ours)
        self.assertNotIn("wholesale_points_pending", ours, "the account's figures live on the account")

    # ------------------------------------------------------------------ group-bys

    def test_customers_group_by_tier_in_each_company(self):
        self.assertEqual(self._counts(self.company_a, "wholesale_tier_id"),
                         {self.silver.id: 2, self.gold.id: 1, False: 1})
        self.assertEqual(self._counts(self.company_b, "wholesale_tier_id"),
                         {self.entry_b.id: 2, self.gold_b.id: 1, False: 1})
        self.assertEqual(self._counts(self.company_a, "wholesale_program_id"), {self.program.id: 3, False: 1})
        self.assertEqual(self._counts(self.company_b, "wholesale_program_id"), {self.program_b.id: 3, False: 1})

    def test_web_client_groups_and_sorts_the_customer_list(self):
        partners = self._partners_in(self.company_b)
        described = partners.fields_get(
            ["wholesale_tier_id", "wholesale_program_id", "wholesale_qualifying_amount", "wholesale_tier_locked",
             "wholesale_points_balance", "wholesale_tier_since"], ["groupable", "sortable"],
        )
        self.assertTrue(all(values["groupable"] and values["sortable"] for values in described.values()), described)
        result = partners.web_read_group([("id", "in", self.shared.ids)], ["wholesale_tier_id"],
                                         ["wholesale_tier_id"], orderby="wholesale_tier_id")
        self.assertEqual(
            [(group["wholesale_tier_id"] and group["wholesale_tier_id"][0], group["wholesale_tier_id_count"])
             for group in result["groups"]],
            [(self.entry_b.id, 2), (self.gold_b.id, 1), (False, 1)],
            "the tiers in their program's order, customers without account last",
        )
        by_spend = partners.search([("id", "in", self.shared.ids)], order="wholesale_qualifying_amount desc, id")
        self.assertEqual(by_spend[0], self.beta)
        by_balance = self._partners_in(self.company_a).search(
            [("id", "in", self.shared.ids)], order="wholesale_points_balance desc, id")
        self.assertEqual(by_balance[0], self.customer, "the only one with points in company A")
        locked = self._partners_in(self.company_a).read_group(
            [("id", "in", self.shared.ids)], ["wholesale_tier_locked"], ["wholesale_tier_locked"])
        self.assertEqual({group["wholesale_tier_locked"]: group["wholesale_tier_locked_count"] for group in locked},
                         {False: 4})
        since = self._partners_in(self.company_a).read_group(
            [("id", "in", self.shared.ids), ("wholesale_program_id", "!=", False)],
            ["wholesale_tier_since"], ["wholesale_tier_since:year"])
        self.assertEqual(sum(group["wholesale_tier_since_count"] for group in since), 3)

    def test_contacts_group_under_their_company_account(self):
        buyer = self.env["res.partner"].create({"name": "Buyer", "parent_id": self.beta.id})
        counts = self._partners_in(self.company_b).read_group(
            [("id", "in", (self.beta | buyer).ids)], ["wholesale_tier_id"], ["wholesale_tier_id"])
        self.assertEqual([(group["wholesale_tier_id"][0], group["wholesale_tier_id_count"]) for group in counts],
                         [(self.gold_b.id, 2)])

    def test_search_domains_on_the_views(self):
        def found(company, domain):
            return self._partners_in(company).search([("id", "in", self.shared.ids), *domain])

        self.assertEqual(found(self.company_a, [("wholesale_tier_id", "=", self.gold.id)]), self.customer)
        self.assertEqual(found(self.company_b, [("wholesale_tier_id", "in", self.gold_b.ids)]), self.beta)
        self.assertEqual(found(self.company_a, [("wholesale_tier_id", "=", False)]), self.outsider)
        self.assertEqual(found(self.company_b, [("wholesale_program_id", "=", False)]), self.outsider)
        self.assertEqual(found(self.company_a, [("wholesale_qualifying_amount", ">=", 1000)]), self.customer)
        self.assertEqual(found(self.company_b, [("wholesale_qualifying_amount", "<", 500)]),
                         self.customer | self.gamma | self.outsider)
        self.assertEqual(found(self.company_a, [("wholesale_points_balance", ">=", 1)]), self.customer)
        self.assertEqual(found(self.company_a, [("wholesale_tier_locked", "=", False)]), self.shared)

    # ------------------------------------------------------------------ reading writes nothing

    def test_status_enrolls_nobody(self):
        newcomer = self.env["res.partner"].create({"name": "Newcomer", "is_company": True})
        newcomer.category_id = [Command.link(self.member_tag.id)]  # eligible, not enrolled by this write
        self._invoice_in(self.company_a, newcomer, 1500.0)  # a document enrolls: this one does
        member = newcomer._wholesale_member()
        self.assertTrue(member)
        # Leaves the program, then matches it again: a member of none until something enrolls it.
        newcomer.category_id = [Command.clear()]
        self.engine._enroll(self.program)
        newcomer.category_id = [Command.link(self.member_tag.id)]
        newcomer.invalidate_recordset()
        self.assertFalse(newcomer._wholesale_member())
        members_before = self.env["wholesale.loyalty.member"].with_context(active_test=False).search_read(
            [], ["active", "tier_id", "write_date"])
        history_before = self.env["wholesale.loyalty.tier.history"].search_count([])
        [status] = newcomer.wholesale_status()
        self.assertEqual(
            {key: status[key] for key in ("program", "tier", "qualifying_amount", "next_tier",
                                          "amount_to_next_tier", "discount_percent", "points_balance")},
            {"program": "Test Program", "tier": "Gold", "qualifying_amount": 1500.0, "next_tier": "Platinum",
             "amount_to_next_tier": 3500.0, "discount_percent": 5.0, "points_balance": 0},
            "what it would join with, as its quotations show",
        )
        order = self.env["sale.order"].create({"partner_id": newcomer.id})
        self.assertEqual(order.wholesale_tier_id.name, status["tier"])
        self.assertEqual(self.env["wholesale.loyalty.member"].with_context(active_test=False).search_read(
            [], ["active", "tier_id", "write_date"]), members_before, "no account created or changed")
        self.assertEqual(self.env["wholesale.loyalty.tier.history"].search_count([]), history_before)
        self.assertEqual(self.outsider.wholesale_status()[0]["program"], False, "no program takes it")
        self.assertEqual(set(status), set(self.outsider.wholesale_status()[0]), "the same keys either way")
