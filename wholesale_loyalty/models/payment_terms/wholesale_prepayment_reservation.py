from collections import defaultdict

from odoo import api, fields, models


class WholesalePrepaymentReservation(models.Model):
    """Money of a customer payment that a prepayment discount is based on.

    A payment not yet matched with an invoice shows as outstanding on every draft invoice of
    the customer; without a record of what a discount already used, each of them would be
    discounted on the same money. A reservation holds its money for its invoice until the
    invoice is cancelled, fully reversed or loses its discount line, and is used up as the
    payment gets matched with that invoice.
    """

    _name = "wholesale.prepayment.reservation"
    _description = "Wholesale Prepayment Discount Reservation"
    _order = "id"

    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, ondelete="cascade", index=True, readonly=True
    )
    # A payment cancelled loses its journal items, and gets new ones when posted again: the
    # reservation stays on record with its payment, and holds the new item's money again.
    payment_line_id = fields.Many2one(
        "account.move.line", string="Payment Item", ondelete="set null", index=True, readonly=True,
        help="The customer's receivable item of the payment received in advance (empty while the payment is "
        "cancelled).",
    )
    payment_id = fields.Many2one(
        "account.payment", string="Payment", ondelete="set null", index="btree_not_null", readonly=True,
    )
    company_id = fields.Many2one(related="move_id.company_id", store=True, index=True)
    payment_currency_id = fields.Many2one(related="payment_line_id.currency_id", string="Payment Currency")
    invoice_currency_id = fields.Many2one(related="move_id.currency_id", string="Invoice Currency")
    base_amount = fields.Monetary(
        currency_field="payment_currency_id", readonly=True,
        help="Money of the payment the discount is based on, in the payment's currency.",
    )
    invoice_base_amount = fields.Monetary(
        currency_field="invoice_currency_id", readonly=True, help="The same money in the invoice's currency."
    )
    discount_percent = fields.Float(string="Discount (%)", digits="Discount", readonly=True)
    discount_amount = fields.Monetary(
        currency_field="invoice_currency_id", readonly=True, help="Discount this money earned, taxes included."
    )

    _sql_constraints = [
        ("base_amount_positive", "CHECK(base_amount > 0)", "A prepayment reservation must hold some money."),
    ]

    @api.model
    def _reattach(self, moves):
        """Give the reservations of the payments of these posted moves, whose journal items
        went when the payment was cancelled, the customer's receivable item of the payment
        again: its money is held again for the discount it backs."""
        payments = moves.filtered(lambda move: move.state == "posted").origin_payment_id
        if not payments:
            return
        # sudo: the reservations are the discount's own records, re-linked to their payment.
        for reservation in self.sudo().search([("payment_id", "in", payments.ids), ("payment_line_id", "=", False)]):
            line = reservation.payment_id.move_id.line_ids.filtered(
                lambda line, partner=reservation.move_id.commercial_partner_id:
                    line.account_id.account_type == "asset_receivable"
                    and line.partner_id.commercial_partner_id == partner and line.credit > 0
            )[:1]
            reservation.payment_line_id = line

    @api.model
    def _holding_domain(self):
        """Reservations whose invoice still gives the discount they are the base of."""
        product = self.env["wholesale.payment.discount"]._prepayment_product()
        return [
            ("move_id.state", "!=", "cancel"),
            ("move_id.payment_state", "!=", "reversed"),
            ("move_id.invoice_line_ids.product_id", "=", product.id),
        ]

    def _unmatched_amounts(self):
        """{payment item id: money still held}, in the payments' currencies.

        Money the payment already settled of the reserving invoice is no longer outstanding
        on the payment, so it is no longer held either.
        """
        held = defaultdict(float)
        for reservation in self:
            line = reservation.payment_line_id
            matched = sum(
                partial.credit_amount_currency
                for partial in line.matched_debit_ids
                if partial.debit_move_id.move_id == reservation.move_id
            ) + sum(
                partial.debit_amount_currency
                for partial in line.matched_credit_ids
                if partial.credit_move_id.move_id == reservation.move_id
            )
            held[line.id] += max(reservation.base_amount - matched, 0.0)
        return held

    @api.model
    def _held_amounts(self, payment_lines, except_moves=None):
        """{payment item id: money held by the discounts of invoices other than
        ``except_moves``}, in the payments' currencies."""
        domain = [("payment_line_id", "in", payment_lines.ids), *self._holding_domain()]
        if except_moves:
            domain.append(("move_id", "not in", except_moves.ids))
        # sudo: read only, to lower what the caller may use; a user who cannot open the other
        # invoices must still not discount the money they hold.
        return self.sudo().search(domain)._unmatched_amounts()
