from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount, format_date, formatLang

from ..tools.access import BILLING, LOYALTY_USER, check_caller_groups
from ..tools.batches import run_in_batches
from ..tools.percentages import percent_digits
from ..tools.rebate_rules import rebate_due, recent_settlement_periods, split_in_proportion
from ..tools.tier_rules import tier_finder

DEFAULT_BATCH_SIZE = 500


class WholesaleLoyaltyRebate(models.Model):
    """One settlement of a customer's retroactive volume rebate for a period.

    The rate is the rebate of the tier the period's qualifying spend reaches, applied to all
    of the period's purchases. A period may be settled several times (late invoices): each
    settlement pays what the period owes minus what earlier settlements paid.
    """

    _name = "wholesale.loyalty.rebate"
    _description = "Wholesale Loyalty Volume Rebate"
    _order = "date_to desc, partner_id, id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, ondelete="restrict", index=True, readonly=True
    )
    program_id = fields.Many2one(
        "wholesale.loyalty.program", required=True, ondelete="restrict", index=True, readonly=True
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="program_id.currency_id")
    date_from = fields.Date(required=True, readonly=True)
    date_to = fields.Date(required=True, readonly=True, index=True)
    tier_id = fields.Many2one(
        "wholesale.loyalty.tier", ondelete="set null", readonly=True,
        help="The tier the period's qualifying spend reached.",
    )
    base_amount = fields.Monetary(
        string="Period Volume", readonly=True, help="Untaxed qualifying purchases of the whole period."
    )
    rate = fields.Float(string="Rate (%)", digits="Discount", readonly=True)
    previous_amount = fields.Monetary(
        string="Settled Before", readonly=True, help="Rebates of the same period settled earlier."
    )
    amount = fields.Monetary(readonly=True, help="Rate x period volume minus what was settled before.")
    state = fields.Selection(
        [
            ("draft", "To Review"),
            ("posted", "Credited"),
            ("cancel", "Cancelled"),
        ],
        compute="_compute_state",
        store=True,
        index=True,
        help="Follows the credit note: accountants review and post it. A credit note cancelled, "
        "deleted or reversed in full credits nothing: the period is settled again.",
    )
    move_id = fields.Many2one(
        "account.move", string="Credit Note", ondelete="set null", index=True, readonly=True, copy=False
    )
    invoice_ids = fields.Many2many(
        "account.move",
        "wholesale_loyalty_rebate_invoice_rel",
        "rebate_id",
        "move_id",
        string="Invoices Covered",
        readonly=True,
    )
    invoice_count = fields.Integer(compute="_compute_invoice_count")

    _sql_constraints = [
        ("rate_range", "CHECK(rate >= 0 AND rate <= 100)", "A rebate rate must be between 0 and 100%."),
        ("amount_positive", "CHECK(amount > 0)", "A rebate settlement must credit an amount above zero."),
        ("period_order", "CHECK(date_from <= date_to)", "A rebate period must end after it starts."),
    ]

    @api.depends("partner_id", "date_from", "date_to")
    def _compute_display_name(self):
        for rebate in self:
            rebate.display_name = self.env._(
                "%(customer)s rebate %(date_from)s - %(date_to)s",
                customer=rebate.partner_id.display_name,
                date_from=format_date(self.env, rebate.date_from),
                date_to=format_date(self.env, rebate.date_to),
            )

    @api.depends("move_id.state", "move_id.reversal_move_ids.state", "move_id.reversal_move_ids.amount_total")
    def _compute_state(self):
        for rebate in self:
            state = {"draft": "draft", "posted": "posted"}.get(rebate.move_id.state, "cancel")
            rebate.state = "cancel" if rebate._credit_note_reversed() else state

    def _credit_note_reversed(self):
        """Whether posted reversals take back all of the credit note: it credited nothing."""
        note = self.move_id
        reversals = note.reversal_move_ids.filtered(lambda move: move.state == "posted")
        return bool(reversals) and note.currency_id.compare_amounts(
            sum(reversals.mapped("amount_total")), note.amount_total
        ) >= 0

    @api.depends("invoice_ids")
    def _compute_invoice_count(self):
        for rebate in self:
            rebate.invoice_count = len(rebate.invoice_ids)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_credited(self):
        if self.filtered(lambda rebate: rebate.state == "posted"):
            raise UserError(self.env._(
                "A rebate whose credit note is posted cannot be deleted; reverse the credit note instead."
            ))

    @api.model
    def _check_credit_notes_draftable(self, moves):
        """Refuse to bring back a rebate credit note the period was settled again without: both
        would credit the same rebate."""
        # sudo: a read-only check; an accountant resetting a credit note must be stopped even
        # without the right to read the loyalty programs.
        revived = self.sudo().search([("move_id", "in", moves.ids), ("state", "=", "cancel")])
        for rebate in revived:
            replacement = self.sudo().search([
                ("partner_id", "=", rebate.partner_id.id),
                ("program_id", "=", rebate.program_id.id),
                ("date_from", "=", rebate.date_from),
                ("date_to", "=", rebate.date_to),
                ("id", ">", rebate.id),
                ("state", "!=", "cancel"),
            ], limit=1)
            if replacement:
                raise UserError(self.env._(
                    "Credit note %(note)s cannot be reset to draft: its rebate was settled again by "
                    "%(replacement)s, and the customer would be credited twice. Use that credit note.",
                    note=rebate.move_id.display_name,
                    replacement=replacement.move_id.display_name or replacement.display_name,
                ))

    def action_view_credit_note(self):
        check_caller_groups(self.env, LOYALTY_USER, BILLING)
        self.ensure_one()
        return self.move_id._get_records_action(name=self.env._("Credit Note"))

    def action_view_invoices(self):
        check_caller_groups(self.env, LOYALTY_USER, BILLING)
        self.ensure_one()
        return self.invoice_ids._get_records_action(name=self.env._("Invoices Covered"))

    def _action_view(self):
        """These rebates, or a notice when a settlement found nothing to credit."""
        if not self:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": self.env._("No customer is owed a rebate for the last periods."),
                },
            }
        action = self.env["ir.actions.act_window"]._for_xml_id("wholesale_loyalty.wholesale_loyalty_rebate_action")
        action["domain"] = [("id", "in", self.ids)]
        return action

    # ------------------------------------------------------------------ settlement

    @api.model
    def _settle(self, programs=None, reference_date=None, periods=2, batch_size=DEFAULT_BATCH_SIZE, commit=False):
        """Settle the ``periods`` last complete rebate periods of ``programs`` (all active
        programs by default) as of ``reference_date``: one draft credit note per customer
        still owed something. Safe to run again: what a period already credited is deducted.
        ``commit`` commits after each batch (scheduled runs only). Returns the new rebates."""
        # sudo: settlement follows the program's objective rules and only drafts credit notes,
        # which accountants review and post. Private: reached by the scheduled action and by
        # the program's button, which checks that the user may manage the program.
        rebates = self.sudo()
        reference_date = reference_date or fields.Date.context_today(self)
        programs = (programs.sudo() if programs else rebates.env["wholesale.loyalty.program"].search([])).filtered(
            lambda program: any(tier.rebate_percent > 0 for tier in program.tier_ids)
        )
        work = []
        for program in programs:
            partner_ids = sorted(rebates.env["wholesale.loyalty.member"].search(
                [("program_id", "=", program.id)]
            ).partner_id.ids)
            recent = recent_settlement_periods(program.rebate_period, reference_date, periods)
            work += [(program, date_from, date_to, partner_ids) for date_from, date_to in reversed(recent)]
        items = [(program, date_from, date_to, pid) for program, date_from, date_to, ids in work for pid in ids]

        def settle(batch):
            program, date_from, date_to, _pid = batch[0]
            return rebates._settle_batch(program, [item[3] for item in batch], date_from, date_to, reference_date)

        run = run_in_batches(rebates.env, items, batch_size, settle, commit=commit, key=lambda item: item[:3])
        return self.browse(rebates.union(*run.results).ids)

    def _settle_batch(self, program, partner_ids, date_from, date_to, settled_on):
        # Two settlements of one program at once would both see nothing settled yet.
        self.env.cr.execute(SQL(
            "SELECT id FROM wholesale_loyalty_program WHERE id = %s FOR NO KEY UPDATE", program.id
        ))
        bases, invoices = self._period_volumes(program, partner_ids, date_from, date_to)
        settled = dict(self._read_group(
            [
                ("program_id", "=", program.id),
                ("date_from", "=", date_from),
                ("date_to", "=", date_to),
                ("partner_id", "in", partner_ids),
                ("state", "!=", "cancel"),
            ],
            ["partner_id"],
            ["amount:sum"],
        ))
        currency = program.currency_id
        earned_tier = tier_finder(program._ladder())
        tiers = {tier.id: tier for tier in program.tier_ids}
        rows = []
        for partner in self.env["res.partner"].browse(partner_ids):
            base = currency.round(bases.get(partner.id, 0.0))
            tier = tiers.get(earned_tier(base))
            rate = tier.rebate_percent if tier else 0.0
            before = settled.get(partner, 0.0)
            amount = rebate_due(base, rate, before, currency.decimal_places)
            if not currency.is_zero(amount):
                rows.append({
                    "partner_id": partner.id, "program_id": program.id, "date_from": date_from,
                    "date_to": date_to, "tier_id": tier.id, "base_amount": base, "rate": rate,
                    "previous_amount": before, "amount": amount,
                    "invoice_ids": [Command.set(invoices.get(partner.id, []))],
                })
        if not rows:
            return self.browse()
        tax_bases = self._tax_bases(rows)
        lang_envs = self.env["res.partner"].browse(row["partner_id"] for row in rows)._wholesale_lang_envs()
        moves = self.env["account.move"].with_company(program.company_id).create([
            self._credit_note_vals(program, row, settled_on, tax_bases[row["partner_id"]], lang_envs[row["partner_id"]])
            for row in rows
        ])
        rebates = self.create([dict(row, move_id=move.id) for row, move in zip(rows, moves, strict=True)])
        rebates._queue_events()
        return rebates

    def _queue_events(self):
        """A ``rebate.settled`` event for each settlement, with its draft credit note."""
        events = self.env["wholesale.loyalty.event"]
        if not self or not events._listening({"rebate.settled"}):
            return
        events._queue_batch([
            ("rebate.settled", rebate.company_id.id, rebate.partner_id.id, {
                **events._partner_data(rebate.partner_id),
                "rebate_id": rebate.id,
                "program_id": rebate.program_id.id,
                "date_from": rebate.date_from,
                "date_to": rebate.date_to,
                "tier": {"id": rebate.tier_id.id, "name": rebate.tier_id.with_context(lang="en_US").name}
                if rebate.tier_id else None,
                "base_amount": rebate.base_amount,
                "rate": rebate.rate,
                "previous_amount": rebate.previous_amount,
                "amount": rebate.amount,
                "currency": rebate.currency_id.name,
                "credit_note_id": rebate.move_id.id,
                "invoice_ids": rebate.invoice_ids.ids,
            })
            for rebate in self
        ])

    def _tax_bases(self, rows):
        """{customer id: {taxes: untaxed amount}} of the invoices the ``rows`` rebate, net of
        their credit notes, in company currency."""
        partner_of_move = {move_id: row["partner_id"] for row in rows for move_id in row["invoice_ids"][0][2]}
        lines = self.env["account.move.line"].search_fetch(
            [("move_id", "in", list(partner_of_move)), ("display_type", "=", "product")],
            ["move_id", "tax_ids", "balance"],
        )
        bases = defaultdict(lambda: defaultdict(float))
        for line in lines:
            bases[partner_of_move[line.move_id.id]][line.tax_ids] -= line.balance
        return bases

    def _period_volumes(self, program, partner_ids, date_from, date_to):
        """Qualifying purchases of the period per customer, and the invoices they come from.

        The spend is the tiers' (the program's ``_spend_query``), which leaves rebate
        credit notes out: they are no returned goods.
        """
        bases = defaultdict(float, program._spend_by_partner(partner_ids, date_from, date_to))
        domain = [
            ("commercial_partner_id", "in", partner_ids),
            ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("company_id", "=", program.company_id.id),
            ("invoice_date", ">=", date_from),
            ("invoice_date", "<=", date_to),
        ]
        if program.qualification_basis == "paid":
            domain.append(("payment_state", "in", ("paid", "in_payment", "reversed")))
        moves = self.env["account.move"].search(domain, order="invoice_date, id")
        rebate_notes = self.search([("move_id", "in", moves.ids)]).move_id
        invoices = defaultdict(list)
        for move in moves - rebate_notes:
            invoices[move.commercial_partner_id.id].append(move.id)
        return bases, invoices

    def _credit_note_vals(self, program, row, settled_on, tax_bases, env):
        """The draft credit note of a settlement, its texts in the customer's language (``env``)."""
        currency = program.currency_id
        name = env._(
            "Volume rebate %(rate)s%% on %(base)s of purchases from %(date_from)s to %(date_to)s",
            rate=formatLang(env, row["rate"], digits=percent_digits(row["rate"])),
            base=format_amount(env, row["base_amount"], currency),
            date_from=format_date(env, row["date_from"]), date_to=format_date(env, row["date_to"]),
        )
        if not currency.is_zero(row["previous_amount"]):
            name = env._(
                "%(name)s, minus %(before)s settled before", name=name,
                before=format_amount(env, row["previous_amount"], currency),
            )
        covered = self.env["account.move"].browse(row["invoice_ids"][0][2])
        return {
            "move_type": "out_refund",
            "partner_id": row["partner_id"],
            "company_id": program.company_id.id,
            "currency_id": currency.id,
            "invoice_date": settled_on,
            "ref": env._("Volume rebate %(program)s", program=program.with_env(env).name),
            "narration": env._("Invoices covered: %(invoices)s", invoices=", ".join(covered.mapped("name")))
            if covered else False,
            "invoice_line_ids": [
                Command.create(vals) for vals in self._credit_note_line_vals(currency, row["amount"], name, tax_bases)
            ],
        }

    def _credit_note_line_vals(self, currency, amount, name, tax_bases):
        """The rebate carries the taxes of the sales it is paid on: one line per set of taxes,
        in proportion to the untaxed sales of each, adding up to ``amount`` exactly. Sales
        without taxes give an untaxed rebate."""
        product = self.env.ref("wholesale_loyalty.product_volume_rebate")
        bases = sorted(
            ((taxes, base) for taxes, base in tax_bases.items() if currency.compare_amounts(base, 0.0) > 0),
            key=lambda item: item[0].ids,
        )
        if not bases:
            bases = [(self.env["account.tax"], 1.0)]
        shares = split_in_proportion(amount, [base for _taxes, base in bases], currency.decimal_places)
        return [
            {
                "product_id": product.id,
                "name": name,
                "quantity": 1,
                "price_unit": self._price_unit_for_untaxed(taxes, share, currency),
                "tax_ids": [Command.set(taxes.ids)],
            }
            for (taxes, _base), share in zip(bases, shares, strict=True)
            if not currency.is_zero(share)
        ]

    def _price_unit_for_untaxed(self, taxes, untaxed, currency):
        """The price that leaves ``untaxed`` once the taxes included in prices are taken out."""
        included = taxes.filtered("price_include")
        if not included:
            return untaxed
        return included.compute_all(untaxed, currency, handle_price_include=False)["total_included"]

    @api.model
    def _cron_settle_rebates(self, batch_size=DEFAULT_BATCH_SIZE):
        """Monthly: settle the last complete periods of every program; safe to run again."""
        self._settle(batch_size=batch_size, commit=True)
