"""A portal customer sees their own loyalty data and nobody else's."""
from lxml import html

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestPointsPortal(WholesaleLoyaltyCommon, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls._customer("Other Wholesale")
        manager = new_test_user(cls.env, login="wl_portal_mgr", groups="sales_team.group_sale_manager",
                                company_id=cls.program.company_id.id, company_ids=[cls.program.company_id.id])
        cls.customer.with_user(manager).wholesale_award_points(42, "Survey answered", reference="s-1")
        cls.other.with_user(manager).wholesale_award_points(777, "Big review", reference="s-2")
        buyer = cls.env["res.partner"].create({
            "name": "Portal Buyer", "email": "portal.buyer@example.com", "parent_id": cls.customer.id,
        })
        cls.portal_user = new_test_user(
            cls.env, login="wl_portal", password="wl_portal_pw", groups="base.group_portal",
            partner_id=buyer.id, company_id=cls.program.company_id.id, company_ids=[cls.program.company_id.id],
        )

    def test_record_rules_limit_the_ledger_to_the_own_customer(self):
        ledger = self.env["wholesale.loyalty.ledger"].with_user(self.portal_user)
        entries = ledger.search([])
        self.assertEqual(entries.partner_id, self.customer)
        self.assertEqual(sum(entries.mapped("points")), 42)
        self.assertFalse(ledger.search([("partner_id", "=", self.other.id)]))

    def test_portal_page_shows_own_tier_balance_and_ledger(self):
        self.authenticate("wl_portal", "wl_portal_pw")
        response = self.url_open("/my/wholesale-loyalty")
        self.assertEqual(response.status_code, 200)
        page = response.text
        self.assertIn("Test Program", page)
        self.assertIn("Silver", page)
        self.assertIn("42", page)
        self.assertIn("Survey answered", page)
        # Text shown to the reader only: a CSRF token in a script may hold any digits.
        shown = " ".join(html.fromstring(page).xpath(
            "//body//text()[not(ancestor::script) and not(ancestor::style)]"))
        self.assertNotIn("777", shown)
        self.assertNotIn("Big review", page)
        home = self.url_open("/my")
        self.assertIn("/my/wholesale-loyalty", home.text)

    def test_anonymous_visitor_is_sent_to_login(self):
        response = self.url_open("/my/wholesale-loyalty", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers.get("Location", ""))

    def test_portal_user_cannot_award_or_write(self):
        with self.assertRaises(AccessError), self.cr.savepoint():
            self.customer.with_user(self.portal_user).wholesale_award_points(5, "self-service")
        self.assertEqual(self.customer.wholesale_points_balance, 42)

    def test_portal_page_links_the_statement(self):
        self.authenticate("wl_portal", "wl_portal_pw")
        page = self.url_open("/my/wholesale-loyalty").text
        self.assertIn("/my/wholesale-loyalty/statement?download=1", page)

    def test_portal_page_sums_the_program_up_in_sentences(self):
        self.authenticate("wl_portal", "wl_portal_pw")
        page = html.fromstring(self.url_open("/my/wholesale-loyalty").text)
        sentences = [item.text_content() for item in page.xpath("//ul[hasclass('o_wholesale_program_summary')]/li")]
        self.assertEqual(len(sentences), 4, "one sentence per tier and one for points")
        self.assertTrue(sentences[1].startswith("Gold: from"))
        self.assertIn("off every line", sentences[1])
        self.assertTrue(sentences[3].startswith("Points: 1 per"))
