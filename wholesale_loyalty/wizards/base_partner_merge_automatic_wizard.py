from odoo import models
from odoo.tools import SQL


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_foreign_keys(self, src_partners, dst_partner):
        # Odoo moves the rows that point at the merged partners with one UPDATE per column and
        # deletes them when that UPDATE breaks a unique constraint: ledger entries are never
        # deleted, so they move first, on their own terms.
        customer = dst_partner.commercial_partner_id
        self.env["wholesale.loyalty.points"]._merge_ledgers(src_partners, customer)
        # The merged ledger, tier history and paid tiers moved to the survivor's accounts (opened
        # where it had none): the accounts of the partners that disappear are left empty.
        self.env["wholesale.loyalty.member"].flush_model()
        self.env.cr.execute(SQL(
            "DELETE FROM wholesale_loyalty_member WHERE partner_id = ANY(%s)", (src_partners - customer).ids,
        ))
        self.env["wholesale.loyalty.member"].invalidate_model()
        return super()._update_foreign_keys(src_partners, dst_partner)

    def _update_values(self, src_partners, dst_partner):
        result = super()._update_values(src_partners, dst_partner)
        customer = dst_partner.commercial_partner_id
        self.env["wholesale.loyalty.ledger"]._refresh_balances(customer)
        self.env["wholesale.loyalty.tier.engine"]._evaluate_partners(customer, "realtime")
        return result
