from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount, formatLang

from ..tools.batches import run_in_batches
from ..tools.tier_benefits import manager_values, pricelist_change
from ..tools.tier_rules import TierPlace, change_direction

REASONS = [
    ("recalculation", "Scheduled recalculation"),
    ("realtime", "Real-time evaluation"),
    ("manual", "Manual"),
    ("enrollment", "Enrollment"),
    ("program_change", "Program change"),
    ("membership", "Paid membership"),
]


class WholesaleLoyaltyTierHistory(models.Model):
    _name = "wholesale.loyalty.tier.history"
    _description = "Wholesale Loyalty Tier History"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, ondelete="cascade", index=True)
    member_id = fields.Many2one(
        "wholesale.loyalty.member", string="Loyalty Account", ondelete="cascade", index=True, readonly=True,
        help="The customer's account in the program: the row's customer and program.",
    )
    contact_id = fields.Many2one(
        "res.partner", string="Contact", ondelete="set null", index="btree_not_null", readonly=True,
        help="Who ordered or was invoiced on the document that caused the change; empty for "
             "scheduled recalculations and changes made by hand.",
    )
    program_id = fields.Many2one("wholesale.loyalty.program", ondelete="cascade", index=True)
    company_id = fields.Many2one(related="program_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="program_id.currency_id")
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    old_program_id = fields.Many2one(
        "wholesale.loyalty.program",
        ondelete="set null",
        help="The program the customer left for this one, on a move between programs.",
    )
    old_tier_id = fields.Many2one("wholesale.loyalty.tier", ondelete="set null")
    new_tier_id = fields.Many2one("wholesale.loyalty.tier", ondelete="set null")
    qualifying_amount = fields.Monetary()
    reason = fields.Selection(REASONS, required=True, default="manual")
    note = fields.Text()
    direction = fields.Selection(
        [("up", "Upgrade"), ("down", "Downgrade"), ("same", "No change")],
        compute="_compute_direction",
        store=True,
        help="The engine fills it itself when it inserts history in bulk.",
    )
    notification_pending = fields.Boolean(
        index="btree_not_null",
        help="Set while the customer and the salesperson have not been told of this change.",
    )

    _sql_constraints = [
        ("member_of_program", "CHECK(program_id IS NULL OR member_id IS NOT NULL)",
         "A tier change in a program belongs to the customer's account in that program."),
    ]

    @api.depends("old_tier_id", "new_tier_id", "program_id", "old_program_id")
    def _compute_direction(self):
        for entry in self:
            old_program = entry.old_tier_id.program_id or entry.old_program_id or entry.program_id
            entry.direction = change_direction(
                TierPlace(old_program.id, entry.old_tier_id.threshold_amount if entry.old_tier_id else None),
                TierPlace(
                    (entry.new_tier_id.program_id or entry.program_id).id,
                    entry.new_tier_id.threshold_amount if entry.new_tier_id else None,
                ),
            )

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")  # before an account is opened for the rows
        self.env["wholesale.loyalty.member"]._link_rows(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.context.get("wholesale_notifying") or set(vals) - {"notification_pending"}:
            raise UserError(self.env._("Tier history is a record of what happened; it cannot be changed."))
        return super().write(vals)

    def _record_contacts(self, documents):
        """Record on these rows the contact of the document (order or invoice) that caused
        them: of a customer's documents in one batch, the last one. One UPDATE, as the engine
        inserts history by SQL and ``write`` refuses changes."""
        contacts = {doc.partner_id.commercial_partner_id.id: doc.partner_id.id for doc in documents}
        rows = [(entry.id, contacts[entry.partner_id.id]) for entry in self if entry.partner_id.id in contacts]
        if not rows:
            return
        self.env.execute_query(SQL(
            """UPDATE wholesale_loyalty_tier_history AS h SET contact_id = v.contact_id
                 FROM unnest(%s::int[], %s::int[]) AS v(id, contact_id) WHERE h.id = v.id""",
            [row[0] for row in rows], [row[1] for row in rows],
        ))
        self.invalidate_recordset(["contact_id"])

    @api.model
    def _record_manual_changes(self, tier_before, vals):
        """History for tier changes made by hand (lock wizard, RPC write)."""
        reason = vals.get("wholesale_tier_lock_reason")
        unlocked = vals.get("wholesale_tier_locked") is False
        # The note is the customer's: in its language.
        lang_envs = self.env["res.partner"].union(*tier_before)._wholesale_lang_envs()
        entries = []
        for partner, old_tier in tier_before.items():
            changed_tier = partner.wholesale_tier_id != old_tier
            if not changed_tier and "wholesale_tier_locked" not in vals:
                continue
            entries.append(
                {
                    "partner_id": partner.id,
                    "program_id": partner.wholesale_program_id.id,
                    "old_tier_id": old_tier.id,
                    "new_tier_id": partner.wholesale_tier_id.id,
                    "qualifying_amount": partner.wholesale_qualifying_amount,
                    "reason": "manual",
                    "note": reason or (lang_envs[partner.id]._("Tier lock removed") if unlocked else False),
                    "notification_pending": changed_tier and bool(partner.wholesale_tier_id),
                }
            )
        # sudo: no user creates history; the tier write it records was checked as a loyalty
        # administrator's (res.partner.write), and the rows keep the user as their author.
        history = self.sudo().create(entries).sudo(False)
        history._follow_up()
        history._notify_later()
        return history

    def _follow_up(self):
        """What follows every tier change, in batch (the engine and the manual lock call it
        for the history they write): the endpoints are told, the new tiers give their benefits."""
        self._queue_events()
        self._apply_tier_benefits()

    def _queue_events(self):
        """A ``tier.changed`` event for each change, to the endpoints of its program's company.
        A move from another company's program is two events, each company told of its own
        program only: the customer left one, joined the other."""
        events = self.env["wholesale.loyalty.event"]
        if not self or not events._listening({"tier.changed"}):
            return
        items = []
        # sudo: the events carry the change to the endpoints, whoever caused it.
        for entry in self.sudo().with_context(lang="en_US"):
            old_company = entry.old_tier_id.company_id or entry.company_id
            if old_company != entry.company_id and old_company:
                items.append(("tier.changed", old_company.id, entry.partner_id.id, entry._event_data(
                    entry.old_tier_id.program_id, entry.old_tier_id, self.env["wholesale.loyalty.tier"],
                )))
                items.append(("tier.changed", entry.company_id.id, entry.partner_id.id, entry._event_data(
                    entry.program_id, self.env["wholesale.loyalty.tier"], entry.new_tier_id,
                )))
            else:
                items.append(("tier.changed", entry.company_id.id, entry.partner_id.id, entry._event_data(
                    entry.program_id, entry.old_tier_id, entry.new_tier_id,
                )))
        events._queue_batch(items)

    def _event_data(self, program, old_tier, new_tier):
        """What a ``tier.changed`` event says of this change, in ``program``."""
        def tier(record):
            return {"id": record.id, "name": record.name, "threshold_amount": record.threshold_amount} if record \
                else None

        return {
            **self.env["wholesale.loyalty.event"]._partner_data(self.partner_id),
            "program_id": program.id,
            "program_name": program.name,
            "old_tier": tier(old_tier),
            "new_tier": tier(new_tier),
            "direction": self.direction if program == self.program_id and old_tier and new_tier else (
                "up" if new_tier else "down"),
            "reason": self.reason,
            "qualifying_amount": self.qualifying_amount,
            "currency": program.currency_id.name,
            "date": self.date,
            "history_id": self.id,
        }

    def _apply_tier_benefits(self):
        """Carry out what the new tiers of these changes give on the customer's record
        (called for every tier change, in batch, by the engine and the manual lock): the
        tier's pricelist, and its personal manager on an upgrade."""
        if not self._tiers_give_benefits():
            return
        changes = self.filtered(lambda entry: entry.old_tier_id != entry.new_tier_id)
        # sudo: the change itself was decided by the program's objective rules (or by a loyalty
        # administrator's lock); what it gives follows from the tier's settings alone, and the
        # user whose action caused it may not edit customers.
        changes = changes.sudo()
        changes._apply_tier_pricelists()
        changes._assign_tier_managers()

    def _tiers_give_benefits(self):
        """Whether a tier these changes leave or reach has a pricelist or a manager: one query,
        without reading the changes, which a recalculation writes by the thousand."""
        if not self:
            return False
        self.flush_recordset(["old_tier_id", "new_tier_id"])
        self.env["wholesale.loyalty.tier"].flush_model(["pricelist_id", "manager_user_id", "manager_team_id"])
        return bool(self.env.execute_query(SQL(
            """SELECT 1 FROM wholesale_loyalty_tier_history h
                 JOIN wholesale_loyalty_tier t ON t.id IN (h.old_tier_id, h.new_tier_id)
                WHERE h.id = ANY(%s)
                  AND (t.pricelist_id IS NOT NULL OR t.manager_user_id IS NOT NULL OR t.manager_team_id IS NOT NULL)
                LIMIT 1""",
            self.ids,
        )))

    def _apply_tier_pricelists(self):
        """Set the pricelist of the new tiers on the customers and their contacts, in the
        company of each tier, or give them back their own (see ``pricelist_change``)."""
        by_company = defaultdict(list)
        for entry in self:
            old_tier, new_tier = entry.old_tier_id, entry.new_tier_id
            old_company = old_tier.company_id or entry.company_id
            new_company = new_tier.company_id or entry.company_id
            if old_company == new_company:
                by_company[new_company].append(
                    (entry.partner_id.id, old_tier.pricelist_id.id, new_tier.pricelist_id.id)
                )
                continue
            # A move to another company's program: the customer leaves the old tier in the
            # old company and reaches the new one in the new company.
            by_company[old_company].append((entry.partner_id.id, old_tier.pricelist_id.id, None))
            by_company[new_company].append((entry.partner_id.id, None, new_tier.pricelist_id.id))
        for company, moves in by_company.items():
            moves = [move for move in moves if (move[1] or None) != (move[2] or None)]
            if moves:
                self._apply_company_pricelists(company, moves)

    @api.model
    def _apply_company_pricelists(self, company, moves):
        """Apply ``moves`` ([(customer id, old tier pricelist id, new tier pricelist id)], in
        the order they happened) to the pricelists of ``company``: one write per pricelist."""
        partners = self.env["res.partner"].with_company(company).with_context(active_test=False)
        customers = partners.browse({partner_id for partner_id, _old, _new in moves})
        current = {head.id: head.specific_property_product_pricelist.id or None for head in customers}
        remembered = {head.id: head.wholesale_pricelist_before_id.id or None for head in customers}
        for partner_id, old_pricelist, new_pricelist in moves:
            change = pricelist_change(
                current[partner_id], remembered[partner_id], old_pricelist or None, new_pricelist or None
            )
            if change:
                current[partner_id], remembered[partner_id] = change
        targets, keep = defaultdict(list), defaultdict(list)
        for head in customers:
            if current[head.id] != (head.specific_property_product_pricelist.id or None):
                targets[current[head.id]].append(head.id)
            if remembered[head.id] != (head.wholesale_pricelist_before_id.id or None):
                keep[remembered[head.id]].append(head.id)
        for pricelist_id, head_ids in keep.items():
            partners.browse(head_ids).write({"wholesale_pricelist_before_id": pricelist_id or False})
        if not targets:
            return
        # Quotations price with the pricelist of the contact they are made for: the contacts
        # get the customer's, as Odoo's own sync of commercial fields would give them.
        people = partners.search([("commercial_partner_id", "in", [pid for ids in targets.values() for pid in ids])])
        for pricelist_id, head_ids in targets.items():
            people.filtered(lambda person, heads=set(head_ids): person.commercial_partner_id.id in heads).write(
                {"specific_property_product_pricelist": pricelist_id or False}
            )

    def _assign_tier_managers(self):
        """Give customers moving up to a tier (or joining at it) the tier's salesperson and
        sales team, with a note in the customer's chatter."""
        assigned = {}
        for entry in self:
            tier = entry.new_tier_id
            if not (tier.manager_user_id or tier.manager_team_id):
                continue
            if entry.direction != "up" and entry.old_tier_id and entry.reason not in ("enrollment", "program_change"):
                continue
            customer = entry.partner_id
            values = manager_values(
                tier.manager_assignment, customer.user_id.id, customer.wholesale_team_id.id,
                tier.manager_user_id.id, tier.manager_team_id.id,
            )
            if values:
                assigned[customer] = (tier, values)
        groups = defaultdict(list)
        for customer, (_tier, values) in assigned.items():
            groups[tuple(sorted(values.items()))].append(customer.id)
        for values, partner_ids in groups.items():
            self.env["res.partner"].browse(partner_ids).write(dict(values))
        lang_envs = self.env["res.partner"].union(*assigned)._wholesale_lang_envs()
        for customer, (tier, values) in assigned.items():
            customer.message_post(
                body=Markup("<p>%s</p>") % self._manager_note(lang_envs[customer.id], tier, values),
                subtype_xmlid="mail.mt_note",
            )

    @api.model
    def _manager_note(self, env, tier, values):
        """The chatter note of a manager assignment, in the language of ``env``."""
        user = self.env["res.users"].browse(values.get("user_id"))
        team = self.env["crm.team"].browse(values.get("wholesale_team_id")).with_env(env)
        names = {"tier": tier.with_env(env).name, "user": user.name, "team": team.name}
        if user and team:
            return env._("Tier %(tier)s: personal manager %(user)s and sales team %(team)s assigned.", **names)
        if user:
            return env._("Tier %(tier)s: personal manager %(user)s assigned.", **names)
        return env._("Tier %(tier)s: sales team %(team)s assigned.", **names)

    def _notify_later(self):
        """Mails, chatter and salesperson notices of these changes go out with the scheduled
        action, after the change is committed: a request never waits on them, and a change
        rolled back tells nobody."""
        if any(self.mapped("notification_pending")):
            cron = self.env.ref("wholesale_loyalty.ir_cron_send_tier_notifications", raise_if_not_found=False)
            if cron:
                cron.sudo()._trigger()

    def _send_notifications(self):
        """Tell customer, chatter and salesperson of each pending change, once."""
        pending = self.filtered("notification_pending")
        template = self.env.ref("wholesale_loyalty.mail_template_tier_change", raise_if_not_found=False)
        lang_envs = pending.partner_id._wholesale_lang_envs()
        for entry in pending:
            entry._post_on_partner(lang_envs[entry.partner_id.id])
            entry._notify_salesperson()
        # A change a paid membership made is mailed by the membership itself, which says what
        # was bought and until when: this mail would speak of qualifying purchases instead.
        mailed = pending.filtered(lambda entry: entry.partner_id.email and entry.reason != "membership")
        if template and mailed:
            template.send_mail_batch(mailed.ids)
        # sudo: only the notification flag is written (write() refuses anything else), and
        # whoever caused the change must be able to clear it.
        pending.sudo().with_context(wholesale_notifying=True).write({"notification_pending": False})

    def _change_summary(self, env=None):
        """The change in words, in the language of ``env`` (by default the customer's)."""
        self.ensure_one()
        env = env or self.partner_id._wholesale_lang_env()
        return env._(
            "Loyalty tier changed from %(old)s to %(new)s (qualifying spend %(amount)s).",
            old=self.old_tier_id.with_env(env).name or env._("none"),
            new=self.new_tier_id.with_env(env).name or env._("none"),
            amount=format_amount(env, self.qualifying_amount, self.currency_id) if self.currency_id
            else formatLang(env, self.qualifying_amount),
        )

    def _post_on_partner(self, env=None):
        self.partner_id.message_post(
            body=Markup("<p>%s</p>") % self._change_summary(env),
            subtype_xmlid="mail.mt_note",
        )

    def _notify_salesperson(self):
        user = self.partner_id.user_id or self.program_id.user_id
        if not user or not user.partner_id:
            return
        # In the salesperson's language: the notification is theirs.
        env = self.with_context(lang=user.lang or self.env.lang).env
        self.partner_id.message_notify(
            partner_ids=user.partner_id.ids,
            subject=env._("%(partner)s: loyalty tier %(tier)s", partner=self.partner_id.name,
                          tier=self.new_tier_id.with_env(env).name or env._("none")),
            body=Markup("<p>%s</p>") % self._change_summary(env),
        )

    @api.model
    def _cron_send_tier_notifications(self, batch_size=200):
        pending = self.search([("notification_pending", "=", True)], order="id")
        # Committed per batch: each batch of mails is queued once, even after a crash.
        run_in_batches(self.env, pending, batch_size, lambda batch: batch._send_notifications(), commit=True)
