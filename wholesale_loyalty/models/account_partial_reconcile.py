from odoo import models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    def unlink(self):
        # An unreconciled payment makes a paid invoice unpaid again.
        invoices = (self.debit_move_id.move_id | self.credit_move_id.move_id).filtered(
            lambda move: move.is_sale_document()
        )
        result = super().unlink()
        # A membership whose fee is no longer paid is cancelled; with the ``paid`` trigger,
        # an invoice no longer paid gives its points back until it is paid again.
        self.env["wholesale.loyalty.membership"]._sync_invoices(invoices)
        invoices._wholesale_sync_points()
        invoices._wholesale_reevaluate(bases=("paid",))
        return result
