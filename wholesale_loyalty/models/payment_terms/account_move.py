from odoo import Command, api, fields, models
from odoo.tools import format_date

from ...tools.access import BILLING, check_caller_groups


# A class of its own, apart from the loyalty side's: the payment terms are to move out as an add-on.
class AccountMove(models.Model):
    """Payment-term discounts on customer invoices: the prepayment discount line, the cash
    discounts still open, and Odoo's early payment discount following a wholesale schedule."""

    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    wholesale_prepayment_reservation_ids = fields.One2many(
        "wholesale.prepayment.reservation",
        "move_id",
        string="Prepayments Discounted",
        readonly=True,
        copy=False,
        help="Money of the customer's payments this invoice's prepayment discount is based on.",
    )
    wholesale_can_apply_prepayment = fields.Boolean(
        string="Can Apply Prepayment Discount", compute="_compute_wholesale_can_apply_prepayment",
        help="A draft customer invoice whose payment terms give a prepayment discount it does not carry yet.",
    )
    wholesale_early_payment_offer = fields.Text(
        string="Early Payment Offer", compute="_compute_wholesale_early_payment_offer",
        help="The cash discounts the payment terms still offer on this invoice, as its PDF and the portal show them.",
    )

    @api.depends(
        "state", "move_type", "invoice_payment_term_id.wholesale_discount_rule_ids.kind",
        "invoice_line_ids.product_id",
    )
    def _compute_wholesale_can_apply_prepayment(self):
        product = self.env["wholesale.payment.discount"]._prepayment_product()
        for move in self:
            move.wholesale_can_apply_prepayment = (
                move.state == "draft"
                and move.move_type == "out_invoice"
                and move.invoice_payment_term_id.wholesale_has_prepayment_rules
                and product not in move.invoice_line_ids.product_id
            )

    @api.depends("state", "payment_state", "invoice_date", "invoice_date_due", "invoice_payment_term_id",
                 "amount_residual")
    def _compute_wholesale_early_payment_offer(self):
        for move in self:
            offers = move._wholesale_early_payment_offers() if move.move_type == "out_invoice" \
                and move.state == "posted" else []
            move.wholesale_early_payment_offer = "\n".join(
                self.env._("Pay %(amount)s by %(date)s: save %(saving)s",
                           amount=move.currency_id.format(offer.amount_due), date=format_date(self.env, offer.pay_by),
                           saving=move.currency_id.format(offer.saving))
                for offer in offers
            ) or False

    def _post(self, soft=True):
        # Checked before anything is posted: a refusal writes nothing.
        self.env["wholesale.payment.discount"]._check_prepayment_discounts(self.filtered(lambda m: m.state == "draft"))
        posted = super()._post(soft=soft)
        # A payment cancelled and posted again holds again the money its discounts are based on.
        self.env["wholesale.prepayment.reservation"]._reattach(posted)
        return posted

    def button_draft(self):
        was_counted = self.filtered(lambda move: move.state == "posted")
        result = super().button_draft()
        # A cancelled or reversed invoice's money was free meanwhile: its discount may be gone.
        discounts = self.env["wholesale.payment.discount"]
        discounts._release_unbacked_prepayment_discounts(self)
        discounts._flag_unbacked_posted_discounts(was_counted)
        return result

    def button_cancel(self):
        was_posted = self.filtered(lambda move: move.state == "posted")
        result = super().button_cancel()
        self.env["wholesale.payment.discount"]._flag_unbacked_posted_discounts(was_posted)
        return result

    def action_wholesale_apply_prepayment_discount(self):
        """Add the prepayment discount line on a draft customer invoice: rule % x min(prepaid
        amount, invoice total), with the invoice's taxes. Accounting users only."""
        check_caller_groups(self.env, BILLING)
        for invoice in self:
            self.env["wholesale.payment.discount"]._apply_prepayment_discount(invoice)
        return True

    def _wholesale_early_payment_offers(self):
        """The cash discounts still open on this invoice, as the invoice and the portal show
        them to the customer (see ``wholesale.payment.discount._early_payment_offers``)."""
        self.ensure_one()
        return self.env["wholesale.payment.discount"]._early_payment_offers(self)

    def copy_data(self, default=None):
        vals_list = super().copy_data(default)
        product = self.env["wholesale.payment.discount"]._prepayment_product()
        for move, vals in zip(self, vals_list, strict=True):
            # A copied invoice is no money received: its discount is applied again, on what is
            # free then. A credit note reverses the discount with the goods, so it keeps it.
            if vals.get("move_type", move.move_type) == "out_invoice" and "line_ids" in vals:
                vals["line_ids"] = [
                    command for command in vals["line_ids"]
                    if not (command[0] == Command.CREATE and command[2].get("product_id") == product.id)
                ]
        return vals_list

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
