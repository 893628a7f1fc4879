"""A Hypothesis state machine that runs quotations, orders, invoices, credit notes, payments,
expiry, tier recalculation, customer merges and awards in random order over the real ORM, and
checks after every step that the points ledger still tells the truth.

The machine is bound to an Odoo test case (``LedgerMachine.case``) whose ``setUpClass`` built
the program and the customers. Each example runs inside a savepoint rolled back at teardown, so
all examples start from the same database state.
"""
import itertools
import math
import re
from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.wholesale_loyalty.tools.payment_discounts import (
    DiscountRule,
    Prepayment,
    allocate_prepayments,
    prepayment_discount,
)
from odoo.addons.wholesale_loyalty.tools.tier_rules import (
    higher_tier,
    local_today,
    qualification_window,
    rank,
    tier_for_amount,
)

START = "2026-01-05"
AMOUNTS = (150.0, 480.0, 1000.0, 1250.0, 3000.0, 5600.0)
MAX_ORDERS = 6
MAX_MOVES = 8
MAX_PAYMENTS = 3
MAX_REBATE_DOCUMENTS = 4
# The prepayment rules of the test case's payment terms (days before the invoice date, %).
PREPAYMENT_RULES = [DiscountRule(days=5, percent=3.0), DiscountRule(days=30, percent=5.0)]
PAID = ("paid", "in_payment")
# Program settings an example draws (trigger, basis, period, validity months, grace days,
# paid-tier fees left out of the spend): one choice among all combinations, so that every
# setting shows up across a run.
CONFIGURATIONS = list(itertools.product(
    ("posted", "paid"), ("invoiced", "paid", "confirmed"), ("lifetime", "rolling", "previous_month"),
    (0, 1, 12), (0, 30), (False, True),
))
# Points liability in the books an example draws (see LedgerCommon.liability_settings).
LIABILITY_METHODS = ("none", "deferral", "provision")
# Lines of a 2-decimal currency: one cent per line may be lost to rounding.
CENT = 0.01

QUOTATION = ("draft", "sent")
# Examples, steps and user actions explored, for the run summary.
STATS = {"sequences": 0, "steps": 0, "done": 0, "refused": 0}

PICK = st.integers(min_value=0, max_value=7)
ENTRY_FIELDS = (
    "program_id", "points", "kind", "move_id", "sale_order_id", "reference", "reversed_entry_id",
    "date", "expiry_date",
)


def points_for(untaxed, program, multiplier):
    """DESIGN.md: floor(floor(untaxed / step) * per step * multiplier of the tier held when earned)."""
    untaxed = round(untaxed, 2)
    if untaxed <= 0 or untaxed < round(program.points_min_order_amount, 2):
        return 0
    steps = math.floor(untaxed / program.points_amount_step + 1e-9)
    return math.floor(steps * program.points_per_step * multiplier + 1e-9)


class LedgerMachine(RuleBasedStateMachine):
    case = None  # the Odoo test case whose fixtures the machine uses

    def __init__(self):
        super().__init__()
        case = self.case
        self.env = case.env
        self.program = case.program
        self.programs = case.program | case.other_program
        self.clock = freeze_time(START, ignore=["hypothesis"])
        self.frozen = self.clock.start()
        self.savepoint = self.env.cr.savepoint()
        self.customer_ids = list(case.customers.ids)
        self.merged_into = {}
        self.order_ids, self.invoice_ids, self.refund_ids = [], [], []
        self.earn_multiplier = {}  # invoice id -> multiplier of the tier held when it last began to earn
        # Invoices fully paid since they were last posted: what earns with the `paid` trigger.
        self.paid_since_posted = set()
        self.payment_ids = []  # customer payments received in advance
        self.rebate_move_ids = []  # rebate credit notes and the documents reversing them
        self.refused_at_confirmation = {}  # order id -> reserved products refused when it was confirmed
        self.confirmed_prices = {}  # order line id -> prices when its order was confirmed
        self.entries = {}  # ledger entry id -> its values when first seen
        self.checks = 0
        STATS["sequences"] += 1

    def teardown(self):
        self.savepoint.close(rollback=True)
        self.clock.stop()
        self.env.invalidate_all(flush=False)
        self.env.registry.clear_cache()
        STATS["steps"] += max(self.checks - 1, 0)

    # ------------------------------------------------------------------ helpers

    @property
    def ledger(self):
        return self.env["wholesale.loyalty.ledger"].sudo()

    def _today(self):
        return fields.Date.context_today(self.env["res.partner"])

    def _customers(self):
        return self.env["res.partner"].browse(self.customer_ids)

    def _customer(self, pick):
        return self._customers()[pick % len(self.customer_ids)]

    def _survivor(self, partner_id):
        while partner_id in self.merged_into:
            partner_id = self.merged_into[partner_id]
        return partner_id

    def _orders(self, states=None):
        orders = self.env["sale.order"].browse(self.order_ids)
        return orders.filtered(lambda order: order.state in states) if states else orders

    def _moves(self, move_types=("out_invoice", "out_refund"), states=None):
        moves = self.env["account.move"].browse(self.invoice_ids + self.refund_ids)
        return moves.filtered(lambda move: move.move_type in move_types and (not states or move.state in states))

    @staticmethod
    def _pick(records, pick):
        return records[pick % len(records)] if records else records

    def _points_lines(self, order):
        product = self.program.redemption_product_id
        return order.order_line.filtered(lambda line: line.wholesale_points_redeemed or line.product_id == product)

    def _ledger_state(self):
        self.env.invalidate_all()
        entries = self.ledger.search([("partner_id", "in", self._all_partner_ids())], order="id")
        return [(entry.id, entry.partner_id.id, entry.points, entry.remaining_points) for entry in entries]

    def _all_partner_ids(self):
        return list(self.case.customers.ids)

    def _attempt(self, action):
        """Run a user action that may be refused with a clear error; a refusal writes nothing."""
        before = self._ledger_state()
        try:
            with self.env.cr.savepoint():
                action()
        except AccessError:
            raise  # a user who may do this is refused: never right
        except (UserError, ValidationError):
            assert self._ledger_state() == before, "a refused action changed the points ledger"
            STATS["refused"] += 1
            return False
        STATS["done"] += 1
        return True

    def _track(self, moves):
        for move in moves:
            target = self.refund_ids if move.move_type == "out_refund" else self.invoice_ids
            if move.id not in target:
                target.append(move.id)

    def _multiplier(self, invoice):
        """Points multiplier of the tier the invoice's customer holds now in the program of
        the invoice's company."""
        program = self._member_program(invoice.commercial_partner_id, invoice.company_id)
        tier = invoice.commercial_partner_id.sudo().with_company(invoice.company_id).wholesale_tier_id
        return (tier.points_multiplier or 1.0) if program and tier.program_id == program else 1.0

    def _member_program(self, customer, company):
        """The program of ``company`` the customer is a member of, as the add-on has it."""
        program = customer.sudo().with_company(company).wholesale_program_id
        return program if program.company_id == company else program.browse()

    def _post(self, moves):
        # Points are earned at the tier the customer holds before the invoice counts.
        self.env["res.partner"].invalidate_model(["wholesale_tier_id"])
        multipliers = {move.id: self._multiplier(move) for move in moves if move.move_type == "out_invoice"}
        drafts = moves.filtered(lambda move: move.state == "draft")
        unbacked = {move.id: self._unbacked_discount(move) for move in drafts}
        apart = self._keep_apart(moves.company_id)
        if self._attempt(moves.action_post):
            for move in moves.filtered(lambda move: move.move_type == "out_invoice"):
                program = self._member_program(move.commercial_partner_id, move.company_id)
                if program.points_trigger == "posted":
                    self.earn_multiplier[move.id] = multipliers[move.id]
                self._note_paid(move, multipliers[move.id])
            assert not any(unbacked.values()), (
                f"an invoice was posted with a prepayment discount its money no longer backs: {unbacked}")
        apart()

    def _note_paid(self, invoice, multiplier):
        """With the ``paid`` trigger an invoice earns, at the tier held then, once fully paid."""
        if invoice.state == "posted" and invoice.payment_state in PAID and invoice.id not in self.paid_since_posted:
            self.paid_since_posted.add(invoice.id)
            if self._member_program(invoice.commercial_partner_id, invoice.company_id).points_trigger == "paid":
                self.earn_multiplier[invoice.id] = multiplier

    def _keep_apart(self, companies):
        """Documents of ``companies`` touch no other company's loyalty: returns a check, to call
        after acting on them, that the other programs' ledgers, tiers and spend stayed as they
        were (those programs are evaluated first, so that only the action can change them)."""
        others = self.programs.filtered(lambda program: program.company_id not in companies)
        customers = self._customers()
        if not others or not customers:
            return lambda: None
        engine = self.env["wholesale.loyalty.tier.engine"]
        for program in others:
            members = customers.filtered(lambda c, p=program: self._member_program(c, p.company_id) == p)
            if members:
                engine.sudo()._evaluate_batch(program, members.ids, program._today(), "realtime")
        before = self._loyalty_of(others)

        def check():
            after = self._loyalty_of(others)
            assert after == before, f"documents of {companies.mapped('name')} changed another company's loyalty"
        return check

    def _loyalty_of(self, programs):
        self.env.invalidate_all()
        entries = self.ledger.search([("program_id", "in", programs.ids)], order="id")
        state = [(entry.id, entry.points, entry.remaining_points) for entry in entries]
        for program in programs:
            for customer in self._customers():
                if self._member_program(customer, program.company_id) == program:
                    seen = customer.sudo().with_company(program.company_id)
                    state.append((customer.id, seen.wholesale_tier_id.id, round(seen.wholesale_qualifying_amount, 2)))
        return state

    # ------------------------------------------------------------------ quotations and orders

    @initialize(configuration=st.sampled_from(CONFIGURATIONS), points=st.sampled_from([0, 60, 250]),
                liability=st.sampled_from(LIABILITY_METHODS))
    def configure(self, configuration, points, liability):
        """Both companies' programs get the settings of the example (before anything else
        happens), with a points liability in the books or none; customers may start with
        points to spend, awarded today."""
        trigger, basis, period, validity, grace, fees_excluded = configuration
        self.programs.write({
            "points_trigger": trigger, "qualification_basis": basis, "qualification_period": period,
            "period_months": 3, "points_validity_months": validity, "downgrade_grace_days": grace,
            "excluded_categ_ids": [Command.set(self.case.fees_category.ids if fees_excluded else [])],
        })
        if liability != "none":
            for program in self.programs:
                program.write({"liability_method": liability, **self.case.liability_settings[program.company_id.id]})
        self.env["wholesale.loyalty.tier.engine"]._recalculate()
        if points:
            self._customers().with_user(self.case.loyalty_manager).wholesale_award_points(points, "Opening balance")

    @precondition(lambda self: len(self.order_ids) < MAX_ORDERS)
    @rule(who=PICK, amounts=st.lists(st.sampled_from(AMOUNTS), min_size=1, max_size=2),
          negotiated=st.sampled_from([0.0, 0.0, 12.0]), use_points=st.booleans())
    def quote(self, who, amounts, negotiated, use_points):
        """A quotation at the customer's tier discount, or with a negotiated discount; paid in
        part with the most points it may use."""
        line_values = {"product_id": self.case.product_a.id, "product_uom_qty": 1}
        if negotiated:
            line_values["discount"] = negotiated
        order = self.env["sale.order"].create({
            "partner_id": self._customer(who).id,
            "order_line": [Command.create(dict(line_values, price_unit=amount)) for amount in amounts],
        })
        self.order_ids.append(order.id)
        if use_points:
            self._redeem(order, "max")

    @precondition(lambda self: self._orders(QUOTATION))
    @rule(pick=PICK, how=st.sampled_from(["max", "half", "one", "over_cap", "over_balance"]))
    def redeem(self, pick, how):
        order = self._pick(self._orders(QUOTATION), pick)
        self._redeem(order, how)

    def _redeem(self, order, how):
        if not order:
            return
        wizard = self.env["wholesale.loyalty.redeem.wizard"].with_context(
            active_id=order.id, active_model="sale.order").create({})
        cap, balance = wizard.max_points, wizard.balance
        points = {
            "max": cap, "half": cap // 2, "one": 1, "over_cap": cap + 1, "over_balance": max(balance, 0) + 1,
        }[how]
        wizard.points = points
        if self._attempt(wizard.action_apply):
            assert 0 < points <= cap, f"the wizard accepted {points} points beyond its limit {cap}"
            assert order.wholesale_points_redeemed == points

    @precondition(lambda self: self._orders(QUOTATION))
    @rule(pick=PICK, line_pick=PICK, price=st.sampled_from(AMOUNTS + (-50.0,)), quantity=st.sampled_from([1, 2]))
    def edit_line(self, pick, line_pick, price, quantity):
        order = self._pick(self._orders(QUOTATION), pick)
        line = self._pick(order.order_line, line_pick) if order else order
        if line:
            self._attempt(lambda: line.write({"price_unit": price, "product_uom_qty": quantity}))

    @precondition(lambda self: self._orders(QUOTATION))
    @rule(pick=PICK, line_pick=PICK)
    def remove_line(self, pick, line_pick):
        order = self._pick(self._orders(QUOTATION), pick)
        line = self._pick(order.order_line, line_pick) if order else order
        if line:
            self._attempt(line.unlink)

    @precondition(lambda self: 0 < len(self.order_ids) < MAX_ORDERS)
    @rule(pick=PICK)
    def copy_order(self, pick):
        order = self._pick(self._orders(), pick)
        if order:
            copies = []
            if self._attempt(lambda: copies.append(order.copy())):
                self.order_ids.append(copies[0].id)

    @precondition(lambda self: self._orders(QUOTATION))
    @rule(pick=PICK)
    def confirm(self, pick):
        order = self._pick(self._orders(QUOTATION), pick)
        if not order:
            return
        quoted = {line.id: (line.price_unit, line.discount, line.price_subtotal) for line in order.order_line}
        refused = order._wholesale_exclusive_refused_products()
        if self._attempt(order.action_confirm):
            self.refused_at_confirmation[order.id] = refused.ids
            order.invalidate_recordset()
            confirmed = {line.id: (line.price_unit, line.discount, line.price_subtotal) for line in order.order_line}
            assert confirmed == quoted, f"confirming {order.name} changed its prices: {quoted} -> {confirmed}"
            self.confirmed_prices.update(confirmed)

    @precondition(lambda self: self._orders(QUOTATION + ("sale",)))
    @rule(pick=PICK)
    def cancel_order(self, pick):
        order = self._pick(self._orders(("draft", "sent", "sale")), pick)
        if order:
            self._attempt(order.with_context(disable_cancel_warning=True).action_cancel)

    @precondition(lambda self: self._orders(("cancel",)))
    @rule(pick=PICK)
    def order_back_to_quotation(self, pick):
        order = self._pick(self._orders(("cancel",)), pick)
        if order:
            self._attempt(order.action_draft)

    @precondition(lambda self: len(self.invoice_ids) < MAX_MOVES and self._orders(("sale",)))
    @rule(pick=PICK, method=st.sampled_from(["delivered", "delivered", "percentage"]))
    def invoice_order(self, pick, method):
        """Invoice a confirmed order in full, or ask a 30% down payment."""
        order = self._pick(self._orders(("sale",)), pick)
        if not order:
            return
        before = order.invoice_ids
        values = {"advance_payment_method": method}
        if method == "percentage":
            values["amount"] = 30.0

        def create_invoices():
            wizard = self.env["sale.advance.payment.inv"].with_context(
                active_model="sale.order", active_ids=order.ids).create(values)
            wizard.create_invoices()
        self._attempt(create_invoices)
        self._track(order.invoice_ids - before)

    # ------------------------------------------------------------------ invoices and credit notes

    def _document(self, partner, amount, company, move_type="out_invoice", **values):
        """A draft invoice or credit note of one line in ``company``, with its sales tax."""
        data = self.case.company_data if company == self.program.company_id else self.case.other_company_data
        return self.env["account.move"].with_company(company).create({
            "move_type": move_type, "partner_id": partner.id, "invoice_date": self._today(),
            "company_id": company.id, "journal_id": data["default_journal_sale"].id,
            "invoice_line_ids": [Command.create({
                "name": "Goods", "quantity": 1, "price_unit": amount,
                "tax_ids": [Command.set(data["default_tax_sale"].ids)],
            })],
            **values,
        })

    @precondition(lambda self: len(self.invoice_ids) < MAX_MOVES)
    @rule(who=PICK, amount=st.sampled_from(AMOUNTS), foreign=st.booleans(), post=st.booleans())
    def invoice(self, who, amount, foreign, post):
        """An invoice without an order, in company currency or in the foreign currency."""
        values = {"currency_id": self.case.foreign_currency.id} if foreign else {}
        move = self._document(self._customer(who), amount, self.program.company_id, **values)
        self._track(move)
        if post:
            self._post(move)

    @precondition(lambda self: len(self.invoice_ids) < MAX_MOVES)
    @rule(who=PICK, amount=st.sampled_from(AMOUNTS), post=st.booleans())
    def other_company_invoice(self, who, amount, post):
        """The second company invoices the same customers (its own program)."""
        move = self._document(self._customer(who), amount, self.case.other_company)
        self._track(move)
        if post:
            self._post(move)

    @precondition(lambda self: len(self.invoice_ids) < MAX_MOVES)
    @rule(who=PICK, post=st.booleans())
    def membership_invoice(self, who, post):
        """The customer is invoiced the fee of the paid Gold tier (one month)."""
        move = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self._customer(who).id, "invoice_date": self._today(),
            "invoice_line_ids": [Command.create({
                "product_id": self.case.membership_product.id, "quantity": 1, "price_unit": 200.0,
                "tax_ids": [Command.clear()],
            })],
        })
        self._track(move)
        if post:
            self._post(move)

    @precondition(lambda self: self._moves(states=("draft",)))
    @rule(pick=PICK)
    def post(self, pick):
        move = self._pick(self._moves(states=("draft",)), pick)
        if move:
            self._post(move)

    @precondition(lambda self: self._moves(("out_invoice",), ("posted",)))
    @rule(pick=PICK, partial=st.booleans())
    def pay(self, pick, partial):
        invoice = self._pick(self._moves(("out_invoice",), ("posted",)).filtered(
            lambda move: not move.currency_id.is_zero(move.amount_residual)), pick)
        if invoice:
            self._pay(invoice, partial)

    @precondition(lambda self: self._moves(("out_invoice",), ("posted",)))
    @rule(pick=PICK, partial=st.booleans())
    def other_company_pay(self, pick, partial):
        invoice = self._pick(self._moves(("out_invoice",), ("posted",)).filtered(
            lambda move: move.company_id == self.case.other_company
            and not move.currency_id.is_zero(move.amount_residual)), pick)
        if invoice:
            self._pay(invoice, partial)

    def _pay(self, invoice, partial):
        amount = invoice.currency_id.round(invoice.amount_residual / 2) if partial else None
        self.env["res.partner"].invalidate_model(["wholesale_tier_id"])
        multiplier = self._multiplier(invoice)
        apart = self._keep_apart(invoice.company_id)
        self._attempt(lambda: self.case._pay(invoice, self._today(), amount=amount))
        apart()
        self._note_paid(invoice, multiplier)

    @precondition(lambda self: self._moves(("out_invoice",), ("posted",)))
    @rule(pick=PICK)
    def unreconcile(self, pick):
        invoice = self._pick(self._moves(("out_invoice",), ("posted",)).filtered(
            lambda move: move.payment_state != "not_paid"), pick)
        if invoice:
            receivable = invoice.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
            counterparts = receivable.matched_credit_ids.credit_move_id
            self._attempt(counterparts.remove_move_reconcile)

    @precondition(lambda self: len(self.refund_ids) < MAX_MOVES and self._moves(("out_invoice",), ("posted",)))
    @rule(pick=PICK, modify=st.booleans())
    def full_credit_note(self, pick, modify):
        """The credit note wizard: a draft credit note, or 'modify' (posted credit note and a new draft)."""
        invoice = self._pick(self._moves(("out_invoice",), ("posted",)), pick)
        if not invoice:
            return
        before = self.env["account.move"].search([("commercial_partner_id", "=", invoice.commercial_partner_id.id)]).ids

        def reverse():
            wizard = self.env["account.move.reversal"].with_context(
                active_model="account.move", active_ids=invoice.ids,
            ).create({"journal_id": invoice.journal_id.id, "date": self._today(), "reason": "Returned goods"})
            return wizard.modify_moves() if modify else wizard.refund_moves()
        if self._attempt(reverse):
            new = self.env["account.move"].search([
                ("commercial_partner_id", "=", invoice.commercial_partner_id.id),
                ("move_type", "in", ("out_invoice", "out_refund")), ("id", "not in", before),
            ])
            self._track(new)

    @precondition(lambda self: len(self.refund_ids) < MAX_MOVES and self._moves(("out_invoice",), ("posted",)))
    @rule(pick=PICK, share=st.sampled_from([0.1, 0.35, 0.5, 1.0]))
    def partial_credit_note(self, pick, share):
        """A posted credit note for part of an invoice, in the invoice's currency."""
        invoice = self._pick(self._moves(("out_invoice",), ("posted",)), pick)
        if not invoice:
            return
        amount = invoice.currency_id.round(invoice.amount_untaxed * share)
        if invoice.currency_id.is_zero(amount) or amount < 0:
            return
        refund = self._document(
            invoice.partner_id, amount, invoice.company_id, move_type="out_refund",
            reversed_entry_id=invoice.id, currency_id=invoice.currency_id.id,
        )
        self._track(refund)
        multiplier = self._multiplier(invoice)
        self._post(refund)
        # The credit note may settle what a partial payment left: the invoice is then paid.
        self._note_paid(invoice, multiplier)

    @precondition(lambda self: len(self.refund_ids) < MAX_MOVES)
    @rule(who=PICK, amount=st.sampled_from(AMOUNTS), other_company=st.booleans())
    def standalone_credit_note(self, who, amount, other_company):
        company = self.case.other_company if other_company else self.program.company_id
        refund = self._document(self._customer(who), amount, company, move_type="out_refund")
        self._track(refund)
        self._post(refund)

    @precondition(lambda self: self._moves(states=("posted",)))
    @rule(pick=PICK)
    def reset_to_draft(self, pick):
        move = self._pick(self._moves(states=("posted",)), pick)
        if move:
            self._attempt(move.button_draft)

    @precondition(lambda self: self._moves(states=("draft", "posted")))
    @rule(pick=PICK)
    def cancel_move(self, pick):
        move = self._pick(self._moves(states=("draft", "posted")), pick)
        if move:
            self._attempt(move.button_cancel)

    # ------------------------------------------------------------------ products reserved to a tier

    @precondition(lambda self: len(self.order_ids) < MAX_ORDERS)
    @rule(who=PICK, allow=st.booleans())
    def reserved_quote(self, who, allow):
        """A quotation of a product reserved to Platinum, allowed (or not) by a loyalty
        administrator with a reason."""
        order = self.env["sale.order"].create({
            "partner_id": self._customer(who).id,
            "order_line": [Command.create({"product_id": self.case.reserved_products[0].id, "product_uom_qty": 1})],
        })
        self.order_ids.append(order.id)
        if allow:
            self._allow_reserved(order)

    def _allow_reserved(self, order):
        administrator = self.case.loyalty_manager
        self._attempt(lambda: order.with_user(administrator).write(
            {"wholesale_exclusive_override_reason": "Launch partner"}))

    @precondition(lambda self: self._orders(QUOTATION))
    @rule(pick=PICK, allow=st.booleans())
    def add_reserved_product(self, pick, allow):
        """The rep adds another reserved product to a quotation (maybe allowed again after)."""
        order = self._pick(self._orders(QUOTATION), pick)
        if not order:
            return
        product = self.case.reserved_products[1]
        self._attempt(lambda: order.with_user(self.case.sales_rep).write({"order_line": [
            Command.create({"product_id": product.id, "product_uom_qty": 1}),
        ]}))
        if allow:
            self._allow_reserved(order)

    # ------------------------------------------------------------------ prepayment discounts

    @precondition(lambda self: len(self.payment_ids) < MAX_PAYMENTS)
    @rule(who=PICK, amount=st.sampled_from([500.0, 2000.0, 15000.0]), days_ago=st.sampled_from([10, 40, 0]))
    def prepay(self, who, amount, days_ago):
        """The customer pays in advance (received ``days_ago`` days ago)."""
        payment = self.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer", "partner_id": self._customer(who).id,
            "amount": amount, "date": self._today() - timedelta(days=days_ago),
            "journal_id": self.case.company_data["default_journal_bank"].id,
        })
        payment.action_post()
        self.payment_ids.append(payment.id)

    @precondition(lambda self: len(self.invoice_ids) < MAX_MOVES and self.payment_ids)
    @rule(who=PICK, amount=st.sampled_from(AMOUNTS), post=st.booleans())
    def prepaid_invoice(self, who, amount, post):
        """A draft invoice on payment terms with prepayment rules gets its discount (for a
        customer who paid in advance)."""
        payer = self._pick(self.env["account.payment"].browse(self.payment_ids), who).partner_id
        move = self._document(payer.commercial_partner_id, amount, self.program.company_id,
                              invoice_payment_term_id=self.case.prepayment_term.id)
        self._track(move)
        if self._attempt(move.action_wholesale_apply_prepayment_discount) and post:
            self._post(move)

    def _discounted_drafts(self):
        product = self.case.prepayment_product
        return self._moves(("out_invoice",), ("draft",)).filtered(
            lambda move: product in move.invoice_line_ids.product_id)

    @precondition(lambda self: self._discounted_drafts())
    @rule(pick=PICK, what=st.sampled_from(["goods", "date", "customer", "terms"]), who=PICK)
    def edit_discounted_invoice(self, pick, what, who):
        """After its discount, a draft's goods, date, customer or payment terms change."""
        move = self._pick(self._discounted_drafts(), pick)
        product = self.case.prepayment_product
        if what == "goods":
            goods = move.invoice_line_ids.filtered(lambda line: line.product_id != product)[:1]
            values = {"invoice_line_ids": [Command.update(goods.id, {"price_unit": 100.0})]}
        elif what == "date":
            values = {"invoice_date": self._today() - timedelta(days=20)}
        elif what == "customer":
            values = {"partner_id": self._customer(who).id}
        else:
            values = {"invoice_payment_term_id": self.case.plain_term.id}
        self._attempt(lambda: move.write(values))

    def _payments(self, states):
        payments = self.env["account.payment"].browse(self.payment_ids)
        return payments.filtered(lambda payment: payment.state in states)

    @precondition(lambda self: self.payment_ids)
    @rule(pick=PICK, how=st.sampled_from(["draft", "cancel", "post"]))
    def change_prepayment(self, pick, how):
        """A payment received in advance is reset to draft, cancelled, or posted again."""
        if how == "post":
            payment = self._pick(self._payments(("draft",)), pick)
            action = payment.action_post if payment else None
        else:
            payment = self._pick(self._payments(("in_process", "paid")), pick)

            def action():
                payment.action_draft()
                if how == "cancel":
                    payment.action_cancel()
        if payment:
            self._attempt(action)

    # ------------------------------------------------------------------ volume rebates

    def _rebate_moves(self, move_types, states):
        moves = self.env["account.move"].browse(self.rebate_move_ids)
        return moves.filtered(lambda move: move.move_type in move_types and move.state in states)

    @precondition(lambda self: len(self.rebate_move_ids) < MAX_REBATE_DOCUMENTS)
    @rule(next_month=st.booleans())
    def settle_rebates(self, next_month):
        """The monthly settlement (on the first of next month, or today) drafts a credit note
        for each customer owed a rebate."""
        if next_month:
            self.frozen.move_to(self._today().replace(day=1) + relativedelta(months=1))
        rebates = self.env["wholesale.loyalty.rebate"]._settle(programs=self.program)
        self.rebate_move_ids += rebates.move_id.ids

    @precondition(lambda self: self._rebate_moves(("out_refund",), ("draft",)))
    @rule(pick=PICK)
    def post_rebate(self, pick):
        note = self._pick(self._rebate_moves(("out_refund",), ("draft",)), pick)
        self._no_spend_change(note.commercial_partner_id, lambda: self._attempt(note.action_post))

    @precondition(lambda self: len(self.rebate_move_ids) < MAX_REBATE_DOCUMENTS + 2
                  and self._rebate_moves(("out_refund",), ("posted",)))
    @rule(pick=PICK, cancel=st.booleans())
    def reverse_rebate(self, pick, cancel):
        """A posted rebate credit note is reversed (at once, or by a draft posted after)."""
        note = self._pick(self._rebate_moves(("out_refund",), ("posted",)), pick)
        if not note or note.payment_state == "reversed":
            return
        reversals = []

        def reverse():
            reversal = note._reverse_moves([{"invoice_date": self._today()}], cancel=cancel)
            reversals.append(reversal)
            if reversal.state == "draft":
                reversal.action_post()
        self._no_spend_change(note.commercial_partner_id, lambda: self._attempt(reverse))
        if reversals:
            self.rebate_move_ids += reversals[0].ids

    def _no_spend_change(self, customer, action):
        """A rebate credit note or its reversal changes neither the spend nor the points."""
        engine = self.env["wholesale.loyalty.tier.engine"]
        spend = engine._qualifying_amounts(self.program, customer.ids, self.program._today())
        before = self._ledger_state()
        action()
        assert self._ledger_state() == before, "a rebate credit note or its reversal moved points"
        after = engine._qualifying_amounts(self.program, customer.ids, self.program._today())
        assert {k: round(v, 2) for k, v in after.items()} == {k: round(v, 2) for k, v in spend.items()}, (
            f"a rebate credit note or its reversal changed the qualifying spend: {spend} -> {after}")

    # ------------------------------------------------------------------ time, scheduled actions, customers

    @rule(days=st.sampled_from([1, 10, 31, 45]))
    def move_time(self, days):
        self.frozen.tick(timedelta(days=days))

    @rule()
    def expire(self):
        points = self.env["wholesale.loyalty.points"]
        points._expire_lots()
        count = self.ledger.search_count([])
        points._expire_lots()
        assert self.ledger.search_count([]) == count, "a second expiry run wrote entries again"
        assert not self.ledger.search_count([("expiry_date", "<", self._today()), ("remaining_points", ">", 0)]), \
            "points past their expiry date are left after the expiry run"

    @rule()
    def recalculate(self):
        engine = self.env["wholesale.loyalty.tier.engine"]
        history = self.env["wholesale.loyalty.tier.history"].sudo()
        engine._recalculate()
        self.env.invalidate_all()
        tiers = self._customers().mapped(lambda partner: partner.wholesale_tier_id.id)
        count = history.search_count([])
        engine._recalculate()
        self.env.invalidate_all()
        assert history.search_count([]) == count, "a second recalculation wrote tier history again"
        assert self._customers().mapped(lambda partner: partner.wholesale_tier_id.id) == tiers
        self._check_tiers_follow_spend()

    def _check_tiers_follow_spend(self):
        """After a full recalculation every member holds, in each company's program, the tier
        the spend of that company's documents gives on the program's basis and period (or a
        running paid membership), the spend summed here from the documents; with a grace
        period a higher tier may be kept for the days of grace."""
        for program in self.programs:
            ladder = program._ladder()
            today = program._today()
            for customer in self._customers():
                if self._member_program(customer, program.company_id) != program:
                    continue
                seen = customer.sudo().with_company(program.company_id)
                if seen.wholesale_tier_locked:
                    continue
                spend = self._expected_spend(program, customer, today)
                assert round(seen.wholesale_qualifying_amount, 2) == spend, (
                    f"{customer.name} in {program.name}: qualifying spend {seen.wholesale_qualifying_amount}, "
                    f"documents {spend}")
                expected = higher_tier(ladder, tier_for_amount(ladder, spend), self._paid_tier(customer))
                held = seen.wholesale_tier_id.id or None
                since = seen._wholesale_member().downgrade_since
                if held == expected:
                    assert not since, f"{customer.name} holds its tier but is marked below it since {since}"
                    continue
                grace = program.downgrade_grace_days
                assert grace and rank(ladder, held) > rank(ladder, expected) and since \
                    and 0 <= (today - since).days < grace, (
                        f"{customer.name}: tier {seen.wholesale_tier_id.name} (below since {since}) for a "
                        f"spend of {spend} on {today}, {grace} days of grace")

    def _expected_spend(self, program, customer, today):
        """The qualifying spend of ``customer`` in ``program`` on ``today``, from the documents."""
        date_from, date_to = qualification_window(program.qualification_period, today, program.period_months)
        company = program.company_id
        if program.qualification_basis == "confirmed":
            orders = self.env["sale.order"].search([
                ("partner_id.commercial_partner_id", "=", customer.id), ("state", "=", "sale"),
                ("company_id", "=", company.id),
            ])
            timezone = program._timezone()
            days = {order: local_today(timezone, order.date_order) for order in orders}
            return round(sum(
                self._counted_order_amount(order, program) / (order.currency_rate or 1.0)
                for order, day in days.items() if (date_from is None or day >= date_from) and day <= date_to
            ), 2)
        domain = [
            ("commercial_partner_id", "=", customer.id), ("move_type", "in", ("out_invoice", "out_refund")),
            ("state", "=", "posted"), ("company_id", "=", company.id), ("invoice_date", "<=", date_to),
            # Rebates and their reversals are rewards, not purchases.
            ("id", "not in", self.rebate_move_ids),
        ]
        if date_from:
            domain.append(("invoice_date", ">=", date_from))
        if program.qualification_basis == "paid":
            domain.append(("payment_state", "in", ("paid", "in_payment", "reversed")))
        documents = self.env["account.move"].search(domain)
        return round(sum(self._counted_amount(move, program) for move in documents), 2)

    def _counted_lines(self, lines, program):
        """Lines whose product is of no category the program leaves out."""
        excluded = program.excluded_categ_ids
        return lines.filtered(lambda line: not line.product_id or line.product_id.categ_id not in excluded)

    def _counted_amount(self, move, program):
        """A document's untaxed amount (company currency) without the lines left out."""
        lines = move.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        return -sum(self._counted_lines(lines, program).mapped("balance"))

    def _counted_order_amount(self, order, program):
        lines = order.order_line.filtered(lambda line: not line.display_type)
        return sum(self._counted_lines(lines, program).mapped("price_subtotal"))

    @precondition(lambda self: len(self.customer_ids) > 1)
    @rule(source=PICK, into=PICK)
    def merge(self, source, into):
        """An administrator merges two customers (Odoo's contact merge)."""
        src, dst = self._customer(source), self._customer(into)
        if src == dst:
            return
        wizard = self.env["base.partner.merge.automatic.wizard"].with_user(self.case.administrator).create({
            "partner_ids": [Command.set((src | dst).ids)], "dst_partner_id": dst.id,
        })
        if self._attempt(wizard.action_merge):
            self.merged_into[src.id] = dst.id
            self.customer_ids.remove(src.id)
            self.env.invalidate_all()

    @rule(who=PICK, points=st.sampled_from([1, 7, 30]), reference=st.sampled_from([None, "crm-1", "crm-2"]))
    def award(self, who, points, reference):
        """The outside CRM awards points; a reference already used awards nothing."""
        customer = self._customer(who).with_user(self.case.loyalty_manager)
        existing = self.ledger.search([
            ("partner_id", "=", customer.id), ("kind", "=", "bonus"), ("reference", "=", reference),
        ]) if reference else self.ledger
        count = self.ledger.search_count([])
        ids = customer.wholesale_award_points(points, "Webinar", reference=reference)
        if existing:
            assert ids == existing.ids and self.ledger.search_count([]) == count, "an award was given twice"

    def _paid_tier(self, customer):
        """The tier a running paid membership holds for the customer today, if any."""
        today = self._today()
        membership = self.env["wholesale.loyalty.membership"].sudo().search([
            ("partner_id", "=", customer.id), ("state", "=", "active"),
            ("date_start", "<=", today), ("date_end", ">=", today),
        ], limit=1)
        return membership.tier_id.id or None

    # ------------------------------------------------------------------ invariants

    @invariant()
    def memberships_follow_their_fees(self):
        """A fee line fully paid and not credited holds a membership; a fee line unpaid
        (or paid no more) holds none that counts; a credited one none that runs. Fee money a
        customer got back beyond the fee it credits (a fee credited twice, a credit note of
        the fee linked to no invoice) takes the customer's other memberships, so their paid
        fees hold at least what was not given back."""
        memberships = self.env["wholesale.loyalty.membership"].sudo()
        product = self.case.membership_product
        returned_elsewhere = self._fee_money_returned_elsewhere(product)
        held, owed = defaultdict(float), defaultdict(float)
        for invoice in self._moves(("out_invoice",)):
            customer = invoice.commercial_partner_id.id
            for line in invoice.invoice_line_ids.filtered(lambda line: line.product_id == product):
                membership = memberships.search([("move_line_id", "=", line.id)])
                credited = self.env["account.move"].search_count([
                    ("reversed_entry_id", "=", invoice.id), ("move_type", "=", "out_refund"),
                    ("state", "=", "posted"), ("invoice_line_ids.product_id", "=", product.id),
                ])
                paid = invoice.state == "posted" and invoice.payment_state in ("paid", "in_payment")
                counting = membership.filtered(lambda m: m.state in ("active", "expired"))
                if credited:
                    assert not membership.filtered(lambda m: m.state == "active"), (
                        f"{invoice.name}: a credited fee still holds a running membership")
                elif paid and returned_elsewhere[customer] > CENT:
                    assert len(counting) <= 1, f"{invoice.name}: a paid fee holds {len(counting)} memberships"
                    held[customer] += sum(counting.mapped("amount"))
                    owed[customer] += -line.balance
                elif paid:
                    assert len(counting) == 1, f"{invoice.name}: a paid fee holds {len(counting)} memberships"
                else:
                    assert not counting, f"{invoice.name} ({invoice.payment_state}): an unpaid fee holds a membership"
        for customer, amount in owed.items():
            assert held[customer] >= amount - returned_elsewhere[customer] - CENT, (
                f"customer {customer}: fees of {amount} paid, {returned_elsewhere[customer]} given back elsewhere, "
                f"memberships of {held[customer]} held")

    def _fee_money_returned_elsewhere(self, product):
        """{customer id: fee money its posted credit notes give back beyond the fee of the
        invoice each one credits (all of it for a credit note linked to no invoice)}."""
        refunds = self.env["account.move"].search([
            ("move_type", "=", "out_refund"), ("state", "=", "posted"),
            ("invoice_line_ids.product_id", "=", product.id),
        ])
        credited = defaultdict(float)
        for refund in refunds:
            lines = refund.invoice_line_ids.filtered(lambda line: line.product_id == product)
            credited[refund.commercial_partner_id.id, refund.reversed_entry_id.id] += sum(lines.mapped("balance"))
        returned = defaultdict(float)
        for (customer, invoice_id), money in credited.items():
            fee = 0.0
            if invoice_id:
                invoice = self.env["account.move"].browse(invoice_id)
                fee = -sum(invoice.invoice_line_ids.filtered(lambda line: line.product_id == product).mapped("balance"))
            returned[customer] += max(money - fee, 0.0)
        return returned

    @invariant()
    def balance_is_the_ledger(self):
        self.checks += 1
        self.env.invalidate_all()
        accounts = self.env["wholesale.loyalty.member"].sudo().with_context(active_test=False)
        for customer in self._customers():
            # Each company's program keeps the customer's points of its own account.
            for program in self.programs:
                entries = self.ledger.search([("partner_id", "=", customer.id), ("program_id", "=", program.id)])
                balance = sum(entries.mapped("points"))
                account = accounts.search([("partner_id", "=", customer.id), ("program_id", "=", program.id)])
                stored = account.points_balance if account else 0
                assert entries.member_id == account or not entries, (
                    f"{customer.name} in {program.name}: entries point to accounts {entries.member_id.ids}, "
                    f"not to the customer's account {account.id}")
                assert stored == balance, (
                    f"{customer.name} in {program.name}: stored balance {stored}, ledger {balance}")
                seen = customer.sudo().with_company(program.company_id)
                if seen.wholesale_program_id == program:
                    assert seen.wholesale_points_balance == balance, (
                        f"{customer.name} in {program.name}: shown balance {seen.wholesale_points_balance}")
                # Lots keep what is left to spend; a negative balance is a debt no lot covers.
                open_points = sum(entries.filtered(lambda e: e.points > 0).mapped("remaining_points"))
                assert open_points == max(balance, 0), (
                    f"{customer.name} in {program.name}: open lots hold {open_points} points, balance {balance}")
                spent = entries.filtered(lambda e: e.points < 0)
                assert not any(spent.mapped("remaining_points")), "a consuming entry holds points"

    @invariant()
    def rows_point_to_their_account(self):
        """Every ledger entry, tier history line and paid tier points to the member of its own
        partner and program, whoever wrote it (the ORM, the engine's SQL, a merge)."""
        self.env.flush_all()
        for table in ("wholesale_loyalty_ledger", "wholesale_loyalty_tier_history", "wholesale_loyalty_membership"):
            self.env.cr.execute(f"""
                SELECT t.id FROM {table} t LEFT JOIN wholesale_loyalty_member m ON m.id = t.member_id
                 WHERE t.program_id IS NOT NULL
                   AND (m.id IS NULL OR m.partner_id <> t.partner_id OR m.program_id <> t.program_id)""")  # noqa: S608
            off_account = [row[0] for row in self.env.cr.fetchall()]
            assert not off_account, f"{table} rows {off_account} do not point to the account of their key"

    @invariant()
    def liability_ties_out(self):
        """With a points liability in the books, what each program's lots still carry is, to
        the cent, what its liability account holds on the program's entries, customer by
        customer, and every entry booking it is posted."""
        programs = self.programs.filtered(lambda program: program.liability_method != "none")
        if not programs:
            return
        tie_outs = self.env["wholesale.loyalty.liability"]._tie_out(programs, by_customer=True)
        for program in programs:
            tie_out = tie_outs[program.id]
            assert tie_out["difference"] == 0.0, f"{program.name}: liability does not tie out: {tie_out}"
            wrong = [line for line in tie_out["lines"] if line["difference"]]
            assert not wrong, f"{program.name}: customers whose liability does not tie out: {wrong}"
        unposted = self.env["account.move"].search_count([
            ("wholesale_liability_program_id", "in", programs.ids), ("state", "!=", "posted"),
        ])
        assert not unposted, f"{unposted} liability entries not posted"

    @invariant()
    def analysis_follows_the_documents(self):
        """The analysis store kept by triggers (reports add-on) is what a recomputation from
        the documents finds, after any sequence of the rules."""
        if "wholesale.loyalty.report" not in self.env:
            return
        self.env.flush_all()
        kept = self._analysis_store()
        self.env["wholesale.loyalty.report"]._rebuild_store()
        recomputed = self._analysis_store()
        assert kept == recomputed, f"analysis store {kept} != recomputed {recomputed}"

    def _analysis_store(self):
        cr = self.env.cr
        cr.execute("""SELECT partner_id, company_id, user_id, month, revenue, invoice_count, refund_count,
                             points_earned, points_redeemed, points_expired, points_net, movement_count
                        FROM wholesale_loyalty_report_month ORDER BY partner_id, company_id, user_id, month""")
        months = cr.fetchall()
        cr.execute("""SELECT company_id, user_id, month, program_id, tier_id, country_id,
                             SUM(revenue), SUM(points_net), SUM(row_count)
                        FROM wholesale_loyalty_report_total GROUP BY 1, 2, 3, 4, 5, 6
                      HAVING SUM(row_count) <> 0 ORDER BY 1, 2, 3, 4, 5, 6""")
        return months, cr.fetchall()

    @invariant()
    def entries_are_never_changed(self):
        seen = self.ledger.search([("id", "in", list(self.entries))])
        assert set(seen.ids) == set(self.entries), (
            f"ledger entries deleted: {sorted(set(self.entries) - set(seen.ids))}")
        for entry in seen:
            before = self.entries[entry.id]
            now = self._entry_values(entry)
            expected = dict(before, partner_id=self._survivor(before["partner_id"]))
            merged_reference = re.escape(before["reference"] or "") + r"(:merged:\d+)+"
            moved = before["partner_id"] != expected["partner_id"]
            if moved and re.fullmatch(merged_reference, now["reference"] or ""):
                # A merged-away customer's entry whose cause the survivor also had keeps it
                # apart with the id of the partner it belonged to then (the merged one, or one
                # merged into it before): the one change a merge makes but moving.
                expected["reference"] = now["reference"]
            assert now == expected, f"ledger entry {entry.id} changed: {expected} -> {now}"
            assert 0 <= entry.remaining_points <= max(entry.points, 0)
        for entry in self.ledger.search([
            ("partner_id", "in", self._all_partner_ids()), ("id", "not in", list(self.entries)),
        ]):
            self.entries[entry.id] = self._entry_values(entry)

    def _with_corrections(self, entries):
        """The entries and every entry correcting them: reversals, reversals of reversals..."""
        chain = found = entries
        while found:
            found = self.ledger.search([("reversed_entry_id", "in", found.ids)]) - chain
            chain |= found
        return chain

    @staticmethod
    def _entry_values(entry):
        values = {name: entry[name] for name in ENTRY_FIELDS}
        values = {name: value.id if hasattr(value, "_name") else value for name, value in values.items()}
        values["partner_id"] = entry.partner_id.id
        return values

    @invariant()
    def invoices_hold_their_points(self):
        """Each invoice holds what the program of its company gives its net amount: from
        posting, or with the ``paid`` trigger while it is fully paid (from the time it was)."""
        self.paid_since_posted = {
            move.id for move in self._moves(("out_invoice",)) if move.id in self.paid_since_posted
            and move.state == "posted" and move.payment_state in PAID
        }
        for invoice in self._moves(("out_invoice",)):
            earned = self.ledger.search([("move_id", "=", invoice.id), ("kind", "=", "earn")])
            held = sum(self._with_corrections(earned).mapped("points"))
            expected = 0
            program = self._member_program(invoice.commercial_partner_id, invoice.company_id)
            earns = program.points_trigger == "posted" or invoice.id in self.paid_since_posted
            if invoice.state == "posted" and program and earns:
                refunds = self.env["account.move"].search([
                    ("reversed_entry_id", "=", invoice.id), ("move_type", "=", "out_refund"), ("state", "=", "posted"),
                ])
                net = self._goods(invoice, program) - self._unbacked_deductions(invoice) + sum(
                    self._goods(refund, program) for refund in refunds)
                expected = points_for(net, program, self.earn_multiplier.get(invoice.id, 1.0))
            assert held == expected, (
                f"{invoice.name} ({invoice.state}, {invoice.payment_state}, {invoice.currency_id.name}, "
                f"{invoice.company_id.name}) holds {held} points, the program gives {expected}")

    def _goods(self, move, program):
        """A document's untaxed amount without its down-payment lines and the lines its program
        leaves out (company currency)."""
        lines = move.invoice_line_ids.filtered(lambda line: line.display_type == "product" and not line.is_downpayment)
        return -sum(self._counted_lines(lines, program).mapped("balance"))

    @staticmethod
    def _unbacked_deductions(invoice):
        """Down payments the invoice deducts that posted down-payment invoices no longer back."""
        unbacked = 0.0
        for deduction in invoice.invoice_line_ids.filtered(lambda line: line.is_downpayment and line.balance > 0):
            backing = deduction.sale_line_ids.invoice_lines.filtered(lambda line: (
                line.move_id.state == "posted" and all(line.move_id.invoice_line_ids.mapped("is_downpayment"))))
            unbacked += max(deduction.balance - max(-sum(backing.mapped("balance")), 0.0), 0.0)
        return unbacked

    @invariant()
    def orders_earn_on_their_total(self):
        """An order invoiced in parts (down payments, then the rest) earns the points rule on
        what its invoices invoice in total, when they all earn at one multiplier and nothing
        was credited."""
        for order in self._orders():
            invoices = order.invoice_ids.filtered(lambda move: move.move_type == "out_invoice")
            program = self._member_program(order.partner_id.commercial_partner_id, order.company_id)
            multipliers = {self.earn_multiplier.get(invoice.id, 1.0) for invoice in invoices}
            if (len(invoices) < 2 or not program or program.points_trigger != "posted" or len(multipliers) != 1
                    or any(invoice.state != "posted" or invoice.reversal_move_ids for invoice in invoices)):
                continue
            earned = self.ledger.search([("move_id", "in", invoices.ids), ("kind", "=", "earn")])
            held = sum(self._with_corrections(earned).mapped("points"))
            total = sum(invoices.mapped("amount_untaxed_signed"))
            expected = points_for(total, program, multipliers.pop())
            assert held == expected, f"{order.name}'s invoices hold {held} points, their total {total} earns {expected}"

    @invariant()
    def companies_keep_apart(self):
        """An entry is of its program's company, and so is the document or order it names."""
        entries = self.ledger.search([("partner_id", "in", self._all_partner_ids())])
        for entry in entries:
            company = entry.program_id.company_id
            assert entry.company_id == company, f"entry {entry.id} of {company.name} booked in {entry.company_id.name}"
            assert not entry.move_id or entry.move_id.company_id == company, (
                f"entry {entry.id} of {company.name}'s program names {entry.move_id.name} of "
                f"{entry.move_id.company_id.name}")
            assert not entry.sale_order_id or entry.sale_order_id.company_id == company

    @invariant()
    def rebates_earn_nothing(self):
        """Rebate credit notes and the documents reversing them move no points (their spend is
        left out of the tiers, checked by ``_check_tiers_follow_spend`` and ``_no_spend_change``)."""
        if self.rebate_move_ids:
            entries = self.ledger.search([("move_id", "in", self.rebate_move_ids)])
            assert not entries, f"rebate documents hold points: {entries.mapped('reference')}"

    @invariant()
    def reserved_products_are_allowed(self):
        """A confirmed order holds only the reserved products its customer's tier may buy or an
        administrator allowed on it."""
        for order in self._orders(("sale",)):
            products = self.env["product.product"]
            refused = products.browse(self.refused_at_confirmation.get(order.id, []))
            allowed = order.wholesale_exclusive_override_product_ids if order.wholesale_exclusive_override_reason \
                else products
            assert not refused - allowed, (
                f"{order.name} was confirmed with {(refused - allowed).mapped('name')} reserved to a higher tier")

    @invariant()
    def prepayment_money_is_used_once(self):
        """No payment's money is the base of more discounts than it holds; each posted
        invoice's discount is based on its customer's money received early enough, or is
        flagged once that money is gone."""
        Reservation = self.env["wholesale.prepayment.reservation"].sudo()
        product = self.case.prepayment_product
        reservations = Reservation.search([
            ("move_id.commercial_partner_id", "in", self._all_partner_ids()), *Reservation._holding_domain(),
        ])
        for line in reservations.payment_line_id:
            held = sum(reservations.filtered(lambda r, line=line: r.payment_line_id == line).mapped("base_amount"))
            amount = abs(line.amount_currency)
            assert line.currency_id.compare_amounts(held, amount) <= 0, (
                f"{line.move_id.name}: {held} of discounts' base on a payment of {amount}")
        for invoice in self._moves(("out_invoice",), ("posted",)):
            lines = invoice.invoice_line_ids.filtered(lambda line: line.product_id == product)
            # A fully reversed invoice gives its discount back with the reversal: its money is free.
            if not lines or invoice.payment_state == "reversed":
                continue
            currency = invoice.currency_id
            given = -sum(lines.mapped("price_total"))
            own = reservations.filtered(lambda r, invoice=invoice: r.move_id == invoice)
            # A payment reset or cancelled after the invoice was posted: the accountant is told
            # to correct the discount (its reservations may go with the payment's items).
            if invoice.activity_ids.filtered(lambda a: "no longer backed" in (a.summary or "")):
                continue
            assert all(line.parent_state == "posted" for line in own.payment_line_id), (
                f"{invoice.name}: the payments under its discount are gone and nobody is told")
            cents = currency.rounding * len(lines)
            assert currency.compare_amounts(given - sum(own.mapped("discount_amount")), cents) <= 0, (
                f"{invoice.name}: a discount of {given} on reservations of {own.mapped('discount_amount')}")
            total = invoice.amount_total + given
            assert currency.compare_amounts(sum(own.mapped("invoice_base_amount")) - total, cents) <= 0
            for reservation in own:
                line = reservation.payment_line_id
                assert line.partner_id.commercial_partner_id == invoice.commercial_partner_id, (
                    f"{invoice.name} is discounted on {line.partner_id.name}'s money")
                days = (invoice.invoice_date - line.date).days
                best = max((rule.percent for rule in PREPAYMENT_RULES if days >= rule.days), default=0.0)
                assert 0 < reservation.discount_percent <= best, (
                    f"{invoice.name}: {reservation.discount_percent}% for money received {days} days before")

    def _unbacked_discount(self, invoice):
        """The prepayment discount of a draft invoice above what the money its customer has
        received early enough, free of other invoices' discounts, gives it now (0 if none)."""
        product = self.case.prepayment_product
        lines = invoice.invoice_line_ids.filtered(lambda line: line.product_id == product)
        if invoice.move_type != "out_invoice" or not lines:
            return 0.0
        currency = invoice.currency_id
        given = -sum(lines.mapped("price_total"))
        allowed = 0.0
        if invoice.invoice_payment_term_id == self.case.prepayment_term and invoice.invoice_date:
            parts = allocate_prepayments(
                self._free_prepayments(invoice), invoice.invoice_date, PREPAYMENT_RULES,
                invoice.amount_total + given, currency.decimal_places,
            )
            allowed = prepayment_discount(parts, currency.decimal_places)
        excess = currency.round(given - allowed)
        return excess if currency.compare_amounts(excess, currency.rounding * len(lines)) > 0 else 0.0

    def _free_prepayments(self, invoice):
        """[Prepayment] of the customer's money outstanding and not the base of another
        invoice's discount (company currency: the machine's payments and these invoices)."""
        Reservation = self.env["wholesale.prepayment.reservation"].sudo()
        credits = self.env["account.move.line"].search([
            ("partner_id", "=", invoice.commercial_partner_id.id), ("parent_state", "=", "posted"),
            ("account_id.account_type", "=", "asset_receivable"), ("reconciled", "=", False),
            ("amount_residual", "<", 0.0), ("move_id.move_type", "=", "entry"),
            ("company_id", "=", invoice.company_id.id),
        ])
        others = Reservation.search([
            ("payment_line_id", "in", credits.ids), ("move_id", "!=", invoice.id), *Reservation._holding_domain(),
        ])
        prepayments = []
        for line in credits:
            held = 0.0
            for reservation in others.filtered(lambda r, line=line: r.payment_line_id == line):
                matched = sum(partial.amount for partial in line.matched_debit_ids
                              if partial.debit_move_id.move_id == reservation.move_id)
                held += max(reservation.base_amount - matched, 0.0)
            free = round(-line.amount_residual - held, 2)
            if free > 0:
                prepayments.append(Prepayment(line.date, free))
        return prepayments

    def _points_on_documents(self, lines):
        """(points on posted invoices, points on posted credit notes) of ``lines``, in
        proportion to the amount of each points line they carry."""
        invoiced = credited = 0.0
        for line in lines.filtered(lambda line: not line.currency_id.is_zero(line.price_subtotal)):
            per_amount = line.wholesale_points_redeemed / line.price_subtotal
            for aml in line.invoice_lines.filtered(lambda aml: aml.move_id.state == "posted"):
                if aml.move_id.move_type == "out_refund":
                    credited += aml.price_subtotal * per_amount
                else:
                    invoiced += aml.price_subtotal * per_amount
        return round(invoiced), round(credited)

    @invariant()
    def points_discounts_are_redeemed(self):
        """The ledger holds the points of a discount as long as money carries it: all of them on
        a confirmed order, what posted invoices carry on a cancelled one, less what posted credit
        notes gave back; no redemption without its discount."""
        program = self.program
        for order in self._orders():
            redemptions = self.ledger.search([("sale_order_id", "=", order.id), ("kind", "=", "redeem")])
            taken = -sum(self._with_corrections(redemptions).mapped("points"))
            lines = self._points_lines(order)
            points = sum(lines.mapped("wholesale_points_redeemed"))
            invoiced, credited = self._points_on_documents(lines)
            expected = min(max((points if order.state == "sale" else invoiced) - credited, 0), points)
            assert taken == expected, (
                f"{order.name} ({order.state}) gives a discount of {points} points ({expected} standing), "
                f"the ledger took {taken}")
            if order.state != "sale":
                continue
            assert all(line.wholesale_points_redeemed > 0 for line in lines), \
                f"{order.name} has a points discount line without points"
            value = sum(lines.mapped("price_subtotal"))
            assert abs(value + points * program.point_value) <= CENT * len(lines), (
                f"{order.name}: {points} points give a discount of {-value}")
            goods = order.order_line.filtered(lambda line: not line.display_type and not line.is_downpayment)
            base = sum((goods - lines).mapped("price_subtotal"))
            cap = math.floor(round(base * program.max_redeem_percent / 100.0, 2) / program.point_value + 1e-9)
            # An order without points may well total less than zero (returns priced negative).
            assert not points or points <= cap, f"{order.name} uses {points} points, more than its cap {cap}"

    @invariant()
    def confirmed_prices_never_change(self):
        lines = self.env["sale.order.line"].browse(list(self.confirmed_prices)).exists()
        # A cancelled order set back to quotation may be edited; it is snapshot again at confirmation.
        for line in lines.filtered(lambda line: line.order_id.state == "sale"):
            now = (line.price_unit, line.discount, line.price_subtotal)
            assert now == self.confirmed_prices[line.id], (
                f"{line.order_id.name} line {line.name!r} changed after confirmation: "
                f"{self.confirmed_prices[line.id]} -> {now}")
