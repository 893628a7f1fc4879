from odoo import Command
from odoo.tests import Form, new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class WholesaleLoyaltyCommon(AccountTestInvoicingCommon):
    """A program of our own (Silver 0 / Gold 1000 / Platinum 5000) whose members are the
    customers tagged 'Wholesale test', so the database's demo programs stay out of the way."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wholesale.loyalty.program"].sudo().search([]).write({"active": False})
        cls.member_tag = cls.env["res.partner.category"].create({"name": "Wholesale test"})
        cls.program = cls.env["wholesale.loyalty.program"].create({
            "name": "Test Program",
            "qualification_basis": "invoiced",
            "qualification_period": "lifetime",
            "partner_domain": str([("category_id", "in", cls.member_tag.ids)]),
            "tier_ids": [
                Command.create({"name": "Silver", "threshold_amount": 0}),
                Command.create({
                    "name": "Gold", "threshold_amount": 1000, "discount_percent": 5,
                    "points_multiplier": 1.5, "benefits": "<p>Free shipping</p>",
                }),
                Command.create({"name": "Platinum", "threshold_amount": 5000, "discount_percent": 10}),
            ],
        })
        cls.silver, cls.gold, cls.platinum = cls.program.tier_ids.sorted("threshold_amount")
        cls.engine = cls.env["wholesale.loyalty.tier.engine"]
        cls.customer = cls._customer("Alpha Trading")

    @classmethod
    def _company_user(cls, login, groups, **values):
        """A user of the program's company, with ``groups`` (comma-separated xml ids)."""
        company = cls.program.company_id
        return new_test_user(cls.env, login=login, groups=groups, company_id=company.id,
                             company_ids=[company.id], **values)

    @classmethod
    def _prepayment_term(cls):
        """Payment terms of 30 days with prepayment discounts: 3% for money received 5 days
        before the invoice date, 5% for 30 days."""
        return cls.env["account.payment.term"].create({
            "name": "Prepayment 3/5, net 30",
            "company_id": cls.company_data["company"].id,
            "line_ids": [Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})],
            "wholesale_discount_rule_ids": [
                Command.create({"kind": "prepayment", "days": 5, "discount_percent": 3}),
                Command.create({"kind": "prepayment", "days": 30, "discount_percent": 5}),
            ],
        })

    @classmethod
    def _customer(cls, name, **values):
        return cls.env["res.partner"].create({
            "name": name,
            "is_company": True,
            "email": f"{name.lower().replace(' ', '.')}@example.com",
            "category_id": [Command.link(cls.member_tag.id)],
            **values,
        })

    @classmethod
    def _invoice(cls, partner, amount, date, move_type="out_invoice", post=True, taxes=None, **values):
        move = cls.env["account.move"].create({
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": date,
            "invoice_line_ids": [Command.create({
                "name": "Goods",
                "quantity": 1,
                "price_unit": amount,
                "tax_ids": [Command.set((cls.tax_sale_a if taxes is None else taxes).ids)],
            })],
            **values,
        })
        if post:
            move.action_post()
        return move

    @classmethod
    def _refund(cls, invoice, amount, date):
        return cls._invoice(invoice.partner_id, amount, date, move_type="out_refund",
                            reversed_entry_id=invoice.id)

    @classmethod
    def _pay(cls, invoices, date, amount=None):
        values = {"payment_date": date}
        if amount is not None:
            values["amount"] = amount
        wizard = cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices.ids
        ).create(values)
        return wizard._create_payments()

    @classmethod
    def _received_payment(cls, partner, amount, date):
        """A posted customer payment of ``amount`` received on ``date``, not yet reconciled."""
        payment = cls.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer", "partner_id": partner.id,
            "amount": amount, "date": date, "journal_id": cls.company_data["default_journal_bank"].id,
        })
        payment.action_post()
        return payment

    @classmethod
    def _express_carrier(cls):
        """A delivery method "Express" at a fixed price of 20."""
        return cls.env["delivery.carrier"].create({
            "name": "Express",
            "fixed_price": 20.0,
            "product_id": cls.env["product.product"].create({"name": "Express delivery", "type": "service"}).id,
        })

    def _quotation(self, partner=None, amount=None, lines=((None, 1),), user=None, **values):
        """A quotation to ``partner`` (the customer by default), made by ``user`` when given: a
        line per (product, quantity) of ``lines`` (product A for None), at a unit price of
        ``amount`` when given, else at the product's own."""
        price = {} if amount is None else {"price_unit": amount}
        orders = self.env["sale.order"].with_user(user) if user else self.env["sale.order"]
        return orders.create({
            "partner_id": (partner or self.customer).id,
            "order_line": [
                Command.create({"product_id": (product or self.product_a).id, "product_uom_qty": qty, **price})
                for product, qty in lines
            ],
            **values,
        })

    def _quotation_with_delivery(self, carrier, partner=None, price=1000.0):
        """A quotation of product A at ``price`` with the delivery line ``carrier`` adds."""
        order = self._quotation(partner, price)
        action = order.action_open_delivery_wizard()
        wizard = Form(self.env[action["res_model"]].with_context(action["context"]))
        wizard.carrier_id = carrier
        wizard.save().button_confirm()
        return order, order.order_line.filtered("is_delivery")

    def _redeem_wizard(self, order, points):
        """The redeem wizard of ``order`` asked for ``points``, not applied yet."""
        return self.env["wholesale.loyalty.redeem.wizard"].with_context(
            active_id=order.id, active_model="sale.order").create({"points": points})

    def _redeem(self, order, points):
        """Pay ``points`` on ``order`` through the redeem wizard; returns the points line."""
        self._redeem_wizard(order, points).action_apply()
        return order.order_line.filtered("wholesale_points_redeemed")

    def _redeemed_order(self, points, partner=None, amount=None, lines=((None, 1),)):
        """A confirmed order (see ``_quotation``) on which ``points`` were paid."""
        order = self._quotation(partner, amount, lines)
        self._redeem(order, points)
        order.action_confirm()
        return order

    def _entries(self, partner=None, kind=None):
        domain = [("partner_id", "=", (partner or self.customer).id)]
        if kind:
            domain.append(("kind", "=", kind))
        return self.env["wholesale.loyalty.ledger"].search(domain, order="id")

    def _balance(self, partner=None):
        """The customer's stored balance, checked to be the sum of its ledger."""
        partner = partner or self.customer
        partner.invalidate_recordset()
        self.assertEqual(partner.wholesale_points_balance, sum(self._entries(partner).mapped("points")),
                         "the stored balance is the sum of the ledger")
        return partner.wholesale_points_balance

    def _send_tier_notifications(self):
        """Run the scheduled action that sends what tier changes tell (mails, chatter, notices)."""
        self.env["wholesale.loyalty.tier.history"]._cron_send_tier_notifications()

    def _history(self, partner):
        return self.env["wholesale.loyalty.tier.history"].search(
            [("partner_id", "=", partner.id)], order="id"
        )

    def assertTier(self, partner, tier, amount=None):
        partner.invalidate_recordset()
        self.assertEqual(partner.wholesale_tier_id, tier, f"{partner.name} tier")
        if amount is not None:
            self.assertAlmostEqual(partner.wholesale_qualifying_amount, amount, places=2)


class TwoCompaniesCommon(WholesaleLoyaltyCommon):
    """Two companies selling to the same customers, each running its own program: the test
    program in company A, "Program B" (tiers Entry B and Gold B) in company B."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.program.company_id
        cls.company_b = cls.setup_other_company(name="Wholesale B")["company"]
        cls.program_b = cls.env["wholesale.loyalty.program"].with_company(cls.company_b).create({
            "name": "Program B", "company_id": cls.company_b.id,
            "qualification_basis": "invoiced", "qualification_period": "lifetime",
            "partner_domain": str([("category_id", "in", cls.member_tag.ids)]),
            "tier_ids": [
                Command.create({"name": "Entry B", "threshold_amount": 0}),
                Command.create({"name": "Gold B", "threshold_amount": 500}),
            ],
        })
        cls.entry_b, cls.gold_b = cls.program_b.tier_ids.sorted("threshold_amount")
        cls.engine._enroll(cls.program_b)

    @classmethod
    def _invoice_in(cls, company, partner, amount, date="2026-03-01"):
        """A posted invoice of ``amount`` (untaxed, no tax) from ``company`` to ``partner``."""
        move = cls.env["account.move"].with_company(company).create({
            "move_type": "out_invoice", "partner_id": partner.id, "invoice_date": date,
            "company_id": company.id,
            "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": amount,
                                                 "tax_ids": [Command.clear()]})],
        })
        move.action_post()
        return move
