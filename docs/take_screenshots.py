"""One screenshot per screen and role for the README, taken from the demo server of
``setup/run.sh`` (http://localhost:8069, database wholesale_demo) with headless Chromium.

    .venv/bin/python docs/take_screenshots.py        # PORT=8070 for a server of PORT=8070 ./setup/run.sh

Roles are the demo users: admin (loyalty administrator), demo (sales rep, own documents),
billing (Billing rights only), northwind (portal customer) and ivan (a Russian-speaking loyalty
administrator, created here with the Russian language when the database lacks them). The script
creates a quotation and a draft invoice to photograph and, in the database it photographs only, has
the main demo program defer its points on the demo chart of accounts before it posts an invoice, so
the program's Points Liability tab has figures; everything else is the demo data.
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path

import requests
import websocket

URL = f"http://localhost:{os.environ.get('PORT', '8069')}"
DB = os.environ.get("DEMO_DB", "wholesale_demo")
PASSWORDS = {"admin": "admin", "demo": "demo", "billing": "billing", "northwind": "northwind", "ivan": "ivan"}
OUT = Path(__file__).resolve().parent / "screenshots"
DEBUG_PORT = 9333


@dataclass
class Shot:
    login: str
    path: str
    name: str
    script: str = ""


def click_tab(label):
    return (f"[...document.querySelectorAll('a.nav-link')].find(a => a.textContent.trim() == '{label}')"
            "?.click()")


def switch_view(view_type):
    return f"document.querySelector('.o_switch_view.o_{view_type}')?.click()"


def scroll_to(selector):
    """Scroll, once the view has rendered what the script before opened, to what lies below the fold."""
    return f"setTimeout(() => document.querySelector('{selector}')?.scrollIntoView(), 1000)"


def open_all_groups():
    return "document.querySelectorAll('.o_group_header').forEach(header => header.click())"


def click_button(name):
    return f"document.querySelector('button[name={name}]')?.click()"


class Browser:
    def __init__(self, session_id):
        executable = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        self.process = subprocess.Popen([
            executable, "--headless", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={DEBUG_PORT}",
            "--remote-allow-origins=*", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", f"--user-data-dir={tempfile.mkdtemp()}", "about:blank",
        ], stderr=subprocess.DEVNULL)
        self.socket = websocket.create_connection(self._page_socket_url())
        self.sequence = 0
        self.call("Network.enable")
        self.call("Network.setCookie", name="session_id", value=session_id, domain="localhost", path="/")
        self.call("Emulation.setDeviceMetricsOverride", width=1400, height=900, deviceScaleFactor=1, mobile=False)

    @staticmethod
    def _page_socket_url():
        for _attempt in range(30):
            try:
                tabs = requests.get(f"http://localhost:{DEBUG_PORT}/json", timeout=5).json()
                return next(tab for tab in tabs if tab["type"] == "page")["webSocketDebuggerUrl"]
            except (requests.ConnectionError, StopIteration):
                time.sleep(0.5)
        raise RuntimeError("Chromium did not open its debugging port")

    def call(self, method, **params):
        self.sequence += 1
        self.socket.send(json.dumps({"id": self.sequence, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.sequence:
                return message

    def wait_until_ready(self, timeout=60):
        """Wait for the page and, in the web client, for its first view: the first visit
        builds the asset bundles and takes far longer than the next ones."""
        ready = ("document.readyState === 'complete' && (!document.querySelector('.o_web_client')"
                 " || !!document.querySelector('.o_action_manager .o_view_controller'))")
        deadline = time.time() + timeout
        while time.time() < deadline:
            result = self.call("Runtime.evaluate", expression=ready, returnByValue=True)
            if result.get("result", {}).get("result", {}).get("value"):
                break
            time.sleep(0.5)
        time.sleep(2)

    def shot(self, url, name, script=None):
        self.call("Page.navigate", url=url)
        self.wait_until_ready()
        if script:
            self.call("Runtime.evaluate", expression=script)
            time.sleep(3)
        data = self.call("Page.captureScreenshot", format="png")["result"]["data"]
        (OUT / name).write_bytes(base64.b64decode(data))
        print("wrote", OUT / name)

    def close(self):
        self.process.kill()


def login(login_name):
    session = requests.Session()
    session.post(f"{URL}/web/session/authenticate", timeout=30, json={
        "jsonrpc": "2.0", "params": {"db": DB, "login": login_name, "password": PASSWORDS[login_name]}})
    return session.cookies.get("session_id")


class Demo:
    """The demo database over XML-RPC, as admin."""

    def __init__(self):
        self.uid = xmlrpc.client.ServerProxy(f"{URL}/xmlrpc/2/common").authenticate(DB, "admin", "admin", {})
        self.models = xmlrpc.client.ServerProxy(f"{URL}/xmlrpc/2/object", allow_none=True)

    def call(self, model, method, *args, **kwargs):
        return self.models.execute_kw(DB, self.uid, "admin", model, method, list(args), kwargs)

    def call_returning_nothing(self, model, method, *args):
        """Call a method that returns None, which XML-RPC cannot send back: it ran and was
        committed all the same, only its answer fails to travel."""
        try:
            self.call(model, method, *args)
        except xmlrpc.client.Fault as fault:
            if "cannot marshal None" not in fault.faultString:
                raise

    def find(self, model, name):
        return self.call(model, "search", [("name", "=", name)], limit=1)[0]

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        [data] = self.call("ir.model.data", "search_read", [("module", "=", module), ("name", "=", name)],
                           fields=["res_id"])
        return data["res_id"]

    def ensure_russian_admin(self):
        if not self.call("res.lang", "search", [("code", "=", "ru_RU"), ("active", "=", True)]):
            wizard = self.call("base.language.install", "create", {"lang_ids": [(6, 0, [self.ref("base.lang_ru")])]})
            self.call("base.language.install", "lang_install", [wizard])
        if not self.call("res.users", "search", [("login", "=", "ivan")]):
            self.call("res.users", "create", {
                "name": "Ivan Petrov", "login": "ivan", "password": "ivan", "lang": "ru_RU",
                "groups_id": [(4, self.ref("wholesale_loyalty.group_wholesale_loyalty_manager")),
                              (4, self.ref("sales_team.group_sale_manager"))]})

    def quotation(self, customer, product):
        return self.call("sale.order", "create", {
            "partner_id": customer, "user_id": self.ref("base.user_demo"),
            "order_line": [(0, 0, {"product_id": product, "product_uom_qty": 10})]})

    def draft_invoice(self, customer, product):
        return self.call("account.move", "create", {
            "move_type": "out_invoice", "partner_id": customer,
            "invoice_payment_term_id": self.ref("wholesale_loyalty.payment_term_wholesale_demo"),
            "invoice_line_ids": [(0, 0, {"product_id": product, "quantity": 50, "price_unit": 100.0})]})

    def benefits_quotation(self, customer, products):
        """A quotation of a Gold customer with the Gold pricelist, a free delivery line and a
        product reserved to Platinum."""
        order = self.call("sale.order", "create", {
            "partner_id": customer, "user_id": self.ref("base.user_demo"),
            "order_line": [(0, 0, {"product_id": product, "product_uom_qty": 10}) for product in products]})
        carrier = self.call("delivery.carrier", "search", [("delivery_type", "=", "fixed")], limit=1)
        wizard = self.call("choose.delivery.carrier", "create", {"order_id": order, "carrier_id": carrier[0]})
        self.call_returning_nothing("choose.delivery.carrier", "button_confirm", [wizard])
        return order

    def simulation(self, program):
        """A what-if of the program with Gold's threshold raised by half, simulated."""
        simulation = self.call("wholesale.loyalty.simulation", "create", {
            "name": "Gold threshold +50%", "program_id": program})
        [data] = self.call("wholesale.loyalty.simulation", "read", [simulation], ["tier_line_ids"])
        lines = self.call("wholesale.loyalty.simulation.tier", "read", data["tier_line_ids"],
                          ["name", "threshold_amount"])
        gold = next(line for line in lines if line["name"] == "Gold")
        self.call("wholesale.loyalty.simulation.tier", "write", [gold["id"]],
                  {"threshold_amount": gold["threshold_amount"] * 1.5})
        self.call("wholesale.loyalty.simulation", "action_simulate", [simulation])
        return simulation

    def account(self, code):
        return self.call("account.account", "search", [("code", "=", code)], limit=1)[0]

    def defer_points(self, program):
        """Have the program defer its points' revenue (IFRS 15) on the generic chart's deferred
        revenue, product sales and sales expenses accounts, booked in the miscellaneous journal."""
        [data] = self.call("wholesale.loyalty.program", "read", [program], ["company_id"])
        journal = self.call("account.journal", "search",
                            [("type", "=", "general"), ("company_id", "=", data["company_id"][0])], limit=1)[0]
        self.call("wholesale.loyalty.program", "write", [program], {
            "liability_method": "deferral", "expected_redemption_percent": 90.0,
            "liability_journal_id": journal, "liability_account_id": self.account("212000"),
            "liability_revenue_account_id": self.account("400000"),
            "liability_expense_account_id": self.account("962000")})

    def posted_invoice(self, customer, product):
        """An invoice of today on the demo cash-discount terms, so it prints its offer."""
        invoice = self.draft_invoice(customer, product)
        self.call("account.move", "action_post", [invoice])
        return invoice


def shots(demo):
    northwind = demo.find("res.partner", "Northwind Traders")
    contoso = demo.find("res.partner", "Contoso Wholesale")
    product = demo.find("product.product", "Wholesale Box (demo)")
    program = demo.find("wholesale.loyalty.program", "Wholesale Partner Program")
    order = demo.quotation(contoso, product)
    invoice = demo.draft_invoice(northwind, product)
    demo.defer_points(program)
    posted = demo.posted_invoice(northwind, product)
    scenario = demo.call("wholesale.loyalty.roi.scenario", "search", [], limit=1)
    action = "/odoo/action-"
    yield Shot("admin", f"{action}wholesale_loyalty.wholesale_loyalty_program_action/{program}", "program.png")
    yield Shot("admin", f"{action}wholesale_loyalty.wholesale_loyalty_program_action/{program}", "liability.png",
               f"{click_tab('Points Liability')}; {scroll_to('.o_notebook')}")
    yield Shot("admin", f"{action}wholesale_loyalty.wholesale_loyalty_tier_action", "tiers.png",
               open_all_groups())
    yield Shot("admin", f"{action}wholesale_loyalty.wholesale_loyalty_member_action", "members.png",
               open_all_groups())
    yield Shot("admin", f"{action}base.action_partner_form/{northwind}", "customer.png", click_tab("Loyalty"))
    yield Shot("admin", f"{action}wholesale_loyalty_reports.wholesale_loyalty_kpi_action", "kpi.png")
    yield Shot("admin", f"{action}wholesale_loyalty_reports.wholesale_loyalty_report_action", "analysis.png",
               switch_view("graph"))
    if scenario:
        yield Shot("admin", f"{action}wholesale_loyalty_reports.wholesale_loyalty_roi_scenario_action/{scenario[0]}",
                   "roi.png")
        yield Shot("admin", f"{action}wholesale_loyalty_reports.wholesale_loyalty_roi_scenario_action/{scenario[0]}",
                   "roi_sensitivity.png", click_button("action_open_sensitivity_graph"))
    yield Shot("admin", f"/report/html/wholesale_loyalty_reports.report_loyalty_statement/{northwind}",
               "statement.png")
    yield Shot("demo", f"{action}sale.action_quotations_with_onboarding/{order}", "quotation.png")
    yield Shot("demo", f"{action}sale.action_quotations_with_onboarding/{order}", "redeem.png",
               click_button("action_wholesale_redeem_points"))
    yield Shot("demo", f"{action}wholesale_loyalty_reports.wholesale_loyalty_report_action", "rep_analysis.png")
    yield Shot("billing", f"{action}account.action_move_out_invoice_type/{invoice}", "invoice.png")
    yield Shot("billing", f"/report/html/account.report_invoice/{posted}", "invoice_pdf.png")
    yield Shot("northwind", "/my/wholesale-loyalty", "portal.png")
    yield Shot("northwind", f"/my/invoices/{posted}", "portal_invoice.png")
    reserved = demo.find("product.product", "New Season Box (Platinum early access)")
    yield Shot("demo", f"{action}sale.action_quotations_with_onboarding/"
               f"{demo.benefits_quotation(contoso, [product, reserved])}", "benefits.png")
    yield Shot("admin", f"{action}wholesale_loyalty_reports.wholesale_loyalty_simulation_action/"
               f"{demo.simulation(program)}", "whatif.png", click_tab("Results"))
    yield Shot("ivan", f"{action}base.action_partner_form/{northwind}", "customer_ru.png", click_tab("Лояльность"))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    demo = Demo()
    demo.ensure_russian_admin()
    by_login = {}
    for shot in shots(demo):
        by_login.setdefault(shot.login, []).append(shot)
    for login_name, role_shots in by_login.items():
        browser = Browser(login(login_name))
        try:
            for shot in role_shots:
                browser.shot(URL + shot.path, shot.name, shot.script or None)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
