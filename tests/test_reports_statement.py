"""The customer loyalty statement: its content, printing and mailing."""
from lxml import html

from odoo.tests import Form, tagged

from .test_reports_common import WholesaleReportsCommon

REPORT = "wholesale_loyalty_reports.report_loyalty_statement"


@tagged("post_install", "-at_install")
class TestReportsStatement(WholesaleReportsCommon):

    def _render(self, partners):
        content, _kind = self.env["ir.actions.report"]._render_qweb_html(REPORT, partners.ids)
        return html.fromstring(content)

    def _text(self, node, css_class):
        found = node.xpath(f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {css_class} ')]")
        self.assertEqual(len(found), 1, css_class)
        return " ".join(found[0].text_content().split())

    def test_statement_content(self):
        page = self._render(self.alpha)
        text = " ".join(page.text_content().split())
        self.assertEqual(self._text(page, "o_statement_customer"), "Alpha Trading")
        self.assertEqual(self._text(page, "o_statement_program"), "Test Program")
        # Tier and benefits: Gold, whose own text (free shipping) is the list of benefits.
        self.assertIn("Gold", self._text(page, "o_statement_tier"))
        self.assertEqual(self._text(page, "o_statement_benefits"), "Free shipping")
        self.assertEqual(text.count("Free shipping"), 1)
        # Progress: 4,700 qualifying, 300 more to reach Platinum at 5,000.
        next_tier = self._text(page, "o_statement_next_tier")
        self.assertRegex(next_tier, r"Spend \D*300\.00\D* more to reach Platinum")
        self.assertIn("94% of the way", text)
        # Points: balance 52 worth 26.00, nothing pending, 30 expiring within 30 days.
        self.assertEqual(self._text(page, "o_statement_balance"), "52")
        self.assertIn("26.00", text)
        self.assertEqual(self._text(page, "o_statement_pending"), "0")
        self.assertEqual(self._text(page, "o_statement_expiring"), "30")
        # The last 12 months: four entries; the adjustment of June 2024 is in the opening balance.
        rows = page.xpath("//tr[contains(@class, 'o_statement_entry')]")
        # Odoo's number format keeps the minus sign with its number (a zero-width no-break space).
        points = [row.xpath("td")[3].text_content().strip().replace("\ufeff", "") for row in rows]
        self.assertEqual(points, ["5", "30", "20", "-10"])
        self.assertEqual(self._text(page, "o_statement_opening"), "7")
        # Terms of the program, its own text, and the tax note.
        terms = self._text(page, "o_statement_terms")
        self.assertIn("points pay up to 20% of an order", terms)
        self.assertRegex(terms, r"earns 1\s+point, times your tier's multiplier", "one point, not point(s)")
        self.assertIn("Points expire 3 months after they are earned", terms)
        self.assertIn("Points cannot be exchanged for cash.", terms)
        self.assertIn("may be taxable", self._text(page, "o_statement_tax_note"))

    def test_terms_heading_stays_with_its_first_term(self):
        # A heading alone at the foot of a page: wkhtmltopdf keeps a block that avoids breaks
        # inside together, so the heading and the first term move to the next page as one.
        head = self._render(self.alpha).xpath("//*[contains(@class, 'o_statement_terms_head')]")
        self.assertEqual(len(head), 1)
        self.assertIn("page-break-inside: avoid", head[0].get("style"))
        self.assertEqual(head[0].xpath("h4")[0].text_content().strip(), "Program terms")
        self.assertIn("of untaxed purchases earns", " ".join(head[0].xpath("ul/li")[0].text_content().split()))

    def test_top_tier_and_contacts(self):
        # Printed from Beta's contact, the statement is Beta's: Platinum, the highest tier.
        page = self._render(self.beta_buyer)
        self.assertEqual(self._text(page, "o_statement_customer"), "Beta Wholesale")
        self.assertIn("Platinum", self._text(page, "o_statement_tier"))
        self.assertIn("highest tier", self._text(page, "o_statement_top_tier"))
        # Platinum has no text of its own: its settings make the list.
        self.assertEqual(self._text(page, "o_statement_benefits"), "10.00% discount on every order")
        self.assertEqual(self._text(page, "o_statement_balance"), "20")

    def test_one_statement_per_customer(self):
        page = self._render(self.alpha | self.gamma | self.nu)
        customers = [node.text_content() for node in page.xpath("//*[contains(@class, 'o_statement_customer')]")]
        self.assertEqual(customers, ["Alpha Trading", "Gamma Supplies", "Nu Retail"])
        self.assertEqual(len(page.xpath("//*[contains(@class, 'o_statement_not_member')]")), 1)
        balances = [node.text_content().strip() for node in page.xpath("//*[contains(@class, 'o_statement_balance')]")]
        self.assertEqual(balances, ["52", "100"])

    def test_print_from_the_customer(self):
        self.company.external_report_layout_id = self.env.ref("web.external_layout_standard")
        action = self.alpha.action_wholesale_print_statement()
        self.assertEqual(action["report_name"], REPORT)
        self.assertEqual(action["type"], "ir.actions.report")
        self.assertEqual(action["context"]["active_ids"], self.alpha.ids)
        report = self.env.ref("wholesale_loyalty_reports.action_report_loyalty_statement")
        self.assertEqual(report.binding_model_id.model, "res.partner")

    def test_send_by_mail_with_the_statement_attached(self):
        action = self.alpha.action_wholesale_send_statement()
        composer = Form(self.env["mail.compose.message"].with_context(action["context"])).save()
        self.assertIn("your loyalty statement", composer.subject)
        composer._action_send_mail()
        message = self.alpha.message_ids[0]
        self.assertEqual(message.partner_ids, self.alpha)
        self.assertEqual(len(message.attachment_ids), 1)
        self.assertTrue(message.attachment_ids.name.startswith("Loyalty Statement - Alpha Trading"))
        self.assertIn("Gold", message.body)
