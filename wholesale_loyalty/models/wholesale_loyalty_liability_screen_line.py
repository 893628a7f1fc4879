from odoo import fields, models


class WholesaleLoyaltyLiabilityScreenLine(models.TransientModel):
    """A customer's line of the Points Liability screen: the ledger against the books."""

    _name = "wholesale.loyalty.liability.screen.line"
    _description = "Points Liability by Customer"

    screen_id = fields.Many2one("wholesale.loyalty.liability.screen", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="screen_id.currency_id")
    partner_name = fields.Char(string="Customer", readonly=True)
    ledger_amount = fields.Monetary(string="Liability in the Ledger", readonly=True)
    books_amount = fields.Monetary(string="Liability in the Books", readonly=True)
    difference = fields.Monetary(readonly=True)
