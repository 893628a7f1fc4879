"""Outbound events: how fast one worker delivers, and what queueing adds to posting an invoice.

Delivery: 10,000 events of 200 customers queued for one endpoint, a local HTTP server on
127.0.0.1 answering 200, delivered by one worker (``_deliver_pending``, committing each batch
as the scheduled action does). Prints ``events_delivered_per_second`` (goal >= 200).

Posting: the SQL statements of posting one invoice (points earned, tier evaluated) without
any endpoint and with one receiving every event, median over invoices posted one by one
(rolled back). Prints ``events_posting_queries_without_endpoint``,
``events_posting_queries_with_endpoint`` and their difference
``events_posting_overhead_queries`` (goal <= 2; 0 without an endpoint, by construction).

    .venv/bin/python tests/benchmarks/bench_events.py [--database NAME] [--events N] [--quick]
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import bench_database, emit, ensure_database, open_registry  # noqa: E402
from tests.webhook_receiver import Receiver  # noqa: E402

CUSTOMERS = 200
INVOICES = 15


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=bench_database("wholesale_bench_events"))
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--quick", action="store_true", help="1,000 events, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.events = min(args.events, 1000)
    return args


def deliver(registry, receiver, count):
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["wholesale.loyalty.webhook"].search([]).write({"active": False})
        company = env.company
        webhook = env["wholesale.loyalty.webhook"].create({
            "name": "Benchmark CRM", "url": receiver.url("/ok"), "secret": "bench", "company_id": company.id,
        })
        partners = env["res.partner"].create([{"name": f"Events bench {i}"} for i in range(CUSTOMERS)])
        env["wholesale.loyalty.event"]._queue_batch([
            ("points.earned", company.id, partners[i % CUSTOMERS].id,
             {"partner_id": partners[i % CUSTOMERS].id, "points": i, "balance": i, "kind": "earn"})
            for i in range(count)
        ])
        cr.commit()
        try:
            start = time.perf_counter()
            done = env["wholesale.loyalty.event"]._deliver_pending(commit=True, time_limit=3600)
            seconds = time.perf_counter() - start
            sent = env["wholesale.loyalty.event"].search_count(
                [("webhook_id", "=", webhook.id), ("state", "=", "sent")]
            )
        finally:
            cr.rollback()
            webhook.unlink()  # its events and deliveries go with it
            partners.write({"active": False})
            cr.commit()
    print(f"# {done} events tried, {sent} sent, {len(receiver.on('/ok'))} received in {seconds:.2f} s", flush=True)
    return sent / seconds


def posting_queries(registry):
    from odoo import SUPERUSER_ID, Command, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        env["wholesale.loyalty.webhook"].search([]).write({"active": False})
        env["wholesale.loyalty.program"].search([]).write({"active": False})
        customer = env["res.partner"].create({"name": "Events bench customer", "is_company": True})
        env["wholesale.loyalty.program"].create({
            "name": "Events bench", "qualification_period": "lifetime", "points_amount_step": 100.0,
            "partner_domain": str([("id", "=", customer.id)]),
            "tier_ids": [Command.create({"name": "Member", "threshold_amount": 0})],
        })
        env["wholesale.loyalty.tier.engine"]._evaluate_partners(customer, "manual")
        product = env["product.product"].create({"name": "Events bench goods", "list_price": 250.0})

        def one_run(active):
            env["wholesale.loyalty.webhook"].with_context(active_test=False).search(
                [("name", "=", "Events bench CRM")]
            ).active = active
            env["wholesale.loyalty.webhook"]._endpoints()
            counts = []
            for _index in range(INVOICES):
                invoice = env["account.move"].create({
                    "move_type": "out_invoice", "partner_id": customer.id, "invoice_date": "2026-06-01",
                    "invoice_line_ids": [Command.create({"product_id": product.id, "quantity": 1})],
                })
                env.flush_all()
                before = cr.sql_log_count
                invoice.action_post()
                env.flush_all()
                counts.append(cr.sql_log_count - before)
            return statistics.median(counts[2:])  # the first ones warm the caches

        env["wholesale.loyalty.webhook"].create({
            "name": "Events bench CRM", "url": "http://127.0.0.1:9/", "secret": "bench", "company_id": env.company.id,
        })
        without = one_run(False)
        with_endpoint = one_run(True)
        queued = env["wholesale.loyalty.event"].search_count([("partner_id", "=", customer.id)])
        cr.rollback()
    print(f"# {queued} events queued by the posts with an endpoint", flush=True)
    return without, with_endpoint


def main():
    args = parse_args()
    ensure_database(args.database, "sale_management,account,wholesale_loyalty")
    registry = open_registry(args.database)
    with Receiver() as receiver:
        emit("events_delivered_per_second", deliver(registry, receiver, args.events), digits=0)
    without, with_endpoint = posting_queries(registry)
    emit("events_posting_queries_without_endpoint", without, digits=1)
    emit("events_posting_queries_with_endpoint", with_endpoint, digits=1)
    emit("events_posting_overhead_queries", with_endpoint - without, digits=1)


if __name__ == "__main__":
    main()
