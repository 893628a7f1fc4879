from odoo import fields, models

from ..tools.access import LIABILITY_GROUPS


class WholesaleLoyaltyLedgerAllocation(models.Model):
    """Which lot a consuming entry (redeem, expire, reversal) took its points from."""

    _name = "wholesale.loyalty.ledger.allocation"
    _description = "Wholesale Loyalty Points Allocation"
    _order = "id"

    entry_id = fields.Many2one("wholesale.loyalty.ledger", required=True, ondelete="cascade", index=True)
    lot_id = fields.Many2one("wholesale.loyalty.ledger", required=True, ondelete="cascade", index=True)
    points = fields.Integer(required=True, help="Points taken from the lot (positive).")
    company_id = fields.Many2one(related="entry_id.company_id", store=True, index=True)
    liability_amount = fields.Float(
        digits=(16, 6), readonly=True, groups=LIABILITY_GROUPS,
        help="Money of the lot's liability this allocation released (negative: put back into the lot).",
    )

    _sql_constraints = [
        ("points_positive", "CHECK(points > 0)", "An allocation takes at least one point."),
    ]
