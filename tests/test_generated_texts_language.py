"""Texts the add-on writes itself (ledger notes, chatter lines, quotation, invoice and credit
note lines) are in the language of the customer they are for, with numbers, amounts and
dates in that language's format, whatever the language of the user who caused them."""
from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged
from odoo.tools import html2plaintext

from .common import WholesaleLoyaltyCommon

NBSP = "\N{NO-BREAK SPACE}"


@tagged("post_install", "-at_install")
class TestGeneratedTextsLanguage(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in ("ru_RU", "bg_BG"):
            cls.env["res.lang"]._activate_lang(code)
        cls.program.redemption_product_id.with_context(lang="bg_BG").name = "Използване на точки за лоялност"
        # The user working in the back office reads English; the customers do not.
        cls.env = cls.env(context=dict(cls.env.context, lang="en_US"))
        for tier, russian, bulgarian in ((cls.silver, "Серебро", "Сребро"), (cls.gold, "Золото", "Злато")):
            tier.with_context(lang="ru_RU").name = russian
            tier.with_context(lang="bg_BG").name = bulgarian
        cls.russian = cls._customer("Roga i Kopyta", lang="ru_RU")
        cls.bulgarian = cls._customer("Sofia Trade", lang="bg_BG")
        cls.ledger = cls.env["wholesale.loyalty.ledger"]

    # ---------------------------------------------------------------- ledger notes

    def test_earned_points_note_is_in_the_customers_language_not_the_users(self):
        with freeze_time("2026-03-02"):
            russian = self._invoice(self.russian, 500.0, "2026-03-02")
            bulgarian = self._invoice(self.bulgarian, 500.0, "2026-03-02")
            english = self._invoice(self.customer, 500.0, "2026-03-02", post=False)
            # A Russian-speaking accountant posts the English customer's invoice.
            english.with_context(lang="ru_RU").action_post()
        self.assertEqual(self._entries(self.russian, "earn").note, f"Счет {russian.name}")
        self.assertEqual(self._entries(self.bulgarian, "earn").note, f"Фактура {bulgarian.name}")
        self.assertEqual(self._entries(self.customer, "earn").note, f"Invoice {english.name}")

    def test_contact_reads_the_language_of_its_company(self):
        buyer = self.env["res.partner"].create({"name": "Ivan", "parent_id": self.russian.id, "lang": "en_US"})
        with freeze_time("2026-03-02"):
            invoice = self._invoice(buyer, 500.0, "2026-03-02")
        self.assertEqual(self._entries(self.russian, "earn").note, f"Счет {invoice.name}")

    def test_invoice_reset_and_credited_notes(self):
        with freeze_time("2026-03-02"):
            invoice = self._invoice(self.russian, 2000.0, "2026-03-02")
            invoice.button_draft()
            invoice.action_post()
            refund = self._refund(invoice, 500.0, "2026-03-03")
            refund.button_draft()
        self.assertEqual(self._entries(self.russian, "reversal").mapped("note"), [
            "Счет возвращен в черновик",
            f"Кредит-нота {refund.name}",
            f"Кредит-нота {refund.name} больше не проведена",
        ])
        self.assertEqual(self._balance(self.russian), 20)

    def test_first_order_bonus_names_the_rule_in_the_customers_language(self):
        self.program.bonus_rule_ids = [Command.create({"name": "Welcome", "trigger": "first_order", "points": 50})]
        self.program.bonus_rule_ids.with_context(lang="bg_BG").name = "Добре дошли"
        with freeze_time("2026-03-02"):
            self._invoice(self.bulgarian, 500.0, "2026-03-02")
        self.assertEqual(self._entries(self.bulgarian, "bonus").note, "Бонус за първа поръчка (Добре дошли)")

    def test_referral_bonus_is_in_the_referrers_language(self):
        self.program.bonus_rule_ids = [Command.create({"name": "Referral", "trigger": "referral", "points": 70})]
        self.russian.wholesale_referrer_id = self.bulgarian
        with freeze_time("2026-03-02"):
            invoice = self._invoice(self.russian, 1000.0, "2026-03-02")
            self._pay(invoice, "2026-03-05")
        self.assertEqual(self._entries(self.bulgarian, "bonus").note, "За препоръчване на Roga i Kopyta")

    def test_expiry_note_has_the_date_in_the_customers_format(self):
        self.program.points_validity_months = 2
        with freeze_time("2026-03-31"):
            self._invoice(self.russian, 1000.0, "2026-03-31")
        with freeze_time("2026-06-01"):
            self.env["wholesale.loyalty.points"]._expire_lots()
        self.assertEqual(self._entries(self.russian, "expire").note, "Срок действия истек 31.05.2026")

    # ---------------------------------------------------------------- points on orders and invoices

    def test_redemption_line_of_a_bulgarian_customer_reaches_the_invoice_in_bulgarian(self):
        self.bulgarian.wholesale_award_points(2000, "Opening balance")
        order = self._quotation(self.bulgarian, 10000.0)
        line = self._redeem(order, 1500)
        # Bulgarian groups no thousands: 1500, where English writes 1,500.
        self.assertEqual(line.name, "Точки за лоялност: 1500")
        order.action_confirm()
        self.assertEqual(self._entries(self.bulgarian, "redeem").note, f"Използвани по поръчка {order.name}")
        invoice = order._create_invoices()
        self.assertEqual(invoice.invoice_line_ids.filtered(lambda aml: aml.price_unit < 0).name,
                         "[WL-POINTS] Използване на точки за лоялност Точки за лоялност: 1500")

    def test_redemption_line_numbers_follow_the_customers_language(self):
        self.russian.wholesale_award_points(2000, "Opening balance")
        self.customer.wholesale_award_points(2000, "Opening balance")
        russian, english = self._quotation(self.russian, 10000.0), self._quotation(self.customer, 10000.0)
        self.assertEqual(self._redeem(russian, 1500).name, f"Баллы лояльности: 1{NBSP}500")
        self.assertEqual(self._redeem(english, 1500).name, "Loyalty points: 1,500 points")

    def test_cancelled_order_gives_points_back_with_a_note_in_the_customers_language(self):
        self.bulgarian.wholesale_award_points(2000, "Opening balance")
        order = self._quotation(self.bulgarian, 10000.0)
        self._redeem(order, 300)
        order.action_confirm()
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(self._entries(self.bulgarian, "reversal").note, f"Поръчка {order.name} е отменена")
        self.assertEqual(self._balance(self.bulgarian), 2000)

    # ---------------------------------------------------------------- tiers

    def test_tier_change_chatter_in_the_customers_language_notification_in_the_salespersons(self):
        salesperson = self._company_user("wl_lang_rep", "sales_team.group_sale_salesman", lang="en_US")
        self.russian.user_id = salesperson
        with freeze_time("2026-04-01"):
            self._invoice(self.russian, 1500.0, "2026-03-30")
        self.assertTier(self.russian, self.gold)
        self._send_tier_notifications()
        expected = ("Уровень лояльности изменен с Серебро на Золото (квалификационная сумма покупок: "
                    f"${NBSP}1{NBSP}500,00).")
        chatter = self.russian.message_ids.filtered(
            lambda message: html2plaintext(message.body or "") == expected
        )
        self.assertEqual(len(chatter), 1)
        notified = self.env["mail.message"].sudo().search([
            ("model", "=", "res.partner"), ("res_id", "=", self.russian.id),
            ("partner_ids", "in", salesperson.partner_id.ids),
        ])
        self.assertEqual(notified.subject, "Roga i Kopyta: loyalty tier Gold")
        self.assertEqual(html2plaintext(notified.body),
                         f"Loyalty tier changed from Silver to Gold (qualifying spend ${NBSP}1,500.00).")

    def test_tier_lock_removed_note_in_the_customers_language(self):
        self.bulgarian.write({"wholesale_tier_id": self.gold.id, "wholesale_tier_locked": True,
                              "wholesale_tier_lock_reason": "Key account"})
        self.bulgarian.write({"wholesale_tier_locked": False})
        self.assertEqual(self._history(self.bulgarian).mapped("note")[-2:],
                         ["Key account", "Фиксирането на нивото е премахнато"])

    def test_program_move_and_leaving_notes_in_the_customers_language(self):
        self.program.with_context(lang="bg_BG").name = "Тестова програма"
        other_tag = self.env["res.partner.category"].create({"name": "Other program"})
        other = self.env["wholesale.loyalty.program"].create({
            "name": "Other Program",
            "qualification_period": "lifetime",
            "partner_domain": str([("category_id", "in", other_tag.ids)]),
            "tier_ids": [Command.create({"name": "Basic", "threshold_amount": 0})],
        })
        other.with_context(lang="bg_BG").name = "Друга програма"
        self.bulgarian.wholesale_recompute_tier()
        self.assertEqual(self.bulgarian.wholesale_program_id, self.program)
        self.bulgarian.category_id = [Command.set(other_tag.ids)]
        self.bulgarian.wholesale_recompute_tier()
        self.assertEqual(self.bulgarian.wholesale_program_id, other)
        self.assertEqual(self._history(self.bulgarian)[-1].note,
                         "Преместен от програма Тестова програма в програма Друга програма.")
        self.bulgarian.category_id = [Command.clear()]
        self.bulgarian.wholesale_recompute_tier()
        self.assertFalse(self.bulgarian.wholesale_program_id)
        self.assertEqual(self._history(self.bulgarian)[-1].note,
                         "Вече не отговаря на условията за участие в програмата.")

    # ---------------------------------------------------------------- rebates

    def test_rebate_credit_note_in_the_customers_language_and_number_format(self):
        self.program.rebate_period = "quarter"
        self.gold.rebate_percent = 2.5
        with freeze_time("2026-02-10"):
            invoice = self._invoice(self.bulgarian, 1200.0, "2026-02-10")
        with freeze_time("2026-04-01"):
            rebate = self.env["wholesale.loyalty.rebate"]._settle(programs=self.program)
        note = rebate.move_id
        self.assertEqual(note.partner_id, self.bulgarian)
        self.assertEqual(note.invoice_line_ids.name,
                         f"Ретроактивна отстъпка 2,5% върху покупки за ${NBSP}1200,00 от 01.01.2026 до 31.03.2026")
        self.assertEqual(note.ref, "Ретроактивна отстъпка Test Program")
        self.assertIn(f"Обхванати фактури: {invoice.name}", str(note.narration))

    # ---------------------------------------------------------------- payment discounts

    @freeze_time("2026-03-01")
    def test_prepayment_discount_line_in_the_customers_language_and_number_format(self):
        term = self.env["account.payment.term"].create({
            "name": "Prepaid 2.5%, net 30",
            "line_ids": [Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})],
            "wholesale_discount_rule_ids": [
                Command.create({"kind": "prepayment", "days": 30, "discount_percent": 2.5}),
            ],
        })
        self._received_payment(self.russian, 11500.0, "2026-01-30")
        invoice = self._invoice(self.russian, 10000.0, "2026-03-01", post=False, invoice_payment_term_id=term.id)
        invoice.action_wholesale_apply_prepayment_discount()
        line = invoice.invoice_line_ids.filtered(lambda aml: aml.price_subtotal < 0)
        self.assertEqual(line.name, f"Скидка за предоплату: 2,5% от суммы ${NBSP}11{NBSP}500,00, "
                                    "оплаченной за 30 дн. до даты счета")
