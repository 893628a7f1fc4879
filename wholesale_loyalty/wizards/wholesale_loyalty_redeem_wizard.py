from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_is_zero

from ..tools.points_rules import redeem_cap


class WholesaleLoyaltyRedeemWizard(models.TransientModel):
    _name = "wholesale.loyalty.redeem.wizard"
    _description = "Redeem Loyalty Points on a Quotation"

    order_id = fields.Many2one(
        "sale.order", required=True, ondelete="cascade",
        default=lambda self: self.env.context.get("active_id") if self.env.context.get("active_model") == "sale.order"
        else False,
    )
    partner_id = fields.Many2one(related="order_id.partner_id.commercial_partner_id")
    program_id = fields.Many2one(related="partner_id.wholesale_program_id")
    currency_id = fields.Many2one(related="order_id.currency_id")
    balance = fields.Integer(string="Points Available", compute="_compute_limits")
    max_points = fields.Integer(string="Most Points Usable", compute="_compute_limits")
    max_redeem_percent = fields.Float(related="program_id.max_redeem_percent")
    points = fields.Integer(string="Points to Use")
    amount = fields.Monetary(string="Discount", compute="_compute_amount")

    @api.depends("order_id", "program_id")
    def _compute_limits(self):
        for wizard in self:
            wizard.balance = wizard.partner_id.wholesale_points_balance
            program = wizard.program_id
            base = wizard._base_untaxed()
            wizard.max_points = min(
                redeem_cap(base, program.max_redeem_percent, program.point_value) if program else 0,
                max(wizard.balance, 0),
            )

    @api.depends("points", "order_id", "program_id")
    def _compute_amount(self):
        for wizard in self:
            wizard.amount = wizard._value_in_order_currency(wizard.points)

    @api.onchange("order_id")
    def _onchange_order_id(self):
        if not self.points:
            self.points = self.max_points

    def _base_untaxed(self):
        """Untaxed total of the order without its points discount, in company currency."""
        self.ensure_one()
        lines = self.order_id.order_line.filtered(lambda line: not line.wholesale_points_redeemed)
        untaxed = sum(lines.mapped("price_subtotal"))
        order = self.order_id
        return order.currency_id._convert(untaxed, order.company_id.currency_id, order.company_id,
                                          order.date_order or fields.Date.today()) if order else 0.0

    def _value_in_order_currency(self, points):
        order, program = self.order_id, self.program_id
        if not order or not program:
            return 0.0
        value = points * program.point_value
        return program.currency_id._convert(value, order.currency_id, order.company_id,
                                            order.date_order or fields.Date.today())

    def _check_request(self):
        order, program = self.order_id, self.program_id
        if order.state not in ("draft", "sent"):
            raise UserError(self.env._("Points can only be redeemed on a quotation, not on a confirmed "
                                       "or cancelled order."))
        if not program:
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
        cap = redeem_cap(self._base_untaxed(), program.max_redeem_percent, program.point_value)
        if self.points > cap:
            raise UserError(self.env._(
                "At most %(cap)s points (%(percent)s%% of the untaxed total) can pay for this order.",
                cap=cap, percent=program.max_redeem_percent,
            ))

    def action_apply(self):
        """Replace the order's points discount by one for the points chosen."""
        self.ensure_one()
        self._check_request()
        order = self.order_id
        order.order_line.filtered("wholesale_points_redeemed").unlink()
        order.write({"order_line": [Command.create(vals) for vals in self._discount_line_values()]})
        return {"type": "ir.actions.act_window_close"}

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
        values, points_left, groups = [], self.points, list(by_taxes.items())
        for index, (taxes, subtotal) in enumerate(groups):
            last = index == len(groups) - 1
            share_points = points_left if last else round(self.points * subtotal / total)
            points_left -= share_points
            values.append({
                "product_id": product.id,
                "name": self.env._("Loyalty points: %(points)s points", points=share_points),
                "product_uom_qty": 1,
                "price_unit": -order.currency_id.round(value * share_points / self.points),
                "tax_id": [Command.set(taxes.ids)],
                "wholesale_points_redeemed": share_points,
                "sequence": 9999,
            })
        return [vals for vals in values if vals["wholesale_points_redeemed"]]
