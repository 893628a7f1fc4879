from odoo import SUPERUSER_ID, api
from odoo.tools import SQL


def migrate(cr, version):
    """Memberships from before fees were weighed against the tier's price: those of a fee of
    zero or less bought nothing and are cancelled (their customers lose the tier at once, as
    for any fee whose money went back); the others were sold at their fee."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    unfunded = dict(env.execute_query(SQL(
        """UPDATE wholesale_loyalty_membership SET state = 'cancelled'
            WHERE amount <= 0 AND state != 'cancelled'
        RETURNING partner_id, tier_id"""
    )))
    env.execute_query(SQL(
        "UPDATE wholesale_loyalty_membership SET list_amount = amount WHERE list_amount IS NULL AND amount > 0"
    ))
    env["wholesale.loyalty.membership"].invalidate_model()
    if unfunded:
        customers = env["res.partner"].browse(unfunded)
        env["wholesale.loyalty.tier.engine"]._evaluate_partners(customers, "membership", unfunded=unfunded)
