"""A Russian-speaking loyalty administrator reads in a real browser what the add-on wrote for
a Russian customer: its points ledger and its chatter, in Russian."""
from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .test_tours import ChromiumTourCase


@tagged("post_install", "-at_install")
class TestRussianTour(ChromiumTourCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ru_RU")
        cls.env["wholesale.loyalty.program"].sudo().search([]).write({"active": False})
        tag = cls.env["res.partner.category"].create({"name": "Russian tour members"})
        program = cls.env["wholesale.loyalty.program"].create({
            "name": "Russian Tour Program",
            "qualification_period": "lifetime",
            "partner_domain": str([("category_id", "in", tag.ids)]),
            "tier_ids": [
                Command.create({"name": "Silver", "threshold_amount": 0}),
                Command.create({"name": "Gold", "threshold_amount": 1000, "discount_percent": 3}),
            ],
        })
        silver, gold = program.tier_ids.sorted("threshold_amount")
        silver.with_context(lang="ru_RU").name = "Серебро"
        gold.with_context(lang="ru_RU").name = "Золото"
        cls.customer = cls.env["res.partner"].create({
            "name": "Roga i Kopyta", "is_company": True, "lang": "ru_RU", "email": "roga@example.com",
            "category_id": [Command.link(tag.id)],
        })
        cls.invoice = cls.env["account.move"].create({
            "move_type": "out_invoice",
            "partner_id": cls.customer.id,
            "invoice_date": fields.Date.context_today(cls.env.user),
            "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": 1500.0,
                                                 "tax_ids": [Command.clear()]})],
        })
        cls.invoice.action_post()
        # The scheduled action tells the chatter of the tier change.
        cls.env["wholesale.loyalty.tier.history"]._cron_send_tier_notifications()
        company = cls.env.company
        cls.admin = new_test_user(
            cls.env, login="wl_ru_admin", password="wl_ru_admin_pw", lang="ru_RU",
            groups="sales_team.group_sale_salesman,base.group_partner_manager,"
                   "wholesale_loyalty.group_wholesale_loyalty_manager",
            company_id=company.id, company_ids=[company.id],
        )

    def test_russian_administrator_reads_ledger_and_chatter_in_russian(self):
        self.assertEqual(self.customer.wholesale_tier_id.name, "Gold")
        self.start_tour(f"/odoo/action-base.action_partner_form/{self.customer.id}",
                        "wholesale_loyalty_russian_tour", login=self.admin.login)
        earned = self.env["wholesale.loyalty.ledger"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(earned.note, f"Счет {self.invoice.name}")
