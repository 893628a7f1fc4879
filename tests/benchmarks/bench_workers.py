"""Throughput of Odoo served in production mode (four workers, gevent port, no cron thread)
under eight concurrent XML-RPC clients, on plain Odoo (sale_management, account) and with
the add-ons (wholesale_loyalty, wholesale_loyalty_reports, a loyalty program active for the
customers, so that every posting earns points and re-evaluates the customer's tier).

Each client loops: create a customer invoice, post it, pay it through the payment wizard
as a user would. Runs are interleaved (plain, ours, plain, ours); each counts the invoices
completed, the exceptions that reached a client and the serialization retries Odoo made by
itself (from the server log). Prints invoices per minute, errors and retries per setup; the
last line is ``workers_throughput_ratio=<ours / plain, median of the pairs>`` (goal >= 0.85).

    .venv/bin/python tests/benchmarks/bench_workers.py [--quick] [--pairs N] [--seconds S]
"""
import argparse
import datetime
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import xmlrpc.client
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import (  # noqa: E402
    addons_path,
    bench_database,
    emit,
    ensure_database,
    odoo_source,
    open_registry,
)

WORKERS = 4
CLIENTS = 8
OWN_CUSTOMERS_PER_CLIENT = 4
SHARED_CUSTOMERS = 4
SHARED_EVERY = 4  # every 4th invoice of a client goes to a shared customer
TAG = "BENCH-WORKERS"
PRODUCT_CODE = "BENCH-WORKERS-GOODS"
PROGRAM_NAME = "Workers Benchmark Program"
PASSWORD = "admin"
ERRORS_SHOWN = 5
SERVER_START_TIMEOUT = 180
# Odoo's own retry of a transaction that hit a serialization failure or a deadlock
# (odoo/service/model.py: retrying), logged at INFO level.
RETRY_LINE = re.compile(r"tries left, try again|maximum number of tries reached")
CONFLICT_LINE = re.compile(r"could not serialize|concurrent update|deadlock detected", re.IGNORECASE)

REPORTS = "wholesale_loyalty_reports"
SETUPS = {
    "plain": {
        "database": bench_database("wholesale_bench_workers_plain"),
        "modules": "sale_management,account",
        "update": None,
        "http_port": 8370,
        "gevent_port": 8371,
    },
    "ours": {
        "database": bench_database("wholesale_bench_workers"),
        "modules": f"sale_management,account,wholesale_loyalty,{REPORTS}",
        "update": f"wholesale_loyalty,{REPORTS}",
        "http_port": 8372,
        "gevent_port": 8373,
    },
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one pair of 15-second runs")
    parser.add_argument("--pairs", type=int, help="pairs of runs (default 3, 1 with --quick)")
    parser.add_argument("--seconds", type=float, help="length of a run (default 60, 15 with --quick)")
    args = parser.parse_args()
    args.pairs = args.pairs or (1 if args.quick else 3)
    args.seconds = args.seconds or (15.0 if args.quick else 60.0)
    return args


# ---------------------------------------------------------------------- databases and data

def ensure_setup_database(setup):
    """Our database with both add-ons; with wholesale_loyalty alone while the reports add-on
    does not install (it is changed often), saying so."""
    try:
        ensure_database(setup["database"], setup["modules"], update=setup["update"])
    except subprocess.CalledProcessError:
        if not setup["update"] or REPORTS not in setup["modules"]:
            raise
        print(f"# {REPORTS} failed to install or update: ours runs with wholesale_loyalty only", flush=True)
        setup["modules"] = setup["modules"].replace(f",{REPORTS}", "")
        setup["update"] = "wholesale_loyalty"
        ensure_database(setup["database"], setup["modules"], update=setup["update"])


def customer_count():
    return CLIENTS * OWN_CUSTOMERS_PER_CLIENT + SHARED_CUSTOMERS


def prepare_data(database):
    """Customers, a product, the admin password and (with the add-ons) the loyalty program,
    committed before the server starts. Returns (customer ids, product id)."""
    registry = open_registry(database)
    from odoo import SUPERUSER_ID, api
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        ensure_admin_password(env)
        customers = bench_customers(env)
        product = bench_product(env)
        if "wholesale.loyalty.program" in env:
            program = bench_program(env)
            env["wholesale.loyalty.tier.engine"]._evaluate_partners(customers, "manual")
            members = env["wholesale.loyalty.member"].search_count(
                [("partner_id", "in", customers.ids), ("program_id", "=", program.id)]
            )
            print(f"# {database}: {members} of {len(customers)} customers in {program.name}", flush=True)
        cr.commit()
        return customers.ids, product.id


def ensure_admin_password(env):
    admin = env.ref("base.user_admin")
    env.cr.execute("SELECT COALESCE(password, '') FROM res_users WHERE id = %s", [admin.id])
    stored = env.cr.fetchone()[0]
    if stored and admin._crypt_context().verify(PASSWORD, stored):
        return
    print(f"# setting the password of {admin.login} to {PASSWORD!r}", flush=True)
    admin.password = PASSWORD


def bench_customers(env):
    partners = env["res.partner"]
    wanted = [f"{TAG}-{n:03d}" for n in range(customer_count())]
    existing = partners.search([("ref", "in", wanted)])
    missing = sorted(set(wanted) - set(existing.mapped("ref")))
    if missing:
        existing |= partners.create([
            {"name": f"Workers bench customer {ref[-3:]}", "ref": ref, "is_company": True} for ref in missing
        ])
    return existing.sorted("ref")


def bench_product(env):
    products = env["product.product"]
    product = products.search([("default_code", "=", PRODUCT_CODE)], limit=1)
    return product or products.create({
        "name": "Workers bench goods", "default_code": PRODUCT_CODE, "list_price": 250.0,
        "invoice_policy": "order", "taxes_id": [],
    })


def bench_program(env):
    programs = env["wholesale.loyalty.program"]
    # A customer belongs to the first program whose filter matches: the shipped default
    # program (all customers) would take the benchmark's customers first.
    programs.search([("name", "!=", PROGRAM_NAME)]).write({"active": False})
    program = programs.search([("name", "=", PROGRAM_NAME)], limit=1)
    if program:
        return program
    from odoo import Command
    # Thresholds low enough that customers climb tiers during the runs: the re-evaluation
    # after posting writes tiers and history lines, not only amounts.
    return programs.create({
        "name": PROGRAM_NAME,
        "qualification_basis": "invoiced",
        "qualification_period": "lifetime",
        "points_trigger": "posted",
        "partner_domain": str([("ref", "=like", f"{TAG}-%")]),
        "tier_ids": [
            Command.create({"name": "Bronze", "threshold_amount": 0}),
            Command.create({"name": "Silver", "threshold_amount": 5_000, "discount_percent": 2}),
            Command.create({"name": "Gold", "threshold_amount": 50_000, "discount_percent": 3}),
            Command.create({"name": "Platinum", "threshold_amount": 500_000, "discount_percent": 5}),
        ],
    })


# ---------------------------------------------------------------------- the server

@contextmanager
def odoo_servers(setups):
    """Odoo in production mode for each setup, serving only its database, until the block
    ends; started together, since each loads its registry before answering."""
    with ExitStack() as servers:
        started = [(setup, servers.enter_context(odoo_server(setup))) for setup in setups]
        for setup, process in started:
            wait_until_serving(process, setup["http_port"], setup["log"])
        yield


@contextmanager
def odoo_server(setup):
    database = setup["database"]
    handle, setup["log"] = tempfile.mkstemp(prefix=f"bench_workers_{database}_", suffix=".log")
    os.close(handle)
    command = [
        sys.executable, str(odoo_source() / "odoo-bin"), f"--addons-path={addons_path()}",
        "-d", database, f"--db-filter=^{database}$", "--no-database-list",
        f"--workers={WORKERS}", "--max-cron-threads=0",
        "--http-interface=127.0.0.1", f"--http-port={setup['http_port']}", f"--gevent-port={setup['gevent_port']}",
        "--limit-time-real=600", "--limit-time-cpu=600",
        f"--logfile={setup['log']}", "--log-level=info",
    ]
    # What the server prints before its log file is open (a crash at start) goes there too.
    with open(setup["log"], "a", encoding="utf-8") as early_output:
        process = subprocess.Popen(command, start_new_session=True, stdin=subprocess.DEVNULL,
                                   stdout=early_output, stderr=early_output)
    try:
        yield process
    finally:
        stop(process)
        print(f"# server log of {database}: {setup['log']}", flush=True)


def wait_until_serving(process, port, log_path):
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"The Odoo server on port {port} stopped at start; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/web/login", timeout=10) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    sys.exit(f"The Odoo server on port {port} did not answer /web/login within {SERVER_START_TIMEOUT} s")


def stop(process):
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def log_counts(log_path, offset):
    """Retries and conflict messages in the server log after ``offset``; and the new end."""
    with open(log_path, encoding="utf-8", errors="replace") as log:
        log.seek(offset)
        text = log.read()
        end = log.tell()
    lines = text.splitlines()
    retries = sum(1 for line in lines if RETRY_LINE.search(line))
    conflicts = sum(1 for line in lines if CONFLICT_LINE.search(line))
    return retries, conflicts, end


# ---------------------------------------------------------------------- the clients

class Client:
    """One user's XML-RPC connection working on its own customers, and now and then on a
    customer it shares with the others."""

    def __init__(self, setup, uid, index, own, shared, product_id, report_error):
        self.url = f"http://127.0.0.1:{setup['http_port']}/xmlrpc/2/object"
        self.database = setup["database"]
        self.uid = uid
        self.index = index
        self.own = own
        self.shared = shared
        self.product_id = product_id
        self.report_error = report_error
        self.proxy = xmlrpc.client.ServerProxy(self.url, allow_none=True)
        self.done = 0
        self.errors = 0
        self.round = 0

    def call(self, model, method, args, context=None):
        kwargs = {"context": context} if context else {}
        return self.proxy.execute_kw(self.database, self.uid, PASSWORD, model, method, args, kwargs)

    def customer(self):
        self.round += 1
        if self.round % SHARED_EVERY == 0:
            return self.shared[(self.index + self.round // SHARED_EVERY) % len(self.shared)]
        return self.own[self.round % len(self.own)]

    def invoice_cycle(self):
        """Create, post and pay one invoice: what a user does through the screens."""
        move_id = self.call("account.move", "create", [{
            "move_type": "out_invoice",
            "partner_id": self.customer(),
            "invoice_date": datetime.date.today().isoformat(),
            "invoice_line_ids": [(0, 0, {
                "product_id": self.product_id, "quantity": 1 + self.round % 5, "price_unit": 250.0,
            })],
        }])
        move_id = move_id[0] if isinstance(move_id, list) else move_id
        self.call("account.move", "action_post", [[move_id]])
        context = {"active_model": "account.move", "active_ids": [move_id]}
        wizard_id = self.call("account.payment.register", "create", [{}], context)
        wizard_id = wizard_id[0] if isinstance(wizard_id, list) else wizard_id
        self.call("account.payment.register", "action_create_payments", [[wizard_id]], context)

    def attempt(self):
        try:
            self.invoice_cycle()
            return True
        except Exception as error:  # noqa: BLE001 - any failure reaching a user counts
            self.errors += 1
            self.report_error(self.index, error)
            # A failing server answers fast: no busy loop against it.
            time.sleep(0.2)
            return False

    def run(self, barrier, clock):
        self.attempt()  # warm-up: worker caches and connections, outside the clock
        barrier.wait()
        while time.monotonic() < clock["deadline"]:
            if self.attempt() and time.monotonic() <= clock["deadline"]:
                self.done += 1


def describe(error):
    if isinstance(error, xmlrpc.client.Fault):
        lines = [line for line in str(error.faultString).strip().splitlines() if line.strip()]
        return f"Fault: {lines[-1] if lines else error.faultCode}"
    return f"{type(error).__name__}: {error}"


def one_run(setup, customer_ids, product_id, seconds):
    """Eight clients for ``seconds``: invoices completed, errors, retries and conflicts."""
    common = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{setup['http_port']}/xmlrpc/2/common")
    uid = common.authenticate(setup["database"], "admin", PASSWORD, {})
    if not uid:
        sys.exit(f"admin / {PASSWORD} does not log in to {setup['database']}")
    shared = customer_ids[-SHARED_CUSTOMERS:]
    messages = []
    lock = threading.Lock()

    def report_error(index, error):
        with lock:
            messages.append(f"client {index}: {describe(error)}")
            if len(messages) <= ERRORS_SHOWN:
                print(f"# error in {setup['database']}, {messages[-1]}"[:400], flush=True)

    clients = [
        Client(setup, uid, index,
               customer_ids[index * OWN_CUSTOMERS_PER_CLIENT:(index + 1) * OWN_CUSTOMERS_PER_CLIENT],
               shared, product_id, report_error)
        for index in range(CLIENTS)
    ]
    clock = {}

    def start_clock():
        clock["deadline"] = time.monotonic() + seconds

    barrier = threading.Barrier(CLIENTS, action=start_clock)
    offset = os.path.getsize(setup["log"])
    threads = [threading.Thread(target=client.run, args=(barrier, clock)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    retries, conflicts, _end = log_counts(setup["log"], offset)
    return {
        "done": sum(client.done for client in clients),
        "errors": sum(client.errors for client in clients),
        "retries": retries,
        "conflicts": conflicts,
        "per_minute": sum(client.done for client in clients) * 60.0 / seconds,
    }


# ---------------------------------------------------------------------- main

def main():
    started = time.monotonic()
    args = parse_args()
    data = {}
    for key, setup in SETUPS.items():
        ensure_setup_database(setup)
        data[key] = prepare_data(setup["database"])
    print(f"# {CLIENTS} clients, {WORKERS} workers, {args.pairs} pair(s) of {args.seconds:.0f} s runs; "
          f"ours: {SETUPS['ours']['modules']}", flush=True)
    print(f"# customers: each client invoices its own {OWN_CUSTOMERS_PER_CLIENT} customers, and every "
          f"{SHARED_EVERY}th invoice one of {SHARED_CUSTOMERS} customers shared by all clients", flush=True)
    print("# crons are off (--max-cron-threads=0) on both sides, so no scheduled job runs meanwhile", flush=True)
    runs = {key: [] for key in SETUPS}
    with odoo_servers(SETUPS.values()):
        print(f"# servers up after {time.monotonic() - started:.0f} s", flush=True)
        for pair in range(args.pairs):
            for key, setup in SETUPS.items():
                result = one_run(setup, *data[key], args.seconds)
                runs[key].append(result)
                print(f"# pair {pair + 1} {key}: {result['done']} invoices ({result['per_minute']:.1f}/min), "
                      f"{result['errors']} errors, {result['retries']} retries, "
                      f"{result['conflicts']} conflict lines in the log", flush=True)
    report(runs)
    print(f"# total time {time.monotonic() - started:.0f} s", flush=True)
    ratios = [ours["per_minute"] / plain["per_minute"] if plain["per_minute"] else float("nan")
              for plain, ours in zip(runs["plain"], runs["ours"], strict=True)]
    emit("workers_throughput_ratio", statistics.median(ratios))


def report(runs):
    for key in SETUPS:
        emit(f"workers_invoices_per_minute_{key}", statistics.median(run["per_minute"] for run in runs[key]), 1)
    for key in SETUPS:
        emit(f"workers_errors_{key}", sum(run["errors"] for run in runs[key]))
    for key in SETUPS:
        emit(f"workers_retries_{key}", sum(run["retries"] for run in runs[key]))


if __name__ == "__main__":
    main()
