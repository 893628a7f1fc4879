from odoo import api, models


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.model
    def _wholesale_report_sales_query(self, company, date_from, date_to):
        """The posted customer invoices and credit notes of ``company`` dated from ``date_from``
        to ``date_to`` that the current user may read, as a query to aggregate.

        Every sales figure of the reports is summed over this query, so the figures follow
        the visibility of the invoices: a salesperson with "own documents only" sums up the
        invoices they are the salesperson of (Odoo's "Personal Invoices" rule), whoever may
        read all customer invoices sums up all of them. A user who may not read invoices at
        all gets an empty query (figures of zero), not an error.

        The documents are the scheme's sale documents
        (``wholesale.loyalty.program._sale_documents_condition``), rebate credit notes
        included: report revenue is net of rebates, as in the analysis view.
        """
        if not self.has_access("read"):
            return self.browse()._as_query()
        # The rules read the salesperson; the figures read amounts, dates and customers.
        self.flush_model()
        query = self._search([
            ("company_id", "=", company.id),
            ("invoice_date", ">=", date_from),
            ("invoice_date", "<=", date_to),
        ])
        query.add_where(self.env["wholesale.loyalty.program"]._sale_documents_condition(query.table))
        return query
