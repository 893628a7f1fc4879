from odoo.tools import config

# Odoo logs an error when its test framework is first imported outside test mode, and
# pytest-odoo imports it before it switches test mode on: import it here, in test mode.
config["test_enable"] = True
import odoo.tests  # noqa: E402, F401

config["test_enable"] = False
