from odoo import api, fields, models


class ReportLoyaltyStatement(models.AbstractModel):
    """Values of the customer loyalty statement (QWeb ``report_loyalty_statement``)."""

    _name = "report.wholesale_loyalty_reports.report_loyalty_statement"
    _description = "Wholesale Loyalty Statement"

    @api.model
    def _get_report_values(self, docids, data=None):
        # A contact's statement is its company's: tiers and points live on the commercial partner.
        customers = self.env["res.partner"].browse(docids).commercial_partner_id
        customers.check_access("read")
        return {
            "doc_ids": customers.ids,
            "doc_model": "res.partner",
            "docs": customers,
            "statements": customers._wholesale_statement_values(),
            "today": fields.Date.context_today(self),
        }
