
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression
from odoo.tools import SQL, format_date

from ..tools.access import LOYALTY_MANAGER, LOYALTY_USER, check_caller_groups
from ..tools.tier_rules import TierPlace, change_direction

# The partner's views of its member in the current company (``wholesale.loyalty.member``):
# {partner field: member field}. The next tier is computed apart, from the others: reading
# the tiers of the program costs queries that posting and paying invoices do not need.
STATE_VIEWS = {
    "wholesale_program_id": "program_id",
    "wholesale_tier_id": "tier_id",
    "wholesale_tier_since": "tier_since",
    "wholesale_qualifying_amount": "qualifying_amount",
    "wholesale_tier_locked": "tier_locked",
    "wholesale_tier_lock_reason": "tier_lock_reason",
    "wholesale_points_balance": "points_balance",
}
NEXT_TIER_VIEWS = {
    "wholesale_next_tier_id": "next_tier_id",
    "wholesale_amount_to_next_tier": "amount_to_next_tier",
}
MEMBER_VIEWS = {**STATE_VIEWS, **NEXT_TIER_VIEWS}
# What a loyalty administrator may set by hand; the engine decides the rest.
MANUAL_FIELDS = ("wholesale_tier_id", "wholesale_tier_locked", "wholesale_tier_lock_reason")

# Loyalty state only the tier engine, the points service (both with their own privileges)
# and loyalty administrators change: a tier or a balance is worth money.
PROTECTED_FIELDS = frozenset(STATE_VIEWS)
# Settings of a contact only loyalty administrators change (the engine never does).
ADMIN_FIELDS = frozenset({"wholesale_points_limit_per_order"})
# The views of a stored member field, which group and sort the customer list as a column
# would: {partner field: (member column, value of a partner without member)}.
STORED_MEMBER_VIEWS = {
    "wholesale_program_id": ("program_id", None),
    "wholesale_tier_id": ("tier_id", None),
    "wholesale_tier_since": ("tier_since", None),
    "wholesale_qualifying_amount": ("qualifying_amount", 0),
    "wholesale_tier_locked": ("tier_locked", False),
    "wholesale_points_balance": ("points_balance", 0),
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    wholesale_member_ids = fields.One2many(
        "wholesale.loyalty.member", "partner_id", string="Loyalty Accounts", readonly=True,
    )
    wholesale_program_id = fields.Many2one(
        "wholesale.loyalty.program", string="Loyalty Program",
        compute="_compute_wholesale_member_views", search="_search_wholesale_program_id",
    )
    wholesale_tier_id = fields.Many2one(
        "wholesale.loyalty.tier", string="Loyalty Tier",
        compute="_compute_wholesale_member_views", readonly=False,
        search="_search_wholesale_tier_id",
    )
    wholesale_tier_since = fields.Date(string="Tier Since", compute="_compute_wholesale_member_views")
    wholesale_qualifying_amount = fields.Monetary(
        string="Qualifying Spend", currency_field="currency_id",
        compute="_compute_wholesale_member_views", search="_search_wholesale_qualifying_amount",
    )
    wholesale_next_tier_id = fields.Many2one(
        "wholesale.loyalty.tier", string="Next Tier", compute="_compute_wholesale_next_tier"
    )
    wholesale_amount_to_next_tier = fields.Monetary(
        string="Spend to Next Tier",
        currency_field="currency_id",
        compute="_compute_wholesale_next_tier",
    )
    wholesale_tier_locked = fields.Boolean(
        string="Tier Locked", compute="_compute_wholesale_member_views", readonly=False,
        search="_search_wholesale_tier_locked",
    )
    wholesale_tier_lock_reason = fields.Char(
        string="Lock Reason", compute="_compute_wholesale_member_views", readonly=False,
    )
    wholesale_team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        ondelete="set null",
        copy=False,
        # No company check: a shared customer may have the team of one company, which only
        # that company's quotations take (see sale.order._compute_team_id).
        help="Sales team of the customer's quotations, given by its loyalty tier.",
    )
    wholesale_pricelist_before_id = fields.Many2one(
        "product.pricelist",
        string="Pricelist Before Tier",
        company_dependent=True,
        ondelete="set null",
        readonly=True,
        copy=False,
        help="The customer's own pricelist, kept when a loyalty tier's pricelist replaced it and "
        "set again when the customer moves to a tier without pricelist.",
    )
    wholesale_referrer_id = fields.Many2one(
        "res.partner", string="Referred By", ondelete="set null", index=True, copy=False
    )
    wholesale_points_limit_per_order = fields.Integer(
        string="Points Limit per Order", copy=False,
        help="Most points this contact may redeem on one order of the company account; 0: no limit "
             "but the program's. Set by a loyalty administrator.",
    )
    wholesale_points_balance = fields.Integer(
        string="Points Balance", compute="_compute_wholesale_member_views",
        search="_search_wholesale_points_balance",
        help="Sum of the customer's ledger entries in its program, kept up to date by every points movement.",
    )

    # ------------------------------------------------------------------ views of the member

    def _wholesale_member(self):
        """This customer's account in the program of the current company (an empty
        recordset when it is a member of none). Contacts show their commercial partner's."""
        self.ensure_one()
        members = self.env["wholesale.loyalty.member"]._of(self, self.env.company)
        return members.get(self.commercial_partner_id.id) or self.env["wholesale.loyalty.member"]

    def _wholesale_program_in(self, company):
        """The program of ``company`` this customer (its commercial partner) is a member of,
        empty when none: a document uses the program of its own company, never one the
        customer belongs to elsewhere. sudo: only which program holds the customer's account
        is read, whatever the reader's loyalty rights; the program is returned in this env."""
        self.ensure_one()
        program = self.commercial_partner_id.with_company(company).sudo().wholesale_program_id
        if program.company_id != company:
            return self.env["wholesale.loyalty.program"]
        return program.with_env(self.env)

    @api.depends_context("company")
    @api.depends(
        "commercial_partner_id",
        *(f"commercial_partner_id.wholesale_member_ids.{fname}" for fname in (
            "program_id", "tier_id", "tier_since", "qualifying_amount", "tier_locked", "tier_lock_reason",
            "points_balance", "active",
        )),
    )
    def _compute_wholesale_member_views(self):
        # One query for the whole batch: the views are read on every document a user posts.
        states = self.env["wholesale.loyalty.member"]._states_of(self.commercial_partner_id, self.env.company)
        # The amounts are rounded in the partners' currency, read without prefetching: the
        # company and its currency, which every document reads anyway, are read whole first.
        self.env.company.currency_id.mapped("rounding")
        tiers = self.env["wholesale.loyalty.tier"]
        for partner in self:
            state = states.get(partner.commercial_partner_id.id)
            if not state:
                partner.update(dict.fromkeys(STATE_VIEWS, False))
                continue
            partner.update({
                "wholesale_program_id": state["program_id"],
                "wholesale_tier_id": tiers.browse(state["tier_id"]),
                "wholesale_tier_since": state["tier_since"],
                "wholesale_qualifying_amount": state["qualifying_amount"],
                "wholesale_tier_locked": state["tier_locked"],
                "wholesale_tier_lock_reason": state["tier_lock_reason"],
                "wholesale_points_balance": state["points_balance"],
            })

    @api.depends_context("company")
    @api.depends("wholesale_program_id", "wholesale_tier_id", "wholesale_qualifying_amount")
    def _compute_wholesale_next_tier(self):
        for partner in self:
            # sudo: the partner shows its own account's program and tiers, whoever reads it
            program = partner.sudo().wholesale_program_id
            if not program:
                partner.wholesale_next_tier_id, partner.wholesale_amount_to_next_tier = False, 0.0
                continue
            next_tier, missing = program._next_tier(partner.wholesale_tier_id.id, partner.wholesale_qualifying_amount)
            partner.wholesale_next_tier_id = next_tier.id
            partner.wholesale_amount_to_next_tier = missing

    def _wholesale_write_manual(self, values):
        """A loyalty administrator's tier, lock and reason (``values``, in partner fields) go
        to the customers' members in the current company (``write`` checked the rights and
        enrolled the customers)."""
        renamed = {MEMBER_VIEWS[fname]: value for fname, value in values.items()}
        for head in self.commercial_partner_id:
            member = head._wholesale_member()
            if not member:
                raise UserError(self.env._(
                    "%(partner)s is a member of no loyalty program of %(company)s.",
                    partner=head.display_name, company=self.env.company.name,
                ))
            # sudo: the member's state is the engine's; the administrator's right was checked
            member.sudo().write(renamed)

    def _wholesale_search_member(self, member_field, operator, value):
        """Domain of the partners whose member in the current company has ``member_field``
        ``operator`` ``value``; partners that are members of no program there match as if
        the field were empty."""
        members = self.env["wholesale.loyalty.member"]
        company = self.env.company
        condition = [(member_field, operator, value)]
        matching = [("commercial_partner_id", "in", members._search_members(condition, company))]
        if not self._wholesale_empty_matches(operator, value):
            return matching
        return expression.OR([
            matching, [("commercial_partner_id", "not in", members._search_members([], company))],
        ])

    @staticmethod
    def _wholesale_empty_matches(operator, value):
        """Whether an empty value (no member) satisfies ``operator`` ``value``."""
        values = value if isinstance(value, list | tuple) else [value]
        has_empty = any(item in (False, None, 0, 0.0) for item in values)
        if operator in ("=", "in"):
            return has_empty
        if operator in ("!=", "not in"):
            return not has_empty
        if operator in ("<", "<=", ">", ">=") and isinstance(value, int | float) and not isinstance(value, bool):
            return {"<": value > 0, "<=": value >= 0, ">": value < 0, ">=": value <= 0}[operator]
        return False

    def _search_wholesale_program_id(self, operator, value):
        return self._wholesale_search_member("program_id", operator, value)

    def _search_wholesale_tier_id(self, operator, value):
        return self._wholesale_search_member("tier_id", operator, value)

    def _search_wholesale_qualifying_amount(self, operator, value):
        return self._wholesale_search_member("qualifying_amount", operator, value)

    def _search_wholesale_tier_locked(self, operator, value):
        return self._wholesale_search_member("tier_locked", operator, value)

    def _search_wholesale_points_balance(self, operator, value):
        return self._wholesale_search_member("points_balance", operator, value)

    def _field_to_sql(self, alias, fname, query=None, flush=True):
        # The stored views of the member group and sort the customer list like columns: the
        # value of the partner's commercial partner's active member in the current company
        # (at most one, see the member's unique index).
        if fname not in STORED_MEMBER_VIEWS:
            return super()._field_to_sql(alias, fname, query=query, flush=flush)
        self.check_field_access_rights("read", [fname])
        column, empty = STORED_MEMBER_VIEWS[fname]
        member_fields = self.env["wholesale.loyalty.member"]._fields

        def member_column(name):
            return SQL.identifier("wholesale_member_view", name, to_flush=member_fields[name] if flush else None)

        value = SQL(
            """(SELECT %(value)s FROM wholesale_loyalty_member AS wholesale_member_view
                 WHERE %(partner)s = %(customer)s AND %(company)s = %(company_id)s AND %(active)s)""",
            value=member_column(column),
            partner=member_column("partner_id"),
            customer=super()._field_to_sql(alias, "commercial_partner_id", query=query, flush=flush),
            company=member_column("company_id"),
            company_id=self.env.company.id,
            active=member_column("active"),
        )
        return value if empty is None else SQL("COALESCE(%s, %s)", value, empty)

    @api.model_create_multi
    def create(self, vals_list):
        # A contact created with no limit (0, what a form sends) sets nothing protected.
        self._wholesale_check_protected_write(
            [field for vals in vals_list for field, value in vals.items() if value or field not in ADMIN_FIELDS]
        )
        partners = super().create(vals_list)
        # New customers join their program (and its entry tier) straight away.
        heads = partners.filtered(lambda partner: not partner.parent_id)
        if heads:
            self.env["wholesale.loyalty.tier.engine"]._evaluate_partners(heads, "realtime")
        return partners

    def write(self, vals):
        self._wholesale_check_protected_write(self._wholesale_changed_protected(vals))
        vals = dict(vals)
        manual = {fname: vals.pop(fname) for fname in MANUAL_FIELDS if fname in vals}
        for fname in PROTECTED_FIELDS.difference(MANUAL_FIELDS).intersection(vals):
            vals.pop(fname)  # views of what the engine and the ledger decide: nothing to write
        result = super().write(vals) if vals or not manual else True
        if "tz" in vals:
            self.env.registry.clear_cache()  # the companies' timezones (see _company_tz of the program)
        if manual:
            # A tier set by hand belongs to the program the customer is eligible for.
            heads = self._wholesale_ensure_enrolled()
            before = {head: head.wholesale_tier_id for head in heads}
            if isinstance(manual.get("wholesale_tier_id"), models.BaseModel):
                manual["wholesale_tier_id"] = manual["wholesale_tier_id"].id
            heads._wholesale_write_manual(manual)
            self.env["wholesale.loyalty.tier.history"]._record_manual_changes(before, manual)
        return result

    def _wholesale_changed_protected(self, vals):
        """Protected fields ``vals`` changes: writing back the value a partner shows (a form
        saving every field, a merge) changes nothing."""
        changed = (PROTECTED_FIELDS | ADMIN_FIELDS).intersection(vals)
        if not changed or not self:
            return changed
        unchanged = {
            fname for fname in changed
            if all(
                (self._fields[fname].convert_to_write(partner[fname], partner) or False) == (vals[fname] or False)
                for partner in self
            )
        }
        return changed - unchanged

    @api.model
    def _wholesale_check_protected_write(self, fnames):
        """Refuse changing the loyalty state to anyone but a loyalty administrator; the engine
        and the points service write it with their own privileges."""
        protected = (PROTECTED_FIELDS | ADMIN_FIELDS).intersection(fnames)
        if not protected or self.env.su:
            return
        if "wholesale_points_balance" in protected:
            # The balance is the sum of the ledger: a written one would disagree with it.
            raise AccessError(self.env._(
                "The points balance is the sum of the points ledger: award or adjust points instead."
            ))
        if self.env.user.has_group("wholesale_loyalty.group_wholesale_loyalty_manager"):
            return
        raise AccessError(self.env._(
            "Only loyalty administrators can change a customer's loyalty tier, lock or points "
            "(%(fields)s).",
            fields=", ".join(sorted(self._fields[fname].string for fname in protected)),
        ))

    def _wholesale_check_manager(self):
        if not self.env.user.has_group("wholesale_loyalty.group_wholesale_loyalty_manager"):
            raise AccessError(self.env._("Only loyalty administrators can lock or unlock a customer's tier."))

    def action_wholesale_lock_tier(self):
        self.ensure_one()
        self._wholesale_check_manager()
        self._wholesale_ensure_enrolled()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Lock Loyalty Tier"),
            "res_model": "wholesale.loyalty.tier.lock.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }

    def action_wholesale_unlock_tier(self):
        self._wholesale_check_manager()
        heads = self.commercial_partner_id
        before = {head: head.wholesale_tier_id for head in heads}
        heads.write({"wholesale_tier_locked": False, "wholesale_tier_lock_reason": False})
        heads.wholesale_recompute_tier()
        return heads._wholesale_tier_notification(before)

    def action_wholesale_recompute_tier(self):
        check_caller_groups(self.env, LOYALTY_USER)
        heads = self.commercial_partner_id
        before = {head: head.wholesale_tier_id for head in heads}
        self.wholesale_recompute_tier()
        return heads._wholesale_tier_notification(before)

    def _wholesale_tier_notification(self, before):
        """The client action telling the user what a recalculation of these commercial
        partners did; ``before`` maps each to the tier it held."""
        if len(self) == 1:
            message = self._wholesale_tier_outcome(before[self])
        else:
            changed = self.filtered(lambda head: head.wholesale_tier_id != before[head])
            message = self.env._(
                "Recalculated %(count)s customers: %(changed)s changed tier.",
                count=len(self), changed=len(changed),
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Loyalty tier recalculated"),
                "message": message,
                "type": "success" if self.wholesale_program_id else "warning",
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _wholesale_tier_outcome(self, old_tier):
        """One sentence on this customer's tier after an evaluation: kept, gained, lost."""
        self.ensure_one()
        names = {"partner": self.display_name, "old": old_tier.name, "new": self.wholesale_tier_id.name}
        if not self.wholesale_program_id:
            return self.env._("%(partner)s matches no loyalty program.", **names)
        new_tier = self.wholesale_tier_id
        if not new_tier:
            return self.env._(
                "%(partner)s is a member of %(program)s without a tier: the spend reaches none.",
                program=self.wholesale_program_id.name, **names,
            )
        if new_tier == old_tier:
            if self.wholesale_tier_locked:
                return self.env._("%(partner)s stays %(new)s: the tier is locked.", **names)
            downgrade_on = self._wholesale_member().sudo().downgrade_on
            if downgrade_on:
                return self.env._(
                    "%(partner)s stays %(new)s until %(date)s: the spend is below the tier, and the "
                    "downgrade waits for the grace period.",
                    date=format_date(self.env, downgrade_on), **names,
                )
            return self.env._("%(partner)s stays %(new)s.", **names)
        direction = change_direction(
            TierPlace(old_tier.program_id.id, old_tier.threshold_amount if old_tier else None),
            TierPlace(new_tier.program_id.id, new_tier.threshold_amount),
        )
        if not old_tier or direction == "same":  # no tier before, or another program's ladder
            return self.env._("%(partner)s now holds tier %(new)s.", **names)
        if direction == "up":
            return self.env._("%(partner)s moved up from %(old)s to %(new)s.", **names)
        return self.env._("%(partner)s moved down from %(old)s to %(new)s.", **names)

    def wholesale_recompute_tier(self):
        """Re-evaluate the loyalty tier of these customers (their commercial partners) now.

        Returns the result of :meth:`wholesale_status` after the evaluation.
        """
        check_caller_groups(self.env, LOYALTY_USER)
        commercial = self.commercial_partner_id
        self.env["wholesale.loyalty.tier.engine"]._evaluate_partners(commercial, reason="manual")
        return self.wholesale_status()

    def wholesale_status(self):
        """Loyalty status of each partner, read from its commercial partner's member in the
        current company. Reading enrolls nobody: a customer the program would take but who is
        no member yet gets what it would join with (program, tier, spend, next tier, as its
        quotations show), without points; a customer no program takes gets the empty status.

        :return: one dict per partner with the keys ``partner_id``, ``program``, ``tier``,
            ``tier_since``, ``qualifying_amount``, ``next_tier``, ``amount_to_next_tier``,
            ``points_balance``, ``points_expiring_30d`` and ``discount_percent``; also
            ``downgrade_on``, the day a customer below its tier moves down (or False);
            ``keep_tier_amount`` and ``keep_tier_by``: what the customer must buy, and by
            when, to keep its tier on a rolling period (0.0 and False when not at risk);
            ``pricelist`` (name of the tier's pricelist or False), ``free_shipping`` and
            ``return_days`` of the tier; ``membership_tier`` and ``membership_until``, the
            tier a paid membership gives today and its last day (or False).
        """
        check_caller_groups(self.env, LOYALTY_USER)
        # sudo: the accounts of the current company only (``_of``); their names and numbers
        # are what the partner's own fields already show.
        members = self.env["wholesale.loyalty.member"]._of(self, self.env.company)
        statuses = []
        for partner in self:
            head = partner.commercial_partner_id
            member = members.get(head.id)
            if member:
                statuses.append(head._wholesale_member_status(partner, member.sudo()))
            else:
                statuses.append(head._wholesale_joining_status(partner))
        return statuses

    def _wholesale_member_status(self, partner, member):
        """The status of ``partner`` (of this commercial partner) from its ``member``."""
        self.ensure_one()
        return {
            "partner_id": partner.id,
            "commercial_partner_id": self.id,
            "program": member.program_id.name or False,
            "tier": member.tier_id.name or False,
            "tier_since": fields.Date.to_string(member.tier_since) or False,
            "qualifying_amount": member.qualifying_amount,
            "next_tier": member.next_tier_id.name or False,
            "amount_to_next_tier": member.amount_to_next_tier,
            "discount_percent": member.tier_id.discount_percent or 0.0,
            "tier_locked": member.tier_locked,
            "downgrade_on": fields.Date.to_string(member.downgrade_on) or False,
            "keep_tier_amount": member.keep_tier_amount,
            "keep_tier_by": fields.Date.to_string(member.keep_tier_by) or False,
            "points_balance": member.points_balance,
            "points_pending": member.points_pending,
            "points_expiring_30d": member.points_expiring_30d,
            "point_value": member.program_id.point_value or 0.0,
            **member.tier_id._benefits_status(),
            "membership_tier": member.membership_tier_id.name or False,
            "membership_until": fields.Date.to_string(member.membership_until) or False,
        }

    def _wholesale_joining_status(self, partner):
        """The status of ``partner`` (of this commercial partner, a member of no program of
        the current company): what it would join with now, as its quotations show; nothing
        is written."""
        self.ensure_one()
        status = self._wholesale_empty_status(partner)
        joining = self.env["wholesale.loyalty.tier.engine"]._joining(self, self.env.company)
        if not joining.program:
            return status
        # sudo: the program and tier the customer would join, read as the engine read them
        program, tier = joining.program.sudo(), joining.tier.sudo()
        next_tier, missing = program._next_tier(tier.id, joining.amount)
        status.update({
            "program": program.name,
            "tier": tier.name or False,
            "qualifying_amount": joining.amount,
            "next_tier": next_tier.name or False,
            "amount_to_next_tier": missing,
            "discount_percent": tier.discount_percent or 0.0,
            "point_value": program.point_value or 0.0,
            **tier._benefits_status(),
        })
        return status

    def _wholesale_empty_status(self, partner):
        self.ensure_one()
        return {
            "partner_id": partner.id,
            "commercial_partner_id": self.id,
            "program": False,
            "tier": False,
            "tier_since": False,
            "qualifying_amount": 0.0,
            "next_tier": False,
            "amount_to_next_tier": 0.0,
            "discount_percent": 0.0,
            "tier_locked": False,
            "downgrade_on": False,
            "keep_tier_amount": 0.0,
            "keep_tier_by": False,
            "points_balance": 0,
            "points_pending": 0,
            "points_expiring_30d": 0,
            "point_value": 0.0,
            **self.env["wholesale.loyalty.tier"]._benefits_status(),
            "membership_tier": False,
            "membership_until": False,
        }

    def wholesale_award_points(self, points, reason, reference=None):
        """Award ``points`` to each customer (their commercial partner) for ``reason``.

        Loyalty administrators only. With a ``reference`` (e.g. the CRM's id of the review
        or webinar) the call is idempotent: a second call with the same reference awards
        nothing and returns the existing entry.

        :return: ids of the ledger entries (new or existing), one per customer.
        """
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self._wholesale_ensure_enrolled()
        points_service = self.env["wholesale.loyalty.points"]
        entries = self.env["wholesale.loyalty.ledger"]
        for partner in self.commercial_partner_id:
            entries |= points_service._award(partner, points, reason, reference)
        return entries.ids

    def action_wholesale_award_points(self):
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self.ensure_one()
        self._wholesale_ensure_enrolled()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Award Points"),
            "res_model": "wholesale.loyalty.award.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }

    def action_wholesale_view_ledger(self):
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Points of %(partner)s", partner=self.commercial_partner_id.name),
            "res_model": "wholesale.loyalty.ledger",
            "view_mode": "list,form",
            "domain": [("partner_id", "=", self.commercial_partner_id.id)],
        }

    def _wholesale_ensure_enrolled(self):
        """Enroll those of these customers (their commercial partners) who are members of no
        program yet but match one, so that points, locks, quotations and the status API do
        not wait for the scheduled run. Members are left as they are.

        :return: the commercial partners
        """
        heads = self.commercial_partner_id.filtered("id")  # new records are no customers yet
        newcomers = heads.filtered(lambda partner: not partner.wholesale_program_id)
        if newcomers:
            self.env["wholesale.loyalty.tier.engine"]._evaluate_partners(newcomers, "realtime")
        return heads

    def _wholesale_lang_envs(self):
        """{partner id: environment in the language of the texts stored for or sent to the
        customer}: ledger notes, chatter lines, invoice and credit note lines are written with
        its ``_`` and formatted with ``formatLang`` / ``format_amount`` / ``format_date`` of it.
        The language is the commercial partner's, else its company's, else the user's (the
        first one active); partners of one language share one environment."""
        active = dict(self.env["res.lang"].get_installed())
        envs, by_partner = {}, {}
        for partner in self:
            customer = partner.commercial_partner_id
            lang = next((code for code in customer._wholesale_lang_choices() if code in active), "en_US")
            if lang not in envs:
                envs[lang] = self.with_context(lang=lang).env
            by_partner[partner.id] = envs[lang]
        return by_partner

    def _wholesale_lang_choices(self):
        """The languages of this customer's texts, in order of preference; each is read only
        when the ones before it are not installed."""
        yield self.lang
        # sudo: reads only the language of the company's partner, which any user may see
        yield (self.sudo().company_id or self.env.company).partner_id.lang
        yield self.env.lang

    def _wholesale_lang_env(self):
        """The environment in this customer's language (see :meth:`_wholesale_lang_envs`)."""
        self.ensure_one()
        return self._wholesale_lang_envs()[self.id]

    def _wholesale_has_contacts(self):
        """Whether people order for this company account: its statement and portal page then
        say which contact earned and spent what."""
        self.ensure_one()
        # sudo: only whether the customer's own contacts exist, for a portal user too
        return bool(self.sudo().child_ids.filtered(lambda child: child.type == "contact"))

    @api.model
    def _cron_wholesale_recalculate_tiers(self, batch_size=2000, batches_per_call=25):
        self.env["wholesale.loyalty.tier.engine"]._run_scheduled(
            batch_size=batch_size, batches_per_call=batches_per_call
        )
