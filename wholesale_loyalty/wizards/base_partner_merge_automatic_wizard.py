from odoo import models
from odoo.tools import SQL

from ..models.res_partner import PROTECTED_FIELDS


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_foreign_keys(self, src_partners, dst_partner):
        # Odoo moves the rows that point at the merged partners with one UPDATE per column and
        # deletes them when that UPDATE breaks a unique constraint: ledger entries are never
        # deleted, so they move first, on their own terms.
        self.env["wholesale.loyalty.points"]._merge_ledgers(src_partners, dst_partner.commercial_partner_id)
        return super()._update_foreign_keys(src_partners, dst_partner)

    def _update_values(self, src_partners, dst_partner):
        # The merged customer's loyalty state follows from the merged ledger and documents: it
        # is rebuilt below, never copied from the partners that disappear.
        columns = [fname for fname in sorted(PROTECTED_FIELDS) if src_partners._fields[fname].store]
        self.env.cr.execute(SQL(
            "UPDATE res_partner SET %s WHERE id = ANY(%s)",
            SQL(", ").join(SQL("%s = NULL", SQL.identifier(column)) for column in columns),
            src_partners.ids,
        ))
        src_partners.invalidate_recordset(columns)
        result = super()._update_values(src_partners, dst_partner)
        customer = dst_partner.commercial_partner_id
        self.env["wholesale.loyalty.points"]._refresh_balances(customer)
        self.env["wholesale.loyalty.tier.engine"]._evaluate_partners(customer, "realtime")
        return result
