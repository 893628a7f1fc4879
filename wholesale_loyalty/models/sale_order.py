from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    wholesale_tier_id = fields.Many2one(
        "wholesale.loyalty.tier",
        string="Loyalty Tier",
        compute="_compute_wholesale_tier_id",
        store=True,
        readonly=False,
        ondelete="set null",
        index="btree_not_null",
        help="The customer's tier; frozen when the order is confirmed.",
    )
    wholesale_program_id = fields.Many2one(related="wholesale_tier_id.program_id")
    wholesale_tier_color = fields.Integer(related="wholesale_tier_id.color")
    wholesale_tier_benefits = fields.Html(related="wholesale_tier_id.benefits")
    wholesale_tier_discount = fields.Float(related="wholesale_tier_id.discount_percent")
    wholesale_next_tier_message = fields.Char(
        string="Next Tier", compute="_compute_wholesale_next_tier_message"
    )
    wholesale_points_estimate = fields.Integer(
        string="Points to Earn",
        compute="_compute_wholesale_points_estimate",
        help="Points the customer earns when this order is invoiced, at today's tier.",
    )
    wholesale_points_redeemed = fields.Integer(
        string="Points Redeemed", compute="_compute_wholesale_points_redeemed", store=True
    )
    wholesale_points_balance = fields.Integer(
        related="partner_id.commercial_partner_id.wholesale_points_balance", string="Customer Points"
    )

    @api.depends("partner_id")
    def _compute_wholesale_tier_id(self):
        for order in self:
            if order.state in ("draft", "sent") or not order.wholesale_tier_id:
                order.wholesale_tier_id = order.partner_id.commercial_partner_id.wholesale_tier_id

    @api.depends("partner_id", "state")
    def _compute_wholesale_next_tier_message(self):
        for order in self:
            customer = order.partner_id.commercial_partner_id
            next_tier = customer.wholesale_next_tier_id
            if order.state not in ("draft", "sent") or not next_tier:
                order.wholesale_next_tier_message = False
                continue
            order.wholesale_next_tier_message = self.env._(
                "Spend %(amount)s more to reach %(tier)s",
                amount=customer.wholesale_currency_id.format(customer.wholesale_amount_to_next_tier),
                tier=next_tier.name,
            )

    @api.depends("amount_untaxed", "partner_id", "currency_id")
    def _compute_wholesale_points_estimate(self):
        for order in self:
            customer = order.partner_id.commercial_partner_id
            program = customer.wholesale_program_id
            if not program:
                order.wholesale_points_estimate = 0
                continue
            untaxed = order.currency_id._convert(
                order.amount_untaxed, program.currency_id, order.company_id, order.date_order or fields.Date.today()
            ) if order.currency_id else order.amount_untaxed
            order.wholesale_points_estimate = program._points_for(untaxed, customer.wholesale_tier_id)

    @api.depends("order_line.wholesale_points_redeemed")
    def _compute_wholesale_points_redeemed(self):
        for order in self:
            order.wholesale_points_redeemed = sum(order.order_line.mapped("wholesale_points_redeemed"))

    def action_wholesale_redeem_points(self):
        """Open the wizard that pays part of this quotation with the customer's points."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Redeem Loyalty Points"),
            "res_model": "wholesale.loyalty.redeem.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"active_id": self.id, "active_model": "sale.order", "default_order_id": self.id},
        }

    def _action_confirm(self):
        # The order keeps the tier the customer held when it was confirmed.
        for order in self:
            current = order.partner_id.commercial_partner_id.wholesale_tier_id
            if order.wholesale_tier_id != current:
                order.wholesale_tier_id = current
        result = super()._action_confirm()
        self.env["wholesale.loyalty.points"].redeem_orders(self)
        customers = self.partner_id.commercial_partner_id
        self.env["wholesale.loyalty.tier.engine"].evaluate_partners(customers, "realtime", bases=("confirmed",))
        return result

    def _action_cancel(self):
        was_confirmed = self.filtered(lambda order: order.state == "sale")
        result = super()._action_cancel()
        self.env["wholesale.loyalty.points"].restore_orders(was_confirmed)
        if was_confirmed:
            self.env["wholesale.loyalty.tier.engine"].evaluate_partners(
                was_confirmed.partner_id.commercial_partner_id, "realtime", bases=("confirmed",)
            )
        return result

    def action_wholesale_refresh_tier(self):
        """Take the customer's current tier (and its discount) into a quotation."""
        drafts = self.filtered(lambda order: order.state in ("draft", "sent"))
        for order in drafts:
            order.wholesale_tier_id = order.partner_id.commercial_partner_id.wholesale_tier_id
        drafts.order_line._compute_discount()
        return True
