"""What an RPC client may call on the models of both add-ons, and who may call it.

Odoo serves over XML-RPC and JSON-RPC every method whose name does not start with ``_`` and
that is not ``@api.private``, on any model, to any logged-in user, portal included, whatever
the model's access rules. The list below is the add-ons' public surface, each method with the
roles that may call it. The test reads the surface from the registry with Odoo's own rule, so
a new public method without its line here fails it; then it calls every method over XML-RPC
as each role and checks that what a role may not do is refused and writes nothing.
"""
import xmlrpc.client
from typing import NamedTuple

from odoo import Command
from odoo.exceptions import AccessError
from odoo.service.model import get_public_method
from odoo.tests import HttpCase, new_test_user, tagged

from .common import WholesaleLoyaltyCommon

ADDON_MODULES = ("odoo.addons.wholesale_loyalty.", "odoo.addons.wholesale_loyalty_reports.")

CONTACT_CREATION = "base.group_partner_manager"  # every new internal user has it
ROLE_GROUPS = {
    "portal": "base.group_portal",
    "employee": f"base.group_user,{CONTACT_CREATION}",
    "sales_rep": f"sales_team.group_sale_salesman,{CONTACT_CREATION}",
    "billing": f"account.group_account_invoice,{CONTACT_CREATION}",
    "loyalty_admin": f"sales_team.group_sale_salesman,wholesale_loyalty.group_wholesale_loyalty_manager,"
                     f"{CONTACT_CREATION}",
}
ROLES = tuple(ROLE_GROUPS)

NOBODY = frozenset()
ADMIN = frozenset({"loyalty_admin"})
LOYALTY_USERS = frozenset({"sales_rep", "loyalty_admin"})
BILLING = frozenset({"billing"})
LOYALTY_USERS_AND_BILLING = LOYALTY_USERS | BILLING
EMPLOYEES = frozenset({"employee", "sales_rep", "billing", "loyalty_admin"})

# Fault codes of Odoo's XML-RPC: an access error (a missing right, a private method) and a
# user error (a refusal the method explains). Anything else is a crash.
ACCESS_ERROR, USER_ERROR = 4, 2
RETURNED_NONE = "cannot marshal None"  # the method ran; its result cannot be sent back


class Public(NamedTuple):
    """A public method: the roles that may call it, and how the test calls it. ``call`` gets
    the test and the role and returns (model, method, args, kwargs); it may first prepare
    records as that role, over RPC too (a wizard, a screen of its own)."""

    roles: frozenset
    call: object
    immutable: bool = False  # refused to everyone by a user error: the records never change


def _on(model, method, records, *args, **kwargs):
    return lambda test, role: (model, method, [records(test), *args], kwargs)


def _wizard(model, values, method="action_apply"):
    """``method`` of a wizard the role creates first (wizards are their creator's only)."""
    def call(test, role):
        wizard_id = test.rpc(role, model, "create", values(test))
        return model, method, [[wizard_id]], {}
    return call


def _screen(model, method, values=lambda test: {}, lines=None, args=()):
    """``method`` of a record the role creates first (KPI screens, scenarios), or of its
    first line (``lines``: model and one2many field) when given."""
    def call(test, role):
        record_id = test.rpc(role, model, "create", {"program_id": test.program.id, **values(test)})
        if lines:
            line_model, field = lines
            [record] = test.rpc(role, model, "read", [record_id], [field])
            return line_model, method, [record[field][:1], *args], {}
        return model, method, [[record_id], *args], {}
    return call


def _simulated(method, *args):
    """``method`` of a what-if the administrator ran, that moves the customer down."""
    def call(test, role):
        simulation_id = test.simulated_proposal()
        return "wholesale.loyalty.simulation", method, [[simulation_id], *args], {}
    return call


def _mover(test, role):
    simulation_id = test.simulated_proposal()
    mover_ids = test.rpc("loyalty_admin", "wholesale.loyalty.simulation.move", "search",
                         [("simulation_id", "=", simulation_id)])
    return "wholesale.loyalty.simulation.move", "action_open_partner", [mover_ids[:1]], {}


def _simulation_line(method, *args):
    def call(test, role):
        simulation_id = test.simulated_proposal()
        [simulation] = test.rpc("loyalty_admin", "wholesale.loyalty.simulation", "read", [simulation_id],
                                ["tier_line_ids"])
        return "wholesale.loyalty.simulation.tier", method, [simulation["tier_line_ids"][:1], *args], {}
    return call


KPI_TIER_LINES = ("wholesale.loyalty.kpi.tier", "tier_line_ids")
KPI_ACTIONS = (
    "action_refresh", "action_open_member_invoices", "action_open_nonmember_invoices",
    "action_open_member_revenue", "action_open_nonmember_revenue", "action_open_member_customers",
    "action_open_nonmember_customers", "action_open_members", "action_open_analysis",
    "action_open_points_earned", "action_open_points_redeemed", "action_open_points_expired",
    "action_open_liability", "action_open_expiring_30d", "action_open_expiring_90d",
    "action_open_tier_graph", "action_open_memberships", "action_open_personal_offers",
)


def customer(test):
    return [test.customer.id]


def quotation(test):
    return [test.quotation.id]


def _bonus_rule(test):
    """A bonus rule of the program, made for the call (each role's call may delete it)."""
    return test.env["wholesale.loyalty.bonus.rule"].create({"program_id": test.program.id, "name": "Welcome"})


def program(test):
    return [test.program.id]



def _liability_screen(method):
    """``method`` of the Points Liability screen the role opens first on the program."""
    def call(test, role):
        screen_id = test.rpc(role, "wholesale.loyalty.liability.screen", "create",
                             {"program_key": str(test.program.id)})
        return "wholesale.loyalty.liability.screen", method, [[screen_id]], {}
    return call


def _award_request(test):
    """Points awaiting approval above the liability budget, made for the call."""
    return test.env["wholesale.loyalty.award.request"]._request(test.customer, test.program, 5, "Trade fair")


# Every public method of both add-ons, with the roles that may call it. Methods of Odoo's
# own (create, write, button_draft, ...) that the add-ons extend keep Odoo's access rules;
# the add-ons' extensions of them are tested with the loyalty values they guard.
SURFACE = {
    # Customers: the integrator's API and the buttons of the customer form.
    ("res.partner", "wholesale_status"): Public(LOYALTY_USERS, _on("res.partner", "wholesale_status", customer)),
    ("res.partner", "wholesale_recompute_tier"): Public(
        LOYALTY_USERS, _on("res.partner", "wholesale_recompute_tier", customer)),
    ("res.partner", "wholesale_award_points"): Public(
        ADMIN, _on("res.partner", "wholesale_award_points", customer, 10, "Webinar", reference="crm-1")),
    ("res.partner", "action_wholesale_recompute_tier"): Public(
        LOYALTY_USERS, _on("res.partner", "action_wholesale_recompute_tier", customer)),
    ("res.partner", "action_wholesale_view_ledger"): Public(
        LOYALTY_USERS, _on("res.partner", "action_wholesale_view_ledger", customer)),
    ("res.partner", "action_wholesale_award_points"): Public(
        ADMIN, _on("res.partner", "action_wholesale_award_points", customer)),
    ("res.partner", "action_wholesale_lock_tier"): Public(
        ADMIN, _on("res.partner", "action_wholesale_lock_tier", customer)),
    ("res.partner", "action_wholesale_unlock_tier"): Public(
        ADMIN, _on("res.partner", "action_wholesale_unlock_tier", customer)),
    ("res.partner", "action_wholesale_print_statement"): Public(
        LOYALTY_USERS, _on("res.partner", "action_wholesale_print_statement", customer)),
    ("res.partner", "action_wholesale_send_statement"): Public(
        LOYALTY_USERS, _on("res.partner", "action_wholesale_send_statement", customer)),
    ("res.partner", "create"): Public(EMPLOYEES, lambda test, role: (
        "res.partner", "create", [{"name": "New Wholesaler", "is_company": True,
                                   "category_id": [(4, test.member_tag.id)]}], {})),
    ("res.partner", "write"): Public(
        ADMIN, lambda test, role: ("res.partner", "write", [customer(test), {"wholesale_tier_id": test.platinum.id}],
                                   {})),
    # Quotations.
    ("sale.order", "action_wholesale_redeem_points"): Public(
        LOYALTY_USERS, _on("sale.order", "action_wholesale_redeem_points", quotation)),
    ("sale.order", "action_wholesale_refresh_tier"): Public(
        LOYALTY_USERS, _on("sale.order", "action_wholesale_refresh_tier", quotation)),
    ("sale.order", "create"): Public(LOYALTY_USERS, lambda test, role: (
        "sale.order", "create", [{"partner_id": test.customer.id, "user_id": False, "order_line": [
            (0, 0, {"product_id": test.product_a.id, "product_uom_qty": 2})]}], {})),
    ("sale.order", "write"): Public(
        LOYALTY_USERS_AND_BILLING, _on("sale.order", "write", quotation, {"client_order_ref": "PO-7"})),
    ("sale.order.line", "create"): Public(LOYALTY_USERS, lambda test, role: (
        "sale.order.line", "create", [{"order_id": test.quotation.id, "product_id": test.product_b.id,
                                       "product_uom_qty": 1}], {})),
    ("sale.order.line", "write"): Public(
        LOYALTY_USERS_AND_BILLING,
        _on("sale.order.line", "write", lambda test: test.quotation.order_line.ids, {"product_uom_qty": 3})),
    ("sale.order.line", "unlink"): Public(
        LOYALTY_USERS, _on("sale.order.line", "unlink", lambda test: test.quotation.order_line.ids)),
    # Invoices and payments.
    ("account.move", "action_wholesale_apply_prepayment_discount"): Public(
        BILLING, _on("account.move", "action_wholesale_apply_prepayment_discount",
                     lambda test: [test.draft_invoice.id])),
    ("account.move", "button_draft"): Public(
        BILLING, _on("account.move", "button_draft", lambda test: [test.invoice.id])),
    ("account.move", "button_cancel"): Public(
        BILLING, _on("account.move", "button_cancel", lambda test: [test.draft_invoice.id])),
    ("account.move", "copy_data"): Public(
        LOYALTY_USERS_AND_BILLING, _on("account.move", "copy_data", lambda test: [test.invoice.id])),
    ("account.partial.reconcile", "unlink"): Public(
        BILLING, _on("account.partial.reconcile", "unlink", lambda test: test.paid_invoice_partials.ids)),
    # Programs, tiers and what they pay.
    ("wholesale.loyalty.program", "action_view_members"): Public(
        LOYALTY_USERS, _on("wholesale.loyalty.program", "action_view_members", program)),
    ("wholesale.loyalty.program", "action_change_membership"): Public(
        ADMIN, _on("wholesale.loyalty.program", "action_change_membership", program)),
    ("wholesale.loyalty.program", "action_recalculate_tiers"): Public(
        ADMIN, _on("wholesale.loyalty.program", "action_recalculate_tiers", program)),
    ("wholesale.loyalty.program", "action_settle_rebates"): Public(
        ADMIN, _on("wholesale.loyalty.program", "action_settle_rebates", program)),
    ("wholesale.loyalty.program", "liability_tie_out"): Public(
        ADMIN | BILLING, _on("wholesale.loyalty.program", "liability_tie_out", program)),
    ("wholesale.loyalty.program", "action_export_liability_tie_out"): Public(
        ADMIN | BILLING, _on("wholesale.loyalty.program", "action_export_liability_tie_out", program)),
    ("wholesale.loyalty.program", "action_book_opening_liability"): Public(
        ADMIN, _on("wholesale.loyalty.program", "action_book_opening_liability", program)),
    ("wholesale.loyalty.program", "action_print_liability_tie_out"): Public(
        ADMIN | BILLING, _on("wholesale.loyalty.program", "action_print_liability_tie_out", program)),
    ("wholesale.loyalty.liability.screen", "action_print"): Public(ADMIN | BILLING, _liability_screen("action_print")),
    ("wholesale.loyalty.liability.screen", "action_export"): Public(
        ADMIN | BILLING, _liability_screen("action_export")),
    ("wholesale.loyalty.award.request", "action_approve"): Public(
        ADMIN, _on("wholesale.loyalty.award.request", "action_approve", lambda test: _award_request(test).ids)),
    ("wholesale.loyalty.award.request", "action_refuse"): Public(
        ADMIN, _on("wholesale.loyalty.award.request", "action_refuse", lambda test: _award_request(test).ids)),
    ("wholesale.loyalty.program", "create"): Public(ADMIN, lambda test, role: (
        "wholesale.loyalty.program", "create", [{"name": "Second Program", "partner_domain": "[('id', '=', 0)]"}],
        {})),
    ("wholesale.loyalty.program", "write"): Public(
        ADMIN, _on("wholesale.loyalty.program", "write", program, {"max_redeem_percent": 30})),
    ("wholesale.loyalty.program", "unlink"): Public(
        ADMIN, _on("wholesale.loyalty.program", "unlink", lambda test: test.spare_program.ids)),
    ("wholesale.loyalty.membership", "action_approve"): Public(
        ADMIN, _on("wholesale.loyalty.membership", "action_approve", lambda test: test.fee_to_approve.ids)),
    ("wholesale.loyalty.tier", "action_view_partners"): Public(
        LOYALTY_USERS, _on("wholesale.loyalty.tier", "action_view_partners", lambda test: test.gold.ids)),
    ("wholesale.loyalty.bonus.rule", "create"): Public(ADMIN, lambda test, role: (
        "wholesale.loyalty.bonus.rule", "create", [{"program_id": test.program.id, "name": "Two weeks ahead",
                                                    "trigger": "advance_order", "days_ahead": 14}], {})),
    ("wholesale.loyalty.bonus.rule", "write"): Public(
        ADMIN, _on("wholesale.loyalty.bonus.rule", "write", lambda test: _bonus_rule(test).ids, {"points": 150})),
    ("wholesale.loyalty.bonus.rule", "unlink"): Public(
        ADMIN, _on("wholesale.loyalty.bonus.rule", "unlink", lambda test: _bonus_rule(test).ids)),
    ("wholesale.loyalty.tier", "create"): Public(ADMIN, lambda test, role: (
        "wholesale.loyalty.tier", "create", [{"program_id": test.program.id, "name": "Diamond",
                                              "threshold_amount": 20000}], {})),
    ("wholesale.loyalty.tier", "write"): Public(
        ADMIN, _on("wholesale.loyalty.tier", "write", lambda test: test.gold.ids, {"discount_percent": 6})),
    ("wholesale.loyalty.tier", "unlink"): Public(
        ADMIN, _on("wholesale.loyalty.tier", "unlink", lambda test: test.spare_tier.ids)),
    ("wholesale.loyalty.rebate", "action_view_credit_note"): Public(
        LOYALTY_USERS_AND_BILLING,
        _on("wholesale.loyalty.rebate", "action_view_credit_note", lambda test: test.rebate.ids)),
    ("wholesale.loyalty.rebate", "action_view_invoices"): Public(
        LOYALTY_USERS_AND_BILLING,
        _on("wholesale.loyalty.rebate", "action_view_invoices", lambda test: test.rebate.ids)),
    # Outbound events: endpoints and their secrets are the loyalty administrators'.
    ("wholesale.loyalty.webhook", "create"): Public(ADMIN, lambda test, role: (
        "wholesale.loyalty.webhook", "create", [{"name": "Second CRM", "url": "https://crm.example.com/events"}], {})),
    ("wholesale.loyalty.webhook", "write"): Public(
        ADMIN, _on("wholesale.loyalty.webhook", "write", lambda test: test.webhook.ids,
                   {"event_types": "tier.changed"})),
    ("wholesale.loyalty.webhook", "unlink"): Public(
        ADMIN, _on("wholesale.loyalty.webhook", "unlink", lambda test: test.webhook.ids)),
    ("wholesale.loyalty.webhook", "action_rotate_secret"): Public(
        ADMIN, _on("wholesale.loyalty.webhook", "action_rotate_secret", lambda test: test.webhook.ids)),
    ("wholesale.loyalty.webhook", "action_view_events"): Public(
        ADMIN, _on("wholesale.loyalty.webhook", "action_view_events", lambda test: test.webhook.ids)),
    ("wholesale.loyalty.event", "action_send_again"): Public(
        ADMIN, _on("wholesale.loyalty.event", "action_send_again", lambda test: test.event.ids)),
    # The ledger and the tier history are written by the services only.
    ("wholesale.loyalty.ledger", "create"): Public(NOBODY, lambda test, role: (
        "wholesale.loyalty.ledger", "create", [{"partner_id": test.customer.id, "program_id": test.program.id,
                                                "points": 100000, "kind": "adjust"}], {})),
    ("wholesale.loyalty.ledger", "write"): Public(
        NOBODY, _on("wholesale.loyalty.ledger", "write", lambda test: test.award.ids, {"points": 100000}),
        immutable=True),
    ("wholesale.loyalty.tier.history", "create"): Public(NOBODY, lambda test, role: (
        "wholesale.loyalty.tier.history", "create", [{"partner_id": test.customer.id, "program_id": test.program.id,
                                                      "new_tier_id": test.platinum.id, "reason": "manual"}], {})),
    # Paid tiers follow their fee invoices only.
    ("wholesale.loyalty.membership", "create"): Public(NOBODY, lambda test, role: (
        "wholesale.loyalty.membership", "create", [{
            "partner_id": test.customer.id, "program_id": test.program.id, "tier_id": test.platinum.id,
            "company_id": test.program.company_id.id, "months": 12, "state": "active",
        }], {})),
    ("wholesale.loyalty.membership", "write"): Public(NOBODY, lambda test, role: (
        "wholesale.loyalty.membership", "write", [test.fee_to_approve.ids,
                                                  {"partner_id": test.customer.id, "state": "active"}], {})),
    ("wholesale.loyalty.tier.history", "write"): Public(
        NOBODY, _on("wholesale.loyalty.tier.history", "write", lambda test: test.history.ids,
                    {"new_tier_id": 0}), immutable=True),
    # Wizards.
    ("wholesale.loyalty.award.wizard", "action_apply"): Public(ADMIN, _wizard(
        "wholesale.loyalty.award.wizard",
        lambda test: {"partner_id": test.customer.id, "points": 10, "reason": "Survey"})),
    ("wholesale.loyalty.tier.lock.wizard", "action_apply"): Public(ADMIN, _wizard(
        "wholesale.loyalty.tier.lock.wizard",
        lambda test: {"partner_id": test.customer.id, "tier_id": test.platinum.id, "reason": "Key account"})),
    ("wholesale.loyalty.tier.lock.wizard", "default_get"): Public(ADMIN, lambda test, role: (
        "wholesale.loyalty.tier.lock.wizard", "default_get", [["partner_id", "tier_id"]],
        {"context": {"default_partner_id": test.customer.id}})),
    ("wholesale.loyalty.program.membership.wizard", "action_apply"): Public(ADMIN, _wizard(
        "wholesale.loyalty.program.membership.wizard",
        lambda test: {"program_id": test.program.id, "partner_domain": "[('id', '=', 0)]"})),
    ("wholesale.loyalty.program.membership.wizard", "default_get"): Public(ADMIN, lambda test, role: (
        "wholesale.loyalty.program.membership.wizard", "default_get", [["program_id", "partner_domain"]],
        {"context": {"default_program_id": test.program.id}})),
    ("wholesale.loyalty.membership.approve.wizard", "action_apply"): Public(ADMIN, _wizard(
        "wholesale.loyalty.membership.approve.wizard",
        lambda test: {"membership_id": test.fee_to_approve.id, "reason": "Launch offer"})),
    ("wholesale.loyalty.redeem.wizard", "action_apply"): Public(LOYALTY_USERS, _wizard(
        "wholesale.loyalty.redeem.wizard", lambda test: {"order_id": test.quotation.id, "points": 5})),
    # Reports add-on: the KPI screen, ROI scenarios, what-ifs.
    ("wholesale.loyalty.kpi", "action_open_dashboard"): Public(LOYALTY_USERS, lambda test, role: (
        "wholesale.loyalty.kpi", "action_open_dashboard", [], {})),
    ("wholesale.loyalty.kpi", "create"): Public(LOYALTY_USERS, lambda test, role: (
        "wholesale.loyalty.kpi", "create", [{"program_id": test.program.id}], {})),
    ("wholesale.loyalty.kpi", "write"): Public(
        LOYALTY_USERS, _screen("wholesale.loyalty.kpi", "write", args=({"date_from": "2026-01-01"},))),
    ("wholesale.loyalty.kpi.tier", "action_open_customers"): Public(
        LOYALTY_USERS, _screen("wholesale.loyalty.kpi", "action_open_customers", lines=KPI_TIER_LINES)),
    ("wholesale.loyalty.kpi.tier", "action_open_ledger"): Public(
        LOYALTY_USERS, _screen("wholesale.loyalty.kpi", "action_open_ledger", lines=KPI_TIER_LINES)),
    ("wholesale.loyalty.roi.scenario", "action_fill_from_data"): Public(
        LOYALTY_USERS, _screen("wholesale.loyalty.roi.scenario", "action_fill_from_data",
                               lambda test: {"name": "Next year", "program_cost": 20000})),
    ("wholesale.loyalty.roi.scenario", "action_open_sensitivity_graph"): Public(
        LOYALTY_USERS, _screen("wholesale.loyalty.roi.scenario", "action_open_sensitivity_graph",
                               lambda test: {"name": "Next year", "program_cost": 20000})),
    ("wholesale.loyalty.simulation", "create"): Public(ADMIN, lambda test, role: (
        "wholesale.loyalty.simulation", "create", [{"program_id": test.program.id}], {})),
    ("wholesale.loyalty.simulation", "write"): Public(ADMIN, _simulated("write", {"name": "Higher Gold"})),
    ("wholesale.loyalty.simulation", "action_simulate"): Public(ADMIN, _simulated("action_simulate")),
    ("wholesale.loyalty.simulation", "action_run_sensitivity"): Public(ADMIN, _simulated("action_run_sensitivity")),
    ("wholesale.loyalty.simulation", "action_open_sensitivity_graph"): Public(
        ADMIN, _simulated("action_open_sensitivity_graph")),
    ("wholesale.loyalty.simulation", "action_view_movers"): Public(ADMIN, _simulated("action_view_movers")),
    ("wholesale.loyalty.simulation", "action_apply"): Public(ADMIN, _simulated("action_apply")),
    ("wholesale.loyalty.simulation.move", "action_open_partner"): Public(ADMIN, _mover),
    ("wholesale.loyalty.simulation.tier", "create"): Public(ADMIN, lambda test, role: (
        "wholesale.loyalty.simulation.tier", "create",
        [{"simulation_id": test.simulated_proposal(), "name": "Diamond", "threshold_amount": 20000}], {})),
    ("wholesale.loyalty.simulation.tier", "write"): Public(
        ADMIN, _simulation_line("write", {"threshold_amount": 100})),
    ("wholesale.loyalty.simulation.tier", "unlink"): Public(ADMIN, _simulation_line("unlink")),
}
# The buttons of the KPI screen: loyalty users, on a screen of their own.
SURFACE.update({
    ("wholesale.loyalty.kpi", action): Public(LOYALTY_USERS, _screen("wholesale.loyalty.kpi", action))
    for action in KPI_ACTIONS
})


def reachable_methods(env):
    """{(model, method)} of every method the add-ons define that an RPC client can call,
    by the rule Odoo's RPC dispatcher applies (``get_public_method``)."""
    reachable = set()
    for model_name in env.registry:
        for cls in type(env[model_name]).mro():
            if not cls.__module__.startswith(ADDON_MODULES):
                continue
            for name, value in vars(cls).items():
                if callable(value) and _is_public(env[model_name], name):
                    reachable.add((model_name, name))
    return reachable


def _is_public(model, name):
    try:
        get_public_method(model, name)
    except (AccessError, AttributeError):
        return False
    return True


class _Rollback(Exception):
    """Leaves the savepoint of a call that was allowed, so that the next one starts afresh."""


@tagged("post_install", "-at_install")
class TestRpcSurface(WholesaleLoyaltyCommon, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.program.company_id
        # What the roles try to delete (each call is undone): a program without customers and a
        # tier nobody holds.
        cls.spare_program = cls.env["wholesale.loyalty.program"].create({
            "name": "Spare", "partner_domain": "[('id', '=', 0)]",
        })
        cls.spare_tier = cls.env["wholesale.loyalty.tier"].create({
            "program_id": cls.program.id, "name": "Spare", "threshold_amount": 90000,
        })
        cls.users = {
            role: new_test_user(cls.env, login=f"wl_surface_{role}", groups=groups,
                                company_id=company.id, company_ids=[company.id])
            for role, groups in ROLE_GROUPS.items()
        }
        cls.users["portal"].partner_id.parent_id = cls.customer
        cls.invoice = cls._invoice(cls.customer, 2000.0, "2026-02-01", invoice_user_id=False)
        paid = cls._invoice(cls.customer, 500.0, "2026-02-05", invoice_user_id=False)
        cls._pay(paid, "2026-02-06")
        cls.paid_invoice_partials = paid.line_ids.matched_credit_ids
        cls.award = cls.env["wholesale.loyalty.ledger"].browse(cls.customer.wholesale_award_points(500, "Welcome"))
        cls.history = cls.env["wholesale.loyalty.tier.history"].search([("partner_id", "=", cls.customer.id)])
        cls.quotation = cls.env["sale.order"].create({
            "partner_id": cls.customer.id, "user_id": False,
            "order_line": [Command.create({"product_id": cls.product_a.id, "product_uom_qty": 10, "price_unit": 100})],
        })
        cls.webhook = cls.env["wholesale.loyalty.webhook"].create({
            "name": "CRM", "url": "http://127.0.0.1:9/events", "company_id": company.id,
        })
        cls.env["wholesale.loyalty.event"]._queue_batch([("points.earned", company.id, cls.customer.id, {"points": 1})])
        cls.event = cls.env["wholesale.loyalty.event"].search([("webhook_id", "=", cls.webhook.id)], limit=1)
        cls.event.ensure_one()
        cls._prepaid_draft_invoice(company)
        cls._fee_below_the_price()
        cls.rebate = cls.env["wholesale.loyalty.rebate"].create({
            "partner_id": cls.customer.id, "program_id": cls.program.id,
            "date_from": "2026-01-01", "date_to": "2026-01-31", "base_amount": 2000.0, "rate": 1.0, "amount": 20.0,
        })

    @classmethod
    def _prepaid_draft_invoice(cls, company):
        term = cls.env["account.payment.term"].create({
            "name": "Prepayment 5%", "company_id": company.id,
            "line_ids": [Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})],
            "wholesale_discount_rule_ids": [Command.create({"kind": "prepayment", "days": 5, "discount_percent": 5})],
        })
        cls._received_payment(cls.customer, 1150.0, "2026-02-20")
        cls.draft_invoice = cls._invoice(cls.customer, 1000.0, "2026-03-10", post=False,
                                         invoice_payment_term_id=term.id, invoice_user_id=False)

    @classmethod
    def _fee_below_the_price(cls):
        """A paid membership fee of 30 for a tier sold at 300: it awaits approval."""
        product = cls.env["product.product"].create({"name": "Gold membership", "type": "service", "list_price": 300})
        cls.gold.write({"membership_available": True, "membership_product_id": product.id})
        fee = cls.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": cls._customer("Fee Payer").id, "invoice_date": "2026-02-10",
            "invoice_line_ids": [Command.create({
                "product_id": product.id, "quantity": 1, "price_unit": 30.0, "tax_ids": [Command.clear()],
            })],
        })
        fee.action_post()
        cls._pay(fee, "2026-02-10")
        cls.fee_to_approve = cls.env["wholesale.loyalty.membership"].search([("move_id", "=", fee.id)])
        assert cls.fee_to_approve.state == "to_approve"

    # ------------------------------------------------------------------ helpers

    def rpc(self, role, model, method, *args, **kwargs):
        user = self.users[role]
        return self.xmlrpc_object.execute_kw(self.env.cr.dbname, user.id, user.login, model, method,
                                             list(args), kwargs)

    def simulated_proposal(self):
        """A what-if of the administrator's, run, that raises Gold above the customer's spend."""
        simulation_id = self.rpc("loyalty_admin", "wholesale.loyalty.simulation", "create",
                                 {"program_id": self.program.id, "name": "Higher Gold"})
        [simulation] = self.rpc("loyalty_admin", "wholesale.loyalty.simulation", "read", [simulation_id],
                                ["tier_line_ids"])
        lines = self.rpc("loyalty_admin", "wholesale.loyalty.simulation.tier", "read", simulation["tier_line_ids"],
                         ["name"])
        gold = next(line["id"] for line in lines if line["name"] == "Gold")
        self.rpc("loyalty_admin", "wholesale.loyalty.simulation.tier", "write", [gold], {"threshold_amount": 4000})
        self.rpc("loyalty_admin", "wholesale.loyalty.simulation", "write", [simulation_id], {
            "sensitivity_tier_line_id": gold, "sensitivity_from": 1000, "sensitivity_to": 3000,
            "sensitivity_steps": 2,
        })
        self.rpc("loyalty_admin", "wholesale.loyalty.simulation", "action_simulate", [simulation_id])
        return simulation_id

    def _state(self):
        """What a refused call must leave as it was: the loyalty records and their numbers."""
        self.env.flush_all()
        self.env.cr.execute("""
            SELECT (SELECT COUNT(*) FROM wholesale_loyalty_ledger),
                   (SELECT COALESCE(SUM(points), 0) FROM wholesale_loyalty_ledger),
                   (SELECT COUNT(*) FROM wholesale_loyalty_tier_history),
                   (SELECT COUNT(*) FROM wholesale_loyalty_membership),
                   (SELECT COUNT(*) FROM wholesale_loyalty_tier),
                   (SELECT COUNT(*) FROM wholesale_loyalty_program),
                   (SELECT COUNT(*) FROM wholesale_loyalty_rebate),
                   (SELECT COUNT(*) FROM wholesale_prepayment_reservation),
                   (SELECT COUNT(*) FROM wholesale_loyalty_member WHERE active),
                   (SELECT COUNT(*) FROM account_partial_reconcile),
                   (SELECT COUNT(*) FROM sale_order_line),
                   (SELECT string_agg(ARRAY[program_id, tier_id, points_balance]::text || tier_locked::text, ','
                                      ORDER BY id)
                      FROM wholesale_loyalty_member WHERE partner_id = %s),
                   (SELECT ARRAY[max_redeem_percent, points_per_step]::text FROM wholesale_loyalty_program
                     WHERE id = %s),
                   (SELECT string_agg(concat_ws(':', id, threshold_amount, discount_percent), ',' ORDER BY id)
                      FROM wholesale_loyalty_tier WHERE program_id = %s),
                   (SELECT string_agg(concat_ws(':', id, state, amount_total), ',' ORDER BY id)
                      FROM account_move WHERE partner_id = %s)
        """, [self.customer.id, self.program.id, self.program.id, self.customer.id])
        return self.env.cr.fetchone()

    def _call_as(self, role, public):
        """Call ``public`` as ``role`` inside a savepoint undone afterwards: "allowed" or
        "refused" (with the fault), checking that a refused call wrote nothing."""
        self.env.flush_all()
        self.env.cr.execute("SAVEPOINT rpc_surface")
        try:
            before = self._state()
            try:
                model, method, args, kwargs = public.call(self, role)
                self.rpc(role, model, method, *args, **kwargs)
            except xmlrpc.client.Fault as fault:
                if RETURNED_NONE in fault.faultString:
                    return "allowed", None  # Odoo's own button_cancel returns None, which XML-RPC cannot send
                self.assertEqual(self._state(), before, f"a call refused to {role} wrote nothing")
                return "refused", fault
            return "allowed", None
        finally:
            self.env.cr.execute("ROLLBACK TO SAVEPOINT rpc_surface")
            self.env.invalidate_all()
            self.env.registry.clear_cache()

    # ------------------------------------------------------------------ the tests

    def test_every_public_method_is_listed(self):
        reachable = reachable_methods(self.env)
        self.assertFalse(reachable - set(SURFACE), "public methods without their line in SURFACE: make them "
                                                   "private, or list them with the roles that may call them")
        self.assertFalse(set(SURFACE) - reachable, "SURFACE lists methods that are not public (any more)")

    def test_services_are_private(self):
        for model in ("wholesale.loyalty.points", "wholesale.loyalty.tier.engine", "wholesale.loyalty.tier.forecast"):
            methods = {name for (model_name, name) in reachable_methods(self.env) if model_name == model}
            self.assertFalse(methods, f"{model} serves nothing over RPC")
        balance = self.customer.wholesale_points_balance
        for role in ROLES:
            with self.assertRaises(xmlrpc.client.Fault) as refusal:
                self.rpc(role, "wholesale.loyalty.points", "_expire_lots", "2099-12-31")
            self.assertEqual(refusal.exception.faultCode, ACCESS_ERROR)
            with self.assertRaises(xmlrpc.client.Fault):  # the public name of old is gone
                self.rpc(role, "wholesale.loyalty.points", "expire_lots", "2099-12-31")
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.wholesale_points_balance, balance, "no point expired")
        self.assertGreater(balance, 0)

    def test_each_role_calls_what_it_may_and_nothing_else(self):
        mismatches = []
        for (model, method), public in sorted(SURFACE.items()):
            for role in ROLES:
                outcome, fault = self._call_as(role, public)
                expected = "allowed" if role in public.roles else "refused"
                codes = (ACCESS_ERROR, USER_ERROR) if public.immutable else (ACCESS_ERROR,)
                if outcome != expected or (fault and fault.faultCode not in codes):
                    reason = fault and f"{fault.faultCode}: {fault.faultString[-240:]}"
                    mismatches.append(f"{model}.{method} as {role}: {outcome}, expected {expected} ({reason})")
        self.assertFalse(mismatches, "\n".join(mismatches))

    def test_numbers_no_setting_can_hold_get_a_clear_error(self):
        for model, values in (
            ("wholesale.loyalty.simulation", {"program_id": self.program.id, "point_value": 1e308}),
            ("wholesale.loyalty.program", {"name": "Huge", "point_value": 1e308}),
            ("wholesale.loyalty.tier", {"program_id": self.program.id, "name": "Huge", "threshold_amount": 1e300}),
            # XML-RPC integers stop at 32 bits: a client sends a larger one as a float.
            ("wholesale.loyalty.program", {"name": "Huge", "points_per_step": 1e10}),
        ):
            with self.assertRaises(xmlrpc.client.Fault) as refusal:
                self.rpc("loyalty_admin", model, "create", values)
            self.assertEqual(refusal.exception.faultCode, USER_ERROR, refusal.exception.faultString[-300:])
            self.assertNotIn("Traceback", refusal.exception.faultString)
        with self.assertRaises(xmlrpc.client.Fault) as refusal:
            self.rpc("loyalty_admin", "wholesale.loyalty.program", "write", [self.program.id], {"point_value": 1e308})
        self.assertEqual(refusal.exception.faultCode, USER_ERROR)
        self.program.invalidate_recordset()
        self.assertEqual(self.program.point_value, 1.0)
