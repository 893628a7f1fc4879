from odoo import api, fields, models

from ..tools.access import ACCOUNTING_READONLY, BILLING, LOYALTY_MANAGER, check_caller_groups


class ReportLiabilityTieOut(models.AbstractModel):
    """The points liability tie-out printed for the auditor, by customer."""

    _name = "report.wholesale_loyalty.report_liability_tie_out"
    _description = "Points Liability Tie-out Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        check_caller_groups(self.env, LOYALTY_MANAGER, BILLING, ACCOUNTING_READONLY)
        # sudo: accountants read no loyalty program; only the programs of the companies the
        # caller works in are printed, with their tie-out figures.
        programs = self.env["wholesale.loyalty.program"].sudo().browse(docids).filtered(
            lambda program: program.company_id in self.env.companies
        )
        tie_outs = self.env["wholesale.loyalty.liability"]._tie_out(programs, by_customer=True)
        methods = dict(programs._fields["liability_method"]._description_selection(self.env))
        return {
            "doc_ids": programs.ids,
            "doc_model": "wholesale.loyalty.program",
            "docs": programs,
            "tie_outs": [{
                "program": program,
                "currency": program.currency_id,
                "method": methods.get(program.liability_method),
                "tie_out": tie_outs[program.id],
                "printed_on": fields.Date.context_today(self),
            } for program in programs],
        }
