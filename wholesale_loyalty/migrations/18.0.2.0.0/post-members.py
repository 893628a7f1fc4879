from odoo import SUPERUSER_ID, api
from odoo.tools import SQL


def migrate(cr, version):
    """Each customer's loyalty state moves from its partner to its member of the program it
    belonged to; the points it holds in other programs get archived accounts. The partner's
    old columns go at the end of the update (``end-drop-partner-columns``), once the reports
    add-on no longer reads them."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    if not _has_old_columns(env):
        return
    env.execute_query(SQL(
        """INSERT INTO wholesale_loyalty_member
                  (partner_id, program_id, company_id, active, tier_id, tier_since, qualifying_amount,
                   downgrade_since, tier_evaluated_on, tier_locked, tier_lock_reason, points_balance,
                   expiry_reminded_on, tier_risk_warned, create_uid, write_uid, create_date, write_date)
           SELECT p.id, p.wholesale_program_id, pr.company_id, TRUE, p.wholesale_tier_id, p.wholesale_tier_since,
                  COALESCE(p.wholesale_qualifying_amount, 0), p.wholesale_downgrade_since,
                  p.wholesale_tier_evaluated_on, COALESCE(p.wholesale_tier_locked, FALSE),
                  p.wholesale_tier_lock_reason, 0, p.wholesale_expiry_reminded_on, p.wholesale_tier_risk_warned,
                  %(uid)s, %(uid)s, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
             FROM res_partner p
             JOIN wholesale_loyalty_program pr ON pr.id = p.wholesale_program_id
            WHERE p.id = p.commercial_partner_id
        ON CONFLICT (partner_id, program_id) DO NOTHING""",
        uid=SUPERUSER_ID,
    ))
    customers = env["wholesale.loyalty.ledger"].search([]).partner_id
    env["wholesale.loyalty.points"]._open_accounts(customers)
    env["wholesale.loyalty.ledger"]._refresh_balances(customers)


def _has_old_columns(env):
    return bool(env.execute_query(SQL(
        """SELECT 1 FROM information_schema.columns
            WHERE table_name = 'res_partner' AND column_name = 'wholesale_program_id'"""
    )))
