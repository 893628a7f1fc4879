"""Speed of the reports add-on on the tier benchmark's data (20,000 customers, 400,000 posted
invoices): the KPI screen and a pivot of wholesale.loyalty.report by tier and month, with
plain sale.report and a raw SQL aggregation of the invoices as references.

Needs the data of bench_tier_recalc.py and the reports add-on installed in its database::

    run_odoo -d wholesale_bench -u wholesale_loyalty -i wholesale_loyalty_reports --stop-after-init
    .venv/bin/python tests/benchmarks/bench_reports.py

Inside one transaction that is rolled back at the end, two thirds of the customers are made
members (with the tier their lifetime spend gives) and the ledger gets an earning entry per
member invoice of 100 or more, a redemption on every fourth and an expiry on every tenth, so
that the view joins a realistic ledger. Each measurement runs ``--runs`` times after a warm-up;
the median is reported. The pivot is timed twice: its cells (one read_group by tier and month)
and its full load as the web client does it, one read_group per combination of row and column
groupings (4 calls; the browser sends the last 3 at once, here they run one after the other).
sale.report is loaded the same way; the benchmark data has no sale orders, so it only shows the
fixed cost of a pivot. Last line: ``kpi_seconds=<x>``.
"""
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import open_registry  # noqa: E402

TAG = "BENCH-TIER"
PERIOD = ("2025-08-24", "2026-08-23")  # the last 12 months of the benchmark's invoices
REPORT_MEASURES = ["revenue:sum", "invoice_count:sum", "points_earned:sum", "points_redeemed:sum"]
SALE_MEASURES = ["price_subtotal:sum", "product_uom_qty:sum"]


def parse_args():
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="wholesale_bench")
    parser.add_argument("--runs", type=int, default=3)
    return parser.parse_args()


def check_ready(env):
    cr = env.cr
    cr.execute("SELECT state FROM ir_module_module WHERE name = 'wholesale_loyalty_reports'")
    if (cr.fetchone() or [None])[0] != "installed":
        sys.exit("Install wholesale_loyalty_reports in the benchmark database first (see the docstring).")
    program = env["wholesale.loyalty.program"].search([("name", "=", "Benchmark Program")])
    cr.execute("SELECT count(*) FROM account_move WHERE name LIKE 'BENCH/%%'")
    invoices = cr.fetchone()[0]
    if not program or invoices < 400_000:
        sys.exit("Run tests/benchmarks/bench_tier_recalc.py once first: it builds the data.")
    return program, invoices


def enroll_members(env, program):
    """Two customers out of three join the program, at the tier their lifetime spend gives."""
    env.cr.execute(
        """WITH spend AS (
               SELECT m.commercial_partner_id AS partner_id, SUM(m.amount_untaxed_signed) AS amount
                 FROM account_move m
                WHERE m.state = 'posted' AND m.move_type IN ('out_invoice', 'out_refund')
             GROUP BY 1)
           UPDATE res_partner p
              SET wholesale_program_id = %(program)s,
                  wholesale_qualifying_amount = s.amount,
                  wholesale_tier_id = (SELECT t.id FROM wholesale_loyalty_tier t
                                        WHERE t.program_id = %(program)s AND t.threshold_amount <= s.amount
                                     ORDER BY t.threshold_amount DESC LIMIT 1)
             FROM spend s
            WHERE s.partner_id = p.id AND p.ref LIKE %(tag)s AND p.id %% 3 <> 0""",
        {"program": program.id, "tag": f"{TAG}-%"},
    )
    enrolled = env.cr.rowcount
    # Fresh statistics, or the planner believes nobody is a member (transactional: rolled back too).
    env.cr.execute("ANALYZE res_partner")
    return enrolled


def fill_ledger(env, program):
    """Earnings, redemptions and expiries for the members' invoices, in three statements."""
    common = """FROM account_move m JOIN res_partner p ON p.id = m.commercial_partner_id
               WHERE m.name LIKE 'BENCH/%%' AND p.wholesale_program_id = %(program)s
                 AND m.amount_untaxed_signed >= 200"""
    columns = """(partner_id, program_id, company_id, date, points, kind, remaining_points, expiry_date,
                  move_id, reference, create_uid, write_uid, create_date, write_date)"""
    statements = {
        "earn": f"""INSERT INTO wholesale_loyalty_ledger {columns}
                    SELECT p.id, %(program)s, m.company_id, m.invoice_date,
                           floor(m.amount_untaxed_signed / 100), 'earn', floor(m.amount_untaxed_signed / 100),
                           m.invoice_date + 365, m.id, 'bench-earn-' || m.id, 1, 1, now(), now()
                    {common}""",
        "redeem": f"""INSERT INTO wholesale_loyalty_ledger {columns}
                      SELECT p.id, %(program)s, m.company_id, m.invoice_date + 20,
                             -floor(m.amount_untaxed_signed / 200), 'redeem', 0, NULL,
                             NULL, 'bench-redeem-' || m.id, 1, 1, now(), now()
                      {common} AND m.id %% 4 = 0""",
        "expire": f"""INSERT INTO wholesale_loyalty_ledger {columns}
                      SELECT p.id, %(program)s, m.company_id, m.invoice_date + 365, -1, 'expire', 0, NULL,
                             NULL, 'bench-expire-' || m.id, 1, 1, now(), now()
                      {common} AND m.id %% 10 = 0""",
    }
    counts = {}
    for kind, statement in statements.items():
        env.cr.execute(statement, {"program": program.id})
        counts[kind] = env.cr.rowcount
    env.cr.execute("ANALYZE wholesale_loyalty_ledger")
    env.invalidate_all()
    return counts


def measure(label, runs, function):
    function()  # warm-up: caches and plans
    timings = []
    for _run in range(runs):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    median = statistics.median(timings)
    print(f"{label}_seconds={median:.3f} (runs: {', '.join(f'{t:.3f}' for t in timings)})", flush=True)
    return median


def pivot(model, rows, cols, measures):
    """The read_group calls of a pivot view with one row and one column grouping."""
    def load():
        for groupby in ([], rows, cols, rows + cols):
            model.read_group([], measures, groupby, lazy=False)
    return load


def main():
    args = parse_args()
    registry = open_registry(args.database)
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        program, invoices = check_ready(env)
        members = enroll_members(env, program)
        ledger = fill_ledger(env, program)
        print(f"customers=20000 members={members} invoices={invoices} "
              f"ledger_entries={sum(ledger.values())} ({', '.join(f'{k}={v}' for k, v in ledger.items())})",
              flush=True)
        report = env["wholesale.loyalty.report"]
        sale_report = env["sale.report"]
        cr.execute("SELECT count(*) FROM sale_order_line")
        print(f"sale_order_lines={cr.fetchone()[0]} (sale.report has only these rows to aggregate)", flush=True)

        def kpi_screen():
            kpi = env["wholesale.loyalty.kpi"].create(
                {"program_id": program.id, "date_from": PERIOD[0], "date_to": PERIOD[1]}
            )
            env.flush_all()
            return kpi

        def raw_sql():
            cr.execute("""SELECT date_trunc('month', invoice_date::timestamp), SUM(amount_untaxed_signed), COUNT(*)
                            FROM account_move WHERE state = 'posted' AND move_type IN ('out_invoice', 'out_refund')
                        GROUP BY 1""")
            cr.fetchall()

        def one_read_group():
            report.read_group([], REPORT_MEASURES, ["tier_id", "date:month"], lazy=False)

        results = {
            "raw_sql_invoices_by_month": measure("raw_sql_invoices_by_month", args.runs, raw_sql),
            "sale_report_pivot": measure(
                "sale_report_pivot", args.runs, pivot(sale_report, ["team_id"], ["date:month"], SALE_MEASURES)
            ),
            "pivot": measure("report_pivot_tier_month_read_group", args.runs, one_read_group),
            "pivot_full_load": measure(
                "report_pivot_tier_month_full_load", args.runs,
                pivot(report, ["tier_id"], ["date:month"], REPORT_MEASURES),
            ),
            "kpi": measure("kpi_screen", args.runs, kpi_screen),
        }
        kpi = kpi_screen()
        print(f"kpi_member_customers={kpi.member_customer_count} "
              f"kpi_nonmember_customers={kpi.nonmember_customer_count} "
              f"kpi_participation={kpi.participation_rate:.1f}% kpi_points_outstanding={kpi.points_outstanding} "
              f"kpi_tier_lines={len(kpi.tier_line_ids)}", flush=True)
        cr.rollback()
    print(f"pivot_ratio_vs_raw_sql={results['pivot'] / results['raw_sql_invoices_by_month']:.1f}")
    print(f"pivot_full_load_seconds={results['pivot_full_load']:.3f}")
    print(f"pivot_seconds={results['pivot']:.3f}")
    print(f"kpi_seconds={results['kpi']:.3f}")


if __name__ == "__main__":
    main()
