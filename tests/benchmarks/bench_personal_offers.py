"""Personal offers of every member, 20,000 customers with 400,000 posted invoice lines of goods,
against one GROUP BY of the window's invoice lines (customer x product): the goal is a ratio of
at most 2.

The data is made once with bulk SQL: the customers, one invoice per line (one credit note in
twenty), each customer buying four products in turn over the twelve months before this one,
so that the nightly run finds offers for most of them (N = 6 months, K = 2). Figures:

- ``offers_first_run_ratio``: the run that creates every offer (rolled back each time);
- ``offers_daily_ratio``: the run again with the offers in place (nothing to change: the steady
  state of the nightly run between two month ends);

both medians of interleaved pairs (GROUP BY, run, GROUP BY, run ...). ``--quick`` runs 2,000
customers / 40,000 lines.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.bench_tier_recalc import drop_registry, vacuum_analyze  # noqa: E402
from tests.benchmarks.common import (  # noqa: E402
    bench_database,
    copy_rows,
    emit,
    ensure_database,
    insert_copies,
    open_registry,
)

TAG = "BENCH-OFFER"
LINES_PER_CUSTOMER = 20
PRODUCTS = 40
SIZES = {"quick": 2_000, "small": 20_000}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 customers / 40,000 lines")
    parser.add_argument("--database", help="default: wholesale_bench_offers[_quick]")
    parser.add_argument("--pairs", type=int, default=5, help="interleaved pairs per ratio")
    return parser.parse_args()


# ---------------------------------------------------------------------------- data


def build_data(env, customers):
    """Customers, products and posted invoices of one goods line each, made once."""
    cr = env.cr
    cr.execute("SELECT count(*) FROM res_partner WHERE ref LIKE %s", [f"{TAG}-%"])
    if cr.fetchone()[0] >= customers:
        return
    from odoo import Command

    start = time.perf_counter()
    print(f"# building {customers} customers and {customers * LINES_PER_CUSTOMER} invoice lines (once)", flush=True)
    products = env["product.product"].create([
        {"name": f"Bench goods {index}", "type": "consu", "list_price": 10.0} for index in range(PRODUCTS)
    ])
    partner = env["res.partner"].create({"name": "Template offer customer", "is_company": True})
    invoice = env["account.move"].create({
        "move_type": "out_invoice", "partner_id": partner.id, "invoice_date": "2026-01-15",
        "invoice_line_ids": [Command.create({"product_id": products[0].id, "quantity": 1, "price_unit": 100.0,
                                             "tax_ids": []})],
    })
    invoice.action_post()
    env.flush_all()
    line = invoice.invoice_line_ids
    partner_ids = insert_copies(cr, "res_partner", partner.id, customers, {
        "name": "'Bench offer customer ' || n", "complete_name": "'Bench offer customer ' || n",
        "ref": f"'{TAG}-' || n",
    })
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", [partner_ids])
    cr.execute("CREATE TEMP TABLE bench_offer_partner (k int PRIMARY KEY, id int) ON COMMIT DROP")
    cr.execute("INSERT INTO bench_offer_partner SELECT k, id FROM unnest(%s::int[]) WITH ORDINALITY AS u(id, k)",
               [partner_ids])
    # Invoice n is the i-th purchase (i = (n - 1) / customers) of customer k: every 18 days over
    # the twelve months before this one, one of its four products in turn; one in twenty is a
    # credit note.
    cr.execute(
        """CREATE TEMP TABLE bench_offer_doc ON COMMIT DROP AS
           SELECT n, b.id AS partner_id, ((n - 1) / %(customers)s) AS i,
                  (date_trunc('month', CURRENT_DATE) - interval '12 months')::date
                      + mod(((n - 1) / %(customers)s) * 18 + b.k, 365)::int AS day,
                  CASE WHEN mod(n, 20) = 0 THEN 'out_refund' ELSE 'out_invoice' END AS move_type,
                  (%(products)s::int[])[1 + mod(b.k * 3 + mod((n - 1) / %(customers)s, 4), %(count)s)] AS product_id,
                  (10 + mod(n::bigint * 7919, 990))::numeric AS amount
             FROM generate_series(1, %(total)s) AS n
             JOIN bench_offer_partner b ON b.k = 1 + mod(n - 1, %(customers)s)""",
        {"customers": customers, "total": customers * LINES_PER_CUSTOMER, "products": products.ids,
         "count": PRODUCTS},
    )
    copy_rows(cr, "account_move", invoice.id, "bench_offer_doc", "d", {
        "name": "'BENCHO/' || d.n", "partner_id": "d.partner_id", "commercial_partner_id": "d.partner_id",
        "move_type": "d.move_type", "invoice_date": "d.day", "date": "d.day",
        "amount_untaxed_signed": "CASE WHEN d.move_type = 'out_refund' THEN -d.amount ELSE d.amount END",
        "amount_untaxed": "d.amount", "amount_total": "d.amount",
        "amount_total_signed": "CASE WHEN d.move_type = 'out_refund' THEN -d.amount ELSE d.amount END",
        "payment_state": "'not_paid'", "sequence_prefix": "'BENCHO/'", "sequence_number": "d.n",
    })
    cr.execute(
        """CREATE TEMP TABLE bench_offer_move ON COMMIT DROP AS
           SELECT m.id AS move_id, d.* FROM account_move m JOIN bench_offer_doc d ON d.n = m.sequence_number
            WHERE m.sequence_prefix = 'BENCHO/'"""
    )
    # A sale credits income: -balance is the revenue, positive for invoices.
    balance = "CASE WHEN d.move_type = 'out_refund' THEN d.amount ELSE -d.amount END"
    copy_rows(cr, "account_move_line", line.id, "bench_offer_move", "d", {
        "move_id": "d.move_id", "move_name": "'BENCHO/' || d.n", "partner_id": "d.partner_id",
        "product_id": "d.product_id", "date": "d.day", "invoice_date": "d.day",
        "balance": balance, "amount_currency": balance,
        "debit": "GREATEST(" + balance + ", 0)", "credit": "GREATEST(-(" + balance + "), 0)",
        "price_unit": "d.amount", "price_subtotal": "d.amount", "price_total": "d.amount",
    })
    env["res.partner"].browse(partner.id).active = False
    env.flush_all()
    cr.commit()
    vacuum_analyze(cr.dbname, "res_partner", "account_move", "account_move_line")
    print(f"# data built in {time.perf_counter() - start:.0f} s", flush=True)


def bench_program(env):
    """The benchmark's program: its customers, offers on over 6 months with 2 of them."""
    Program = env["wholesale.loyalty.program"]
    Program.search([("name", "!=", "Offers Benchmark")]).write({"active": False})
    program = Program.search([("name", "=", "Offers Benchmark")])
    if not program:
        from odoo import Command

        program = Program.create({
            "name": "Offers Benchmark", "qualification_basis": "invoiced", "qualification_period": "lifetime",
            "partner_domain": str([("ref", "=like", f"{TAG}-%")]),
            "tier_ids": [Command.create({"name": "Base", "threshold_amount": 0})],
        })
    program.write({"personal_offer_months": 6, "personal_offer_min_months": 2, "personal_offer_discount": 5.0})
    env.cr.execute("DELETE FROM wholesale_loyalty_personal_offer WHERE program_id = %s", [program.id])
    env.cr.commit()
    return program


# ---------------------------------------------------------------------------- what is timed


def group_by(env, program):
    """The reference: one GROUP BY (customer x product) of the goods lines of the window."""
    from odoo.addons.wholesale_loyalty.tools.personal_offers import offer_window

    start, end = offer_window(program._today(), program.personal_offer_months)
    env.cr.execute(
        """SELECT m.commercial_partner_id, l.product_id, SUM(-l.balance)
             FROM account_move_line l
             JOIN account_move m ON m.id = l.move_id
            WHERE m.state = 'posted' AND m.move_type IN ('out_invoice', 'out_refund')
              AND m.company_id = %s AND l.display_type = 'product'
              AND l.invoice_date BETWEEN %s AND %s
         GROUP BY 1, 2""",
        [program.company_id.id, start, end],
    )
    return len(env.cr.fetchall())


def offers_run(env, program):
    counts = env["wholesale.loyalty.personal.offer"]._update_offers(program)
    env.flush_all()
    return counts


def timed(env, function, program):
    start = time.perf_counter()
    function(env, program)
    return time.perf_counter() - start


def ratio(env, program, pairs, keep):
    """Median of (offers run / GROUP BY) over interleaved pairs; the offers run is rolled back
    unless ``keep``."""
    references, ours = [], []
    for _pair in range(pairs):
        references.append(timed(env, group_by, program))
        with env.cr.savepoint(flush=False) as savepoint:
            ours.append(timed(env, offers_run, program))
            if not keep:
                savepoint.rollback()
        env.invalidate_all()
    print("# group by " + " ".join(f"{s:.3f}" for s in references) + " s; offers run "
          + " ".join(f"{s:.3f}" for s in ours) + " s", flush=True)
    ratios = [b / a for a, b in zip(references, ours, strict=True)]
    return statistics.median(ratios), statistics.median(references), statistics.median(ours)


def main():
    args = parse_args()
    size = "quick" if args.quick else "small"
    customers = SIZES[size]
    database = args.database or bench_database("wholesale_bench_offers" + ("_quick" if args.quick else ""))
    ensure_database(database, "wholesale_loyalty")
    registry = open_registry(database)
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        build_data(api.Environment(cr, SUPERUSER_ID, {"wholesale_silent": True}), customers)
    drop_registry(database)
    vacuum_analyze(database, "account_move", "account_move_line", "wholesale_loyalty_personal_offer")
    registry = open_registry(database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"wholesale_silent": True})
        program = bench_program(env)
        cr.execute("SELECT count(*) FROM account_move_line WHERE move_name LIKE 'BENCHO/%%'")
        emit("offers_customers", customers)
        emit("offers_invoice_lines", cr.fetchone()[0])
        emit("offers_window_groups", group_by(env, program))  # also warms the caches
        first_ratio, reference, first_seconds = ratio(env, program, args.pairs, keep=False)
        counts = offers_run(env, program)
        cr.commit()
        emit("offers_created", counts["created"])
        vacuum_analyze(database, "wholesale_loyalty_personal_offer")
        daily_ratio, daily_reference, daily_seconds = ratio(env, program, args.pairs, keep=True)
        emit("offers_group_by_seconds", statistics.median([reference, daily_reference]))
        emit("offers_first_run_seconds", first_seconds)
        emit("offers_daily_seconds", daily_seconds)
        emit("offers_first_run_ratio", first_ratio, 2)
        emit("offers_daily_ratio", daily_ratio, 2)


if __name__ == "__main__":
    main()
