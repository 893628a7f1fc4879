"""Cost of the points ledger in the flows users run all day, as ratios of interleaved runs.

Invoices: post and pay a batch of invoices one by one (account.payment.register, full
amount) in a database without the add-on and in one with it (points earned on posting, the
tier re-evaluated). Orders: confirm a batch of orders one by one with Odoo's own
``sale_loyalty`` and a 1-point-per-100 program, and with ours (1 point per 100 as well).

Both databases of a comparison are open in this process; runs alternate (reference, ours,
reference, ours ...), each on a fresh batch of documents made before the clock starts, each
rolled back to a savepoint so that every run starts from the same data. Each ratio is the
median of ours / reference over the pairs (``common.interleaved_ratio``), after a warm-up
run on each side. A run is timed in CPU seconds, of this process and of the PostgreSQL
backend serving it, so that other programs on the machine do not count; the wall-clock
ratios are printed too (``*_wall_ratio_*``).

Prints per-run seconds as ``# `` lines, then the wall-clock ratios,
``invoices_ratio_ours_vs_plain`` and ``orders_ratio_ours_vs_sale_loyalty`` (CPU); the last
line is ``overhead_vs_plain=<invoices ratio>``.
``--quick`` runs fewer pairs on smaller batches.
"""
import argparse
import statistics
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import (  # noqa: E402
    backend_pid,
    bench_database,
    cpu_seconds,
    emit,
    ensure_database,
    interleaved_ratio,
    open_registry,
)

DATABASES = {
    "plain": (bench_database("wholesale_bench_plain"), "sale_management,account"),
    "ours": (bench_database("wholesale_bench_points"), "sale_management,account,wholesale_loyalty"),
    "sale_loyalty": (bench_database("wholesale_bench_sale_loyalty"), "sale_management,account,sale_loyalty"),
}
# Documents per run: posting and paying costs about ten times a confirmation.
FULL = {"pairs": 5, "invoices": 50, "orders": 100, "warm_up": 10}
QUICK = {"pairs": 3, "invoices": 8, "orders": 20, "warm_up": 3}
CUSTOMERS = 50
PRICE = 250.0
# Mail tracking is off as in bulk flows: both sides would pay the same for it.
CONTEXT = {"tracking_disable": True, "mail_notrack": True}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer pairs and documents, for a smoke run")
    parser.add_argument("--pairs", type=int, help="interleaved pairs per ratio")
    return parser.parse_args()


# ---------------------------------------------------------------------------- one database


class Side:
    """One database kept open for the whole comparison: customers, goods and the loyalty
    program made once in its transaction (rolled back at the end), and timed runs rolled back
    to a savepoint."""

    def __init__(self, key):
        name, modules = DATABASES[key]
        ensure_database(name, modules)
        vacuum(name)
        from odoo import SUPERUSER_ID, api

        self.key = key
        self.cr = open_registry(name).cursor()
        self.env = api.Environment(self.cr, SUPERUSER_ID, CONTEXT)
        self.backend_pid = backend_pid(self.cr)
        self.wall_seconds = []
        self.partners, self.product = prepare_customers(self.env)
        self.env.flush_all()

    def run(self, make_documents, process, count):
        """CPU seconds ``process`` takes on ``count`` fresh documents of ``make_documents``;
        the wall-clock seconds go to ``self.wall_seconds``."""
        with closing(self.cr.savepoint()):
            documents = make_documents(self.env, self.partners, self.product, count)
            self.env.flush_all()
            start, start_cpu = time.perf_counter(), self.cpu_seconds()
            process(self.env, documents)
            self.env.flush_all()
            cpu = self.cpu_seconds() - start_cpu
            self.wall_seconds.append(time.perf_counter() - start)
        self.env.invalidate_all()
        return cpu

    def cpu_seconds(self):
        return cpu_seconds(self.backend_pid)

    def close(self):
        self.cr.rollback()
        self.cr.close()


def vacuum(database):
    """Start from tables without the dead rows of earlier runs (every run here is rolled back),
    which would slow down whichever side has more of them."""
    subprocess.run(["psql", "-q", "-d", database, "-c", "VACUUM ANALYZE"], check=True)


def prepare_customers(env):
    from odoo import Command

    partners = env["res.partner"].create([{"name": f"Points bench {i}", "is_company": True} for i in range(CUSTOMERS)])
    product = env["product.product"].create({"name": "Bench goods", "list_price": PRICE, "invoice_policy": "order"})
    if "wholesale.loyalty.program" in env:
        env["wholesale.loyalty.program"].search([]).write({"active": False})
        env["wholesale.loyalty.program"].create({
            "name": "Points bench", "qualification_period": "lifetime",
            "points_amount_step": 100.0, "points_per_step": 1,
            "tier_ids": [Command.create({"name": "Member", "threshold_amount": 0})],
        })
        env["wholesale.loyalty.tier.engine"]._evaluate_partners(partners, "manual")
    if "loyalty.program" in env:
        env["loyalty.program"].search([]).write({"active": False})
        env["loyalty.program"].create({
            "name": "Points bench", "program_type": "loyalty", "applies_on": "both", "trigger": "auto",
            "rule_ids": [Command.create({"reward_point_mode": "money", "reward_point_amount": 0.01})],
            "reward_ids": [Command.create({"reward_type": "discount", "discount": 5, "required_points": 1000})],
        })
    return partners, product


# ---------------------------------------------------------------------------- documents and flows


def draft_invoices(env, partners, product, count):
    from odoo import Command

    return env["account.move"].create([{
        "move_type": "out_invoice",
        "partner_id": partners[i % len(partners)].id,
        "invoice_date": "2026-06-01",
        "invoice_line_ids": [Command.create({"product_id": product.id, "quantity": 1 + i % 7, "price_unit": PRICE})],
    } for i in range(count)])


def post_and_pay(env, invoices):
    for invoice in invoices:
        invoice.action_post()
        register = env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids)
        register.create({"payment_date": "2026-06-05"})._create_payments()


def draft_orders(env, partners, product, count):
    from odoo import Command

    return env["sale.order"].create([{
        "partner_id": partners[i % len(partners)].id,
        "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1 + i % 7})],
    } for i in range(count)])


def confirm(_env, orders):
    for order in orders:
        order.action_confirm()


# ---------------------------------------------------------------------------- comparisons


def compare(label, reference, ours, make_documents, process, pairs, count, warm_up):
    """Median ratio ours / reference over ``pairs`` interleaved runs of ``count`` documents,
    after a warm-up on each side."""
    for side in (reference, ours):
        side.run(make_documents, process, warm_up)
        side.wall_seconds.clear()

    def runner(side):
        return lambda: side.run(make_documents, process, count)

    ratio, reference_cpu, our_cpu = interleaved_ratio(runner(reference), runner(ours), pairs)
    wall_ratio = statistics.median(b / a for a, b in zip(reference.wall_seconds, ours.wall_seconds, strict=True))
    print(f"# {label}: {count} per run, {reference.key}/{ours.key} per pair, CPU seconds: "
          f"{pair_list(reference_cpu, our_cpu)}; wall-clock seconds: "
          f"{pair_list(reference.wall_seconds, ours.wall_seconds)}", flush=True)
    return ratio, wall_ratio


def pair_list(reference, ours):
    return " ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(reference, ours, strict=True))


def main():
    args = parse_args()
    plan = dict(QUICK if args.quick else FULL)
    if args.pairs:
        plan["pairs"] = args.pairs
    started = time.perf_counter()
    ours = Side("ours")
    try:
        plain = Side("plain")
        invoices_ratio, invoices_wall_ratio = compare(
            "post and pay invoices", plain, ours, draft_invoices, post_and_pay,
            plan["pairs"], plan["invoices"], plan["warm_up"],
        )
        plain.close()
        sale_loyalty = Side("sale_loyalty")
        orders_ratio, orders_wall_ratio = compare(
            "confirm orders", sale_loyalty, ours, draft_orders, confirm,
            plan["pairs"], plan["orders"], plan["warm_up"],
        )
        sale_loyalty.close()
    finally:
        ours.close()
    print(f"# measured in {time.perf_counter() - started:.0f} s", flush=True)
    emit("invoices_wall_ratio_ours_vs_plain", invoices_wall_ratio)
    emit("orders_wall_ratio_ours_vs_sale_loyalty", orders_wall_ratio)
    emit("invoices_ratio_ours_vs_plain", invoices_ratio)
    emit("orders_ratio_ours_vs_sale_loyalty", orders_ratio)
    emit("overhead_vs_plain", invoices_ratio)


if __name__ == "__main__":
    main()
