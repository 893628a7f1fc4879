from odoo import api, fields, models
from odoo.tools import format_date

from ...tools.percentages import format_percent


class AccountPaymentRegister(models.TransientModel):
    """Proposes the cash discount of a wholesale schedule for the payment date, and lets Odoo's
    early payment discount book it (see ``wholesale.payment.discount``)."""

    _inherit = "account.payment.register"

    wholesale_apply_discount = fields.Boolean(
        string="Apply Cash Discount",
        default=True,
        help="Untick to register this payment without the cash discount of the payment terms.",
    )
    wholesale_discount_available = fields.Boolean(compute="_compute_wholesale_discount")
    wholesale_discount_amount = fields.Monetary(
        string="Cash Discount", currency_field="currency_id", compute="_compute_wholesale_discount"
    )
    wholesale_discount_note = fields.Text(string="Why", compute="_compute_wholesale_discount")

    @api.depends("line_ids", "payment_date", "currency_id", "amount", "wholesale_apply_discount")
    def _compute_wholesale_discount(self):
        discounts = self.env["wholesale.payment.discount"]
        for wizard in self:
            notes, total = [], 0.0
            partial = wizard._wholesale_partial_move()
            moves = wizard.line_ids.move_id.filtered(
                lambda move, wizard=wizard: discounts._schedule_applies(move)
                and move.currency_id == wizard.currency_id
            ) if wizard.payment_date else []
            for move in moves:
                paid = wizard.amount if move == partial else None
                choice, settlement = discounts._cash_discount(move, wizard.payment_date, paid=paid)
                if choice.percent > 0 and settlement.discount > 0:
                    notes.append(wizard._wholesale_explain(move, choice, settlement, partial=bool(paid)))
                    total += settlement.discount
            # Odoo books the discount when the amount is the discounted one (or, for several
            # payments at once, always); a smaller amount gets it pro rata.
            applied = wizard.wholesale_apply_discount and (
                not wizard.can_edit_wizard or wizard.early_payment_discount_mode or bool(partial)
            )
            if notes and wizard.wholesale_apply_discount and not applied:
                notes.append(self.env._(
                    "The amount entered takes no cash discount: pay the discounted amount, or less, to get it."
                ))
            wizard.wholesale_discount_available = bool(notes)
            wizard.wholesale_discount_note = "\n".join(notes) or False
            wizard.wholesale_discount_amount = total if applied else 0.0

    # Switching the discount off or on proposes the amount again.
    @api.depends("wholesale_apply_discount")
    def _compute_amount(self):
        return super()._compute_amount()

    @api.depends("wholesale_apply_discount")
    def _compute_early_payment_discount_mode(self):
        return super()._compute_early_payment_discount_mode()

    @api.depends("wholesale_apply_discount")
    def _compute_payment_difference(self):
        return super()._compute_payment_difference()

    def _get_total_amounts_to_pay(self, batch_results):
        return super(AccountPaymentRegister, self._wholesale_env())._get_total_amounts_to_pay(batch_results)

    def _create_payment_vals_from_wizard(self, batch_result):
        wizard = self._wholesale_env()
        batch_result = {**batch_result, "lines": batch_result["lines"].with_env(wizard.env)}
        vals = super(AccountPaymentRegister, wizard)._create_payment_vals_from_wizard(batch_result)
        move = self._wholesale_partial_move()
        if move:
            vals["write_off_line_vals"] += self._wholesale_partial_discount_lines(move)
        return vals

    def _create_payment_vals_from_batch(self, batch_result):
        wizard = self._wholesale_env()
        batch_result = {**batch_result, "lines": batch_result["lines"].with_env(wizard.env)}
        return super(AccountPaymentRegister, wizard)._create_payment_vals_from_batch(batch_result)

    def _wholesale_env(self):
        """The wizard in the context Odoo's early payment discount code needs to book ours: the
        payment date, and whether the accountant switched the discount off."""
        self.ensure_one()
        return self.with_context(
            wholesale_payment_date=self.payment_date,
            wholesale_discount_off=not self.wholesale_apply_discount,
        )

    def _wholesale_partial_move(self):
        """The invoice a partial payment settles pro rata with its discount, if any.

        Odoo's early payment discount only books a payment of the full discounted amount; a
        smaller payment that leaves the rest open gets the discount on the part it settles.
        """
        self.ensure_one()
        moves = self.line_ids.move_id
        discounts = self.env["wholesale.payment.discount"]
        if (
            not self.can_edit_wizard
            or not self.wholesale_apply_discount
            or not self.payment_date
            or len(moves) != 1
            or not discounts._schedule_applies(moves)
            or moves.currency_id != self.currency_id
            or self.early_payment_discount_mode
            or self.payment_difference_handling == "reconcile"
        ):
            return None
        _choice, settlement = discounts._cash_discount(moves, self.payment_date, paid=self.amount)
        residual = abs(sum(discounts._open_term_lines(moves).mapped("amount_residual_currency")))
        if settlement.discount <= 0 or self.currency_id.compare_amounts(settlement.settled, residual) >= 0:
            return None
        return moves

    def _wholesale_partial_discount_lines(self, move):
        """Odoo's discount journal items for the part of ``move`` this payment settles."""
        discounts = self.env["wholesale.payment.discount"]
        _choice, settlement = discounts._cash_discount(move, self.payment_date, paid=self.amount)
        term_line = discounts._open_term_lines(move)[:1]
        sign = 1 if term_line.amount_residual_currency > 0 else -1
        env = self.with_context(
            wholesale_payment_date=self.payment_date, wholesale_settlements={term_line.id: settlement}
        ).env
        values = env["account.move"]._get_invoice_counterpart_amls_for_early_payment_discount(
            [{
                "aml": term_line.with_env(env),
                "amount_currency": -sign * settlement.settled,
                "balance": -sign * discounts._in_company_currency(term_line, settlement.settled),
            }],
            sign * discounts._in_company_currency(term_line, settlement.discount),
        )
        return [line_vals for lines_vals in values.values() for line_vals in lines_vals]

    def _wholesale_explain(self, move, choice, settlement, partial=False):
        """Why this payment gets this discount, in words an accountant checks at a glance."""
        currency = move.currency_id
        term = move.invoice_payment_term_id
        if choice.daily:
            reason = self.env._(
                "daily premium %(daily)s%% x %(days)s, capped at %(cap)s%%",
                daily=format_percent(term.wholesale_daily_discount_percent),
                days=term._wholesale_days_label(choice.days_early),
                cap=format_percent(term.wholesale_daily_discount_max),
            )
        else:
            reason = self.env._("rule for %(days)s early", days=term._wholesale_days_label(choice.rule.days))
        values = {
            "invoice": move.name or move.display_name,
            "days": term._wholesale_days_label(choice.days_early),
            "due": format_date(self.env, move.invoice_date_due),
            "percent": format_percent(choice.percent),
            "reason": reason,
            "discount": currency.format(settlement.discount),
            "settled": currency.format(settlement.settled),
        }
        if partial:
            return self.env._(
                "%(invoice)s: paid %(days)s before the due date %(due)s, %(percent)s%% off "
                "(%(reason)s) on the %(settled)s this payment settles: %(discount)s.",
                **values,
            )
        return self.env._(
            "%(invoice)s: paid %(days)s before the due date %(due)s, %(percent)s%% off "
            "(%(reason)s): %(discount)s.",
            **values,
        )
