"""Install on a database with history, upgrade, uninstall and reinstall, with real odoo-bin
runs on a database of its own."""
import subprocess
import sys
from pathlib import Path

import pytest

import odoo
from odoo.tools import config

ADDONS = "wholesale_loyalty,wholesale_loyalty_reports"


def _odoo_bin():
    return str(Path(odoo.__file__).resolve().parents[1] / "odoo-bin")


def _base_args(database):
    args = [sys.executable, _odoo_bin(), f"--addons-path={config['addons_path']}", "-d", database,
            "--log-level=warn", "--stop-after-init", "--no-http"]
    for option in ("db_host", "db_port", "db_user", "db_password"):
        if config.get(option):
            args.append(f"--{option}={config[option]}")
    return args


def _run(database, *args, stdin=None):
    result = subprocess.run([*_base_args(database), *args], input=stdin, capture_output=True, text=True,
                            timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert " ERROR " not in result.stderr, result.stderr[-3000:]
    return result


def _shell(database, code):
    """Run Python in an Odoo shell on ``database``; what it prints comes back."""
    args = [*_base_args(database)]
    args.remove("--stop-after-init")
    args.insert(2, "shell")
    result = subprocess.run(args, input=code, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def database():
    name = f"{config['db_name']}_lifecycle"
    subprocess.run(["dropdb", "--if-exists", name], check=True)
    _run(name, "-i", "sale_management,account", "--without-demo=all")
    # History the add-on finds when it arrives: three customers with posted invoices.
    _shell(name, """
from odoo import Command, fields
partners = env["res.partner"].create([{"name": f"Existing {n}", "is_company": True} for n in range(3)])
for partner, amount in zip(partners, (500.0, 12000.0, 60000.0)):
    move = env["account.move"].create({"move_type": "out_invoice", "partner_id": partner.id,
        "invoice_date": fields.Date.today(),
        "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": amount, "tax_ids": []})]})
    move.action_post()
env.cr.commit()
""")
    yield name
    subprocess.run(["dropdb", "--if-exists", name], check=False)


TIERS = """
for partner in env["res.partner"].search([("name", "like", "Existing ")], order="name"):
    print("TIER", partner.name, partner.wholesale_tier_id.name, partner.wholesale_qualifying_amount)
print("LEDGER", env["wholesale.loyalty.ledger"].search_count([]))
"""


DISCOUNTS = """
discounts = env.ref("sale.group_discount_per_so_line")
everyone = discounts in env.ref("base.group_user").implied_ids
loyalty = discounts in env.ref("wholesale_loyalty.group_wholesale_loyalty_user").implied_ids
admin = env.ref("base.user_admin").has_group("sale.group_discount_per_so_line")
print(f"DISCOUNTS all users {everyone}, loyalty users {loyalty}, admin {admin}")
"""


def _tiers(output):
    return [line.split(" ", 1)[1] for line in output.splitlines() if line.startswith("TIER ")]


def test_install_upgrade_uninstall_reinstall(database):
    _run(database, "-i", ADDONS, "--without-demo=all")
    output = _shell(database, TIERS + DISCOUNTS)
    assert _tiers(output) == ["Existing 0 Silver 500.0", "Existing 1 Gold 12000.0", "Existing 2 Platinum 60000.0"]
    # The shipped program applies tier discounts: who quotes sees the column, not every employee.
    assert "DISCOUNTS all users False, loyalty users True, admin True" in output

    _shell(database, """
env["res.partner"].search([("name", "=", "Existing 1")]).wholesale_award_points(25, "Kept over upgrades", "keep-1")
env.cr.commit()
""")
    ledger_before = [line for line in _shell(database, TIERS).splitlines() if line.startswith("LEDGER")]
    assert ledger_before == ["LEDGER 1"]

    _run(database, "-u", ADDONS)
    after_upgrade = _shell(database, TIERS)
    assert [line for line in after_upgrade.splitlines() if line.startswith("LEDGER")] == ledger_before
    assert _tiers(after_upgrade) == _tiers(output)

    uninstalled = _shell(database, """
modules = env["ir.module.module"].search([("name", "in", ["wholesale_loyalty_reports", "wholesale_loyalty"])])
modules.button_immediate_uninstall()
env.cr.commit()
env = env(context={})
print("STATES", sorted(env["ir.module.module"].search([("name", "in", modules.mapped("name"))]).mapped("state")))
crons = env["ir.cron"].with_context(active_test=False).search([("cron_name", "like", "Wholesale Loyalty")])
print("CRONS", len(crons))
leftovers = env["ir.model.data"].search([("module", "in", ["wholesale_loyalty", "wholesale_loyalty_reports"])])
print("DATA", len(leftovers), leftovers.mapped("complete_name"))
for model in ("res.partner", "sale.order", "account.move", "product.template"):
    env[model].get_views([(False, "form"), (False, "list")])
print("VIEWS OK")
env.cr.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'account_move_wholesale_spend_index'")
print("INDEX", env.cr.fetchone()[0])
print("ADMIN DISCOUNTS", env.ref("base.user_admin").has_group("sale.group_discount_per_so_line"))
""")
    assert "STATES ['uninstalled', 'uninstalled']" in uninstalled
    assert "CRONS 0" in uninstalled
    assert "DATA 0 []" in uninstalled
    assert "VIEWS OK" in uninstalled
    assert "INDEX 0" in uninstalled
    assert "ADMIN DISCOUNTS False" in uninstalled, "the Discount column goes with the add-on"

    _run(database, "-i", ADDONS, "--without-demo=all")
    reinstalled = _shell(database, TIERS)
    assert _tiers(reinstalled) == _tiers(output)
