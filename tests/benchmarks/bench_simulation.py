"""Speed of a what-if simulation on the tier benchmark's data (20,000 customers, 400,000
posted invoices): one simulation of a raised threshold over the last 12 months (replay under
both settings, movers and results written) and a 10-step sensitivity run of that threshold,
against the raw SQL bound, one GROUP BY of the window's sale documents per customer.

The database is the tier benchmark's (``bench_tier_recalc.py`` builds it when it is missing);
the reports add-on is installed or updated in it. Everything happens in one transaction that
is rolled back at the end. The ratio is the median of interleaved pairs (raw SQL, simulation,
raw SQL, simulation ...). The benchmark program's tier counts lifetime spend, so a replay
reads every document up to the window's end, not only the window's: a second ratio sets the
simulation against one GROUP BY of those documents. Last line: ``simulation_ratio=<x>``
(goal: <= 2, and < 3 s).
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.bench_reports import (  # noqa: E402
    PERIOD,
    check_ready,
    enroll_members,
    parse_args,
    prepare_database,
)
from tests.benchmarks.common import emit, interleaved_ratio, open_registry  # noqa: E402

SENSITIVITY_STEPS = 10


def timed_once(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main():
    args = parse_args(__doc__)
    prepare_database(args, update="wholesale_loyalty_reports")
    registry = open_registry(args.database)
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        program, invoices = check_ready(env)
        members = env["wholesale.loyalty.member"].search_count([("program_id", "=", program.id)])
        if not members:
            members = enroll_members(env, program)
        emit("simulation_members", members)
        emit("simulation_invoices", invoices)
        simulation = env["wholesale.loyalty.simulation"].create({
            "name": "Benchmark", "program_id": program.id, "date_from": PERIOD[0], "date_to": PERIOD[1],
        })
        # The second rung of the ladder, raised by half: some customers move down.
        line = simulation.tier_line_ids.sorted("threshold_amount")[1]
        threshold = line.threshold_amount
        line.threshold_amount = threshold * 1.5
        simulation.write({
            "sensitivity_setting": "threshold_amount", "sensitivity_tier_line_id": line.id,
            "sensitivity_from": threshold * 0.8, "sensitivity_to": threshold * 2,
            "sensitivity_steps": SENSITIVITY_STEPS,
        })
        env.flush_all()

        def raw_sql():
            cr.execute(
                """SELECT commercial_partner_id, SUM(amount_untaxed_signed), COUNT(*)
                     FROM account_move
                    WHERE state = 'posted' AND move_type IN ('out_invoice', 'out_refund')
                      AND company_id = %s AND invoice_date BETWEEN %s AND %s
                 GROUP BY 1""",
                [program.company_id.id, *PERIOD],
            )
            cr.fetchall()

        def same_documents_sql():
            """The documents a lifetime program's replay must read: every one up to the
            window's end (the tier's spend), the window's summed apart."""
            cr.execute(
                """SELECT commercial_partner_id, SUM(amount_untaxed_signed),
                          COUNT(*) FILTER (WHERE invoice_date >= %(start)s),
                          SUM(amount_untaxed_signed) FILTER (WHERE invoice_date >= %(start)s)
                     FROM account_move
                    WHERE state = 'posted' AND move_type IN ('out_invoice', 'out_refund')
                      AND company_id = %(company)s AND invoice_date <= %(end)s
                 GROUP BY 1""",
                {"company": program.company_id.id, "start": PERIOD[0], "end": PERIOD[1]},
            )
            cr.fetchall()

        def simulate():
            simulation.action_simulate()
            env.flush_all()

        def sensitivity():
            simulation.action_run_sensitivity()
            env.flush_all()

        simulate()  # warm-up: caches and plans
        sensitivity()
        ratio, raw, ours = interleaved_ratio(
            lambda: timed_once(raw_sql), lambda: timed_once(simulate), pairs=args.runs,
        )
        same_ratio, _same, _ours = interleaved_ratio(
            lambda: timed_once(same_documents_sql), lambda: timed_once(simulate), pairs=args.runs,
        )
        sensitivity_ratio, raw_sensitivity, sensitivity_runs = interleaved_ratio(
            lambda: timed_once(raw_sql), lambda: timed_once(sensitivity), pairs=args.runs,
        )
        print(f"# interleaved: raw SQL {', '.join(f'{t:.3f}' for t in raw)}; "
              f"simulation {', '.join(f'{t:.3f}' for t in ours)}", flush=True)
        print(f"# sensitivity ({SENSITIVITY_STEPS} steps): {', '.join(f'{t:.3f}' for t in sensitivity_runs)} "
              f"against raw SQL {', '.join(f'{t:.3f}' for t in raw_sensitivity)}", flush=True)
        print(f"# {simulation.customer_count} members, {simulation.moved_down_count} move down, "
              f"{simulation.moved_up_count} up; cost {simulation.current_cost:.2f} -> "
              f"{simulation.proposed_cost:.2f}", flush=True)
        cr.rollback()
    emit("simulation_raw_sql_seconds", sorted(raw)[len(raw) // 2])
    emit("simulation_seconds", sorted(ours)[len(ours) // 2])
    emit("simulation_sensitivity_seconds", sorted(sensitivity_runs)[len(sensitivity_runs) // 2])
    emit("simulation_sensitivity_ratio", sensitivity_ratio, 2)
    emit("simulation_same_documents_ratio", same_ratio, 2)
    emit("simulation_ratio", ratio, 2)


if __name__ == "__main__":
    main()
