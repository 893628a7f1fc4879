"""Cost of the points ledger in the flows users run all day.

(a) post and pay 500 invoices in a database without the add-on, (b) the same with it;
(c) confirm 500 orders with Odoo's own sale_loyalty points program (1 point per 100),
(d) the same with ours. Prints the ratios b/a and d/c; the last line is
``overhead_vs_plain=<b/a>``.
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import ensure_database, open_registry  # noqa: E402

COUNT = 500
WARM_UP = 25  # documents processed before the clock starts; the rest is scaled to COUNT
DATABASES = {
    "plain": ("wholesale_bench_plain", "sale_management,account"),
    "ours": ("wholesale_bench_points", "sale_management,account,wholesale_loyalty"),
    "sale_loyalty": ("wholesale_bench_sale_loyalty", "sale_management,account,sale_loyalty"),
}


def prepare_customers(env, count=50):
    from odoo import Command
    partners = env["res.partner"].create([{"name": f"Points bench {i}", "is_company": True} for i in range(count)])
    product = env["product.product"].create({"name": "Bench goods", "list_price": 250.0, "invoice_policy": "order"})
    if "wholesale.loyalty.program" in env:
        env["wholesale.loyalty.program"].search([]).write({"active": False})
        env["wholesale.loyalty.program"].create({
            "name": "Points bench", "qualification_period": "lifetime",
            "tier_ids": [Command.create({"name": "Member", "threshold_amount": 0})],
        })
        env["wholesale.loyalty.tier.engine"].evaluate_partners(partners, "manual")
    if "loyalty.program" in env:
        env["loyalty.program"].search([]).write({"active": False})
        env["loyalty.program"].create({
            "name": "Points bench", "program_type": "loyalty", "applies_on": "both", "trigger": "auto",
            "rule_ids": [Command.create({"reward_point_mode": "money", "reward_point_amount": 0.01})],
            "reward_ids": [Command.create({"reward_type": "discount", "discount": 5, "required_points": 1000})],
        })
    return partners, product


def draft_invoices(env, partners, product):
    from odoo import Command
    return env["account.move"].create([{
        "move_type": "out_invoice",
        "partner_id": partners[i % len(partners)].id,
        "invoice_date": "2026-06-01",
        "invoice_line_ids": [Command.create({"product_id": product.id, "quantity": 1 + i % 7, "price_unit": 250.0})],
    } for i in range(COUNT)])


def post_and_pay(env, invoices):
    start = time.perf_counter()
    for invoice in invoices:
        invoice.action_post()
        register = env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids)
        register.create({"payment_date": "2026-06-05"})._create_payments()
    env.flush_all()
    return time.perf_counter() - start


def draft_orders(env, partners, product):
    from odoo import Command
    return env["sale.order"].create([{
        "partner_id": partners[i % len(partners)].id,
        "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1 + i % 7})],
    } for i in range(COUNT)])


def confirm(env, orders):
    start = time.perf_counter()
    for order in orders:
        order.action_confirm()
    env.flush_all()
    return time.perf_counter() - start


def measure(key, flow):
    name, modules = DATABASES[key]
    ensure_database(name, modules)
    registry = open_registry(name)
    from odoo import SUPERUSER_ID, api
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "mail_notrack": True})
        partners, product = prepare_customers(env)
        if flow == "invoices":
            documents = draft_invoices(env, partners, product)
            post_and_pay(env, documents[:WARM_UP])  # caches and code paths warm before timing
            seconds = post_and_pay(env, documents[WARM_UP:]) * COUNT / (COUNT - WARM_UP)
        else:
            documents = draft_orders(env, partners, product)
            confirm(env, documents[:WARM_UP])
            seconds = confirm(env, documents[WARM_UP:]) * COUNT / (COUNT - WARM_UP)
        if key == "ours" and flow == "invoices":
            points = env["wholesale.loyalty.ledger"].search_count([("partner_id", "in", partners.ids)])
            print(f"# ledger entries written: {points}", flush=True)
        cr.rollback()
    print(f"{flow}_{key}_seconds={seconds:.3f}", flush=True)
    return seconds


def main():
    a = measure("plain", "invoices")
    b = measure("ours", "invoices")
    c = measure("sale_loyalty", "orders")
    d = measure("ours", "orders")
    print(f"orders_ratio_ours_vs_sale_loyalty={d / c:.3f}")
    print(f"overhead_vs_plain={b / a:.3f}")


if __name__ == "__main__":
    main()
