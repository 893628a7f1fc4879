"""SQL queries per operation with the add-on and in plain Odoo, at two sizes: the count the
cursor keeps itself, so the figures do not depend on machine load.

Operations, each measured on a fresh document after a warm-up of the same operation (the
first call fills the caches): ``post_invoice``; ``pay_invoice`` (account.payment.register,
full amount); ``confirm_order`` (ours: the customer pays part of the quotation with points
through the redemption wizard first; plain: the same order without points);
``discount_payment`` (paid within the discount days: ours on wholesale payment terms "3/10,
2/20, net 30", plain on Odoo's early payment discount of 3% within 10 days, net 30) and
``odoo_discount_payment`` (Odoo's term in both).

Sizes: ``empty`` (a fixture customer only) and ``large`` (20,000 more customers and, in ours,
300,000 ledger entries, inserted by bulk SQL). Each database's run is one transaction, rolled
back at the end.

Prints ``queries_<op>_plain``, ``queries_<op>_ours`` and ``queries_<op>_extra`` (ours - plain)
per size (suffix ``_empty`` / ``_large``). The last line is
``queries_extra_growth=<max over ops of extra_large - extra_empty>``; the goal is 0: what the
add-on adds does not grow with the ledger or the number of customers. ``--quick`` inserts a
tenth of the data.
"""
import argparse
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import (  # noqa: E402
    bench_database,
    count_queries,
    emit,
    ensure_database,
    insert_copies,
    open_registry,
)

# Databases of their own: the bulk rows rolled back here leave dead rows that would slow down
# the timed benchmarks of the points flows until a vacuum.
DATABASES = {
    "plain": (bench_database("wholesale_bench_q_plain"), "sale_management,account"),
    "ours": (bench_database("wholesale_bench_q_points"), "sale_management,account,wholesale_loyalty"),
}
OPERATIONS = ("post_invoice", "pay_invoice", "confirm_order", "discount_payment", "odoo_discount_payment")
SIZES = ("empty", "large")
FULL = {"customers": 20_000, "entries": 300_000}
QUICK = {"customers": 2_000, "entries": 30_000}
FIXTURE_SPEND = 12_000.0  # the fixture customer's first invoice: points to redeem, a tier below the next
PRICE = 250.0
POINTS_PER_ORDER = 10
PAID_AFTER_DAYS = 5  # within the 10 days of both discounts


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tenth of the data, for a smoke run")
    return parser.parse_args()


# ---------------------------------------------------------------------------- fixture


class Fixture:
    """What every operation needs, made by the ORM in the measured transaction: one customer
    with a posted invoice (in ours, a member with points), goods, and the payment terms."""

    def __init__(self, env):
        self.env = env
        self.ours = "wholesale.loyalty.ledger" in env
        self.today = _today(env)
        self.product = env["product.product"].create({
            "name": "Query bench goods", "list_price": PRICE, "invoice_policy": "order", "taxes_id": [],
        })
        self.customer = env["res.partner"].create({"name": "Query bench customer", "is_company": True})
        self.odoo_term = env["account.payment.term"].create({
            "name": "3% 10 days, net 30 (query bench)",
            "early_discount": True, "discount_percentage": 3.0, "discount_days": 10,
            "line_ids": [(0, 0, {"value": "percent", "value_amount": 100.0, "nb_days": 30})],
        })
        self.wholesale_term = self._wholesale_term() if self.ours else self.odoo_term
        first = self.invoice(quantity=FIXTURE_SPEND / PRICE)
        first.action_post()
        env.flush_all()

    def _wholesale_term(self):
        """The demo's "3/10, 2/20, net 30 (wholesale)" terms, made programmatically."""
        return self.env["account.payment.term"].create({
            "name": "3/10, 2/20, net 30 (query bench)",
            "line_ids": [(0, 0, {"value": "percent", "value_amount": 100.0, "nb_days": 30})],
            "wholesale_daily_discount_percent": 0.5,
            "wholesale_daily_discount_max": 1.5,
            "wholesale_discount_rule_ids": [
                (0, 0, {"kind": "early", "days": 10, "discount_percent": 2.0}),
                (0, 0, {"kind": "early", "days": 20, "discount_percent": 3.0}),
            ],
        })

    def invoice(self, quantity=4, term=None):
        return self.env["account.move"].create({
            "move_type": "out_invoice",
            "partner_id": self.customer.id,
            "invoice_date": self.today,
            "invoice_payment_term_id": term.id if term else False,
            "invoice_line_ids": [(0, 0, {"product_id": self.product.id, "quantity": quantity,
                                          "price_unit": PRICE, "tax_ids": []})],
        })

    def posted_invoice(self, term=None):
        invoice = self.invoice(term=term)
        invoice.action_post()
        return invoice

    def quotation(self):
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 4})],
        })
        if self.ours:
            self.redeem(order)
        return order

    def redeem(self, order):
        """Pay part of the quotation with points as a salesperson does: the wizard of the
        quotation's Redeem Points button."""
        action = order.action_wholesale_redeem_points()
        wizard = self.env[action["res_model"]].with_context(action["context"]).create({"points": POINTS_PER_ORDER})
        wizard.action_apply()
        assert order.wholesale_points_redeemed == POINTS_PER_ORDER, "the redemption did not apply"


def _today(env):
    from odoo import fields
    return fields.Date.context_today(env["res.partner"])


def register_payment(env, invoice, payment_date):
    wizard = env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids)
    return wizard.create({"payment_date": payment_date})._create_payments()


# ---------------------------------------------------------------------------- operations
# Each is (prepare, run): ``prepare`` makes the document outside the count, ``run`` is counted.


def operations(fixture):
    env = fixture.env
    discount_date = fixture.today + timedelta(days=PAID_AFTER_DAYS)

    def discounted(term):
        def run(invoice):
            register_payment(env, invoice, discount_date)
            assert invoice.payment_state in ("paid", "in_payment"), "the discounted payment left a balance"
        return (lambda: fixture.posted_invoice(term)), run

    return {
        "post_invoice": (fixture.invoice, lambda invoice: invoice.action_post()),
        "pay_invoice": (fixture.posted_invoice, lambda invoice: register_payment(env, invoice, fixture.today)),
        "confirm_order": (fixture.quotation, lambda order: order.action_confirm()),
        "discount_payment": discounted(fixture.wholesale_term),
        "odoo_discount_payment": discounted(fixture.odoo_term),
    }


def counted(env, prepare, run):
    """Queries of ``run`` on a document ``prepare`` made, from an empty record cache as a new
    request has, until what it changed is written (flush and pre-commit hooks such as mail
    tracking, as a commit would run them)."""
    document = prepare()
    env.cr.flush()
    env.invalidate_all()

    def operation():
        run(document.with_env(env))
        env.cr.flush()
    return count_queries(env.cr, operation)


def measure_operations(env, fixture):
    counts = {}
    for name, (prepare, run) in operations(fixture).items():
        counted(env, prepare, run)  # warm-up on a document of its own
        counts[name] = counted(env, prepare, run)
    return counts


# ---------------------------------------------------------------------------- bulk data


def add_customers(env, fixture, count):
    """``count`` customers copied from one the ORM made, by one INSERT; in ours members of the
    fixture customer's program and tier (their accounts copied from the fixture customer's, by
    one INSERT more)."""
    template = env["res.partner"].create({"name": "Query bench template", "is_company": True, "customer_rank": 1})
    env.flush_all()
    overrides = {"name": "'Bulk customer ' || n", "complete_name": "'Bulk customer ' || n", "ref": "'QB-' || n"}
    ids = insert_copies(env.cr, "res_partner", template.id, count, overrides)
    env.cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", [ids])
    if fixture.ours:
        add_members(env, fixture.customer, ids)
    return ids


def add_members(env, customer, partner_ids):
    """An account for each of ``partner_ids`` in the program of ``customer``, at its tier,
    without points (the ledger's entries bring them)."""
    member = env["wholesale.loyalty.member"].search([("partner_id", "=", customer.id)], limit=1)
    assert member, "the fixture customer has no account"
    env.flush_all()
    env.cr.execute(
        """INSERT INTO wholesale_loyalty_member
                  (partner_id, program_id, company_id, active, tier_id, tier_since, qualifying_amount,
                   tier_evaluated_on, tier_locked, points_balance, create_uid, write_uid, create_date, write_date)
           SELECT p.id, t.program_id, t.company_id, TRUE, t.tier_id, t.tier_since, t.qualifying_amount,
                  t.tier_evaluated_on, FALSE, 0, t.create_uid, t.write_uid, t.create_date, t.write_date
             FROM wholesale_loyalty_member t, unnest(%s::int[]) AS p(id)
            WHERE t.id = %s""",
        [partner_ids, member.id],
    )


def add_ledger(env, fixture, partner_ids, count):
    """``count`` entries spread over ``partner_ids`` by one INSERT, in runs of consecutive
    entries per customer: two lots of points, then a redemption of one point taken from the
    lot before it (with its allocation), as earning and spending leave a ledger."""
    cr = env.cr
    template = env["wholesale.loyalty.ledger"].search([("partner_id", "=", fixture.customer.id)], limit=1)
    cr.execute("CREATE TEMP TABLE bench_q_partner (k int PRIMARY KEY, id int) ON COMMIT DROP")
    cr.execute("INSERT INTO bench_q_partner SELECT k - 1, id FROM unnest(%s::int[]) WITH ORDINALITY AS u(id, k)",
               [partner_ids])
    per_customer = -(-count // len(partner_ids))
    redeem = "mod(n, 3) = 0"
    lot_points = "(10 + mod(n::bigint * 7919, 90))::int"
    overrides = {
        "partner_id": "b.id",
        # Each entry points to its customer's account in the template's program.
        "member_id": "(SELECT m.id FROM wholesale_loyalty_member m"
                     " WHERE m.partner_id = b.id AND m.program_id = t.program_id)",
        "move_id": "NULL", "sale_order_id": "NULL", "reversed_entry_id": "NULL",
        "reference": "'bulk:' || n",
        "date": "CURRENT_DATE - mod(n, 700)",
        "kind": f"CASE WHEN {redeem} THEN 'redeem' ELSE 'earn' END",
        "points": f"CASE WHEN {redeem} THEN -1 ELSE {lot_points} END",
        "remaining_points": f"CASE WHEN {redeem} THEN 0 WHEN mod(n, 3) = 2 THEN {lot_points} - 1 ELSE {lot_points} END",
        "note": "'Bulk entry'",
    }
    cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'wholesale_loyalty_ledger' AND column_name <> 'id'"
    )
    columns = [row[0] for row in cr.fetchall()]
    select = ", ".join(overrides.get(column, f"t.{column}") for column in columns)
    # Entry n belongs to customer n / per_customer: a redemption (n divisible by 3) and the lot
    # before it share their customer when per_customer is a multiple of 3.
    cr.execute(
        f"CREATE TEMP TABLE bench_q_entry ON COMMIT DROP AS WITH inserted AS ("  # noqa: S608 - names from the catalog
        f" INSERT INTO wholesale_loyalty_ledger ({', '.join(columns)})"
        f" SELECT {select} FROM wholesale_loyalty_ledger t, generate_series(0, %(count)s - 1) AS n"
        f" JOIN bench_q_partner b ON b.k = n / %(per)s WHERE t.id = %(template)s"
        f" RETURNING id, reference) SELECT id, substr(reference, 6)::int AS n FROM inserted",
        {"count": count, "per": per_customer - per_customer % 3 or 3, "template": template.id},
    )
    cr.execute(
        """INSERT INTO wholesale_loyalty_ledger_allocation (entry_id, lot_id, points)
           SELECT r.id, l.id, 1 FROM bench_q_entry r JOIN bench_q_entry l ON l.n = r.n - 1
            WHERE mod(r.n, 3) = 0 AND r.n > 0"""
    )
    env["wholesale.loyalty.ledger"]._refresh_balances(env["res.partner"].browse(partner_ids))


def add_bulk_data(env, fixture, size):
    partner_ids = add_customers(env, fixture, size["customers"])
    if fixture.ours:
        add_ledger(env, fixture, [*partner_ids, fixture.customer.id], size["entries"])
        env.cr.execute("SELECT count(*) FROM wholesale_loyalty_ledger")
        print(f"# ours: {env.cr.fetchone()[0]} ledger entries", flush=True)
    env.cr.execute("SELECT count(*) FROM res_partner")
    print(f"# {'ours' if fixture.ours else 'plain'}: {env.cr.fetchone()[0]} partners", flush=True)
    env.invalidate_all()


# ---------------------------------------------------------------------------- runs


def counts_of(key, size):
    """{size: {operation: queries}} in the database of ``key``, all rolled back."""
    name, modules = DATABASES[key]
    ensure_database(name, modules)
    registry = open_registry(name)
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        fixture = Fixture(env)
        counts = {"empty": measure_operations(env, fixture)}
        add_bulk_data(env, fixture, size)
        counts["large"] = measure_operations(env, fixture)
        if fixture.ours:
            describe_customer(env, fixture.customer)
        cr.rollback()
    subprocess.run(["psql", "-q", "-d", name, "-c", "VACUUM ANALYZE"], check=True)
    return counts


def describe_customer(env, customer):
    customer.invalidate_recordset()
    entries = env["wholesale.loyalty.ledger"].search_count([("partner_id", "=", customer.id)])
    print(f"# ours: the measured customer is {customer.wholesale_tier_id.name} of "
          f"{customer.wholesale_program_id.name}, {customer.wholesale_points_balance} points, "
          f"{entries} ledger entries", flush=True)


def main():
    args = parse_args()
    size = QUICK if args.quick else FULL
    print(f"# large: {size['customers']} more customers, {size['entries']} ledger entries in ours", flush=True)
    plain, ours = counts_of("plain", size), counts_of("ours", size)
    print("# confirm_order: plain confirms the same quotation (same goods) without a points line; ours "
          f"redeems {POINTS_PER_ORDER} points on it first (not counted), the confirmation takes them", flush=True)
    growth = []
    for operation in OPERATIONS:
        extra = {}
        for size_name in SIZES:
            emit(f"queries_{operation}_plain_{size_name}", plain[size_name][operation])
            emit(f"queries_{operation}_ours_{size_name}", ours[size_name][operation])
            extra[size_name] = emit(f"queries_{operation}_extra_{size_name}",
                                    ours[size_name][operation] - plain[size_name][operation])
        growth.append(extra["large"] - extra["empty"])
    emit("queries_extra_growth", max(growth))


if __name__ == "__main__":
    main()
