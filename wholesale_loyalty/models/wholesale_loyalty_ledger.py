from odoo import api, fields, models
from odoo.exceptions import UserError

KINDS = [
    ("earn", "Earned"),
    ("bonus", "Bonus"),
    ("redeem", "Redeemed"),
    ("expire", "Expired"),
    ("adjust", "Adjustment"),
    ("reversal", "Reversal"),
]
# Fields the ledger itself maintains on its lots; nothing else is ever written.
BOOKKEEPING_FIELDS = {"remaining_points"}


class WholesaleLoyaltyLedger(models.Model):
    """Append-only points ledger. The balance of a customer is the sum of its entries.

    Positive entries are *lots*: ``remaining_points`` says how much of the lot is left
    to spend or expire. Negative entries consume lots soonest-expiry first and record
    what they took in ``allocation_ids``.
    """

    _name = "wholesale.loyalty.ledger"
    _description = "Wholesale Loyalty Points Ledger"
    _order = "date desc, id desc"
    _rec_name = "reference"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="restrict", index=True, readonly=True)
    program_id = fields.Many2one(
        "wholesale.loyalty.program", required=True, ondelete="restrict", index=True, readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, ondelete="restrict", index=True, readonly=True)
    date = fields.Date(required=True, default=fields.Date.context_today, index=True, readonly=True)
    points = fields.Integer(required=True, readonly=True)
    kind = fields.Selection(KINDS, required=True, index=True, readonly=True)
    sale_order_id = fields.Many2one("sale.order", ondelete="set null", index="btree_not_null", readonly=True)
    move_id = fields.Many2one("account.move", ondelete="set null", index="btree_not_null", readonly=True)
    bonus_rule_id = fields.Many2one(
        "wholesale.loyalty.bonus.rule", ondelete="set null", index="btree_not_null", readonly=True
    )
    reference = fields.Char(readonly=True, index="btree_not_null", help="What caused the entry; unique per cause.")
    expiry_date = fields.Date(index="btree_not_null", readonly=True)
    remaining_points = fields.Integer(default=0, readonly=True, help="Points of this lot not yet spent or expired.")
    reversed_entry_id = fields.Many2one(
        "wholesale.loyalty.ledger", ondelete="restrict", index="btree_not_null", readonly=True
    )
    note = fields.Text(readonly=True)
    allocation_ids = fields.One2many(
        "wholesale.loyalty.ledger.allocation", "entry_id", string="Lots Used", readonly=True
    )

    _sql_constraints = [
        ("points_not_zero", "CHECK(points <> 0)", "A ledger entry moves at least one point."),
        (
            "remaining_within_lot",
            "CHECK(remaining_points >= 0 AND (points < 0 AND remaining_points = 0 OR remaining_points <= points))",
            "A lot cannot have more points left than it received.",
        ),
        (
            "reference_unique",
            "UNIQUE(partner_id, program_id, kind, reference)",
            "This cause has already given its points.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("points", 0) > 0 and "remaining_points" not in vals:
                vals["remaining_points"] = vals["points"]
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.context.get("wholesale_ledger_bookkeeping") or set(vals) - BOOKKEEPING_FIELDS:
            raise UserError(
                self.env._("Points ledger entries cannot be changed; record a correcting entry instead.")
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Points ledger entries cannot be deleted; record a correcting entry instead."))
