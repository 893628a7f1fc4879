from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date


class ProductTemplate(models.Model):
    _inherit = "product.template"

    wholesale_exclusive_tier_id = fields.Many2one(
        "wholesale.loyalty.tier",
        string="Reserved to Tier",
        ondelete="set null",
        index="btree_not_null",
        # No company check: a product shared by all companies may be reserved in one company's
        # program; orders of other companies are not bound by it (see _wholesale_refusal).
        help="Only customers holding this loyalty tier or a higher one of its program may buy this "
        "product on orders of the tier's company; a loyalty administrator can let another "
        "customer's order through, with a reason.",
    )
    wholesale_exclusive_until = fields.Date(
        string="Reserved Until",
        help="Early access: after this day every customer may buy the product. Empty: always reserved.",
    )

    @api.constrains("wholesale_exclusive_until", "wholesale_exclusive_tier_id")
    def _check_wholesale_exclusive_until(self):
        for product in self:
            if product.wholesale_exclusive_until and not product.wholesale_exclusive_tier_id:
                raise ValidationError(self.env._(
                    "Product %(product)s has an early access date but no tier to reserve it to: choose the "
                    "tier, or clear the date.",
                    product=product.display_name,
                ))

    def _wholesale_reserved_tier(self, today):
        """The tier this product is reserved to on ``today``, if any (its early access ended
        after the reserved-until day)."""
        self.ensure_one()
        until = self.wholesale_exclusive_until
        if until and today > until:
            return self.env["wholesale.loyalty.tier"]
        return self.wholesale_exclusive_tier_id

    def _wholesale_refusal(self, customer_tier, customer, company):
        """Why ``customer``, holding ``customer_tier``, may not buy this product now on an
        order of ``company`` (a sentence naming product, tier and customer), or False."""
        self.ensure_one()
        # sudo: only the reserved tier's program, threshold and name are read, to compare the
        # customer's tier with it; a sales rep must be told why the sale waits.
        product = self.sudo()
        reserved = product.wholesale_exclusive_tier_id
        if not reserved or reserved.company_id != company:
            return False
        reserved = product._wholesale_reserved_tier(reserved.program_id._today())
        if not reserved:
            return False
        customer_tier = customer_tier.sudo()
        if customer_tier.program_id == reserved.program_id and reserved.currency_id.compare_amounts(
            customer_tier.threshold_amount, reserved.threshold_amount
        ) >= 0:
            return False
        names = {
            "product": self.display_name, "tier": reserved.name, "customer": customer.display_name,
            "current": customer_tier.name or self.env._("no tier"),
        }
        if product.wholesale_exclusive_until:
            return self.env._(
                "%(product)s is reserved to customers of tier %(tier)s or higher until %(date)s; %(customer)s "
                "holds %(current)s.",
                date=format_date(self.env, product.wholesale_exclusive_until), **names,
            )
        return self.env._(
            "%(product)s is reserved to customers of tier %(tier)s or higher; %(customer)s holds %(current)s.",
            **names,
        )

