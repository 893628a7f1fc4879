from odoo import api, fields, models
from odoo.tools import SQL


class AccountMove(models.Model):
    _inherit = "account.move"

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
        # Nothing of the loyalty (ledger entries, memberships, credit notes) can point to a
        # move posted for the first time: what these read of it is skipped.
        first_posting = self.filtered(lambda move: not move.posted_before)
        posted = super()._post(soft=soft)
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
        return result

    def button_cancel(self):
        result = super().button_cancel()
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

    def _check_draftable(self):
        result = super()._check_draftable()
        self.env["wholesale.loyalty.rebate"]._check_credit_notes_draftable(self)
        return result
