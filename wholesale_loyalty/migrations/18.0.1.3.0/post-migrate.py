from odoo import SUPERUSER_ID, api

# The scheduled actions are not updated with the module (noupdate): their code still names
# the points service's methods that are private now.
CRON_CODES = {
    "wholesale_loyalty.ir_cron_expire_points": "model._cron_expire_points()",
    "wholesale_loyalty.ir_cron_points_expiry_reminders": "model._cron_send_expiry_reminders()",
}


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid, code in CRON_CODES.items():
        cron = env.ref(xmlid, raise_if_not_found=False)
        if cron:
            cron.code = code

