from odoo import fields, models


# A class of its own, apart from the loyalty side's: the payment terms are to move out as an add-on.
class AccountMoveLine(models.Model):
    """Odoo's installments and early payment discount lines following a wholesale schedule."""

    _inherit = "account.move.line"  # pylint: disable=consider-merging-classes-inherited

    def _get_installments_data(self, payment_currency=None, payment_date=None, next_payment_date=None):
        installments = super()._get_installments_data(
            payment_currency=payment_currency, payment_date=payment_date, next_payment_date=next_payment_date
        )
        return self.env["wholesale.payment.discount"]._adjust_installments(
            installments, payment_date or fields.Date.context_today(self)
        )

    def _compute_epd_key(self):  # pylint: disable=missing-return
        # Odoo keys its early payment discount lines on the payment term's single discount; a
        # wholesale schedule in the 'mixed' computation has the same lines.
        discounts = self.env["wholesale.payment.discount"]
        mixed = self.filtered(lambda line: discounts._mixed_schedule_applies(line.move_id))
        super(AccountMoveLine, self - mixed)._compute_epd_key()
        for term, lines in mixed.grouped(lambda line: line.move_id.invoice_payment_term_id).items():
            with discounts._presented_as(term, {"early_discount": True}):
                super(AccountMoveLine, lines)._compute_epd_key()

    def _compute_epd_needed(self):  # pylint: disable=missing-return
        # 'mixed': the invoice's tax is reduced by the largest discount the schedule offers it.
        discounts = self.env["wholesale.payment.discount"]
        mixed = self.filtered(lambda line: discounts._mixed_schedule_applies(line.move_id))
        super(AccountMoveLine, self - mixed)._compute_epd_needed()
        for move, lines in mixed.grouped("move_id").items():
            percent = discounts._invoice_percent(move)
            values = {"early_discount": True, "discount_percentage": percent} if percent > 0 else {}
            with discounts._presented_as(move.invoice_payment_term_id, values):
                super(AccountMoveLine, lines)._compute_epd_needed()
