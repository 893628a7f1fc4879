from odoo import fields, models


class WholesaleLoyaltyProgram(models.Model):
    _inherit = "wholesale.loyalty.program"

    statement_terms = fields.Html(
        translate=True,
        sanitize=True,
        help="Terms and conditions printed on the customers' loyalty statements, after the "
        "rules the program's settings already state.",
    )
