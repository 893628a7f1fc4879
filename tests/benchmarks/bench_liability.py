"""Points liability in the books: the tie-out of 20,000 customers / 400,000 lots (goal: under
2 s), and the queries the deferral adds to posting an invoice (goal: at most 6).

The data is made once with bulk SQL in a program of its own that defers revenue: the customers,
twenty lots each carrying a deferral, and per customer one posted journal entry of the
liability (two lines), as the booking service leaves them. Figures:

- ``liability_tie_out_seconds``: ``liability_tie_out()`` with its line per customer (median
  of five runs);
- ``liability_posting_extra_queries``: queries of posting an invoice that earns points with
  deferral on, less the same with the method ``none`` (median of five invoices each).

``--quick`` runs 2,000 customers / 40,000 lots.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.bench_tier_recalc import drop_registry, vacuum_analyze  # noqa: E402
from tests.benchmarks.common import bench_database, count_queries, emit, ensure_database, open_registry  # noqa: E402

TAG = "BENCH-LIAB"
LOTS_PER_CUSTOMER = 20
SIZES = {"quick": 2_000, "small": 20_000}
# Columns of the copied journal entries left empty: their names and sequence numbers are unique.
MOVE_NULLS = ("name", "sequence_number", "sequence_prefix")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 customers / 40,000 lots")
    parser.add_argument("--database", help="default: wholesale_bench_liability[_quick]")
    return parser.parse_args()


def bench_program(env):
    """The program of the benchmark's customers, deferring revenue, made once."""
    from odoo import Command

    program = env["wholesale.loyalty.program"].search([("name", "=", TAG)])
    if program:
        return program
    company = env.company
    accounts = env["account.account"].create([
        {"name": f"{TAG} liability", "code": "289900", "account_type": "liability_current"},
        {"name": f"{TAG} deferred revenue", "code": "409900", "account_type": "income"},
        {"name": f"{TAG} expense", "code": "619900", "account_type": "expense"},
    ])
    journal = env["account.journal"].search([("type", "=", "general"), ("company_id", "=", company.id)], limit=1)
    return env["wholesale.loyalty.program"].create({
        "name": TAG, "sequence": 0,
        "partner_domain": str([("ref", "=like", f"{TAG}-%")]),
        "tier_ids": [Command.create({"name": "Base", "threshold_amount": 0})],
        "liability_method": "deferral", "expected_redemption_percent": 95.0,
        "liability_account_id": accounts[0].id, "liability_revenue_account_id": accounts[1].id,
        "liability_expense_account_id": accounts[2].id, "liability_journal_id": journal.id,
    })


def build_data(env, customers):
    """Customers, their lots and their liability entries, made once by SQL."""
    cr = env.cr
    program = bench_program(env)
    cr.execute("SELECT count(*) FROM res_partner WHERE ref LIKE %s", [f"{TAG}-%"])
    if cr.fetchone()[0] >= customers:
        return program
    start = time.perf_counter()
    print(f"# building {customers} customers and {customers * LOTS_PER_CUSTOMER} lots (once)", flush=True)
    cr.execute(
        """INSERT INTO res_partner (name, ref, is_company, active, type, customer_rank, commercial_partner_id,
                                    autopost_bills, create_date, write_date)
           SELECT %s || ' ' || n, %s || '-' || n, TRUE, TRUE, 'contact', 1, NULL, 'ask', now(), now()
             FROM generate_series(1, %s) n""",
        [TAG, TAG, customers],
    )
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE ref LIKE %s", [f"{TAG}-%"])
    # Each customer a member of the program, its account holding its lots' points.
    cr.execute(
        """INSERT INTO wholesale_loyalty_member (partner_id, program_id, company_id, active, qualifying_amount,
                   tier_locked, points_balance, create_date, write_date)
           SELECT p.id, %s, %s, TRUE, 0, FALSE, 10 * %s, now(), now() FROM res_partner p WHERE p.ref LIKE %s""",
        [program.id, program.company_id.id, LOTS_PER_CUSTOMER, f"{TAG}-%"],
    )
    # Twenty lots per customer, 10 points each, 8.50 deferred and 1.00 released.
    cr.execute(
        """INSERT INTO wholesale_loyalty_ledger (partner_id, program_id, member_id, company_id, date, points, kind,
                   remaining_points, reference, liability_deferred, liability_released, liability_points,
                   liability_share, liability_source, create_date, write_date)
           SELECT m.partner_id, m.program_id, m.id, m.company_id, '2026-01-01', 10, 'earn', 10,
                  'bench:' || m.partner_id || ':' || g, 8.5, 1.0, 10, 95, 'revenue', now(), now()
             FROM wholesale_loyalty_member m JOIN res_partner p ON p.id = m.partner_id,
                  generate_series(1, %s) g
            WHERE m.program_id = %s AND p.ref LIKE %s""",
        [LOTS_PER_CUSTOMER, program.id, f"{TAG}-%"],
    )
    # One posted liability entry per customer, for what its lots carry (20 x 7.50 = 150).
    template = env["account.move"].create({
        "journal_id": program.liability_journal_id.id, "date": "2026-01-01",
        "wholesale_liability_program_id": program.id,
        "line_ids": [
            (0, 0, {"account_id": program.liability_revenue_account_id.id, "debit": 150.0}),
            (0, 0, {"account_id": program.liability_account_id.id, "credit": 150.0}),
        ],
    })
    template.action_post()
    env.flush_all()
    cr.execute(
        """CREATE TEMP TABLE bench_moves AS
           SELECT p.id AS partner_id, nextval('account_move_id_seq') AS move_id
             FROM res_partner p WHERE p.ref LIKE %s""",
        [f"{TAG}-%"],
    )
    cr.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'account_move'")
    move_columns = [row[0] for row in cr.fetchall()]
    cr.execute(
        f"""INSERT INTO account_move ({", ".join(move_columns)})
            SELECT {", ".join("b.move_id" if c == "id" else "NULL" if c in MOVE_NULLS else f"t.{c}"
                              for c in move_columns)}
              FROM account_move t, bench_moves b WHERE t.id = %s""",  # noqa: S608 - names from the catalog
        [template.id],
    )
    cr.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'account_move_line'")
    line_columns = [row[0] for row in cr.fetchall() if row[0] != "id"]
    overrides = {"move_id": "b.move_id", "partner_id": "b.partner_id", "move_name": "NULL"}
    cr.execute(
        f"""INSERT INTO account_move_line ({", ".join(line_columns)})
            SELECT {", ".join(overrides.get(c, f"t.{c}") for c in line_columns)}
              FROM account_move_line t, bench_moves b WHERE t.move_id = %s""",  # noqa: S608
        [template.id],
    )
    template.button_draft()
    template.unlink()
    cr.commit()
    print(f"# built in {time.perf_counter() - start:.1f} s", flush=True)
    return program


def posting_queries(env, program, method):
    """Queries of posting five invoices of 10,000 to a customer of the program (rolled back)."""
    from odoo import Command

    counts = []
    with env.cr.savepoint(flush=False) as savepoint:
        program.liability_method = method
        customer = env["res.partner"].search([("ref", "=", f"{TAG}-1")])
        product = env["product.product"].create({"name": f"{TAG} goods", "list_price": 10000.0})
        for _invoice in range(5):
            invoice = env["account.move"].create({
                "move_type": "out_invoice", "partner_id": customer.id, "invoice_date": "2026-03-01",
                "invoice_line_ids": [Command.create({"product_id": product.id, "quantity": 1,
                                                     "price_unit": 10000.0, "tax_ids": [Command.clear()]})],
            })
            env.flush_all()
            counts.append(count_queries(env.cr, lambda invoice=invoice: (invoice.action_post(), env.flush_all())))
        savepoint.rollback()
    env.invalidate_all()
    return statistics.median(counts)


def main():
    args = parse_args()
    size = "quick" if args.quick else "small"
    customers = SIZES[size]
    database = args.database or bench_database("wholesale_bench_liability" + ("_quick" if args.quick else ""))
    ensure_database(database, "wholesale_loyalty")
    registry = open_registry(database)
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        build_data(api.Environment(cr, SUPERUSER_ID, {"wholesale_silent": True}), customers)
    drop_registry(database)
    vacuum_analyze(database, "wholesale_loyalty_ledger", "account_move", "account_move_line")
    registry = open_registry(database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"wholesale_silent": True})
        program = bench_program(env)
        emit("liability_customers", customers)
        cr.execute("SELECT count(*) FROM wholesale_loyalty_ledger WHERE program_id = %s", [program.id])
        emit("liability_lots", cr.fetchone()[0])
        seconds = []
        for _run in range(5):
            start = time.perf_counter()
            tie_out = program.liability_tie_out()
            seconds.append(time.perf_counter() - start)
            env.invalidate_all()
        print(f"# tie-out ledger {tie_out['ledger']} books {tie_out['books']} lines {len(tie_out['lines'])}",
              flush=True)
        emit("liability_tie_out_difference", tie_out["difference"], 2)
        emit("liability_tie_out_seconds", statistics.median(seconds))
        without = posting_queries(env, program, "none")
        with_deferral = posting_queries(env, program, "deferral")
        print(f"# posting an invoice: {without} queries without, {with_deferral} with deferral", flush=True)
        emit("liability_posting_extra_queries", with_deferral - without, 0)


if __name__ == "__main__":
    main()
