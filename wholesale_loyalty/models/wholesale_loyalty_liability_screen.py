from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

from ..tools.access import ACCOUNTING_READONLY, BILLING, LOYALTY_MANAGER, check_caller_groups

# Who reads the points liability: loyalty administrators and whoever keeps or reads the books.
LIABILITY_READERS = (LOYALTY_MANAGER, BILLING, ACCOUNTING_READONLY)


class WholesaleLoyaltyLiabilityScreen(models.TransientModel):
    """Accounting > Reporting > Points Liability: the tie-out of one program for accountants,
    who read no loyalty program. The program is picked by name among those of the companies
    the accountant works in, and only its liability figures are shown, read as superuser."""

    _name = "wholesale.loyalty.liability.screen"
    _description = "Points Liability"

    program_key = fields.Selection(selection="_selection_program", string="Program", required=True,
                                   default=lambda self: self._default_program_key())
    currency_id = fields.Many2one("res.currency", compute="_compute_figures")
    method = fields.Char(compute="_compute_figures")
    expected_redemption_percent = fields.Float(
        string="Expected Redemption (%)", compute="_compute_figures", digits=(5, 2))
    liability_account = fields.Char(compute="_compute_figures")
    ledger_amount = fields.Monetary(string="Liability in the Ledger", compute="_compute_figures",
                                    help="What the program's open lots still carry.")
    books_amount = fields.Monetary(string="Liability in the Books", compute="_compute_figures",
                                   help="Balance of the liability account on the program's entries.")
    difference = fields.Monetary(compute="_compute_figures")
    line_ids = fields.One2many("wholesale.loyalty.liability.screen.line", "screen_id", string="Customers",
                               compute="_compute_line_ids", store=True, readonly=True)

    @api.model
    def _programs(self):
        """The programs of the companies the caller works in, those booking their points
        liability first (the screen opens on the first)."""
        # sudo: accountants read no loyalty program; they see these programs' names only.
        programs = self.env["wholesale.loyalty.program"].sudo().search(
            [("company_id", "in", self.env.companies.ids)], order="company_id, sequence, id")
        return programs.sorted(lambda program: program.liability_method == "none")

    @api.model
    def _selection_program(self):
        if not self.env.su and not any(self.env.user.has_group(group) for group in LIABILITY_READERS):
            return []
        return [(str(program.id), program.display_name) for program in self._programs()]

    @api.model
    def _default_program_key(self):
        selection = self._selection_program()
        return selection[0][0] if selection else False

    def _program(self):
        """The chosen program, if it belongs to a company the caller works in (the key is
        checked again: it comes from the client)."""
        self.ensure_one()
        programs = self._programs()
        return programs.filtered(lambda program: str(program.id) == self.program_key)

    @api.constrains("program_key")
    def _check_program_key(self):
        # The key comes from the client: only a program of the caller's companies is shown.
        for screen in self:
            if not screen._program():
                raise ValidationError(self.env._(
                    "Choose a loyalty program of your companies."))

    @api.depends("program_key")
    def _compute_figures(self):
        methods = dict(self.env["wholesale.loyalty.program"]._fields["liability_method"]._description_selection(
            self.env))
        for screen in self:
            program = screen._program()
            tie_out = self.env["wholesale.loyalty.liability"]._tie_out(program)[program.id] if program else {}
            screen.currency_id = program.currency_id or self.env.company.currency_id
            screen.method = methods.get(program.liability_method) if program else False
            screen.expected_redemption_percent = program.expected_redemption_percent
            screen.liability_account = program.liability_account_id.display_name or False
            screen.ledger_amount = tie_out.get("ledger", 0.0)
            screen.books_amount = tie_out.get("books", 0.0)
            screen.difference = tie_out.get("difference", 0.0)

    @api.depends("program_key")
    def _compute_line_ids(self):
        for screen in self:
            program = screen._program()
            lines = self.env["wholesale.loyalty.liability"]._tie_out(
                program, by_customer=True)[program.id]["lines"] if program else []
            screen.line_ids = [Command.clear()] + [Command.create({
                "partner_name": line["partner"], "ledger_amount": line["ledger"],
                "books_amount": line["books"], "difference": line["difference"],
            }) for line in lines]

    def action_print(self):
        """The tie-out as printed for the auditor (PDF)."""
        check_caller_groups(self.env, *LIABILITY_READERS)
        self.ensure_one()
        return self.env.ref("wholesale_loyalty.action_report_liability_tie_out").report_action(
            self._program().ids, config=False)

    def action_export(self):
        """The tie-out as a spreadsheet (XLSX), a line per customer."""
        check_caller_groups(self.env, *LIABILITY_READERS)
        self.ensure_one()
        return self._program().sudo(False).action_export_liability_tie_out()
