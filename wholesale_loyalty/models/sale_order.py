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

    def _action_confirm(self):
        # The order keeps the tier the customer held when it was confirmed.
        for order in self:
            current = order.partner_id.commercial_partner_id.wholesale_tier_id
            if order.wholesale_tier_id != current:
                order.wholesale_tier_id = current
        result = super()._action_confirm()
        customers = self.partner_id.commercial_partner_id
        self.env["wholesale.loyalty.tier.engine"].evaluate_partners(customers, "realtime", bases=("confirmed",))
        return result

    def _action_cancel(self):
        was_confirmed = self.filtered(lambda order: order.state == "sale")
        result = super()._action_cancel()
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
