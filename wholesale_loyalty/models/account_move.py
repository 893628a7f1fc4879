from odoo import models
from odoo.tools import SQL


class AccountMove(models.Model):
    _inherit = "account.move"

    def init(self):
        result = super().init()
        # Covers the qualifying-spend aggregation: an index-only scan per customer batch.
        self.env.cr.execute(SQL(
            """CREATE INDEX IF NOT EXISTS account_move_wholesale_spend_index
                   ON account_move (commercial_partner_id, invoice_date)
                   INCLUDE (company_id, amount_untaxed_signed, payment_state)
                WHERE state = 'posted' AND move_type IN ('out_invoice', 'out_refund')"""
        ))
        return result

    def _wholesale_customers(self):
        return self.filtered(lambda move: move.is_sale_document()).commercial_partner_id

    def _wholesale_reevaluate(self, bases):
        customers = self._wholesale_customers()
        if customers:
            self.env["wholesale.loyalty.tier.engine"].evaluate_partners(customers, "realtime", bases=bases)

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        # A customer whose first invoice makes it eligible (most filters ask for a customer
        # rank, which posting gives) joins before earning, or that invoice would earn nothing.
        newcomers = posted._wholesale_customers().filtered(lambda customer: not customer.wholesale_program_id)
        if newcomers:
            self.env["wholesale.loyalty.tier.engine"].evaluate_partners(newcomers, "realtime")
        # Points first: they are earned at the tier held before this invoice counts.
        points = self.env["wholesale.loyalty.points"]
        points.earn_for_invoices(posted, trigger="posted")
        points.reverse_for_refunds(posted)
        # Invoices of zero are paid on posting; Odoo calls the paid hook for those itself.
        posted._wholesale_reevaluate(bases=("invoiced",))
        return posted

    def _invoice_paid_hook(self):
        result = super()._invoice_paid_hook()
        points = self.env["wholesale.loyalty.points"]
        points.earn_for_invoices(self, trigger="paid")
        points.bonuses_for_paid_invoices(self)
        self._wholesale_reevaluate(bases=("paid",))
        return result

    def button_draft(self):
        was_counted = self.filtered(lambda move: move.state == "posted")
        result = super().button_draft()
        self.env["wholesale.loyalty.points"].reverse_invoices(
            was_counted, self.env._("Invoice reset to draft")
        )
        was_counted._wholesale_reevaluate(bases=("invoiced", "paid"))
        return result

    def button_cancel(self):
        result = super().button_cancel()
        self._wholesale_reevaluate(bases=("invoiced", "paid"))
        return result

    def _wholesale_demo_register_payment(self):
        """Pay invoices in full at their invoice date (demo data)."""
        for invoice in self:
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"payment_date": invoice.invoice_date})._create_payments()
        return True

    # ------------------------------------------------------------------ payment-term discounts

    def action_wholesale_apply_prepayment_discount(self):
        """Add the prepayment discount line on a draft customer invoice: rule % x min(prepaid
        amount, invoice total), with the invoice's taxes. Accounting users only."""
        for invoice in self:
            self.env["wholesale.payment.discount"]._apply_prepayment_discount(invoice)
        return True

    def _is_eligible_for_early_payment_discount(self, currency, reference_date):
        discounts = self.env["wholesale.payment.discount"]
        if not discounts._schedule_applies(self):
            return super()._is_eligible_for_early_payment_discount(currency, reference_date)
        # A schedule also discounts what is left after a partial payment.
        return discounts._eligible(self, currency, reference_date)

    def _get_invoice_counterpart_amls_for_early_payment_discount_per_payment_term_line(self):
        discounts = self.env["wholesale.payment.discount"]
        if not discounts._schedule_applies(self):
            return super()._get_invoice_counterpart_amls_for_early_payment_discount_per_payment_term_line()
        with discounts._presented_for_booking(self):
            return super()._get_invoice_counterpart_amls_for_early_payment_discount_per_payment_term_line()
