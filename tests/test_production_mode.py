"""Production mode: Odoo in prefork mode (--workers) with the add-ons, its gevent process for
live updates staying up, and an order confirmed over XML-RPC by a real client."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xmlrpc.client
from pathlib import Path

import pytest

import odoo
from odoo.tools import config

STARTUP_SECONDS = 180


def _odoo_bin():
    return str(Path(odoo.__file__).resolve().parents[1] / "odoo-bin")


def _db_args(database):
    args = [f"--addons-path={config['addons_path']}", "-d", database]
    for option in ("db_host", "db_port", "db_user", "db_password"):
        if config.get(option):
            args.append(f"--{option}={config[option]}")
    return args


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _status(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _wait_for(url, deadline):
    while time.monotonic() < deadline:
        if _status(url) == 200:
            return True
        time.sleep(1)
    return False


@pytest.fixture(scope="module")
def database():
    name = f"{config['db_name']}_workers"
    subprocess.run(["dropdb", "--if-exists", name], check=True)
    result = subprocess.run(
        [sys.executable, _odoo_bin(), *_db_args(name), "-i", "sale_management,wholesale_loyalty",
         "--without-demo=all", "--stop-after-init", "--no-http", "--log-level=warn"],
        capture_output=True, text=True, timeout=900, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    yield name
    subprocess.run(["dropdb", "--if-exists", "--force", name], check=False)


@pytest.fixture(scope="module")
def server(database, tmp_path_factory):
    http_port, gevent_port = _free_port(), _free_port()
    log_path = tmp_path_factory.mktemp("workers") / "odoo.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, _odoo_bin(), *_db_args(database), f"--db-filter=^{database}$",
             "--workers=2", "--max-cron-threads=0", f"--http-port={http_port}",
             f"--gevent-port={gevent_port}", "--http-interface=127.0.0.1", "--log-level=info"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        served = _wait_for(f"http://127.0.0.1:{http_port}/web/login", time.monotonic() + STARTUP_SECONDS)
        assert served, f"Odoo with --workers=2 did not serve /web/login:\n{log_path.read_text()[-3000:]}"
        yield {"http_port": http_port, "gevent_port": gevent_port, "log": log_path, "process": process}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_gevent_process_serves_live_updates_and_stays_up(server):
    url = f"http://127.0.0.1:{server['gevent_port']}/websocket"
    # The websocket endpoint answers a plain GET with 400 (no upgrade asked): what matters is
    # that the gevent process answers at all, now and a while later.
    deadline = time.monotonic() + 60
    first = _status(url)
    while first is None and time.monotonic() < deadline:
        time.sleep(1)
        first = _status(url)
    time.sleep(8)
    second = _status(url)
    log = server["log"].read_text()
    assert "Evented Service (longpolling) running" in log, log[-3000:]
    assert first == second == 400, (first, second, log[-3000:])
    assert "DistributionNotFound" not in log and "Traceback" not in log, log[-3000:]
    assert server["process"].poll() is None, "the server stopped"


def test_order_confirmed_over_xmlrpc(server, database):
    base = f"http://127.0.0.1:{server['http_port']}"
    uid = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/common").authenticate(database, "admin", "admin", {})
    assert uid, "admin could not log in"
    models = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/object", allow_none=True)

    def call(model, method, *args, **kwargs):
        return models.execute_kw(database, uid, "admin", model, method, list(args), kwargs)

    customer = call("res.partner", "create", {"name": "Workers Trading", "is_company": True, "customer_rank": 1})
    product = call("product.product", "create", {"name": "Pallet", "list_price": 250.0, "type": "consu"})
    order = call("sale.order", "create", {
        "partner_id": customer,
        "order_line": [(0, 0, {"product_id": product, "product_uom_qty": 4})],
    })
    call("sale.order", "action_confirm", [order])
    [confirmed] = call("sale.order", "read", [order], ["state", "amount_untaxed"])
    assert confirmed["state"] == "sale"
    assert confirmed["amount_untaxed"] == pytest.approx(1000.0)
    [status] = call("res.partner", "wholesale_status", [customer])
    assert status["partner_id"] == customer
    assert "Traceback" not in server["log"].read_text()
