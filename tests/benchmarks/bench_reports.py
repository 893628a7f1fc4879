"""Speed of the reports add-on on the tier benchmark's data (20,000 customers, 400,000 posted
invoices): the analysis pivot by tier and month as the web client loads it, the same by
customer, and the KPI screen, against a raw SQL aggregation of the invoices by month.

The database is the tier benchmark's (``bench_tier_recalc.py`` builds it when it is missing);
the reports add-on is installed in it when missing. Inside one transaction that is rolled
back at the end, two thirds of the customers are made members (with the tier their lifetime
spend gives) and the ledger gets an earning entry per member invoice of 200 or more, a
redemption on every fourth and an expiry on every tenth (about 325,000 entries), so that
the analysis holds a realistic ledger; the analysis store's triggers file them as they are
inserted. The pivot's full load is the read_group calls of a pivot with one row and one
column grouping (4 calls; the browser sends the last 3 at once, here they run one after the
other). Its ratio to the raw SQL is the median of interleaved pairs (raw SQL, pivot, raw SQL,
pivot ...).

The store's share of posting time: batches of draft invoices of members posted one by one
with the store's triggers and with them disabled (in a savepoint rolled back after each
batch), in interleaved pairs, timed in CPU seconds of this process and its PostgreSQL
backend; ``reports_store_posting_share_percent`` is the median over the pairs of the time
the triggers add, as a share of posting with them (goal: at most 5%).
``reports_store_posting_share_profiled_percent`` attributes it directly: the time PostgreSQL
counts in the store's trigger functions (``track_functions``), over the posting's wall-clock
time, median of the batches posted with them.
Last line: ``pivot_full_load_ratio_vs_raw_sql=<x>``.
"""
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import (  # noqa: E402
    backend_pid,
    bench_database,
    cpu_seconds,
    emit,
    ensure_database,
    interleaved_ratio,
    missing_modules,
    open_registry,
)

TAG = "BENCH-TIER"
MODULES = "wholesale_loyalty,wholesale_loyalty_reports"
DATABASES = {False: bench_database("wholesale_bench"), True: bench_database("wholesale_bench_quick")}  # by --quick
PERIOD = ("2025-08-24", "2026-08-23")  # the last 12 months of the benchmark's invoices
LAST_QUARTER = "2026-06-01"
REPORT_MEASURES = ["revenue:sum", "invoice_count:sum", "points_earned:sum", "points_redeemed:sum"]
SALE_MEASURES = ["price_subtotal:sum", "product_uom_qty:sum"]
# The store's share of posting: invoices per batch and interleaved pairs (full run, --quick).
POSTING = {False: {"invoices": 40, "pairs": 7}, True: {"invoices": 8, "pairs": 3}}


def parse_args(description=__doc__):
    """The options of the benchmarks that read the tier benchmark's data (this one, the
    what-if's)."""
    import argparse

    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--database", help="default: the tier benchmark's database")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="the tier benchmark's tiny database, 2 runs")
    args = parser.parse_args()
    args.database = args.database or DATABASES[args.quick]
    if args.quick:
        args.runs = 2
    return args


def prepare_database(args, update=None):
    """The tier benchmark's data, with both add-ons (those in ``update`` brought up to the
    checked-out code)."""
    from tests.benchmarks.common import database_exists

    if not database_exists(args.database) or missing_modules(args.database, "wholesale_loyalty"):
        print("# no benchmark data yet: running the tier benchmark first, which builds it", flush=True)
        command = [sys.executable, str(Path(__file__).with_name("bench_tier_recalc.py"))]
        command += ["--quick"] if args.quick else ["--size", "small"]
        subprocess.run(command, check=True)
    ensure_database(args.database, MODULES, update)
    # An add-on installed or updated may have rewritten invoice rows since the build's
    # vacuum: both sides of each ratio read the invoices by index alone only once vacuumed.
    subprocess.run(["psql", "-q", "-d", args.database, "-c", "VACUUM ANALYZE account_move"], check=True)


def check_ready(env):
    cr = env.cr
    program = env["wholesale.loyalty.program"].search([("name", "=", "Benchmark Program")])
    cr.execute("SELECT count(*) FROM account_move WHERE name LIKE 'BENCH/%%'")
    invoices = cr.fetchone()[0]
    if not program or not invoices:
        sys.exit("The tier benchmark's data is missing: run tests/benchmarks/bench_tier_recalc.py.")
    return program, invoices


def enroll_members(env, program):
    """Two customers out of three join the program (their accounts in it created or brought
    up to date), at the tier their lifetime spend gives."""
    env.cr.execute(
        """WITH spend AS (
               SELECT m.commercial_partner_id AS partner_id, SUM(m.amount_untaxed_signed) AS amount
                 FROM account_move m
                WHERE m.state = 'posted' AND m.move_type IN ('out_invoice', 'out_refund')
             GROUP BY 1)
           INSERT INTO wholesale_loyalty_member AS mb
                  (partner_id, program_id, company_id, active, qualifying_amount, tier_id,
                   tier_locked, points_balance)
           SELECT p.id, %(program)s, %(company)s, TRUE, s.amount,
                  (SELECT t.id FROM wholesale_loyalty_tier t
                    WHERE t.program_id = %(program)s AND t.threshold_amount <= s.amount
                 ORDER BY t.threshold_amount DESC LIMIT 1),
                  FALSE, 0
             FROM spend s JOIN res_partner p ON p.id = s.partner_id
            WHERE p.ref LIKE %(tag)s AND p.id %% 3 <> 0
           ON CONFLICT (partner_id, program_id) DO UPDATE
              SET active = TRUE, qualifying_amount = EXCLUDED.qualifying_amount, tier_id = EXCLUDED.tier_id""",
        {"program": program.id, "company": program.company_id.id, "tag": f"{TAG}-%"},
    )
    enrolled = env.cr.rowcount
    # Fresh statistics, or the planner believes nobody is a member (transactional: rolled back too).
    env.cr.execute("ANALYZE wholesale_loyalty_member")
    env.invalidate_all()
    return enrolled


def fill_ledger(env, program):
    """Earnings, redemptions and expiries for the members' invoices, in three statements."""
    common = """FROM account_move m
                JOIN wholesale_loyalty_member mb ON mb.partner_id = m.commercial_partner_id
                     AND mb.program_id = %(program)s AND mb.active
               WHERE m.name LIKE 'BENCH/%%' AND m.amount_untaxed_signed >= 200"""
    columns = """(member_id, partner_id, program_id, company_id, date, points, kind, remaining_points, expiry_date,
                  move_id, reference, create_uid, write_uid, create_date, write_date)"""
    statements = {
        "earn": f"""INSERT INTO wholesale_loyalty_ledger {columns}
                    SELECT mb.id, mb.partner_id, %(program)s, m.company_id, m.invoice_date,
                           floor(m.amount_untaxed_signed / 100), 'earn', floor(m.amount_untaxed_signed / 100),
                           m.invoice_date + 365, m.id, 'bench-earn-' || m.id, 1, 1, now(), now()
                    {common}""",
        "redeem": f"""INSERT INTO wholesale_loyalty_ledger {columns}
                      SELECT mb.id, mb.partner_id, %(program)s, m.company_id, m.invoice_date + 20,
                             -floor(m.amount_untaxed_signed / 200), 'redeem', 0, NULL,
                             NULL, 'bench-redeem-' || m.id, 1, 1, now(), now()
                      {common} AND m.id %% 4 = 0""",
        "expire": f"""INSERT INTO wholesale_loyalty_ledger {columns}
                      SELECT mb.id, mb.partner_id, %(program)s, m.company_id, m.invoice_date + 365, -1, 'expire', 0,
                             NULL, NULL, 'bench-expire-' || m.id, 1, 1, now(), now()
                      {common} AND m.id %% 10 = 0""",
    }
    counts = {}
    for kind, statement in statements.items():
        env.cr.execute(statement, {"program": program.id})
        counts[kind] = env.cr.rowcount
    # The members' balances, as the points service keeps them (one statement here).
    env.cr.execute(
        """UPDATE wholesale_loyalty_member mb SET points_balance = s.points
             FROM (SELECT partner_id, SUM(points) AS points FROM wholesale_loyalty_ledger
                    WHERE program_id = %(program)s GROUP BY partner_id) s
            WHERE mb.partner_id = s.partner_id AND mb.program_id = %(program)s""",
        {"program": program.id},
    )
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
    print(f"# {label}: median {median:.3f} s (runs: {', '.join(f'{t:.3f}' for t in timings)})", flush=True)
    return median


def pivot(model, rows, cols, measures, domain=()):
    """The read_group calls of a pivot view with one row and one column grouping."""
    def load():
        for groupby in ([], rows, cols, rows + cols):
            model.read_group(list(domain), measures, groupby, lazy=False)
    return load


def store_posting_share(env, quick):
    """Median share (percent) of posting time that the store's triggers take, with the CPU
    seconds of each side per pair."""
    plan = POSTING[quick]
    partners = env["res.partner"].search([("ref", "=like", f"{TAG}-%")], limit=3 * plan["invoices"])
    partners = partners.filtered(lambda partner: partner.id % 3)  # members (see enroll_members)
    pid = backend_pid(env.cr)
    env.cr.execute(
        """SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            WHERE NOT t.tgisinternal AND t.tgname LIKE 'wholesale_loyalty_report%'"""
    )
    triggers = env.cr.fetchall()

    profiled = []  # per batch with the store: (its trigger functions' seconds, posting's seconds)

    def post_batch(with_store):
        with env.cr.savepoint(flush=False) as savepoint:
            if not with_store:
                # Rolled back with the savepoint, as the invoices are.
                for table, trigger in triggers:
                    env.cr.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{trigger}"')
            invoices = draft_invoices(env, partners, plan["invoices"])
            start, start_wall, start_store = cpu_seconds(pid), time.perf_counter(), store_function_seconds(env.cr)
            for invoice in invoices:
                invoice.action_post()
            env.flush_all()
            seconds = cpu_seconds(pid) - start
            if with_store:
                profiled.append((store_function_seconds(env.cr) - start_store, time.perf_counter() - start_wall))
            savepoint.rollback()
        env.invalidate_all()
        return seconds

    # PostgreSQL's own count of the time spent in the store's trigger functions (superuser only).
    env.cr.execute("SET track_functions = 'pl'")
    post_batch(True), post_batch(False)  # warm-up: caches and plans
    profiled.clear()
    _ratio, with_store, without_store = interleaved_ratio(
        lambda: post_batch(True), lambda: post_batch(False), pairs=plan["pairs"],
    )
    shares = [100 * (a - b) / a for a, b in zip(with_store, without_store, strict=True)]
    print(f"# posting {plan['invoices']} invoices, CPU seconds with/without the store's triggers: "
          f"{' '.join(f'{a:.2f}/{b:.2f}' for a, b in zip(with_store, without_store, strict=True))}", flush=True)
    print(f"# the store's trigger functions / posting with them, wall-clock seconds: "
          f"{' '.join(f'{a:.3f}/{b:.2f}' for a, b in profiled)}", flush=True)
    env.cr.execute("""SELECT funcname, calls, round(total_time) FROM pg_stat_xact_user_functions
                       WHERE funcname LIKE 'wholesale_loyalty_report%' ORDER BY total_time DESC""")
    print(f"# the store's trigger functions over the batches (calls, ms): "
          f"{'; '.join(f'{name} {calls}, {ms}' for name, calls, ms in env.cr.fetchall())}", flush=True)
    profile_share = statistics.median(100 * a / b for a, b in profiled)
    return (statistics.median(shares), profile_share,
            statistics.median(with_store), statistics.median(without_store))


def store_function_seconds(cr):
    """Seconds this transaction has spent in the store's trigger functions so far."""
    cr.execute("""SELECT COALESCE(SUM(total_time), 0) / 1000 FROM pg_stat_xact_user_functions
                   WHERE funcname LIKE 'wholesale_loyalty_report%'""")
    return float(cr.fetchone()[0])


def draft_invoices(env, partners, count):
    from odoo import Command

    invoices = env["account.move"].with_context(tracking_disable=True, mail_notrack=True).create([{
        "move_type": "out_invoice",
        "partner_id": partners[i % len(partners)].id,
        "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": 250.0, "tax_ids": []})],
    } for i in range(count)])
    env.flush_all()
    return invoices


def timed_once(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main():
    args = parse_args()
    prepare_database(args)
    registry = open_registry(args.database)
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        program, invoices = check_ready(env)
        cr.execute("SELECT count(*) FROM res_partner WHERE ref LIKE %s", [f"{TAG}-%"])
        customers = cr.fetchone()[0]
        start = time.perf_counter()
        members = enroll_members(env, program)
        ledger = fill_ledger(env, program)
        print(f"# enrolling and filling the ledger, analysis store kept by its triggers: "
              f"{time.perf_counter() - start:.1f} s", flush=True)
        emit("reports_customers", customers)
        emit("reports_members", members)
        emit("reports_invoices", invoices)
        emit("reports_ledger_entries", sum(ledger.values()))
        report = env["wholesale.loyalty.report"]

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

        by_tier_and_month = pivot(report, ["tier_id"], ["date:month"], REPORT_MEASURES)
        # By customer: the last quarter, as a user drills down (all months of 20,000
        # customers would be 400,000 cells).
        by_customer_and_month = pivot(
            report, ["partner_id"], ["date:month"], REPORT_MEASURES, [("date", ">=", LAST_QUARTER)],
        )
        results = {
            "raw_sql_invoices_by_month_seconds": measure("raw_sql_invoices_by_month", args.runs, raw_sql),
            "pivot_full_load_seconds": measure("pivot_full_load", args.runs, by_tier_and_month),
            "pivot_by_customer_seconds": measure("pivot_by_customer", max(2, args.runs // 2), by_customer_and_month),
            "kpi_seconds": measure("kpi_screen", args.runs, kpi_screen),
        }
        ratio, raw, ours = interleaved_ratio(
            lambda: timed_once(raw_sql), lambda: timed_once(by_tier_and_month), pairs=args.runs,
        )
        print(f"# interleaved: raw SQL {', '.join(f'{t:.3f}' for t in raw)}; "
              f"pivot {', '.join(f'{t:.3f}' for t in ours)}", flush=True)
        share, profile_share, with_store, without_store = store_posting_share(env, args.quick)
        kpi = kpi_screen()
        print(f"# KPI: members {kpi.member_customer_count}, non-members {kpi.nonmember_customer_count}, "
              f"participation {kpi.participation_rate:.1f}%, points outstanding {kpi.points_outstanding}, "
              f"{len(kpi.tier_line_ids)} tier lines", flush=True)
        cr.rollback()
    for name, seconds in results.items():
        emit(name, seconds)
    emit("reports_posting_seconds_with_store", with_store)
    emit("reports_posting_seconds_without_store", without_store)
    emit("reports_store_posting_share_profiled_percent", profile_share, 1)
    emit("reports_store_posting_share_percent", share, 1)
    emit("pivot_full_load_ratio_vs_raw_sql", ratio, 2)


if __name__ == "__main__":
    main()
