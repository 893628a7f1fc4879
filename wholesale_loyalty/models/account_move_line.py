from odoo import api, models
from odoo.tools import SQL


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def _wholesale_goods(self):
        """Those of these invoice lines that invoice goods: product lines, not down payments
        (money in advance, or its deduction). The rule of :meth:`_wholesale_goods_condition`."""
        return self.filtered(lambda line: line.display_type == "product" and not line.is_downpayment)

    @api.model
    def _wholesale_goods_condition(self, line_alias):
        """SQL condition: the ``account_move_line`` row ``line_alias`` invoices goods
        (:meth:`_wholesale_goods` in SQL)."""
        line = SQL.identifier(line_alias)
        return SQL("%s.display_type = 'product' AND %s.is_downpayment IS NOT TRUE", line, line)
