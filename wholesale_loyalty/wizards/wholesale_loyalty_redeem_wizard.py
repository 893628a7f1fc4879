from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_is_zero, formatLang

from ..tools.access import LOYALTY_USER, check_caller_groups


class WholesaleLoyaltyRedeemWizard(models.TransientModel):
    _name = "wholesale.loyalty.redeem.wizard"
    _description = "Redeem Loyalty Points on a Quotation"

    order_id = fields.Many2one(
        "sale.order", required=True, ondelete="cascade",
        default=lambda self: self.env.context.get("active_id") if self.env.context.get("active_model") == "sale.order"
        else False,
    )
    partner_id = fields.Many2one(related="order_id.partner_id.commercial_partner_id", string="Customer")
    program_id = fields.Many2one("wholesale.loyalty.program", compute="_compute_program_id")
    currency_id = fields.Many2one(related="order_id.currency_id")
    balance = fields.Integer(string="Points Available", compute="_compute_limits")
    max_points = fields.Integer(string="Most Points Usable", compute="_compute_limits")
    max_redeem_percent = fields.Float(related="program_id.max_redeem_percent")
    limit_note = fields.Char(string="Limited By", compute="_compute_limits")
    points = fields.Integer(string="Points to Use")
    amount = fields.Monetary(string="Discount", compute="_compute_amount")
    points_applied = fields.Integer(
        string="Points Already Applied", related="order_id.wholesale_points_redeemed",
        help="Points of the discount the quotation carries now; applying replaces them.",
    )
    replace_note = fields.Char(compute="_compute_replace_note")

    @api.depends("order_id")
    def _compute_program_id(self):
        for wizard in self:
            wizard.program_id = wizard.order_id._wholesale_customer_program().with_env(self.env) \
                if wizard.order_id else False

    @api.depends("order_id", "program_id")
    def _compute_limits(self):
        for wizard in self:
            wizard.balance = wizard.order_id._wholesale_customer().wholesale_points_balance if wizard.order_id else 0
            program = wizard.program_id
            cap = wizard.order_id._wholesale_redeem_cap(program) if program and wizard.order_id else 0
            wizard.max_points = min(cap, max(wizard.balance, 0))
            # The limit shown is the one that binds: the cap of the order, or the balance below it.
            wizard.limit_note = self.env._("the customer's whole balance") if wizard.balance < cap else \
                self.env._("%(percent)s of the untaxed total",
                           percent=self.env["wholesale.loyalty.tier"]._format_percent(program.max_redeem_percent))
            contact_limit = wizard.order_id.partner_id.wholesale_points_limit_per_order
            if contact_limit and contact_limit < wizard.max_points:
                wizard.max_points = contact_limit
                wizard.limit_note = self.env._("the contact's limit per order")

    @api.depends("points", "order_id", "program_id")
    def _compute_amount(self):
        for wizard in self:
            wizard.amount = wizard._value_in_order_currency(wizard.points)

    @api.depends("points_applied")
    def _compute_replace_note(self):
        for wizard in self:
            wizard.replace_note = self.env._(
                "This order already uses %(points)s points; applying replaces them.",
                points=formatLang(self.env, wizard.points_applied, digits=0),
            ) if wizard.points_applied else False

    @api.onchange("order_id")
    def _onchange_order_id(self):
        # Reopened on a quotation with points: start from what it uses, the rep changes it.
        if not self.points:
            self.points = self.points_applied or self.max_points

    def _value_in_order_currency(self, points):
        order, program = self.order_id, self.program_id
        if not order or not program:
            return 0.0
        return order._wholesale_points_value(points, program)

    def _check_request(self):
        order, program = self.order_id, self.program_id
        order._wholesale_check_redeemable()
        if not program:
            # The program is the order company's: points of another company's never pay it.
            raise UserError(self.env._("%(customer)s is not a member of a loyalty program.",
                                       customer=self.partner_id.display_name))
        if not program.redemption_product_id:
            raise UserError(self.env._("Program %(program)s has no redemption product.", program=program.name))
        if self.points <= 0:
            raise UserError(self.env._("Enter a number of points above zero."))
        if self.points > self.balance:
            raise UserError(self.env._("%(customer)s has %(balance)s points; %(points)s cannot be redeemed.",
                                       customer=self.partner_id.display_name, balance=self.balance,
                                       points=self.points))
        cap = order._wholesale_redeem_cap(program)
        if self.points > cap:
            raise UserError(self.env._(
                "At most %(cap)s points (%(percent)s%% of the untaxed total) can pay for this order.",
                cap=cap, percent=program.max_redeem_percent,
            ))
        order._wholesale_check_contact_limit(self.points)

    def action_apply(self):
        """Replace the order's points discount by one for the points chosen."""
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        self._check_request()
        self.order_id._wholesale_replace_points_lines(self._discount_line_values())
        return {"type": "ir.actions.act_window_close"}

    def _points_line_name(self, points):
        # In the customer's language: the line goes on its quotation and invoice.
        env = self.partner_id._wholesale_lang_env()
        return env._("Loyalty points: %(points)s points", points=formatLang(env, points, digits=0))

    def _discount_line_values(self):
        """One line per set of taxes, in proportion to the lines that carry them, as Odoo's
        loyalty discounts do: the tax base shrinks with the discount."""
        order = self.order_id
        product = self.program_id.redemption_product_id
        by_taxes = defaultdict(float)
        paid_lines = order.order_line.filtered(lambda ln: not ln.wholesale_points_redeemed and not ln.display_type)
        for line in paid_lines:
            by_taxes[line.tax_id] += line.price_subtotal
        total = sum(by_taxes.values())
        value = self._value_in_order_currency(self.points)
        if float_is_zero(total, precision_rounding=order.currency_id.rounding):
            raise UserError(self.env._("The quotation has nothing to pay with points."))
        # Each line's amount is its share of the value; the last one takes the remainder so
        # that the lines add up to exactly the points' value.
        values, groups = [], list(by_taxes.items())
        points_left, amount_left = self.points, order.currency_id.round(value)
        for index, (taxes, subtotal) in enumerate(groups):
            last = index == len(groups) - 1
            share_points = points_left if last else round(self.points * subtotal / total)
            share_amount = amount_left if last else order.currency_id.round(value * share_points / self.points)
            points_left -= share_points
            amount_left -= share_amount
            values.append({
                "product_id": product.id,
                "name": self._points_line_name(share_points),
                "product_uom_qty": 1,
                "price_unit": -share_amount,
                "tax_id": [Command.set(taxes.ids)],
                "wholesale_points_redeemed": share_points,
                "sequence": 9999,
            })
        return [vals for vals in values if vals["wholesale_points_redeemed"]]
