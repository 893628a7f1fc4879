from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero, format_amount

# True only while the redemption code itself writes points lines (see
# ``_wholesale_points_lines_writer``). A context key could be sent by any RPC client; this
# variable belongs to the running thread and no request can set it.
_POINTS_LINES_WRITER = ContextVar("wholesale_points_lines_writer", default=False)

# What makes the amount of a points line: only the redemption may change it.
POINTS_LINE_LOCKED_FIELDS = frozenset({
    "order_id", "product_id", "product_uom", "product_uom_qty", "price_unit", "discount", "tax_id",
    "wholesale_points_redeemed",
})


# What the untaxed amount a tier's free shipping starts from depends on.
FREE_SHIPPING_AMOUNT_FIELDS = frozenset({"product_id", "product_uom_qty", "product_uom", "price_unit", "discount"})


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    wholesale_points_redeemed = fields.Integer(
        string="Points Used", readonly=True, copy=False,
        help="Points this discount line is paid with; taken from the customer when the order is confirmed.",
    )
    wholesale_free_shipping_reason = fields.Char(
        string="Free Shipping Reason", readonly=True, copy=False,
        help="Set while the loyalty tier makes this delivery line free; added to its description.",
    )
    wholesale_carrier_price = fields.Float(
        string="Carrier Price", digits="Product Price", readonly=True, copy=False,
        help="The carrier's price of this delivery line, given back when the tier no longer ships it free.",
    )
    wholesale_priced_discount = fields.Float(
        string="Priced Discount", digits="Discount", copy=False,
        help="Discount the line got when it was last priced with the loyalty tier; a different "
        "discount was negotiated by hand and later recomputations keep it.",
    )

    # ------------------------------------------------------------------ computes

    @api.depends("wholesale_points_redeemed")
    def _compute_product_updatable(self):
        result = super()._compute_product_updatable()
        self.filtered("wholesale_points_redeemed").product_updatable = False
        return result

    def _compute_tax_id(self):
        # A points line keeps the taxes of the goods it pays (set by the redemption), mapped
        # by the fiscal position like Odoo's loyalty discount lines.
        points_lines = self.filtered("wholesale_points_redeemed")
        result = super(SaleOrderLine, self - points_lines)._compute_tax_id()
        for line in points_lines:
            line = line.with_company(line.company_id)
            order = line.order_id
            fiscal_position = order.fiscal_position_id or order.fiscal_position_id._get_fiscal_position(
                line.order_partner_id
            )
            line.tax_id = fiscal_position.map_tax(line.tax_id)
        return result

    def _compute_price_unit(self):
        # The price of a points line is points x point value, never a product price.
        return super(SaleOrderLine, self - self.filtered("wholesale_points_redeemed"))._compute_price_unit()

    def _compute_discount(self):
        """The tier discount, or the customer's personal offer on the product, is set when a
        line is priced. Pricing again keeps a discount that was negotiated by hand, and lines
        of a confirmed order keep the discount the customer accepted; only an explicit
        repricing (update prices, refresh tier) replaces them."""
        reprice = self.env.context.get("wholesale_reprice")
        points_lines = self.filtered("wholesale_points_redeemed")
        others = self - points_lines
        offers = others._wholesale_offer_discounts()
        kept = {} if reprice else {
            line: line.discount for line in others
            if line._wholesale_tier_managed(offers.get(line))
            and (line._wholesale_manual_discount() or line._wholesale_accepted())
        }
        for line in others:
            if line._wholesale_tier_managed(offers.get(line)) and line not in kept:
                # The base super() starts from when the pricelist gives no discount.
                line.discount = 0.0
        result = super(SaleOrderLine, others)._compute_discount()
        points_lines.discount = 0.0
        for line in others:
            if line in kept:
                line.discount = kept[line]
                continue
            tier = line._wholesale_pricing_tier()
            offer = offers.get(line, 0.0)
            if tier or offer:
                # The best of the pricelist discount, the tier discount and the personal offer,
                # never two of them stacked.
                line.discount = max(line.discount, tier.discount_percent if tier else 0.0, offer)
            line.wholesale_priced_discount = line.discount if tier or offer else 0.0
        return result

    @api.depends("invoice_lines.price_subtotal")
    def _compute_qty_invoiced(self):
        result = super()._compute_qty_invoiced()
        for line in self.filtered("wholesale_points_redeemed"):
            line.qty_invoiced = line._wholesale_invoiced_fraction(line._wholesale_amount_invoiced())
        return result

    @api.depends("invoice_lines.price_subtotal")
    def _compute_qty_invoiced_posted(self):
        result = super()._compute_qty_invoiced_posted()
        for line in self.filtered("wholesale_points_redeemed"):
            line.qty_invoiced_posted = line._wholesale_invoiced_fraction(
                line._wholesale_amount_invoiced(posted_only=True)
            )
        return result

    @api.depends(
        "invoice_lines.price_subtotal", "order_id.order_line.qty_delivered", "order_id.order_line.qty_invoiced",
        "order_id.order_line.product_uom_qty", "order_id.order_line.price_subtotal",
    )
    def _compute_qty_to_invoice(self):
        result = super()._compute_qty_to_invoice()
        for line in self.filtered(lambda line: line.wholesale_points_redeemed and line.state == "sale"):
            line.qty_to_invoice = line._wholesale_invoiced_fraction(line._wholesale_amount_to_invoice())
        return result

    # ------------------------------------------------------------------ onchange, constraints and CRUD

    @api.onchange("product_id")
    def _onchange_product_id_wholesale_exclusive(self):
        # The sales rep hears it when adding the product, not only when confirming.
        message = self._wholesale_exclusive_message()
        if message:
            return {"warning": {"title": self.env._("Product reserved to a loyalty tier"), "message": message}}
        return None

    @api.constrains("product_uom_qty", "price_unit", "discount", "tax_id", "product_id")
    def _check_wholesale_points_cover(self):
        self.order_id._wholesale_check_points()

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("wholesale_points_redeemed") for vals in vals_list) and not _POINTS_LINES_WRITER.get():
            raise UserError(self.env._("Points can only be redeemed with the Redeem Points button of the quotation."))
        lines = super().create(vals_list)
        lines.filtered(lambda line: not line.is_delivery).order_id._wholesale_update_free_shipping()
        return lines

    def write(self, vals):
        self._wholesale_check_points_line_write(vals)
        result = super().write(vals)
        if FREE_SHIPPING_AMOUNT_FIELDS.intersection(vals):
            # Delivery lines are what the update writes: they never start it again.
            self.filtered(lambda line: not line.is_delivery).order_id._wholesale_update_free_shipping()
        return result

    def unlink(self):
        orders = self.order_id
        result = super().unlink()
        # Removing goods must not leave points paying more than the cap allows.
        orders.exists()._wholesale_check_points()
        orders.exists()._wholesale_update_free_shipping()
        return result

    def _add_precomputed_values(self, vals_list):  # pylint: disable=missing-return
        super()._add_precomputed_values(vals_list)
        # A discount given at creation is the line's priced discount, as Odoo does for prices.
        for vals in vals_list:
            if "discount" in vals and "wholesale_priced_discount" not in vals:
                vals["wholesale_priced_discount"] = vals["discount"]

    # ------------------------------------------------------------------ points lines

    @contextmanager
    def _wholesale_points_lines_writer(self):
        """Allow the redemption code running inside this block to write points lines."""
        token = _POINTS_LINES_WRITER.set(True)
        try:
            yield
        finally:
            _POINTS_LINES_WRITER.reset(token)

    def _wholesale_check_points_line_write(self, vals):
        if _POINTS_LINES_WRITER.get():
            return
        locked = POINTS_LINE_LOCKED_FIELDS.intersection(vals)
        if not locked:
            return
        if vals.get("wholesale_points_redeemed"):
            raise UserError(self.env._("Points can only be redeemed with the Redeem Points button of the quotation."))
        for line in self.filtered("wholesale_points_redeemed"):
            if any(line._wholesale_changes(fname, vals[fname]) for fname in locked):
                raise UserError(self.env._(
                    "The loyalty points line of %(order)s cannot be edited: its amount is the value of "
                    "the points. Use Redeem Points to change the points, or delete the line.",
                    order=line.order_id.display_name,
                ))

    def _wholesale_changes(self, fname, value):
        """Whether writing ``value`` changes field ``fname`` of this line."""
        field = self._fields[fname]
        if field.type in ("one2many", "many2many"):
            return True
        new = field.convert_to_record(field.convert_to_cache(value, self), self)
        if field.type == "float":
            return float_compare(new, self[fname], precision_digits=6) != 0
        return new != self[fname]

    # ------------------------------------------------------------------ tier discount

    def _wholesale_is_goods(self):
        """Whether this line sells goods: a product, not a section or note, a down payment
        (money in advance), a payment with points or the delivery. The one rule of an order's
        goods: they take the tier discount, points pay for them and count them toward their
        cap, and free shipping counts them toward its minimum."""
        return (
            bool(self.product_id)
            and not self.display_type
            and not self.is_downpayment
            and not self.wholesale_points_redeemed
            and not self.is_delivery
        )

    def _wholesale_pricing_tier(self):
        """The tier whose discount prices this line, if its program gives tier discounts."""
        tier = self.order_id.wholesale_tier_id
        if tier and tier.program_id.apply_tier_discount and self._wholesale_is_goods():
            return tier
        return self.env["wholesale.loyalty.tier"]

    def _wholesale_tier_managed(self, offer=None):
        """Lines whose discount comes (or came) from a tier or a personal offer (``offer``: its
        discount, see :meth:`_wholesale_offer_discounts`); others follow Odoo's rules alone."""
        return self._wholesale_is_goods() and bool(
            self._wholesale_pricing_tier() or self.wholesale_priced_discount or offer
        )

    def _wholesale_offer_discounts(self):
        """{line: discount} of the lines whose customer has a running personal offer on their
        product in the program of the order's company: one grouped read per program."""
        by_program = defaultdict(lambda: self.browse())
        for line in self:
            if line.order_id and line._wholesale_is_goods():
                by_program[line.order_id._wholesale_customer_program()] |= line
        discounts = {}
        for program, lines in by_program.items():
            if not program.personal_offer_months:
                continue
            # sudo: whoever prices a quotation (a sales rep, a portal customer signing it) gets
            # the order's customer's offers on the order's products, nothing else.
            found = self.env["wholesale.loyalty.personal.offer"].sudo()._discounts(
                program, set(lines.order_id.partner_id.commercial_partner_id.ids), set(lines.product_id.ids),
                program._today(),
            )
            for line in lines:
                discount = found.get((line.order_id.partner_id.commercial_partner_id.id, line.product_id.id))
                if discount:
                    discounts[line] = discount
        return discounts

    def _wholesale_discount_sources(self, tier_percent):
        """[(source, percent)] of the discounts these lines carry, in order of appearance:
        ``offer`` (a personal offer), ``tier`` (``tier_percent``), ``pricelist`` (a pricelist
        rule shown as a discount) or ``manual``. A discount two sources give the same is the
        tier's or the offer's: the line would carry it anyway."""
        offers = self._wholesale_offer_discounts()
        sources = []
        for line in self.filtered(lambda line: not float_is_zero(line.discount, precision_digits=2)):
            offer = offers.get(line, 0.0)
            if offer and not float_compare(line.discount, offer, precision_digits=2):
                source = "offer"
            elif tier_percent and not float_compare(line.discount, tier_percent, precision_digits=2):
                source = "tier"
            elif not float_compare(line.discount, line._wholesale_pricelist_discount(), precision_digits=2):
                source = "pricelist"
            else:
                source = "manual"
            if (source, line.discount) not in sources:
                sources.append((source, line.discount))
        return sources

    def _wholesale_pricelist_discount(self):
        """The discount the order's pricelist shows on this line, as Odoo computes it (0 when
        its rule sets the price instead)."""
        self.ensure_one()
        if not self.pricelist_item_id._show_discount():
            return 0.0
        line = self.with_company(self.company_id)
        base_price = line._get_pricelist_price_before_discount()
        if not base_price:
            return 0.0
        return max((base_price - line._get_pricelist_price()) / base_price * 100, 0.0)

    def _wholesale_manual_discount(self):
        # New lines are being priced; saved ones with another discount than priced were negotiated.
        return bool(self._origin) and float_compare(
            self.discount, self.wholesale_priced_discount, precision_digits=6
        ) != 0

    def _wholesale_accepted(self):
        # Once confirmed, the prices are the ones the customer accepted.
        return bool(self._origin) and self.order_id.state not in ("draft", "sent")

    # ------------------------------------------------------------------ tier benefits

    def _wholesale_exclusive_message(self):
        """Why this line's product may not be sold to the order's customer, or False."""
        self.ensure_one()
        order = self.order_id
        if not self.product_id or order.state not in ("draft", "sent"):
            return False
        customer = order.partner_id.commercial_partner_id
        return self.product_id.product_tmpl_id._wholesale_refusal(
            order._wholesale_customer_tier(), customer, order.company_id
        )

    def _wholesale_set_free_shipping(self, reason):
        """Make this delivery line free for ``reason`` (a text added to its description), or
        give it back the carrier's price when ``reason`` is False."""
        self.ensure_one()
        previous = self.wholesale_free_shipping_reason or False
        if previous == (reason or False):
            return
        name = self.name or ""
        if previous:
            suffix = f"\n{previous}"
            name = name[: -len(suffix)] if name.endswith(suffix) else name
        carrier_price = self.wholesale_carrier_price if previous else self.price_unit
        values = {"wholesale_free_shipping_reason": reason or False, "wholesale_carrier_price": carrier_price}
        if reason:
            values.update(price_unit=0.0, name=f"{name}\n{reason}")
        else:
            values.update(price_unit=carrier_price, name=name)
        self.write(values)

    # ------------------------------------------------------------------ invoicing a points line

    def _can_be_invoiced_alone(self):
        return super()._can_be_invoiced_alone() and not self.wholesale_points_redeemed

    def _wholesale_paid_goods(self):
        """The goods a points line pays: those with its taxes (all goods when none has them)."""
        self.ensure_one()
        self.order_id.order_line.mapped("tax_id")  # the taxes of every line in one read, this one's included
        goods = self.order_id._wholesale_goods_lines()
        return goods.filtered(lambda line: line.tax_id == self.tax_id) or goods

    def _wholesale_goods_share(self):
        """Share (0 to 1) of the value of the goods this line pays that is invoiced once what
        can be invoiced now (ordered or delivered, by invoicing policy) is."""
        goods = self._wholesale_paid_goods()
        total = sum(goods.mapped("price_subtotal"))
        if self.currency_id.is_zero(total):
            return 1.0
        done = 0.0
        for line in goods.filtered("product_uom_qty"):
            due = line.product_uom_qty if line.product_id.invoice_policy == "order" else line.qty_delivered
            quantity = min(max(line.qty_invoiced, due, 0.0), line.product_uom_qty)
            done += line.price_subtotal * quantity / line.product_uom_qty
        return min(max(done / total, 0.0), 1.0)

    def _wholesale_amount_invoiced(self, posted_only=False):
        """Signed part of this line's amount on invoices less credit notes, in order currency."""
        # Every line's invoice lines in one read: Odoo's own computes read the others' next.
        self.order_id.order_line.mapped("invoice_lines")
        amount = 0.0
        for invoice_line in self._get_invoice_lines():
            move = invoice_line.move_id
            if move.state == "cancel" or (posted_only and move.state != "posted"):
                continue
            sign = {"out_invoice": 1, "out_refund": -1}.get(move.move_type, 0)
            amount += sign * invoice_line.currency_id._convert(
                invoice_line.price_subtotal, self.currency_id, self.company_id,
                move.invoice_date or fields.Date.context_today(self),
            )
        return amount

    def _wholesale_amount_to_invoice(self):
        """Part of this points discount (negative) the next invoice carries: the discount in
        proportion to the goods invoiced by then, less what earlier invoices carried. When all
        goods are invoiced the share is 1, so the last invoice takes the exact remainder."""
        self.ensure_one()
        target = self.currency_id.round(self.price_subtotal * self._wholesale_goods_share())
        return self.currency_id.round(target - self._wholesale_amount_invoiced())

    def _wholesale_invoiced_fraction(self, amount):
        """``amount`` of this line as a quantity of it (the line has quantity 1)."""
        if self.currency_id.is_zero(self.price_subtotal):
            return 0.0
        return self.product_uom_qty * amount / self.price_subtotal

    def _prepare_invoice_line(self, **optional_values):
        values = super()._prepare_invoice_line(**optional_values)
        if self.wholesale_points_redeemed and not self.display_type:
            # In the customer's language, as the line's own name: it is on the customer's invoice.
            env = self.order_id.partner_id._wholesale_lang_env()
            values["name"] = self.env["account.move.line"]._get_journal_items_full_name(
                self.name, self.product_id.with_env(env).display_name
            )
            amount = self._wholesale_amount_to_invoice()
            values.update(quantity=1.0, discount=0.0, price_unit=amount)
            if not self.currency_id.is_zero(amount - self.price_subtotal):
                values["name"] = env._(
                    "%(name)s (%(amount)s of %(total)s)", name=values["name"],
                    amount=format_amount(env, -amount, self.currency_id),
                    total=format_amount(env, -self.price_subtotal, self.currency_id),
                )
        return values

    def _wholesale_due_on_invoice(self):
        """Points lines with a part to carry on the next invoice."""
        return self.filtered(
            lambda line: line.wholesale_points_redeemed
            and not float_is_zero(line._wholesale_amount_to_invoice(), precision_rounding=line.currency_id.rounding)
        )
