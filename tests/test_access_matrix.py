"""Who may do what with the loyalty program: every role against every operation, through the
ORM as that user, and what users of another company see of a shared customer."""
import xmlrpc.client

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import WholesaleLoyaltyCommon

ALLOWED = "allowed"  # the operation works and shows or changes the customer's loyalty
HIDDEN = "hidden"  # the operation works but shows nothing of the program of another company
REFUSED = "refused"  # AccessError or UserError

CONTACT_CREATION = "base.group_partner_manager"  # every new internal user has it
ROLE_GROUPS = {
    "sales_rep_own": f"sales_team.group_sale_salesman,{CONTACT_CREATION}",
    "sales_rep_all": f"sales_team.group_sale_salesman_all_leads,{CONTACT_CREATION}",
    "billing": f"account.group_account_invoice,{CONTACT_CREATION}",
    "loyalty_admin": f"sales_team.group_sale_salesman,wholesale_loyalty.group_wholesale_loyalty_manager,"
                     f"{CONTACT_CREATION}",
    "portal": "base.group_portal",
    "other_company": f"sales_team.group_sale_salesman,{CONTACT_CREATION}",
    "other_company_admin": "sales_team.group_sale_salesman,wholesale_loyalty.group_wholesale_loyalty_manager,"
                           f"account.group_account_invoice,{CONTACT_CREATION}",
}

OPERATIONS = (
    "read_status", "set_tier", "lock_tier", "set_points_balance", "award_points", "redeem_on_quotation",
    "read_ledger", "read_analysis", "change_program", "apply_prepayment_discount",
)

# role -> expected outcome of each operation, in the order of OPERATIONS.
MATRIX = {
    "sales_rep_own": (ALLOWED, REFUSED, REFUSED, REFUSED, REFUSED, ALLOWED, ALLOWED, ALLOWED, REFUSED, REFUSED),
    "sales_rep_all": (ALLOWED, REFUSED, REFUSED, REFUSED, REFUSED, ALLOWED, ALLOWED, ALLOWED, REFUSED, REFUSED),
    "billing": (REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, ALLOWED),
    # The balance is the sum of the ledger: nobody writes it, administrators award points.
    "loyalty_admin": (ALLOWED, ALLOWED, ALLOWED, REFUSED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, REFUSED),
    "portal": (REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, ALLOWED, REFUSED, REFUSED, REFUSED),
    "other_company": (HIDDEN, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, HIDDEN, REFUSED, REFUSED),
    # Administrator and accountant of the other company: its rights stop at its company.
    "other_company_admin": (HIDDEN, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, HIDDEN, REFUSED, REFUSED),
}


@tagged("post_install", "-at_install")
@freeze_time("2026-03-01")
class TestAccessMatrix(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.program.company_id
        cls.other_company = cls.setup_other_company()["company"]
        cls.users = {
            role: new_test_user(
                cls.env, login=f"wl_matrix_{role}", groups=groups,
                company_id=company.id, company_ids=[company.id],
            )
            for role, groups in ROLE_GROUPS.items()
            for company in [cls.other_company if role.startswith("other_company") else cls.company]
        }
        cls.users["portal"].partner_id.parent_id = cls.customer
        cls._invoice(cls.customer, 2000.0, "2026-02-01", invoice_user_id=False)
        cls.award_entry = cls.env["wholesale.loyalty.ledger"].browse(
            cls.customer.wholesale_award_points(500, "Welcome")
        )
        cls.term = cls.env["account.payment.term"].create({
            "name": "Prepayment 5%",
            "company_id": cls.company.id,
            "line_ids": [Command.create({"value": "percent", "value_amount": 100, "nb_days": 30})],
            "wholesale_discount_rule_ids": [Command.create({"kind": "prepayment", "days": 30, "discount_percent": 5})],
        })
        cls._received_payment(cls.customer, 1150.0, "2026-01-30")

    # ------------------------------------------------------------------ operations
    # Each runs as ``user`` and returns whether it showed or changed the customer's loyalty.

    def _read_status(self, user):
        status = self.customer.with_user(user).wholesale_status()[0]
        return bool(status["program"]) and status["points_balance"] > 0

    def _set_tier(self, user):
        self.customer.with_user(user).with_context(wholesale_engine=True).write({"wholesale_tier_id": self.platinum.id})
        return self.customer.wholesale_tier_id == self.platinum

    def _lock_tier(self, user):
        self.env["wholesale.loyalty.tier.lock.wizard"].with_user(user).create({
            "partner_id": self.customer.id, "tier_id": self.platinum.id, "reason": "Key account",
        }).action_apply()
        return self.customer.wholesale_tier_locked

    def _set_points_balance(self, user):
        self.customer.with_user(user).write({"wholesale_points_balance": 99999})
        return self.customer.wholesale_points_balance == 99999

    def _award_points(self, user):
        return bool(self.customer.with_user(user).wholesale_award_points(10, "Review"))

    def _redeem_on_quotation(self, user):
        company = user.company_id
        order = self.env["sale.order"].with_company(company).create({
            "partner_id": self.customer.id,
            "company_id": company.id,
            "user_id": user.id,
            "order_line": [Command.create({"product_id": self.product_a.id, "product_uom_qty": 10, "price_unit": 100})],
        })
        self.env["wholesale.loyalty.redeem.wizard"].with_user(user).create(
            {"order_id": order.id, "points": 50}
        ).action_apply()
        return order.wholesale_points_redeemed == 50

    def _read_ledger(self, user):
        return bool(self.award_entry.with_user(user).read(["points"])[0]["points"])

    def _read_analysis(self, user):
        report = self.env["wholesale.loyalty.report"].with_user(user)
        return bool(report.search([("partner_id", "=", self.customer.id)]))

    def _change_program(self, user):
        self.program.with_user(user).write({"max_redeem_percent": 90})
        return self.program.max_redeem_percent == 90

    def _apply_prepayment_discount(self, user):
        invoice = self._invoice(self.customer, 1000.0, "2026-03-01", post=False, invoice_payment_term_id=self.term.id)
        invoice.with_user(user).action_wholesale_apply_prepayment_discount()
        return invoice.amount_untaxed < 1000.0

    # ------------------------------------------------------------------ the matrix

    def _run_as(self, role, operation):
        try:
            with self.cr.savepoint():
                done = getattr(self, f"_{operation}")(self.users[role])
                self.env.invalidate_all()
                raise _Undo(done)
        except _Undo as undo:
            return ALLOWED if undo.done else HIDDEN
        except (AccessError, UserError):
            return REFUSED

    def _check_role(self, role):
        outcomes = {operation: self._run_as(role, operation) for operation in OPERATIONS}
        self.assertEqual(outcomes, dict(zip(OPERATIONS, MATRIX[role], strict=True)))
        self.assertEqual(self.customer.wholesale_tier_id, self.gold, "no operation changed the tier for good")

    def test_sales_rep_own_documents(self):
        self._check_role("sales_rep_own")

    def test_sales_rep_all_documents(self):
        self._check_role("sales_rep_all")

    def test_billing(self):
        self._check_role("billing")

    def test_loyalty_administrator(self):
        self._check_role("loyalty_admin")

    def test_portal_user(self):
        self._check_role("portal")

    def test_user_of_another_company(self):
        self._check_role("other_company")

    def test_administrator_of_another_company(self):
        self._check_role("other_company_admin")

    def test_lock_and_unlock_actions_are_for_loyalty_administrators(self):
        customer = self.customer.with_user(self.users["sales_rep_all"])
        for action in (customer.action_wholesale_lock_tier, customer.action_wholesale_unlock_tier):
            with self.assertRaises(AccessError):
                action()
        admin_view = self.customer.with_user(self.users["loyalty_admin"])
        self.assertEqual(admin_view.action_wholesale_lock_tier()["res_model"], "wholesale.loyalty.tier.lock.wizard")

    # ------------------------------------------------------------------ shared customers

    def test_sales_rep_adds_a_contact_to_a_member(self):
        contact = self.env["res.partner"].with_user(self.users["sales_rep_own"]).create({
            "name": "Buyer", "parent_id": self.customer.id,
        })
        self.assertEqual(contact.wholesale_tier_id, self.gold)

    def test_other_company_sees_no_balance_nor_spend(self):
        values = self.customer.with_user(self.users["other_company"]).read(
            ["wholesale_points_balance", "wholesale_qualifying_amount", "wholesale_amount_to_next_tier"]
        )[0]
        self.assertEqual(values["wholesale_points_balance"], 0)
        self.assertEqual(values["wholesale_qualifying_amount"], 0.0)
        self.assertEqual(values["wholesale_amount_to_next_tier"], 0.0)
        own = self.customer.with_user(self.users["sales_rep_own"]).read(["wholesale_points_balance"])[0]
        self.assertGreater(own["wholesale_points_balance"], 0)

    def test_other_company_order_takes_no_tier_discount(self):
        order = self.env["sale.order"].with_company(self.other_company).create({
            "partner_id": self.customer.id,
            "company_id": self.other_company.id,
            "order_line": [Command.create({"product_id": self.product_a.id, "product_uom_qty": 10, "price_unit": 100})],
        })
        self.assertFalse(order.wholesale_tier_id)
        self.assertEqual(order.order_line.discount, 0.0)
        self.assertEqual(order.wholesale_points_estimate, 0)
        self.assertFalse(order.wholesale_next_tier_message)
        self.assertEqual(order.wholesale_points_balance, 0)
        own = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [Command.create({"product_id": self.product_a.id, "product_uom_qty": 10, "price_unit": 100})],
        })
        self.assertEqual(own.wholesale_tier_id, self.gold)
        self.assertEqual(own.order_line.discount, 5.0)
        self.assertEqual(own.wholesale_points_balance, self.customer.wholesale_points_balance)


class _Undo(Exception):
    """Leaves the savepoint of an operation that worked, so that the next one starts afresh."""

    def __init__(self, done):
        super().__init__()
        self.done = done


@tagged("post_install", "-at_install")
class TestAccessOverXmlRpc(WholesaleLoyaltyCommon, HttpCase):
    """The same rules hold for an outside client calling over XML-RPC with any context."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.setup_other_company()["company"]
        cls.rep = cls._company_user("wl_rpc_rep", ROLE_GROUPS["sales_rep_own"])
        cls.admin = cls._company_user("wl_rpc_admin", ROLE_GROUPS["loyalty_admin"])
        cls.other_rep = new_test_user(
            cls.env, login="wl_rpc_other", groups=ROLE_GROUPS["other_company"],
            company_id=cls.other_company.id, company_ids=[cls.other_company.id],
        )
        cls._invoice(cls.customer, 2000.0, "2026-02-01", invoice_user_id=False)

    def _call(self, user, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, user.login, model, method, list(args), kwargs
        )

    def assertRefused(self, user, model, method, *args, **kwargs):
        with self.assertRaises(xmlrpc.client.Fault) as refusal:
            self._call(user, model, method, *args, **kwargs)
        # A user error reaches the client as its message alone; a crash would carry a traceback.
        self.assertNotIn("Traceback", refusal.exception.faultString)

    def test_sales_rep_cannot_promote_lock_or_credit_with_any_context(self):
        context = {"wholesale_engine": True, "wholesale_ledger_bookkeeping": True}
        partner = self.customer.id
        self.assertRefused(self.rep, "res.partner", "write", [partner], {"wholesale_tier_id": self.platinum.id},
                           context=context)
        self.assertRefused(self.rep, "res.partner", "write", [partner], {"wholesale_tier_locked": True,
                                                                         "wholesale_tier_lock_reason": "friend"},
                           context=context)
        self.assertRefused(self.rep, "res.partner", "write", [partner], {"wholesale_points_balance": 10_000})
        self.assertRefused(self.rep, "res.partner", "wholesale_award_points", [partner], 500, "gift",
                           context=context)
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.wholesale_tier_id, self.gold)
        self.assertFalse(self.customer.wholesale_tier_locked)
        self.assertEqual(self.customer.wholesale_points_balance, 20)
        [status] = self._call(self.rep, "res.partner", "wholesale_status", [partner])
        self.assertEqual((status["tier"], status["points_balance"]), ("Gold", 20))

    def test_loyalty_administrator_awards_over_rpc(self):
        entry_ids = self._call(self.admin, "res.partner", "wholesale_award_points", [self.customer.id], 500,
                               "Trade fair", reference="fair-2026")
        again = self._call(self.admin, "res.partner", "wholesale_award_points", [self.customer.id], 500,
                           "Trade fair", reference="fair-2026")
        self.assertEqual(entry_ids, again, "the same reference awards once")
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.wholesale_points_balance, 520)

    def test_user_of_another_company_reads_nothing_and_never_raises(self):
        [status] = self._call(self.other_rep, "res.partner", "wholesale_status", [self.customer.id])
        self.assertFalse(status["program"])
        self.assertEqual(status["points_balance"], 0)
        [values] = self._call(self.other_rep, "res.partner", "read", [self.customer.id],
                              ["wholesale_points_balance", "wholesale_qualifying_amount"])
        self.assertEqual((values["wholesale_points_balance"], values["wholesale_qualifying_amount"]), (0, 0.0))
