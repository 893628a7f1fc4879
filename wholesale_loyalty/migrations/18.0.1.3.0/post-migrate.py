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
    _record_allowed_products(env)
    _record_reserved_payments(env)


def _record_allowed_products(env):
    """An allowance of reserved products now covers the products it was given for: the open
    quotations allowed before keep the reserved products they hold now."""
    orders = env["sale.order"].search([
        ("wholesale_exclusive_override_reason", "!=", False), ("state", "in", ("draft", "sent")),
    ])
    orders._wholesale_record_allowed_products()


def _record_reserved_payments(env):
    """Reservations keep their payment, so that a payment cancelled and posted again holds the
    money of its discounts again."""
    for reservation in env["wholesale.prepayment.reservation"].search([("payment_id", "=", False)]):
        reservation.payment_id = reservation.payment_line_id.payment_id
