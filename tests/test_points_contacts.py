"""Each contact's share of a company account: the ledger and the tier history name who ordered
or was invoiced, the ledger groups by contact, the statement and the portal say who earned and
spent what, and an administrator may cap the points a contact redeems on one order."""
from lxml import html

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import WholesaleLoyaltyCommon

STATEMENT = "wholesale_loyalty_reports.report_loyalty_statement"


@tagged("post_install", "-at_install")
class TestPointsContacts(WholesaleLoyaltyCommon, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.anna = Partner.create({"name": "Anna Buyer", "parent_id": cls.customer.id, "type": "contact",
                                   "email": "anna@example.com"})
        cls.boris = Partner.create({"name": "Boris Buyer", "parent_id": cls.customer.id, "type": "contact"})
        cls.admin = cls._company_user(
            "wl_contacts_admin", "wholesale_loyalty.group_wholesale_loyalty_manager,sales_team.group_sale_manager")
        cls.rep = cls._company_user("wl_contacts_rep", ",".join((
            "wholesale_loyalty.group_wholesale_loyalty_user", "sales_team.group_sale_salesman",
            "base.group_partner_manager",
        )))
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.invoice = cls._invoice(cls.anna, 1500.0, cls.today)  # Gold
        cls.customer.with_user(cls.admin).wholesale_award_points(500, "Opening balance", reference="open-1")
        cls.ledger = cls.env["wholesale.loyalty.ledger"]

    # ---------------------------------------------------------------- entries and history

    def test_earning_records_the_invoiced_contact_and_awards_none(self):
        earned = self._entries(kind="earn")
        self.assertEqual(len(earned), 1)
        self.assertEqual(earned.partner_id, self.customer, "the account stays the company's")
        self.assertEqual(earned.contact_id, self.anna)
        award = self._entries(kind="bonus")
        self.assertEqual(award.points, 500)
        self.assertFalse(award.contact_id, "a manual award has no document, so no contact")

    def test_tier_change_from_an_invoice_records_its_contact(self):
        upgrade = self._history(self.customer).filtered(lambda row: row.new_tier_id == self.gold)
        self.assertEqual(len(upgrade), 1)
        self.assertEqual(upgrade.contact_id, self.anna)
        enrollment = self._history(self.customer).filtered(lambda row: row.reason == "enrollment")
        self.assertFalse(enrollment.contact_id, "joining on creation of the customer has no document")

    def test_redemption_and_its_give_back_record_the_ordering_contact(self):
        order = self._redeemed_order(100, self.boris, lines=((None, 2),))
        redeemed = self._entries(kind="redeem")
        self.assertEqual((redeemed.points, redeemed.contact_id), (-100, self.boris))
        order._action_cancel()
        given_back = self._entries(kind="reversal")
        self.assertEqual((given_back.points, given_back.contact_id), (100, self.boris))
        self.assertEqual(self._balance(), 500 + self._entries(kind="earn").points)

    def test_credit_note_reversal_records_the_credited_contact(self):
        refund = self._invoice(self.boris, 1500.0, self.today, move_type="out_refund",
                               reversed_entry_id=self.invoice.id)
        taken = self._entries().filtered(lambda entry: entry.move_id == refund)
        self.assertTrue(taken)
        self.assertEqual(taken.contact_id, self.boris)
        self.assertEqual(taken.partner_id, self.customer)

    def test_ledger_groups_by_contact(self):
        self._redeemed_order(100, self.boris, lines=((None, 2),))
        earned = self._entries(kind="earn").points
        groups = dict(self.ledger.with_user(self.rep)._read_group(
            [("partner_id", "=", self.customer.id)], ["contact_id"], ["points:sum"]))
        self.assertEqual(groups, {self.anna: earned, self.boris: -100, self.env["res.partner"]: 500})
        search_view = self.ledger.get_views([(False, "search")])["views"]["search"]["arch"]
        self.assertIn("'group_by': 'contact_id'", search_view)

    # ---------------------------------------------------------------- statement and portal

    def _statement(self, partner):
        content, _kind = self.env["ir.actions.report"]._render_qweb_html(STATEMENT, partner.ids)
        return html.fromstring(content)

    def test_statement_shows_who_earned_and_spent_what(self):
        self._redeemed_order(100, self.boris, lines=((None, 2),))
        earned = self._entries(kind="earn").points
        page = self._statement(self.customer)
        contacts = [" ".join(cell.text_content().split())
                    for cell in page.xpath("//td[contains(@class, 'o_statement_contact')]")]
        self.assertCountEqual(contacts, ["Anna Buyer", "Boris Buyer", ""])
        totals = [[" ".join(cell.text_content().split()) for cell in row.xpath("td")]
                  for row in page.xpath("//tr[contains(@class, 'o_statement_contact_total')]")]
        self.assertEqual(totals, [
            ["Anna Buyer", f"{earned:,}", "0"],
            ["Boris Buyer", "0", "100"],
            ["No contact (awards, expiry)", "500", "0"],
        ])

    def test_statement_of_a_customer_without_contacts_has_no_contact_column(self):
        loner = self._customer("Solo Shop")
        loner.with_user(self.admin).wholesale_award_points(10, "Welcome", reference="solo-1")
        page = self._statement(loner)
        self.assertEqual(len(page.xpath("//tr[contains(@class, 'o_statement_entry')]")), 1)
        self.assertFalse(page.xpath("//*[contains(@class, 'o_statement_contact')]"))

    def test_portal_page_shows_the_contact_of_each_movement(self):
        self._redeemed_order(100, self.boris, lines=((None, 2),))
        new_test_user(self.env, login="wl_contacts_portal", password="wl_contacts_portal_pw",
                      groups="base.group_portal", partner_id=self.anna.id, name="Anna Buyer",
                      company_id=self.program.company_id.id, company_ids=[self.program.company_id.id])
        self.authenticate("wl_contacts_portal", "wl_contacts_portal_pw")
        page = html.fromstring(self.url_open("/my/wholesale-loyalty").text)
        self.assertEqual(len(page.xpath("//th[contains(@class, 'o_wholesale_contact')]")), 1)
        contacts = [" ".join(cell.text_content().split())
                    for cell in page.xpath("//td[contains(@class, 'o_wholesale_contact')]")]
        self.assertCountEqual(contacts, ["Anna Buyer", "Boris Buyer", ""])

    # ---------------------------------------------------------------- limit per order

    def test_limit_per_order_refuses_more_and_allows_up_to_it(self):
        self.boris.with_user(self.admin).wholesale_points_limit_per_order = 50
        order = self._quotation(self.boris, lines=((None, 2),))
        wizard = self._redeem_wizard(order, 80)
        self.assertEqual(wizard.max_points, 50)
        self.assertEqual(wizard.limit_note, "the contact's limit per order")
        with self.assertRaisesRegex(UserError, "Boris Buyer may redeem at most 50 points on one order"):
            wizard.action_apply()
        with self.assertRaisesRegex(UserError, "at most 50 points"):
            order._wholesale_check_redemption(80)
        self._redeem_wizard(order, 50).action_apply()
        order.action_confirm()
        self.assertEqual(self._entries(kind="redeem").points, -50)

    def test_limit_binds_only_its_contact(self):
        self.boris.with_user(self.admin).wholesale_points_limit_per_order = 50
        order = self._redeemed_order(120, self.anna, lines=((None, 2),))
        self.assertEqual(order.wholesale_points_redeemed, 120)
        self.assertEqual(self._entries(kind="redeem").contact_id, self.anna)

    def test_only_loyalty_administrators_set_the_limit(self):
        with self.assertRaises(AccessError):
            self.boris.with_user(self.rep).wholesale_points_limit_per_order = 500
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.rep).create(
                {"name": "Cara Buyer", "parent_id": self.customer.id, "wholesale_points_limit_per_order": 10})
        cara = self.env["res.partner"].with_user(self.rep).create(
            {"name": "Cara Buyer", "parent_id": self.customer.id, "wholesale_points_limit_per_order": 0})
        self.assertEqual(cara.wholesale_points_limit_per_order, 0)
        self.boris.with_user(self.admin).wholesale_points_limit_per_order = 500
        self.assertEqual(self.boris.wholesale_points_limit_per_order, 500)
        # Saving the value shown (a form writing every field) is no change.
        self.boris.with_user(self.rep).write({"wholesale_points_limit_per_order": 500, "phone": "+1 555 0100"})
        self.assertEqual(self.boris.phone, "+1 555 0100")
