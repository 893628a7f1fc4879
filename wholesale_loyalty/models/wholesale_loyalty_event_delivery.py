from odoo import fields, models

STATUSES = [
    ("sent", "Delivered"),
    ("failed", "Refused"),
    ("unreachable", "No answer"),
]


class WholesaleLoyaltyEventDelivery(models.Model):
    """One try at posting an event: the delivery log, written by the delivery only."""

    _name = "wholesale.loyalty.event.delivery"
    _description = "Wholesale Loyalty Event Delivery"
    _order = "id desc"

    event_id = fields.Many2one(
        "wholesale.loyalty.event", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade", index=True, readonly=True)
    attempt = fields.Integer(readonly=True, help="Which try of the event this was.")
    date = fields.Datetime(required=True, readonly=True)
    status = fields.Selection(STATUSES, required=True, readonly=True)
    response_code = fields.Integer(readonly=True, help="The HTTP status the endpoint answered, if it answered.")
    error = fields.Text(readonly=True)
    duration_ms = fields.Integer(string="Duration (ms)", readonly=True)
