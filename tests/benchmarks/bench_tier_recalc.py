"""Full tier recalculation over 20,000 customers and 400,000 posted invoices, against the
raw SQL lower bound (one GROUP BY plus one UPDATE) and a naive per-customer ORM loop.

Prints the timings and, as its last line, ``ratio_vs_sql_bound=<x>``.
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import ensure_database, insert_copies, open_registry, parse_args, timed  # noqa: E402

CUSTOMERS = 20_000
INVOICES_PER_CUSTOMER = 20
NAIVE_SUBSET = 1_000
TAG = "BENCH-TIER"


def build_data(env):
    """Customers and posted invoices, made once and kept for later runs."""
    cr = env.cr
    cr.execute("SELECT count(*) FROM res_partner WHERE ref LIKE %s", [f"{TAG}-%"])
    if cr.fetchone()[0] >= CUSTOMERS:
        return
    print("# building benchmark data (once)", flush=True)
    from odoo import Command

    template_partner = env["res.partner"].create({"name": "Template customer", "is_company": True})
    template_invoice = env["account.move"].create({
        "move_type": "out_invoice",
        "partner_id": template_partner.id,
        "invoice_date": "2026-01-15",
        "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": 100.0, "tax_ids": []})],
    })
    template_invoice.action_post()
    env.flush_all()
    partner_ids = insert_copies(cr, "res_partner", template_partner.id, CUSTOMERS, {
        "name": "'Bench customer ' || n",
        "complete_name": "'Bench customer ' || n",
        "ref": f"'{TAG}-' || n",
        "wholesale_program_id": "NULL", "wholesale_tier_id": "NULL",
    })
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", [partner_ids])
    cr.execute("CREATE TEMP TABLE bench_partner AS SELECT row_number() OVER (ORDER BY id) AS k, id FROM unnest(%s) id",
               [partner_ids])
    cr.execute("CREATE UNIQUE INDEX ON bench_partner (k)")
    # Amounts spread customers over all tiers: 20 invoices of 10..2,000 each.
    insert_copies(cr, "account_move", template_invoice.id, CUSTOMERS * INVOICES_PER_CUSTOMER, {
        "name": "'BENCH/' || n",
        "partner_id": f"(SELECT id FROM bench_partner WHERE k = 1 + mod(n, {CUSTOMERS}))",
        "commercial_partner_id": f"(SELECT id FROM bench_partner WHERE k = 1 + mod(n, {CUSTOMERS}))",
        "amount_untaxed_signed": "10 + mod(n::bigint * 7919, 1990)",
        "amount_untaxed": "10 + mod(n::bigint * 7919, 1990)",
        "amount_total_signed": "10 + mod(n::bigint * 7919, 1990)",
        "amount_total": "10 + mod(n::bigint * 7919, 1990)",
        "invoice_date": "DATE '2025-01-01' + mod(n, 600)",
        "date": "DATE '2025-01-01' + mod(n, 600)",
        "payment_state": "'not_paid'",
        "sequence_prefix": "'BENCH/'",
        "sequence_number": "n",
    })
    env["res.partner"].search([("id", "=", template_partner.id)]).write({"active": False})
    cr.execute("ANALYZE res_partner; ANALYZE account_move")
    cr.commit()


def bench_program(env):
    # A customer belongs to the first program whose filter matches: the shipped default program
    # (all customers) would take the benchmark's customers before a program created after it.
    env["wholesale.loyalty.program"].search([("name", "!=", "Benchmark Program")]).write({"active": False})
    program = env["wholesale.loyalty.program"].search([("name", "=", "Benchmark Program")])
    if program:
        return program
    from odoo import Command
    program = env["wholesale.loyalty.program"].create({
        "name": "Benchmark Program",
        "qualification_basis": "invoiced",
        "qualification_period": "lifetime",
        "partner_domain": str([("ref", "=like", f"{TAG}-%")]),
        "tier_ids": [
            Command.create({"name": "Silver", "threshold_amount": 0}),
            Command.create({"name": "Gold", "threshold_amount": 20_000, "discount_percent": 3}),
            Command.create({"name": "Platinum", "threshold_amount": 22_000, "discount_percent": 5}),
        ],
    })
    env.cr.commit()
    return program


def reset_members(env, program):
    env.cr.execute(
        """UPDATE res_partner SET wholesale_program_id = NULL, wholesale_tier_id = NULL,
                  wholesale_qualifying_amount = NULL, wholesale_tier_since = NULL,
                  wholesale_tier_evaluated_on = NULL, wholesale_downgrade_since = NULL
            WHERE ref LIKE %s""", [f"{TAG}-%"])
    env.cr.execute("DELETE FROM wholesale_loyalty_tier_history WHERE program_id = %s", [program.id])
    env.invalidate_all()


def sql_lower_bound(env, program):
    """What a hand-written statement needs: aggregate and write the tier, nothing else."""
    env.cr.execute(
        """UPDATE res_partner p
              SET wholesale_qualifying_amount = s.amount,
                  wholesale_tier_id = (SELECT t.id FROM wholesale_loyalty_tier t
                                        WHERE t.program_id = %(program)s AND t.threshold_amount <= s.amount
                                     ORDER BY t.threshold_amount DESC LIMIT 1)
             FROM (SELECT m.commercial_partner_id AS partner_id, SUM(m.amount_untaxed_signed) AS amount
                     FROM account_move m
                    WHERE m.state = 'posted' AND m.move_type IN ('out_invoice', 'out_refund')
                      AND m.company_id = %(company)s
                 GROUP BY m.commercial_partner_id) s
            WHERE p.id = s.partner_id AND p.ref LIKE %(tag)s""",
        {"program": program.id, "company": program.company_id.id, "tag": f"{TAG}-%"},
    )


def naive_orm_loop(env, program, partners):
    """The obvious per-customer ORM code, for contrast."""
    tiers = program.tier_ids.sorted("threshold_amount")
    for partner in partners:
        invoices = env["account.move"].search([
            ("commercial_partner_id", "=", partner.id), ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund")),
        ])
        amount = sum(invoices.mapped("amount_untaxed_signed"))
        tier = tiers.filtered(lambda t, amount=amount: t.threshold_amount <= amount)[-1:]
        # The naive loop writes as the engine does: with its own privileges.
        partner.sudo().write(
            {"wholesale_tier_id": tier.id, "wholesale_program_id": program.id}
        )


def main():
    args = parse_args(__doc__, "wholesale_bench")
    ensure_database(args.database, args.modules)
    registry = open_registry(args.database)
    from odoo import SUPERUSER_ID, api

    results = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"wholesale_silent": True})
        build_data(env)
        program = bench_program(env)
        env.cr.execute("SELECT count(*) FROM account_move WHERE name LIKE 'BENCH/%%'")
        print(f"customers={20000} invoices={env.cr.fetchone()[0]}", flush=True)
        engine = env["wholesale.loyalty.tier.engine"]

        # Warm the caches once so that no measurement pays for reading the table from disk.
        sql_lower_bound(env, program)
        reset_members(env, program)
        with timed(results, "engine_first_run"):  # enrolls everyone: a tier and a history line each
            engine.recalculate(programs=program)
            env.flush_all()
        env.cr.execute("SELECT count(*) FROM res_partner WHERE wholesale_tier_id IS NOT NULL AND ref LIKE %s",
                       [f"{TAG}-%"])
        print(f"customers_with_tier={env.cr.fetchone()[0]}", flush=True)
        # A day later, with thresholds moved: every amount re-aggregated, tiers change.
        program.tier_ids.sorted("threshold_amount")[1].threshold_amount = 20_500
        env.flush_all()
        with timed(results, "engine_daily_run"):
            engine.recalculate(programs=program)
            env.flush_all()
        with timed(results, "sql_lower_bound"):
            sql_lower_bound(env, program)
        partners = env["res.partner"].search([("ref", "=like", f"{TAG}-%")], limit=NAIVE_SUBSET)
        start = time.perf_counter()
        naive_orm_loop(env, program, partners)
        env.flush_all()
        naive = time.perf_counter() - start
        print(f"naive_orm_loop_{NAIVE_SUBSET}_customers_seconds={naive:.3f}", flush=True)
        print(f"naive_orm_loop_extrapolated_{20000}_customers_seconds={naive * 20000 / NAIVE_SUBSET:.1f}")
        cr.rollback()
    print(f"first_run_ratio_vs_sql_bound={results['engine_first_run'] / results['sql_lower_bound']:.2f}")
    print(f"naive_ratio_vs_sql_bound={naive * 20000 / NAIVE_SUBSET / results['sql_lower_bound']:.1f}")
    print(f"ratio_vs_sql_bound={results['engine_daily_run'] / results['sql_lower_bound']:.2f}")


if __name__ == "__main__":
    main()
