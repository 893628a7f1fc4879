from odoo import api, fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    wholesale_points_redeemed = fields.Integer(
        string="Points Used", readonly=True, copy=False,
        help="Points this discount line is paid with; taken from the customer when the order is confirmed.",
    )

    @api.depends("order_id.wholesale_tier_id")
    def _compute_discount(self):
        result = super()._compute_discount()
        for line in self:
            tier = line.order_id.wholesale_tier_id
            if not tier or not tier.program_id.apply_tier_discount or not line._wholesale_discountable():
                continue
            # The better of the pricelist discount and the tier discount, never both stacked.
            line.discount = max(line.discount, tier.discount_percent)
        return result

    def _wholesale_discountable(self):
        """Product lines take the tier discount; notes, down payments and delivery do not."""
        return (
            bool(self.product_id)
            and not self.display_type
            and not self.is_downpayment
            and not self.wholesale_points_redeemed
            and not getattr(self, "is_delivery", False)
        )
