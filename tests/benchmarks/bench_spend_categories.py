"""Tier recalculation of a program that counts spend by product line (an excluded product
category), against the raw SQL lower bound that counts the same invoice lines: one GROUP BY
over the lines of the counted categories plus one UPSERT into the members' table.

Uses the tier benchmark's database (``bench_tier_recalc.py`` builds it) and gives each of its
invoices one product line, once. ``tier_categories_<size>_daily_ratio`` is the median of
interleaved pairs (bound, engine) with Gold's threshold moved before each run, like the tier
benchmark's daily ratio; the goal is at most 1.5. The last line is ``ratio_vs_sql_bound``.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.bench_tier_recalc import (  # noqa: E402
    OUR_MODULES,
    SIZES,
    Bench,
    bench_program,
    engine_run,
    fmt,
    move_gold_threshold,
    prepare_database,
    upsert_members_sql,
    vacuum_analyze,
)
from tests.benchmarks.common import copy_rows, emit, open_registry  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=("quick", "small", "large"), default="small")
    parser.add_argument("--quick", action="store_true", help="the tiny size, for a smoke run")
    parser.add_argument("--modules", default=",".join(OUR_MODULES))
    parser.add_argument("--update", action="store_true", help="bring our add-ons up to the checked-out code first")
    parser.add_argument("--pairs", type=int, default=5, help="interleaved pairs per ratio")
    parser.add_argument("--build-only", action="store_true")
    return parser.parse_args()


def bench_categories(env):
    """(counted goods category, excluded services category), made once."""
    Category = env["product.category"]
    goods = Category.search([("name", "=", "Bench goods")], limit=1) or Category.create({"name": "Bench goods"})
    services = Category.search([("name", "=", "Bench services")], limit=1) or Category.create(
        {"name": "Bench services"})
    return goods, services


def ensure_invoice_lines(env, goods):
    """One product line per benchmark invoice, of a product of ``goods``, worth the invoice's
    untaxed amount: what a spend counted by product line reads."""
    cr = env.cr
    cr.execute(
        """SELECT count(*) FROM account_move m
            WHERE m.name LIKE 'BENCH/%%'
              AND NOT EXISTS (SELECT 1 FROM account_move_line l WHERE l.move_id = m.id)"""
    )
    missing = cr.fetchone()[0]
    if not missing:
        return
    print(f"# adding a product line to {missing} invoices (once)", flush=True)
    start = time.perf_counter()
    product = env["product.product"].create({"name": "Bench goods product", "categ_id": goods.id})
    cr.execute(
        """SELECT l.id FROM account_move_line l JOIN account_move m ON m.id = l.move_id
            WHERE m.partner_id IN (SELECT id FROM res_partner WHERE name = 'Template customer')
              AND l.display_type = 'product' LIMIT 1"""
    )
    [(template_line,)] = cr.fetchall()
    copy_rows(cr, "account_move_line", template_line, """(
        SELECT m.* FROM account_move m
         WHERE m.name LIKE 'BENCH/%%' AND NOT EXISTS (SELECT 1 FROM account_move_line l WHERE l.move_id = m.id)
    )""", "m", {
        "move_id": "m.id", "move_name": "m.name", "partner_id": "m.partner_id", "date": "m.date",
        "invoice_date": "m.invoice_date", "product_id": str(product.id),
        "balance": "-m.amount_untaxed_signed", "amount_currency": "-m.amount_untaxed_signed",
        "credit": "m.amount_untaxed_signed", "debit": "0",
        "price_unit": "m.amount_untaxed_signed", "price_subtotal": "m.amount_untaxed_signed",
        "price_total": "m.amount_untaxed_signed",
    })
    cr.commit()
    vacuum_analyze(cr.dbname, "account_move_line")
    print(f"# lines added in {time.perf_counter() - start:.0f} s", flush=True)


def sql_bound_counting_lines(env, program):
    """The tier benchmark's bound, summing the lines of the counted categories instead of the
    invoices' totals."""
    excluded = program._category_ids("excluded_categ_ids")
    upsert_members_sql(env, program, """
        SELECT m.commercial_partner_id AS partner_id, SUM(-l.balance) AS amount
          FROM account_move m
          JOIN account_move_line l ON l.move_id = m.id AND l.display_type = 'product'
          JOIN product_product pp ON pp.id = l.product_id
          JOIN product_template pt ON pt.id = pp.product_tmpl_id
         WHERE m.state = 'posted' AND m.move_type IN ('out_invoice', 'out_refund')
           AND m.company_id = %(company)s AND pt.categ_id <> ALL(%(excluded)s)
      GROUP BY m.commercial_partner_id""", excluded=sorted(excluded))


def main():
    args = parse_args()
    size = SIZES["quick" if args.quick else args.size]
    prepare_database(size, args)
    registry = open_registry(size.database)
    from odoo import SUPERUSER_ID, Command, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"wholesale_silent": True})
        goods, services = bench_categories(env)
        ensure_invoice_lines(env, goods)
        if args.build_only:
            return
        program = bench_program(env)
        program.write({"excluded_categ_ids": [Command.set(services.ids)]})
        engine_run(env, program)
        cr.commit()
        bench = Bench(env, program)
        references, ours = [], []
        bound = bench.prepared(move_gold_threshold, sql_bound_counting_lines, keep=False)
        engine = bench.prepared(move_gold_threshold, engine_run, keep=True)
        try:
            bound()  # warm the caches once
            for _pair in range(args.pairs):
                references.append(bound())
                ours.append(engine())
        finally:
            program.write({"excluded_categ_ids": [Command.clear()]})
            cr.commit()
        print(f"# sql bound counting lines {fmt(references)} s; engine {fmt(ours)} s", flush=True)
        ratio = statistics.median(b / a for a, b in zip(references, ours, strict=True))
        emit(f"tier_categories_{size.name}_customers", size.customers)
        emit(f"tier_categories_{size.name}_daily_ratio", ratio, 2)
        emit("ratio_vs_sql_bound", ratio, 2)


if __name__ == "__main__":
    main()
