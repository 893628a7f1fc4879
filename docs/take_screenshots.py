"""Screenshots of the main screens for the README, taken from the demo server of
``setup/run.sh`` (http://localhost:8069, database wholesale_demo) with headless Chromium.

    .venv/bin/python docs/take_screenshots.py
"""
import base64
import json
import shutil
import subprocess
import tempfile
import time
import xmlrpc.client
from pathlib import Path

import requests
import websocket

URL, DB, LOGIN, PASSWORD = "http://localhost:8069", "wholesale_demo", "admin", "admin"
OUT = Path(__file__).resolve().parent / "screenshots"
DEBUG_PORT = 9333


class Browser:
    def __init__(self, session_id):
        executable = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        self.process = subprocess.Popen([
            executable, "--headless", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={DEBUG_PORT}",
            "--remote-allow-origins=*", "--disable-background-networking", "--no-first-run",
            f"--user-data-dir={tempfile.mkdtemp()}", "about:blank",
        ], stderr=subprocess.DEVNULL)
        time.sleep(2)
        page = next(tab for tab in requests.get(f"http://localhost:{DEBUG_PORT}/json", timeout=10).json()
                    if tab["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"])
        self.sequence = 0
        self.call("Network.enable")
        self.call("Network.setCookie", name="session_id", value=session_id, domain="localhost", path="/")
        self.call("Emulation.setDeviceMetricsOverride", width=1400, height=900, deviceScaleFactor=1, mobile=False)

    def call(self, method, **params):
        self.sequence += 1
        self.socket.send(json.dumps({"id": self.sequence, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.sequence:
                return message

    def shot(self, url, name, script=None, wait=8):
        self.call("Page.navigate", url=url)
        time.sleep(wait)
        if script:
            self.call("Runtime.evaluate", expression=script)
            time.sleep(3)
        data = self.call("Page.captureScreenshot", format="png")["result"]["data"]
        (OUT / name).write_bytes(base64.b64decode(data))
        print("wrote", OUT / name)

    def close(self):
        self.process.kill()


def login(session, login_name, password):
    session.post(f"{URL}/web/session/authenticate", timeout=30,
                 json={"jsonrpc": "2.0", "params": {"db": DB, "login": login_name, "password": password}})
    return session.cookies.get("session_id")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    uid = xmlrpc.client.ServerProxy(f"{URL}/xmlrpc/2/common").authenticate(DB, LOGIN, PASSWORD, {})
    models = xmlrpc.client.ServerProxy(f"{URL}/xmlrpc/2/object")

    def call(model, method, *args, **kwargs):
        return models.execute_kw(DB, uid, PASSWORD, model, method, list(args), kwargs)

    program = call("wholesale.loyalty.program", "search", [("name", "=", "Wholesale Partner Program")])[0]
    contoso = call("res.partner", "search", [("name", "=", "Contoso Wholesale")])[0]
    product = call("product.product", "search", [("name", "=", "Wholesale Box (demo)")])[0]
    order = call("sale.order", "create", {"partner_id": contoso, "order_line": [(0, 0, {
        "product_id": product, "product_uom_qty": 10})]})
    browser = Browser(login(requests.Session(), LOGIN, PASSWORD))
    try:
        browser.shot(f"{URL}/odoo/action-wholesale_loyalty.wholesale_loyalty_program_action/{program}",
                     "program.png")
        browser.shot(f"{URL}/odoo/action-sale.action_quotations_with_onboarding/{order}", "quotation.png")
        northwind = call("res.partner", "search", [("name", "=", "Northwind Traders")])[0]
        browser.shot(f"{URL}/odoo/action-base.action_partner_form/{northwind}", "customer.png",
                     script="[...document.querySelectorAll('a.nav-link')]"
                            ".find(a => a.textContent.trim() == 'Loyalty').click()")
    finally:
        browser.close()
    portal = Browser(login(requests.Session(), "northwind", "northwind"))
    try:
        portal.shot(f"{URL}/my/wholesale-loyalty", "portal.png")
    finally:
        portal.close()


if __name__ == "__main__":
    main()
