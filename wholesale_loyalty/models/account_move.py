from odoo import Command, api, fields, models
from odoo.tools import SQL, format_date

from ..tools.access import BILLING, check_caller_groups


class AccountMove(models.Model):
    _inherit = "account.move"

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
    wholesale_tier_name = fields.Char(
        string="Loyalty Tier", compute="_compute_wholesale_tier",
        help="The customer's loyalty tier in the program of this invoice's company.",
    )
    wholesale_tier_color = fields.Integer(compute="_compute_wholesale_tier")
    wholesale_liability_program_id = fields.Many2one(
        "wholesale.loyalty.program", string="Points Liability of", ondelete="restrict", index="btree_not_null",
        readonly=True, copy=False, help="The loyalty program whose points liability this entry books.",
    )
    wholesale_liability_source_id = fields.Many2one(
        "account.move", string="Points Liability Source", ondelete="set null", index="btree_not_null",
        readonly=True, copy=False, help="The invoice or credit note whose points this entry books.",
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

    @api.depends("commercial_partner_id.wholesale_member_ids.tier_id", "company_id", "move_type")
    def _compute_wholesale_tier(self):
        for move in self:
            # sudo: billing users have no access to the loyalty models; only the name and
            # colour of the customer's tier are read, and only when its program belongs to
            # the invoice's company, so nothing of another company's loyalty shows.
            customer = move.commercial_partner_id.with_company(move.company_id).sudo()
            tier = customer.wholesale_tier_id
            shown = move.is_sale_document() and tier
            move.wholesale_tier_name = tier.name if shown else False
            move.wholesale_tier_color = tier.color if shown else 0

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

    def init(self):
        result = super().init()
        # Covers the qualifying-spend aggregation, rebate exclusion (by id) included: an
        # index-only scan of every customer's documents. An older definition without the id
        # is replaced.
        self.env.cr.execute(SQL(
            "SELECT 1 FROM pg_indexes WHERE indexname = 'account_move_wholesale_spend_index' AND indexdef NOT LIKE %s",
            "%payment_state, id)%",
        ))
        if self.env.cr.fetchone():
            self.env.cr.execute(SQL("DROP INDEX account_move_wholesale_spend_index"))
        self.env.cr.execute(SQL(
            """CREATE INDEX IF NOT EXISTS account_move_wholesale_spend_index
                   ON account_move (commercial_partner_id, invoice_date)
                   INCLUDE (company_id, amount_untaxed_signed, payment_state, id)
                WHERE state = 'posted' AND move_type IN ('out_invoice', 'out_refund')"""
        ))
        return result

    def _wholesale_payment_date(self):
        """The day this invoice was paid: the date of its last payment (None while unpaid)."""
        self.ensure_one()
        lines = self.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        counterparts = lines.matched_credit_ids.credit_move_id
        return max(counterparts.mapped("date"), default=None)

    def _wholesale_customers(self):
        return self.filtered(lambda move: move.is_sale_document()).commercial_partner_id

    def _wholesale_reevaluate(self, bases):
        customers = self._wholesale_customers()
        if customers:
            history = self.env["wholesale.loyalty.tier.engine"]._evaluate_partners(customers, "realtime", bases=bases)
            history._record_contacts(self.filtered(lambda move: move.is_sale_document()))

    def _post(self, soft=True):
        # Checked before anything is posted: a refusal writes nothing.
        self.env["wholesale.payment.discount"]._check_prepayment_discounts(self.filtered(lambda m: m.state == "draft"))
        # Nothing of the loyalty (ledger entries, memberships, credit notes) can point to a
        # move posted for the first time: what these read of it is skipped.
        first_posting = self.filtered(lambda move: not move.posted_before)
        posted = super()._post(soft=soft)
        # A payment cancelled and posted again holds again the money its discounts are based on.
        self.env["wholesale.prepayment.reservation"]._reattach(posted)
        # A customer whose first invoice makes it eligible (most filters ask for a customer
        # rank, which posting gives) joins before earning, or that invoice would earn nothing.
        # Sale documents only: a payment or a vendor bill reads no loyalty account.
        newcomers = posted.filtered(
            lambda move: move.is_sale_document()
            and not move.commercial_partner_id._wholesale_program_in(move.company_id)
        )._wholesale_customers()
        if newcomers:
            self.env["wholesale.loyalty.tier.engine"]._evaluate_partners(newcomers, "realtime")._record_contacts(
                posted)
        # Points first: they are earned at the tier held before this invoice counts.
        points = self.env["wholesale.loyalty.points"]
        earned = points._earn_for_invoices(posted, trigger="posted", first_posting=first_posting)
        posted._wholesale_sync_points(synced=earned.move_id)
        # A posted credit note of a membership fee ends that membership.
        self.env["wholesale.loyalty.membership"]._sync_invoices(posted)
        # Invoices of zero are paid on posting; Odoo calls the paid hook for those itself.
        posted._wholesale_reevaluate(bases=("invoiced",))
        return posted

    def _invoice_paid_hook(self):
        result = super()._invoice_paid_hook()
        points = self.env["wholesale.loyalty.points"]
        points._earn_for_invoices(self, trigger="paid")
        points._bonuses_for_paid_invoices(self)
        self.env["wholesale.loyalty.membership"]._sync_invoices(self)
        self._wholesale_reevaluate(bases=("paid",))
        return result

    def button_draft(self):
        was_counted = self.filtered(lambda move: move.state == "posted")
        result = super().button_draft()
        was_counted._wholesale_sync_points()
        # A fee invoice no longer posted no longer pays its membership; a credit note no
        # longer posted no longer ends one.
        self.env["wholesale.loyalty.membership"]._sync_invoices(was_counted)
        was_counted._wholesale_reevaluate(bases=("invoiced", "paid"))
        # A cancelled or reversed invoice's money was free meanwhile: its discount may be gone.
        discounts = self.env["wholesale.payment.discount"]
        discounts._release_unbacked_prepayment_discounts(self)
        discounts._flag_unbacked_posted_discounts(was_counted)
        return result

    def button_cancel(self):
        was_posted = self.filtered(lambda move: move.state == "posted")
        result = super().button_cancel()
        self.env["wholesale.payment.discount"]._flag_unbacked_posted_discounts(was_posted)
        # A posted move is reset to draft first (synced there); this covers drafts cancelled.
        self._wholesale_sync_points()
        self.env["wholesale.loyalty.membership"]._sync_invoices(self)
        self._wholesale_reevaluate(bases=("invoiced", "paid"))
        return result

    def _wholesale_sync_points(self, synced=None):
        """Points follow the money of these moves: what their invoices earned, net of posted
        credit notes (linked to them or not), and the points of the orders whose points lines
        they carry. ``synced``: invoices among them whose points and orders' bonuses the
        caller has just brought in line (the invoices that earned on posting)."""
        points = self.env["wholesale.loyalty.points"]
        # Reading the links to invoices and orders only; the points service checks nothing else.
        moves = self.sudo().filtered(lambda move: move.move_type in ("out_invoice", "out_refund"))
        if not moves:
            return
        synced = synced if synced is not None else self.browse()
        invoices = moves.filtered(lambda move: move.move_type == "out_invoice") | moves.reversed_entry_id
        points._sync_invoice_points(invoices - synced, causes=moves)
        points._sync_unlinked_refunds(moves)
        points._sync_advance_order_bonuses(points._orders_of(moves - synced))
        orders = moves.line_ids.sale_line_ids.filtered("wholesale_points_redeemed").order_id
        if orders:
            points._sync_order_redemptions(orders, cause=moves)
            self.env["wholesale.loyalty.liability"]._sync_redemptions(orders, cause=moves)

    # ------------------------------------------------------------------ payment-term discounts

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

    def _check_draftable(self):
        result = super()._check_draftable()
        self.env["wholesale.loyalty.rebate"]._check_credit_notes_draftable(self)
        return result

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
