from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.access import LOYALTY_MANAGER, check_caller_groups


class WholesaleLoyaltyProgramMembershipWizard(models.TransientModel):
    """Shows which customers a new eligibility filter or order of a program would move,
    and applies it only once the administrator has seen it."""

    _name = "wholesale.loyalty.program.membership.wizard"
    _description = "Preview a Change of Program Eligibility"

    program_id = fields.Many2one("wholesale.loyalty.program", required=True, ondelete="cascade")
    partner_domain = fields.Char(string="Eligible Customers", required=True)
    sequence = fields.Integer(help="A customer matching several programs belongs to the first one in this order.")
    move_count = fields.Integer(string="Customers Moving", compute="_compute_preview")
    preview = fields.Html(compute="_compute_preview")

    @api.model
    def default_get(self, fields_list):
        check_caller_groups(self.env, LOYALTY_MANAGER)  # it reads the customer's or program's settings
        values = super().default_get(fields_list)
        program = self.env["wholesale.loyalty.program"].browse(values.get("program_id")).exists()
        if program:
            values.setdefault("partner_domain", program.partner_domain)
            values.setdefault("sequence", program.sequence)
        return values

    @api.depends("program_id", "partner_domain", "sequence")
    def _compute_preview(self):
        engine = self.env["wholesale.loyalty.tier.engine"]
        for wizard in self:
            wizard.move_count, wizard.preview = 0, False
            if not wizard.program_id:
                continue
            try:
                with self.env.cr.savepoint():
                    counts = engine._preview_membership(wizard.program_id, wizard.partner_domain, wizard.sequence)
            except Exception as error:  # any parse or field error means the filter is unusable
                wizard.preview = Markup("<p class='text-danger'>%s</p>") % self.env._(
                    "This filter cannot be used (%(error)s).", error=error
                )
                continue
            wizard.move_count = sum(counts.values())
            wizard.preview = wizard._preview_html(counts)

    def _preview_html(self, counts):
        if not counts:
            return Markup("<p>%s</p>") % self.env._("No customer changes program.")
        names = {
            program.id: program.display_name
            for program in self.env["wholesale.loyalty.program"].with_context(active_test=False).browse(
                {program_id for move in counts for program_id in move if program_id}
            )
        }
        lines = []
        for (old, new), count in sorted(counts.items(), key=lambda item: -item[1]):
            if not old:
                text = self.env._("%(count)s customers join %(new)s.", count=count, new=names[new])
            elif not new:
                text = self.env._(
                    "%(count)s customers leave %(old)s: no program matches them any more.", count=count, old=names[old]
                )
            else:
                text = self.env._(
                    "%(count)s customers move from %(old)s to %(new)s.", count=count, old=names[old], new=names[new]
                )
            lines.append(Markup("<li>%s</li>") % text)
        return Markup("<ul>%s</ul>") % Markup().join(lines)

    def action_apply(self):
        """Save the new filter and order, and move the customers at once."""
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self.ensure_one()
        if not (self.partner_domain or "").strip():
            raise UserError(self.env._("Give the filter of the customers eligible for the program."))
        self.program_id.write({"partner_domain": self.partner_domain, "sequence": self.sequence})
        return {"type": "ir.actions.act_window_close"}
