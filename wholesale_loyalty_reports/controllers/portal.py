import re

from odoo import http
from odoo.http import content_disposition, request

STATEMENT_REPORT = "wholesale_loyalty_reports.action_report_loyalty_statement"


class WholesaleLoyaltyStatementPortal(http.Controller):

    @http.route("/my/wholesale-loyalty/statement", type="http", auth="user", website=True)
    def portal_my_wholesale_loyalty_statement(self, download=False, **kwargs):
        """The logged-in customer's own loyalty statement as PDF (``?download=1`` to save it)."""
        # The customer comes from the session, never from the request: nobody can ask for
        # somebody else's statement here.
        customer = request.env.user.partner_id.commercial_partner_id
        customer.check_access("read")
        # sudo: portal users may not read programs, tiers' program or invoices, which the
        # statement summarises; the record is their own commercial partner (checked above).
        customer = customer.sudo()
        if not customer.wholesale_program_id:
            return request.redirect("/my/wholesale-loyalty")
        report = request.env["ir.actions.report"].sudo().with_company(customer.wholesale_program_id.company_id)
        pdf, _report_type = report._render_qweb_pdf(STATEMENT_REPORT, customer.ids)
        title = request.env._("Loyalty Statement %(customer)s", customer=customer.name)
        disposition = "attachment" if str(download).lower() in ("1", "true") else "inline"
        headers = [
            ("Content-Type", "application/pdf"),
            ("Content-Length", len(pdf)),
            ("Content-Disposition", content_disposition("%s.pdf" % re.sub(r"\W+", "_", title), disposition)),
        ]
        return request.make_response(pdf, headers=headers)
