"""What the configuration screens and the customer form tell an administrator: refused
settings that name the tier, feedback after a recalculation, the downgrade date, tier lists
that sum nothing and hide archived programs, the tier-change mail."""
from datetime import date

from freezegun import freeze_time
from lxml import etree

from odoo import SUPERUSER_ID, Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import WholesaleLoyaltyCommon

TIER_SETTINGS = ["color", "threshold_amount", "discount_percent", "points_multiplier", "rebate_percent"]


@tagged("post_install", "-at_install")
class TestConfigScreens(WholesaleLoyaltyCommon):

    def assertRefusedNaming(self, message_parts, write):
        """``write`` raises a ValidationError naming ``message_parts`` before the database
        refuses anything (no failed query in the server log) and leaves nothing written."""
        tiers_before = self.env["wholesale.loyalty.tier"].search_read([], TIER_SETTINGS + ["name"])
        with self.assertNoLogs("odoo.sql_db", level="ERROR"), self.assertRaises(ValidationError) as caught, \
                self.cr.savepoint():
            write()
            self.env.flush_all()
        for part in message_parts:
            self.assertIn(part, str(caught.exception))
        self.env.invalidate_all()
        self.assertEqual(self.env["wholesale.loyalty.tier"].search_read([], TIER_SETTINGS + ["name"]), tiers_before)

    # ------------------------------------------------------------------ refused settings

    def test_tier_out_of_range_names_tier_and_program(self):
        self.assertRefusedNaming(["Tier Gold of program Test Program", "qualifying spend"],
                                 lambda: self.gold.write({"threshold_amount": -1}))
        self.assertRefusedNaming(["Tier Gold of program Test Program", "discount", "150%"],
                                 lambda: self.gold.write({"discount_percent": 150}))
        self.assertRefusedNaming(["Tier Gold of program Test Program", "rebate"],
                                 lambda: self.gold.write({"rebate_percent": -2}))
        self.assertRefusedNaming(["Tier Gold of program Test Program", "multiplier"],
                                 lambda: self.gold.write({"points_multiplier": 0}))
        self.assertRefusedNaming(["Tier Diamond of program Test Program", "discount"],
                                 lambda: self.program.write({"tier_ids": [
                                     Command.create({"name": "Diamond", "threshold_amount": 9000,
                                                     "discount_percent": 101}),
                                 ]}))
        self.assertEqual(self.gold.discount_percent, 5)

    def test_program_out_of_range_names_program(self):
        with self.assertNoLogs("odoo.sql_db", level="ERROR"), self.assertRaises(ValidationError) as caught, \
                self.cr.savepoint():
            self.program.write({"max_redeem_percent": 120})
        self.assertIn("Program Test Program", str(caught.exception))
        with self.assertRaises(ValidationError) as caught, self.cr.savepoint():
            self.env["wholesale.loyalty.program"].create({"name": "Free Points", "point_value": 0})
        self.assertIn("Program Free Points", str(caught.exception))
        self.assertEqual(self.program.max_redeem_percent, 20)
        self.assertFalse(self.env["wholesale.loyalty.program"].search([("name", "=", "Free Points")]))

    def test_refusal_is_translated(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        with self.assertRaises(ValidationError) as caught, self.cr.savepoint():
            self.gold.with_context(lang="ru_RU").write({"discount_percent": 150})
        self.assertIn("Gold", str(caught.exception))

    # ------------------------------------------------------------------ recalculation feedback

    def test_program_recalculation_says_who_moved(self):
        beta, gamma = self._customer("Beta Wholesale"), self._customer("Gamma Wholesale")
        with freeze_time("2026-04-01"):
            self._invoice(beta, 1200.0, "2026-03-01")
            self._invoice(gamma, 4800.0, "2026-03-01")
        self.assertTier(beta, self.gold)
        self.assertTier(gamma, self.gold)
        # New thresholds, which only a recalculation applies.
        self.gold.threshold_amount = 1300.0
        self.platinum.threshold_amount = 4500.0
        with freeze_time("2026-04-02"):
            action = self.program.action_recalculate_tiers()
        self.assertTier(beta, self.silver)
        self.assertTier(gamma, self.platinum)
        self.assertEqual((action["type"], action["tag"]), ("ir.actions.client", "display_notification"))
        self.assertEqual(action["params"]["message"],
                         "Test Program: recalculated 3 customers: 1 moved up, 1 moved down, 0 joined.")
        self.assertEqual(action["params"]["next"], {"type": "ir.actions.client", "tag": "soft_reload"})
        with freeze_time("2026-04-02"):
            again = self.program.action_recalculate_tiers()
        self.assertEqual(again["params"]["message"], "Test Program: recalculated 3 customers, no tier changed.")

    def test_program_recalculation_counts_the_customers_entering_grace(self):
        self.program.downgrade_grace_days = 30
        beta = self._customer("Beta Wholesale")
        with freeze_time("2026-04-01"):
            self._invoice(beta, 1200.0, "2026-03-01")
        self.gold.threshold_amount = 1300.0
        with freeze_time("2026-04-02"):
            action = self.program.action_recalculate_tiers()
        self.assertTier(beta, self.gold)
        self.assertEqual(action["params"]["message"],
                         "Test Program: recalculated 2 customers, no tier changed. 1 fell below their tier and "
                         "keep it during the grace period.")
        with freeze_time("2026-04-03"):
            again = self.program.action_recalculate_tiers()
        self.assertEqual(again["params"]["message"], "Test Program: recalculated 2 customers, no tier changed.",
                         "a customer already in grace is not counted again")

    def test_customer_recalculation_names_the_tier(self):
        with freeze_time("2026-04-01"):
            action = self.customer.action_wholesale_recompute_tier()
            self.assertEqual(action["tag"], "display_notification")
            self.assertEqual(action["params"]["message"], "Alpha Trading stays Silver.")
            self.assertEqual(action["params"]["next"]["tag"], "soft_reload")
            self._invoice(self.customer, 900.0, "2026-03-01")
            self.gold.threshold_amount = 800.0
            action = self.customer.action_wholesale_recompute_tier()
        self.assertEqual(action["params"]["message"], "Alpha Trading moved up from Silver to Gold.")
        outsider = self.env["res.partner"].create({"name": "Outsider Ltd", "is_company": True})
        action = outsider.action_wholesale_recompute_tier()
        self.assertEqual(action["params"]["message"], "Outsider Ltd matches no loyalty program.")

    def test_unlock_in_grace_shows_downgrade_date(self):
        self.program.downgrade_grace_days = 30
        with freeze_time("2026-04-01"):
            self._invoice(self.customer, 1200.0, "2026-03-01")
            self.env["wholesale.loyalty.tier.lock.wizard"].create({
                "partner_id": self.customer.id, "tier_id": self.platinum.id, "reason": "Trade fair deal",
            }).action_apply()
            action = self.customer.action_wholesale_unlock_tier()
        self.customer.invalidate_recordset()
        self.assertTier(self.customer, self.platinum)
        self.assertEqual(self.customer._wholesale_member().downgrade_since, date(2026, 4, 1))
        self.assertEqual(self.customer._wholesale_member().downgrade_on, date(2026, 5, 1))
        self.assertEqual(self.customer.wholesale_status()[0]["downgrade_on"], "2026-05-01")
        self.assertIn("Alpha Trading stays Platinum until 05/01/2026", action["params"]["message"])
        contact = self.env["res.partner"].create({"name": "Buyer", "parent_id": self.customer.id})
        self.assertEqual(contact._wholesale_member().downgrade_on, date(2026, 5, 1))
        with freeze_time("2026-05-01"):
            self.customer.wholesale_recompute_tier()
        self.assertTier(self.customer, self.gold)
        self.assertFalse(self.customer._wholesale_member().downgrade_on)

    # ------------------------------------------------------------------ customer form

    def test_points_value_of_the_smart_button(self):
        self.program.point_value = 0.1
        self.customer.wholesale_award_points(125, "Trade fair", reference="config-screens-fair")
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.wholesale_points_balance, 125)
        member = self.customer._wholesale_member()
        self.assertAlmostEqual(member.points_value, 12.5, msg="the account's form shows what the points are worth")
        self.assertEqual(member.currency_id, self.program.company_id.currency_id)
        self.assertEqual(self.customer.currency_id, self.program.company_id.currency_id,
                         "the partner's amounts are in the company's currency")
        arch = etree.fromstring(self.env["res.partner"].get_view(view_type="form")["arch"])
        [button] = arch.xpath("//div[@name='button_box']/button[@name='action_wholesale_view_ledger']")
        self.assertEqual(
            {node.get("name") for node in button.iter("field")},
            {"wholesale_tier_id", "wholesale_points_balance"},
        )
        [accounts] = arch.xpath("//field[@name='wholesale_member_ids']/list")
        self.assertIn("points_value", {node.get("name") for node in accounts.iter("field")})
        action = self.customer.action_wholesale_view_ledger()
        self.assertEqual(self.env[action["res_model"]].search(action["domain"]).mapped("points"), [125])

    def test_history_lists_show_program_and_time(self):
        entry = self._history(self.customer)[-1]
        self.assertEqual(entry.program_id, self.program)
        self.assertTrue(entry.create_date)
        history_list = self.env.ref("wholesale_loyalty.wholesale_loyalty_tier_history_view_list")
        member_arch = etree.fromstring(self.env["wholesale.loyalty.member"].get_view(view_type="form")["arch"])
        [member_list] = member_arch.xpath("//field[@name='tier_history_ids']/list")
        self.assertEqual(self.customer._wholesale_member().tier_history_ids, self._history(self.customer))
        for arch in (etree.fromstring(history_list.arch), member_list):
            shown = [node.get("name") for node in arch.iter("field")
                     if node.get("column_invisible") != "1" and node.get("optional") != "hide"]
            self.assertEqual(shown[0], "create_date", "the first column is the date and time of the change")
            self.assertIn("program_id", shown)
        self.assertEqual(self.env["wholesale.loyalty.tier.history"]._fields["create_date"].type, "datetime")

    # ------------------------------------------------------------------ configuration lists

    def test_tier_groups_sum_no_settings(self):
        groups = self.env["wholesale.loyalty.tier"].read_group(
            [("program_id", "=", self.program.id)], TIER_SETTINGS, ["program_id"]
        )
        self.assertEqual(groups[0]["program_id_count"], 3)
        for fname in TIER_SETTINGS:
            self.assertNotIn(fname, groups[0], f"{fname} is not summed over a program's tiers")
        described = self.env["wholesale.loyalty.tier"].fields_get(TIER_SETTINGS, ["aggregator"])
        self.assertFalse(any(values.get("aggregator") for values in described.values()))

    def test_tiers_of_archived_programs_hidden(self):
        old = self.env["wholesale.loyalty.program"].create({
            "name": "Old Program", "partner_domain": "[('id', '=', 0)]",
            "tier_ids": [Command.create({"name": "Old Gold", "threshold_amount": 100})],
        })
        old.action_archive()
        action = self.env["ir.actions.act_window"]._for_xml_id("wholesale_loyalty.wholesale_loyalty_tier_action")
        context = safe_eval(action["context"])
        self.assertTrue(context.get("search_default_active_programs"))
        search_arch = etree.fromstring(
            self.env["wholesale.loyalty.tier"].get_view(view_type="search")["arch"]
        )
        [default_filter] = search_arch.xpath("//filter[@name='active_programs']")
        shown = self.env["wholesale.loyalty.tier"].search(safe_eval(default_filter.get("domain")))
        self.assertIn(self.gold, shown)
        self.assertNotIn("Old Gold", shown.mapped("name"))
        [archived_filter] = search_arch.xpath("//filter[@name='archived_programs']")
        self.assertIn("Old Gold", self.env["wholesale.loyalty.tier"].search(
            safe_eval(archived_filter.get("domain"))).mapped("name"))

    def test_program_form_hides_actions_until_saved(self):
        arch = etree.fromstring(self.env["wholesale.loyalty.program"].get_view(view_type="form")["arch"])
        for name in ("action_recalculate_tiers", "action_settle_rebates"):
            [button] = arch.xpath(f"//header/button[@name='{name}']")
            self.assertEqual(button.get("invisible"), "not id")
        [row] = arch.xpath("//div[@name='qualification_period']")
        self.assertEqual([node.get("name") for node in row.iter("field")], ["qualification_period", "period_months"])
        self.assertEqual(self.program.with_context(lang="en_US").qualification_period_display, "Lifetime")
        self.program.write({"qualification_period": "rolling", "period_months": 6})
        self.assertEqual(self.program.qualification_period_display, "Rolling 6 months")
        # Benefits are edited in the tier's dialog, opened from the program's list.
        [tier_form] = arch.xpath("//field[@name='tier_ids']/form")
        self.assertTrue(tier_form.xpath(".//field[@name='benefits']"))
        self.assertFalse(arch.xpath("//field[@name='tier_ids']/list[@editable]"))

    def test_programs_made_by_module_data_belong_to_the_administrator(self):
        program = self.env["wholesale.loyalty.program"].with_user(SUPERUSER_ID).create({
            "name": "Installed Program", "partner_domain": "[('id', '=', 0)]",
        })
        self.assertEqual(program.user_id, self.env.ref("base.user_admin"))
        self.assertEqual(self.program.user_id, self.env.user)

    # ------------------------------------------------------------------ tier-change mail

    def test_tier_change_mail_formats_discount(self):
        self.gold.discount_percent = 3.0
        self.platinum.discount_percent = 2.5
        template = self.env.ref("wholesale_loyalty.mail_template_tier_change")
        with freeze_time("2026-04-01"):
            self._invoice(self.customer, 1500.0, "2026-03-01")
        gold_entry = self._history(self.customer)[-1]
        self.assertEqual(gold_entry.new_tier_id, self.gold)
        self._send_tier_notifications()
        body = template._render_field("body_html", gold_entry.ids, compute_lang=True)[gold_entry.id]
        self.assertIn("3%", body)
        self.assertNotIn("3.0", body)
        self.assertEqual(body.count("font-size"), 1, "one font size for the whole mail")
        mail = self.env["mail.mail"].search([("model", "=", "wholesale.loyalty.tier.history"),
                                             ("res_id", "=", gold_entry.id)])
        self.assertIn("3%", mail.body_html)
        self.env["res.lang"]._activate_lang("bg_BG")
        self.customer.lang = "bg_BG"
        with freeze_time("2026-04-02"):
            self._invoice(self.customer, 4000.0, "2026-03-02")
        platinum_entry = self._history(self.customer)[-1]
        self.assertEqual(platinum_entry.new_tier_id, self.platinum)
        body = template._render_field("body_html", platinum_entry.ids, compute_lang=True)[platinum_entry.id]
        self.assertIn("2,5%", body)
        self.assertEqual(self.gold.with_context(lang="en_US").discount_display, "3%")
        self.assertEqual(self.platinum.with_context(lang="en_US").discount_display, "2.5%")
        self.assertEqual(self.env["wholesale.loyalty.tier"]._format_percent(100), "100%")
