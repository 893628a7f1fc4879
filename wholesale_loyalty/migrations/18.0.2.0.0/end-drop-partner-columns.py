from odoo.tools import SQL

# The loyalty state res.partner held (contacts held copies of their company's) before
# members had a model of their own.
OLD_COLUMNS = (
    "wholesale_program_id", "wholesale_tier_id", "wholesale_tier_since", "wholesale_qualifying_amount",
    "wholesale_downgrade_since", "wholesale_tier_evaluated_on", "wholesale_tier_locked",
    "wholesale_tier_lock_reason", "wholesale_points_balance", "wholesale_expiry_reminded_on",
    "wholesale_tier_risk_warned",
)


def migrate(cr, version):
    """The partner's old loyalty columns, copied to the members (``post-members``), go."""
    for column in OLD_COLUMNS:
        cr.execute(SQL("ALTER TABLE res_partner DROP COLUMN IF EXISTS %s", SQL.identifier(column)))
