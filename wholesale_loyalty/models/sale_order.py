from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date, formatLang

from ..tools.access import LOYALTY_USER, check_caller_groups
from ..tools.percentages import percent_digits
from ..tools.points_rules import redeem_cap

# What decides whether a quotation's tier ships it free, besides its lines.
FREE_SHIPPING_ORDER_FIELDS = frozenset({"wholesale_tier_id", "partner_id", "pricelist_id", "currency_id"})
# Up to this many products with a personal offer are named in the banner, more are counted.
NAMED_OFFER_PRODUCTS = 3


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
    wholesale_discount_message = fields.Char(
        string="Line Discounts", compute="_compute_wholesale_discount_message",
        help="The discount the lines carry and where it comes from: the tier, the pricelist, a "
        "personal offer or a hand-set discount (a line gets the best of them, never two).",
    )
    wholesale_next_tier_message = fields.Char(
        string="Next Tier", compute="_compute_wholesale_next_tier_message"
    )
    wholesale_keep_tier_message = fields.Char(
        string="Tier at Risk", compute="_compute_wholesale_keep_tier_message"
    )
    wholesale_offer_message = fields.Char(
        string="Personal Offers", compute="_compute_wholesale_offer_message",
        help="The customer's personal offers on the products it buys regularly.",
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
        string="Customer Points", compute="_compute_wholesale_points_balance",
        help="Points of the customer in the program of this order's company.",
    )
    wholesale_has_goods = fields.Boolean(
        string="Has Goods", compute="_compute_wholesale_has_goods",
        help="The quotation has lines that points may pay for.",
    )
    wholesale_tier_pricelist_id = fields.Many2one(
        related="wholesale_tier_id.pricelist_id", string="Tier Pricelist",
    )
    wholesale_commitment_date_confirmed = fields.Datetime(
        string="Delivery Date at Confirmation", readonly=True, copy=False,
        help="The delivery date the customer asked for when the order was confirmed: a bonus for "
             "ordering ahead counts from it, or from a closer date asked later.",
    )
    wholesale_advance_order_message = fields.Char(compute="_compute_wholesale_advance_order_message")
    wholesale_exclusive_warning = fields.Text(
        string="Reserved Products", compute="_compute_wholesale_exclusive_warning",
        help="Products of this quotation reserved to a higher loyalty tier than the customer's.",
    )
    wholesale_exclusive_override_reason = fields.Text(
        string="Reserved Products Allowed Because", copy=False, tracking=True,
        help="Set by a loyalty administrator to confirm this order despite its reserved products.",
    )
    wholesale_exclusive_can_override = fields.Boolean(
        compute="_compute_wholesale_exclusive_can_override",
        help="The current user is a loyalty administrator, who may allow reserved products.",
    )
    wholesale_exclusive_override_user_id = fields.Many2one(
        "res.users", string="Reserved Products Allowed By", ondelete="set null", readonly=True, copy=False,
        tracking=True,
    )
    # An allowance covers the reserved products it was given for: one added later needs its own.
    wholesale_exclusive_override_product_ids = fields.Many2many(
        "product.product", relation="sale_order_wholesale_allowed_product_rel", string="Reserved Products Allowed",
        readonly=True, copy=False,
    )

    @api.depends("partner_id", "company_id", "partner_id.commercial_partner_id.wholesale_points_balance")
    def _compute_wholesale_points_balance(self):
        for order in self:
            # sudo: the balance of the order company's program only
            customer = order._wholesale_customer()
            shown = order._wholesale_customer_program()
            order.wholesale_points_balance = customer.wholesale_points_balance if shown else 0

    @api.depends("partner_id", "user_id")
    def _compute_team_id(self):
        result = super()._compute_team_id()
        # The team a loyalty tier gave the customer, for quotations of the team's company.
        for order in self:
            team = order.partner_id.commercial_partner_id.wholesale_team_id
            if team and team.company_id in (order.company_id, team.browse()):
                order.team_id = team
        return result

    @api.depends("partner_id")
    def _compute_wholesale_tier_id(self):
        # An eligible customer not enrolled yet shows the tier it would join; it joins with
        # its first document (confirmation, posting), never with a quotation being read.
        for order in self:
            if order.state in ("draft", "sent") or not order.wholesale_tier_id:
                order.wholesale_tier_id = order._wholesale_customer_tier()

    def _wholesale_customer_program(self):
        """The program of this order's company the customer is a member of, or the one it
        would join when it is a member of none yet: a document only uses its company's program."""
        self.ensure_one()
        customer = self._wholesale_customer()
        if not customer.id:
            return self.env["wholesale.loyalty.program"]
        program = customer._wholesale_program_in(self.company_id)
        return program or self.env["wholesale.loyalty.tier.engine"]._joining(customer, self.company_id).program

    def _wholesale_customer(self):
        """The order's customer (commercial partner) as the order's company sees it: its
        loyalty fields show its account in that company's program. sudo: sales users read
        the customer's tier and balance without loyalty rights."""
        self.ensure_one()
        return self.partner_id.commercial_partner_id.with_company(self.company_id).sudo()

    def _wholesale_customer_tier(self):
        """The customer's tier in the program of this order's company, or the tier it would
        join there when it is a member of none yet."""
        self.ensure_one()
        customer = self._wholesale_customer()
        if customer.wholesale_program_id:
            return customer.wholesale_tier_id.with_env(self.env)
        if not customer.id:
            return self.env["wholesale.loyalty.tier"]
        return self.env["wholesale.loyalty.tier.engine"]._joining(customer, self.company_id).tier.with_env(self.env)

    @api.depends(
        "partner_id", "state",
        "partner_id.commercial_partner_id.wholesale_next_tier_id",
        "partner_id.commercial_partner_id.wholesale_amount_to_next_tier",
    )
    def _compute_wholesale_next_tier_message(self):
        for order in self:
            # sudo: shows the next tier of the order company's program only
            next_tier, missing = order._wholesale_next_tier() if order.state in ("draft", "sent") else (False, 0.0)
            if not next_tier:
                order.wholesale_next_tier_message = False
                continue
            order.wholesale_next_tier_message = self.env._(
                "Spend %(amount)s more to reach %(tier)s",
                amount=next_tier.program_id.currency_id.format(missing),
                tier=next_tier.name,
            )

    def _wholesale_next_tier(self):
        """(next tier, spend missing to reach it) of the customer in the program of the order's
        company; for a customer who is no member yet, from the tier it would join."""
        self.ensure_one()
        customer = self._wholesale_customer()
        if customer.wholesale_program_id:
            return customer.wholesale_next_tier_id, customer.wholesale_amount_to_next_tier
        if not customer.id:
            return False, 0.0
        joining = self.env["wholesale.loyalty.tier.engine"]._joining(customer, self.company_id)
        return joining.program._next_tier(joining.tier.id, joining.amount) if joining.program else (False, 0.0)

    @api.depends("partner_id", "state", "partner_id.commercial_partner_id.wholesale_tier_id")
    def _compute_wholesale_keep_tier_message(self):
        for order in self:
            # sudo: shows the risk to the tier of the order company's program only
            customer = order._wholesale_customer()
            # Only a member's tier is at risk; the partner's views tell, without a query of their own.
            quoting = order.state in ("draft", "sent") and customer.wholesale_program_id
            member = customer._wholesale_member() if quoting else None
            if not member or not member.keep_tier_id:
                order.wholesale_keep_tier_message = False
                continue
            order.wholesale_keep_tier_message = self.env._(
                "Buy %(amount)s more by %(date)s to keep %(tier)s",
                amount=member.currency_id.format(member.keep_tier_amount),
                date=format_date(self.env, member.keep_tier_by),
                tier=member.keep_tier_id.name,
            )

    @api.depends("wholesale_tier_id", "pricelist_id", "order_line.discount", "order_line.product_id")
    def _compute_wholesale_discount_message(self):
        for order in self:
            order.wholesale_discount_message = order._wholesale_discount_message()

    def _wholesale_discount_message(self):
        """What the product lines carry, by where their discount comes from ("5.00% from the
        pricelist Gold (better than the 3.00% tier discount)"); with no lines yet, what they
        will get. False without a tier discount or a tier pricelist."""
        self.ensure_one()
        tier = self.wholesale_tier_id
        tier_percent = tier.discount_percent if tier.program_id.apply_tier_discount else 0.0
        if not tier or not (tier_percent or tier.pricelist_id):
            return False
        lines = self._wholesale_goods_lines()
        if not lines:
            return self._wholesale_coming_discount_message(tier_percent)
        sources = lines._wholesale_discount_sources(tier_percent)
        if not sources:
            return self.env._("Lines: no discount")
        parts = [self._wholesale_discount_source_label(source, percent) for source, percent in sources]
        message = self.env._("Lines: %(discounts)s", discounts="; ".join(parts))
        if tier_percent and "tier" not in {source for source, _percent in sources}:
            message += " " + self.env._(
                "(better than the %(percent)s tier discount: a line takes its best discount, never two)",
                percent=self._wholesale_percent(tier_percent),
            )
        return message

    def _wholesale_coming_discount_message(self, tier_percent):
        pricelist = self.wholesale_tier_id.pricelist_id
        if tier_percent and pricelist and pricelist == self.pricelist_id:
            return self.env._(
                "Each line gets the %(percent)s tier discount or the discount of the pricelist %(pricelist)s, "
                "whichever is better, never both",
                percent=self._wholesale_percent(tier_percent), pricelist=pricelist.name,
            )
        if tier_percent:
            return self.env._("%(percent)s tier discount on every line", percent=self._wholesale_percent(tier_percent))
        return False

    def _wholesale_discount_source_label(self, source, percent):
        percent = self._wholesale_percent(percent)
        if source == "pricelist":
            return self.env._("%(percent)s from the pricelist %(pricelist)s", percent=percent,
                              pricelist=self.pricelist_id.name)
        if source == "tier":
            return self.env._("%(percent)s tier discount", percent=percent)
        if source == "offer":
            return self.env._("%(percent)s personal offer", percent=percent)
        return self.env._("%(percent)s set by hand", percent=percent)

    def _wholesale_percent(self, percent):
        return f"{formatLang(self.env, percent, digits=2)}%"

    @api.depends("partner_id", "state", "order_line.product_id")
    def _compute_wholesale_offer_message(self):
        for order in self:
            order.wholesale_offer_message = order._wholesale_offer_message() \
                if order.state in ("draft", "sent") else False

    def _wholesale_offer_message(self):
        """"Your regular items: 5% off" with the offered products of this quotation, or how
        many products the customer has offers on when none is on it yet; False without offers."""
        self.ensure_one()
        program = self._wholesale_customer_program()
        if not program.personal_offer_months:
            return False
        customer = self.partner_id.commercial_partner_id
        # sudo: the running offers of this order's customer in the order company's program only
        offers = self.env["wholesale.loyalty.personal.offer"].sudo().search([
            ("program_id", "=", program.id), ("partner_id", "=", customer.id),
            *self.env["wholesale.loyalty.personal.offer"]._running_domain(program._today()),
        ])
        if not offers:
            return False
        quoted = offers.filtered(lambda offer: offer.product_id in self.order_line.product_id)
        parts = []
        for discount in sorted(set((quoted or offers).mapped("discount_percent")), reverse=True):
            percent = formatLang(self.env, discount, digits=percent_digits(discount))
            same = (quoted or offers).filtered(lambda offer, discount=discount: offer.discount_percent == discount)
            # A few products read better by name than as a count ("on 1 products").
            if quoted or len(same.product_id) <= NAMED_OFFER_PRODUCTS:
                parts.append(self.env._(
                    "%(percent)s%% off %(products)s", percent=percent,
                    products=", ".join(same.product_id.with_context(display_default_code=False).mapped("display_name")),
                ))
            else:
                parts.append(self.env._(
                    "%(percent)s%% off on %(count)s products", percent=percent, count=len(same.product_id),
                ))
        return self.env._("Your regular items: %(offers)s", offers="; ".join(parts))

    @api.depends(
        "amount_untaxed", "order_line.product_id", "partner_id", "currency_id",
        "partner_id.commercial_partner_id.wholesale_program_id",
        "partner_id.commercial_partner_id.wholesale_tier_id",
    )
    def _compute_wholesale_points_estimate(self):
        for order in self:
            customer = order._wholesale_customer()  # sudo: see _wholesale_customer_program
            program = order._wholesale_customer_program()
            if not program:
                order.wholesale_points_estimate = 0
                continue
            untaxed = order._wholesale_counted_amount(program)
            untaxed = order.currency_id._convert(
                untaxed, program.currency_id, order.company_id, order.date_order or fields.Date.today()
            ) if order.currency_id else untaxed
            order.wholesale_points_estimate = program._points_for(untaxed, customer.wholesale_tier_id)

    @api.depends("partner_id", "state", "commitment_date", "partner_id.commercial_partner_id.wholesale_program_id")
    def _compute_wholesale_advance_order_message(self):
        today = fields.Date.context_today(self)
        for order in self:
            rule = order._wholesale_advance_order_offer(today) if order.state in ("draft", "sent") else None
            order.wholesale_advance_order_message = rule and self.env._(
                "Confirm today for delivery on or after %(date)s: +%(points)s points",
                date=format_date(self.env, today + timedelta(days=rule.days_ahead)), points=rule.points,
            )

    def _wholesale_advance_order_offer(self, today):
        """The bonus for ordering ahead a quotation confirmed today earns: the best rule its
        delivery date meets, or, with none met, the nearest one."""
        rules = self._wholesale_customer_program().bonus_rule_ids.filtered(
            lambda rule: rule.active and rule.trigger == "advance_order"
        )
        if not rules:
            return None
        days_ahead = (self.commitment_date.date() - today).days if self.commitment_date else -1
        met = rules.filtered(lambda rule: days_ahead >= rule.days_ahead)
        if met:
            return met.sorted(lambda rule: (rule.points, rule.days_ahead))[-1]
        return rules.sorted(lambda rule: (rule.days_ahead, -rule.points))[0]

    def _wholesale_counted_amount(self, program):
        """The untaxed amount of the lines that count toward ``program`` (its categories)."""
        if not program._counts_by_category():
            return self.amount_untaxed
        lines = program._counted_lines(self.order_line.filtered(lambda line: not line.display_type))
        return sum(lines.mapped("price_subtotal"))

    @api.depends("order_line.wholesale_points_redeemed")
    def _compute_wholesale_points_redeemed(self):
        for order in self:
            order.wholesale_points_redeemed = sum(order.order_line.mapped("wholesale_points_redeemed"))

    @api.depends("order_line.display_type", "order_line.is_downpayment", "order_line.wholesale_points_redeemed",
                 "order_line.product_id", "order_line.is_delivery")
    def _compute_wholesale_has_goods(self):
        for order in self:
            order.wholesale_has_goods = bool(order._wholesale_goods_lines())

    @api.depends("order_line.product_id", "partner_id", "state")
    def _compute_wholesale_exclusive_warning(self):
        for order in self:
            order.wholesale_exclusive_warning = "\n".join(order._wholesale_exclusive_refusals()) or False

    @api.depends_context("uid")
    def _compute_wholesale_exclusive_can_override(self):
        self.wholesale_exclusive_can_override = self.env.user.has_group(
            "wholesale_loyalty.group_wholesale_loyalty_manager"
        )

    def _wholesale_exclusive_refusals(self, allowed=None):
        """Why products of this order may not be sold to its customer: one sentence per
        reserved product, each once; the products of ``allowed`` left out."""
        self.ensure_one()
        allowed = allowed or self.env["product.product"]
        lines = self.order_line.filtered(lambda line: line.product_id not in allowed)
        messages = (line._wholesale_exclusive_message() for line in lines)
        return list(dict.fromkeys(filter(None, messages)))

    def _wholesale_exclusive_refused_products(self):
        self.ensure_one()
        return self.order_line.filtered(lambda line: line._wholesale_exclusive_message()).product_id

    def _wholesale_record_allowed_products(self):
        """An administrator's allowance names the reserved products of the order when it is
        given: those only are allowed."""
        for order in self:
            allowed = order._wholesale_exclusive_refused_products() if order.wholesale_exclusive_override_reason \
                else self.env["product.product"]
            # sudo: the allowance was checked as a loyalty administrator's (_wholesale_check_override_write)
            order.sudo().wholesale_exclusive_override_product_ids = [Command.set(allowed.ids)]

    def _wholesale_goods_lines(self):
        """The order's goods (see ``sale.order.line._wholesale_is_goods``)."""
        self.ensure_one()
        return self.order_line.filtered(lambda line: line._wholesale_is_goods())

    def action_wholesale_redeem_points(self):
        """Open the wizard that pays part of this quotation with the customer's points."""
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        self._wholesale_check_redeemable()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Redeem Loyalty Points"),
            "res_model": "wholesale.loyalty.redeem.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"active_id": self.id, "active_model": "sale.order", "default_order_id": self.id},
        }

    @api.onchange("partner_id")
    def _onchange_partner_id_wholesale_discount(self):
        # Another customer prices the lines with its own tier, as a new line would be.
        if self.state in ("draft", "sent") and (self.wholesale_tier_id or self._origin.wholesale_tier_id
                                                or self._wholesale_customer_program().personal_offer_months):
            self.order_line._compute_discount()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._wholesale_check_override_write(vals)
        orders = super().create(vals_list)
        orders.filtered("wholesale_exclusive_override_reason")._wholesale_record_allowed_products()
        return orders

    def write(self, vals):
        self._wholesale_check_override_write(vals)
        if "wholesale_commitment_date_confirmed" in vals and not self.env.su:
            raise AccessError(self.env._(
                "The delivery date asked at confirmation is recorded when the order is confirmed."))
        if "partner_id" in vals:
            # An allowance was given for a customer: another one is checked again.
            moved = self.filtered(lambda order: order.wholesale_exclusive_override_reason
                                  and order.partner_id.id != vals["partner_id"])
            if moved:
                moved.sudo().write({"wholesale_exclusive_override_reason": False})
        result = super().write(vals)
        if "wholesale_exclusive_override_reason" in vals:
            self._wholesale_record_allowed_products()
        if FREE_SHIPPING_ORDER_FIELDS.intersection(vals):
            self._wholesale_update_free_shipping()
        if "commitment_date" in vals:
            # A delivery date moved closer takes back a bonus for ordering ahead.
            self.env["wholesale.loyalty.points"]._sync_advance_order_bonuses(self.filtered(lambda o: o.state == "sale"))
        return result

    @api.model
    def _wholesale_check_override_write(self, vals):
        """Only loyalty administrators allow reserved products on an order; who did it is
        recorded with the reason. ``vals`` gets the administrator."""
        recorded = {"wholesale_exclusive_override_user_id", "wholesale_exclusive_override_product_ids"}
        if recorded.intersection(vals) and "wholesale_exclusive_override_reason" not in vals \
                and not self.env.su:
            raise AccessError(self.env._(
                "The administrator who allowed reserved products is recorded with the reason."
            ))
        if "wholesale_exclusive_override_reason" not in vals:
            return
        if not self.env.su and not self.env.user.has_group("wholesale_loyalty.group_wholesale_loyalty_manager"):
            raise AccessError(self.env._(
                "Only loyalty administrators can allow products reserved to a loyalty tier on an order."
            ))
        reason = (vals["wholesale_exclusive_override_reason"] or "").strip()
        vals["wholesale_exclusive_override_reason"] = reason or False
        vals["wholesale_exclusive_override_user_id"] = self.env.uid if reason else False

    def _confirmation_error_message(self):
        message = super()._confirmation_error_message()
        if message:
            return message
        allowed = self.wholesale_exclusive_override_reason and self.wholesale_exclusive_override_product_ids
        refusals = self._wholesale_exclusive_refusals(allowed)
        if not refusals:
            return False
        return self.env._(
            "Order %(order)s cannot be confirmed:\n%(reasons)s\nRemove these products, or ask a loyalty "
            "administrator to allow them on this order with a reason.",
            order=self.display_name, reasons="\n".join(refusals),
        )

    # ------------------------------------------------------------------ free shipping

    def _prepare_delivery_line_vals(self, carrier, price_unit):
        values = super()._prepare_delivery_line_vals(carrier, price_unit)
        reason = self._wholesale_free_shipping_reason()
        if reason:
            description = values["name"]
            if carrier.free_over and self.currency_id.is_zero(price_unit):
                # Odoo's own "Free Shipping" line: the tier's reason is the one the line gives.
                description = description.rsplit("\n", 1)[0]
            values.update(
                price_unit=0.0, name=f"{description}\n{reason}",
                wholesale_free_shipping_reason=reason, wholesale_carrier_price=price_unit,
            )
        return values

    def _wholesale_free_shipping_reason(self):
        """Why the tier of this quotation ships it free, in the customer's language (the
        text goes on the delivery line), or False: the tier gives free shipping and the
        untaxed amount of the goods reaches its minimum."""
        self.ensure_one()
        tier = self.wholesale_tier_id.sudo()  # sudo: reads the tier's shipping settings only
        if not tier.free_shipping or tier.company_id != self.company_id:
            return False
        minimum = tier.currency_id._convert(
            tier.free_shipping_min_amount, self.currency_id or tier.currency_id, self.company_id,
            self.date_order or fields.Date.context_today(self),
        )
        goods = self._wholesale_goods_lines()
        if (self.currency_id or tier.currency_id).compare_amounts(sum(goods.mapped("price_subtotal")), minimum) < 0:
            return False
        env = self.partner_id._wholesale_lang_env()
        return env._("Free shipping: %(tier)s tier", tier=tier.with_env(env).name)

    def _wholesale_update_free_shipping(self):
        """Make the delivery lines of these quotations free, or give them back the carrier's
        price, as their tier and amount now say. Confirmed orders keep what was accepted."""
        for order in self.filtered(lambda order: order.state in ("draft", "sent")):
            delivery_lines = order.order_line.filtered("is_delivery")
            if not delivery_lines:
                continue
            reason = order._wholesale_free_shipping_reason()
            for line in delivery_lines:
                line._wholesale_set_free_shipping(reason)

    def _get_copiable_order_lines(self):
        # Points belong to the order they were redeemed on: a copy is redeemed again.
        return super()._get_copiable_order_lines().filtered(lambda line: not line.wholesale_points_redeemed)

    def _get_update_prices_lines(self):
        return super()._get_update_prices_lines().filtered(lambda line: not line.wholesale_points_redeemed)

    def _recompute_prices(self):
        # Updating the prices of a quotation takes the customer's current tier, as the
        # current pricelist; it replaces the discounts like Odoo's own repricing does.
        for order in self.filtered(lambda order: order.state in ("draft", "sent")):
            order.wholesale_tier_id = order._wholesale_customer_tier()
        return super(SaleOrder, self.with_context(wholesale_reprice=True))._recompute_prices()

    def _action_confirm(self):
        self._wholesale_check_points(confirming=True)
        # The order records the tier the customer held when it was confirmed. The lines keep
        # the prices the customer accepted: their discount does not depend on this field.
        for order in self:
            current = order._wholesale_customer_tier()
            if order.wholesale_tier_id != current:
                order.wholesale_tier_id = current
        result = super()._action_confirm()
        # Most orders ask no delivery date and write nothing here.
        for order in self.filtered(lambda o: o.commitment_date != o.wholesale_commitment_date_confirmed):
            # sudo: the date the bonus counts from is the engine's record, see write()
            order.sudo().wholesale_commitment_date_confirmed = order.commitment_date
        points = self.env["wholesale.loyalty.points"]
        points._redeem_orders(self)
        points._sync_advance_order_bonuses(self)
        customers = self.partner_id.commercial_partner_id
        self.env["wholesale.loyalty.tier.engine"]._evaluate_partners(
            customers, "realtime", bases=("confirmed",))._record_contacts(self)
        return result

    def _action_cancel(self):
        was_confirmed = self.filtered(lambda order: order.state == "sale")
        result = super()._action_cancel()
        self.env["wholesale.loyalty.points"]._restore_orders(was_confirmed)
        self.env["wholesale.loyalty.points"]._sync_advance_order_bonuses(was_confirmed)
        if was_confirmed:
            self.env["wholesale.loyalty.tier.engine"]._evaluate_partners(
                was_confirmed.partner_id.commercial_partner_id, "realtime", bases=("confirmed",)
            )._record_contacts(was_confirmed)
        return result

    def _get_invoiceable_lines(self, final=False):
        """Points lines go on an invoice with goods, carrying the share of the discount that
        the goods invoiced by then represent; never alone."""
        lines = super()._get_invoiceable_lines(final)
        points_lines = self.order_line.filtered("wholesale_points_redeemed")
        if not points_lines:
            return lines
        lines -= points_lines
        if not lines.filtered(lambda line: line._wholesale_is_goods()):
            return lines
        down_payments = lines.filtered("is_downpayment")
        return (lines - down_payments) + points_lines._wholesale_due_on_invoice() + down_payments

    def action_wholesale_refresh_tier(self):
        """Take the customer's current tier (and its discount) into a quotation."""
        check_caller_groups(self.env, LOYALTY_USER)
        drafts = self.filtered(lambda order: order.state in ("draft", "sent"))
        for order in drafts:
            order.wholesale_tier_id = order._wholesale_customer_tier()
        drafts.order_line.with_context(wholesale_reprice=True)._compute_discount()
        drafts._wholesale_update_free_shipping()
        return True

    # ------------------------------------------------------------------ points redemption

    def _wholesale_points_base(self):
        """Untaxed total of what points may pay on this order (its goods), in company
        currency: the base of the redemption cap."""
        self.ensure_one()
        untaxed = sum(self._wholesale_goods_lines().mapped("price_subtotal"))
        if not self.currency_id:
            return untaxed
        return self.currency_id._convert(untaxed, self.company_id.currency_id, self.company_id,
                                         self.date_order or fields.Date.context_today(self))

    def _wholesale_redeem_cap(self, program):
        """Most points ``program`` lets pay for this order."""
        self.ensure_one()
        return redeem_cap(
            self._wholesale_points_base(), program.max_redeem_percent, program.point_value,
            rounding=program.currency_id.rounding,
        )

    def _wholesale_points_value(self, points, program):
        """What ``points`` of ``program`` are worth, in the currency of this order."""
        self.ensure_one()
        return program.currency_id._convert(points * program.point_value, self.currency_id, self.company_id,
                                            self.date_order or fields.Date.context_today(self))

    def _wholesale_check_points(self, confirming=False):
        """Points never pay more than the program's cap of a quotation, nor more than the
        customer has, and no order goes below zero. Checked when the lines of a quotation
        change and at confirmation (the ledger then checks the balance again under lock)."""
        for order in self:
            if order.state == "cancel" or not order.wholesale_points_redeemed:
                continue
            if order.currency_id.compare_amounts(order.amount_untaxed, 0.0) < 0:
                raise UserError(self.env._(
                    "Order %(order)s would have a negative total. Remove the points discount or redeem "
                    "fewer points.", order=order.display_name,
                ))
            if not confirming and order.state not in ("draft", "sent"):
                continue
            order._wholesale_check_redemption(order.wholesale_points_redeemed, check_balance=not confirming)

    def _wholesale_check_redeemable(self):
        """Raise unless points may pay part of this order now: a saved quotation with goods."""
        self.ensure_one()
        if not self.id:
            raise UserError(self.env._("Save the quotation before paying part of it with points."))
        if self.state not in ("draft", "sent"):
            raise UserError(self.env._("Points can only be redeemed on a quotation, not on a confirmed "
                                       "or cancelled order."))
        if not self._wholesale_goods_lines():
            raise UserError(self.env._(
                "Quotation %(order)s has no products yet: add the goods before paying part of it with points.",
                order=self.display_name,
            ))

    def _wholesale_check_redemption(self, points, check_balance=True):
        """Raise when ``points`` may not pay for this order."""
        self.ensure_one()
        customer = self.partner_id.commercial_partner_id
        program = self._wholesale_customer_program()
        if not program:
            raise UserError(self.env._(
                "Order %(order)s is paid with points but %(customer)s is not a member of a loyalty program "
                "of %(company)s.", company=self.company_id.name,
                order=self.display_name, customer=customer.display_name,
            ))
        cap = self._wholesale_redeem_cap(program)
        if points > cap:
            raise UserError(self.env._(
                "Order %(order)s uses %(points)s points, but at most %(cap)s points (%(percent)s%% of its "
                "untaxed total) can pay for it. Redeem fewer points.",
                order=self.display_name, points=points, cap=cap, percent=program.max_redeem_percent,
            ))
        self._wholesale_check_contact_limit(points)
        balance = self._wholesale_customer().wholesale_points_balance
        if check_balance and points > balance:
            raise UserError(self.env._(
                "Order %(order)s uses %(points)s points but %(customer)s has only %(balance)s. Redeem fewer points.",
                order=self.display_name, points=points, customer=customer.display_name,
                balance=balance,
            ))

    def _wholesale_check_contact_limit(self, points):
        """Raise when ``points`` exceed what the contact of this order may redeem on one order."""
        self.ensure_one()
        limit = self.partner_id.wholesale_points_limit_per_order
        if limit and points > limit:
            raise UserError(self.env._(
                "Order %(order)s uses %(points)s points, but %(contact)s may redeem at most %(limit)s points "
                "on one order. Redeem fewer points, or ask a loyalty administrator to change the limit.",
                order=self.display_name, points=points, contact=self.partner_id.display_name, limit=limit,
            ))

    def _wholesale_replace_points_lines(self, vals_list):
        """Replace the points lines of this quotation by lines of ``vals_list``. The only
        way points lines are written: the redemption wizard checks the request first."""
        self.ensure_one()
        lines = self.env["sale.order.line"]
        with lines._wholesale_points_lines_writer():
            self.order_line.filtered("wholesale_points_redeemed").unlink()
            lines = lines.create([dict(vals, order_id=self.id) for vals in vals_list])
        return lines
