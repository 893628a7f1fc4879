
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression
from odoo.tools import format_date

from ..tools.access import LOYALTY_MANAGER, LOYALTY_USER, check_caller_groups
from ..tools.points_rules import EXPIRING_SOON_DAYS
from ..tools.tier_rules import TierPlace, change_direction

# The partner's views of its member in the current company (``wholesale.loyalty.member``):
# {partner field: member field}.
MEMBER_VIEWS = {
    "wholesale_program_id": "program_id",
    "wholesale_tier_id": "tier_id",
    "wholesale_tier_since": "tier_since",
    "wholesale_qualifying_amount": "qualifying_amount",
    "wholesale_downgrade_since": "downgrade_since",
    "wholesale_downgrade_on": "downgrade_on",
    "wholesale_next_tier_id": "next_tier_id",
    "wholesale_amount_to_next_tier": "amount_to_next_tier",
    "wholesale_tier_locked": "tier_locked",
    "wholesale_tier_lock_reason": "tier_lock_reason",
    "wholesale_points_balance": "points_balance",
}
# What a loyalty administrator may set by hand; the engine decides the rest.
MANUAL_FIELDS = ("wholesale_tier_id", "wholesale_tier_locked", "wholesale_tier_lock_reason")

# Loyalty state only the tier engine, the points service (both with their own privileges)
# and loyalty administrators change: a tier or a balance is worth money.
PROTECTED_FIELDS = frozenset(MEMBER_VIEWS) - {"wholesale_downgrade_on", "wholesale_next_tier_id",
                                              "wholesale_amount_to_next_tier"}
# Settings of a contact only loyalty administrators change (the engine never does).
ADMIN_FIELDS = frozenset({"wholesale_points_limit_per_order"})


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
    wholesale_tier_color = fields.Integer(related="wholesale_tier_id.color")
    wholesale_tier_since = fields.Date(string="Tier Since", compute="_compute_wholesale_member_views")
    wholesale_qualifying_amount = fields.Monetary(
        string="Qualifying Spend", currency_field="wholesale_currency_id",
        compute="_compute_wholesale_member_views", search="_search_wholesale_qualifying_amount",
    )
    wholesale_currency_id = fields.Many2one(
        related="wholesale_program_id.currency_id", string="Loyalty Currency"
    )
    wholesale_downgrade_since = fields.Date(
        string="Below Tier Since", compute="_compute_wholesale_member_views",
        help="First day the qualifying spend fell below the tier; the downgrade waits for "
        "the program's grace period.",
    )
    wholesale_downgrade_on = fields.Date(
        string="Downgrade On", compute="_compute_wholesale_member_views",
        help="Day the customer moves down to the tier the spend earns, unless the spend "
        "reaches the tier again before: below tier since, plus the program's grace days.",
    )
    wholesale_next_tier_id = fields.Many2one(
        "wholesale.loyalty.tier", string="Next Tier", compute="_compute_wholesale_member_views"
    )
    wholesale_amount_to_next_tier = fields.Monetary(
        string="Spend to Next Tier",
        currency_field="wholesale_currency_id",
        compute="_compute_wholesale_member_views",
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
    wholesale_tier_history_ids = fields.One2many(
        "wholesale.loyalty.tier.history", "partner_id", string="Tier History"
    )
    wholesale_points_balance = fields.Integer(
        string="Points Balance", compute="_compute_wholesale_member_views",
        search="_search_wholesale_points_balance",
        help="Sum of the customer's ledger entries in its program, kept up to date by every points movement.",
    )
    wholesale_points_pending = fields.Integer(
        string="Pending Points", compute="_compute_wholesale_points_pending",
        help="Points of posted invoices that earn once they are paid.",
    )
    wholesale_points_expiring_30d = fields.Integer(
        string="Expiring in 30 Days", compute="_compute_wholesale_points_expiring"
    )
    wholesale_points_value = fields.Monetary(
        string="Points Value",
        currency_field="wholesale_currency_id",
        compute="_compute_wholesale_points_value",
        help="What the points balance is worth when redeemed, at the program's point value.",
    )
    wholesale_keep_tier_id = fields.Many2one(
        "wholesale.loyalty.tier", string="Tier at Risk", compute="_compute_wholesale_keep_tier",
        help="The tier the customer loses without new spend (rolling periods), on the day below.",
    )
    wholesale_keep_tier_amount = fields.Monetary(
        string="Spend to Keep Tier", currency_field="wholesale_currency_id", compute="_compute_wholesale_keep_tier",
        help="What the customer must buy before the day below to keep its tier.",
    )
    wholesale_keep_tier_by = fields.Date(
        string="Keep Tier By", compute="_compute_wholesale_keep_tier",
        help="The first day the spend of the rolling period falls below the tier without new purchases "
        "(for a customer already below it: the downgrade day).",
    )
    wholesale_ledger_ids = fields.One2many("wholesale.loyalty.ledger", "partner_id", string="Points Ledger")
    wholesale_membership_tier_id = fields.Many2one(
        "wholesale.loyalty.tier", string="Paid Tier", compute="_compute_wholesale_membership",
        help="The tier a paid membership gives the customer today, whatever its spend.",
    )
    wholesale_membership_until = fields.Date(
        string="Paid Tier Until", compute="_compute_wholesale_membership",
        help="Last day of the paid membership, renewals included.",
    )

    # ------------------------------------------------------------------ views of the member

    def _wholesale_member(self):
        """This customer's account in the program of the current company (an empty
        recordset when it is a member of none). Contacts show their commercial partner's."""
        self.ensure_one()
        members = self.env["wholesale.loyalty.member"]._of(self, self.env.company)
        return members.get(self.commercial_partner_id.id) or self.env["wholesale.loyalty.member"]

    @api.depends_context("company")
    @api.depends(
        "commercial_partner_id",
        *(f"commercial_partner_id.wholesale_member_ids.{fname}" for fname in (
            "program_id", "tier_id", "tier_since", "qualifying_amount", "downgrade_since",
            "tier_locked", "tier_lock_reason", "points_balance", "active",
        )),
    )
    def _compute_wholesale_member_views(self):
        # One query for the whole batch: the views are read on every document a user posts.
        states = self.env["wholesale.loyalty.member"]._states_of(self.commercial_partner_id, self.env.company)
        programs, tiers = self.env["wholesale.loyalty.program"], self.env["wholesale.loyalty.tier"]
        for partner in self:
            state = states.get(partner.commercial_partner_id.id)
            if not state:
                partner.update(dict.fromkeys(MEMBER_VIEWS, False))
                continue
            # sudo: the partner shows its own account's program and tiers, whoever reads it
            program = programs.browse(state["program_id"]).sudo()
            next_tier, missing = program._next_tier(state["tier_id"], state["qualifying_amount"])
            since = state["downgrade_since"]
            partner.update({
                "wholesale_program_id": program.id,
                "wholesale_tier_id": tiers.browse(state["tier_id"]),
                "wholesale_tier_since": state["tier_since"],
                "wholesale_qualifying_amount": state["qualifying_amount"],
                "wholesale_downgrade_since": since,
                "wholesale_downgrade_on": program._downgrade_on(since),
                "wholesale_next_tier_id": next_tier.id,
                "wholesale_amount_to_next_tier": missing,
                "wholesale_tier_locked": state["tier_locked"],
                "wholesale_tier_lock_reason": state["tier_lock_reason"],
                "wholesale_points_balance": state["points_balance"],
            })

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

    @api.depends("wholesale_tier_id", "wholesale_qualifying_amount", "wholesale_program_id")
    def _compute_wholesale_keep_tier(self):
        forecast = self.env["wholesale.loyalty.tier.forecast"]
        risks = {}
        members = self.env["wholesale.loyalty.member"]._of(self, self.env.company)
        by_program = {}
        for member in members.values():
            by_program.setdefault(member.sudo().program_id, []).append(member.partner_id.id)
        for program, partner_ids in by_program.items():
            risks.update(forecast._risks(program, partner_ids))
        for partner in self:
            risk = risks.get(partner.commercial_partner_id.id)
            partner.wholesale_keep_tier_id = risk.tier_id if risk else False
            partner.wholesale_keep_tier_amount = risk.amount if risk else 0.0
            partner.wholesale_keep_tier_by = risk.keep_by if risk else False

    @api.depends("wholesale_points_balance", "wholesale_program_id.point_value")
    def _compute_wholesale_points_value(self):
        for partner in self:
            program = partner._wholesale_visible_program()
            partner.wholesale_points_value = (
                program.currency_id.round(partner.wholesale_points_balance * program.point_value) if program else 0.0
            )

    def _compute_wholesale_membership(self):
        held = self.env["wholesale.loyalty.membership"]._held_by(self.commercial_partner_id)
        for partner in self:
            program = partner._wholesale_visible_program()
            tier, until = held.get((partner.commercial_partner_id.id, program.id), (False, False))
            partner.wholesale_membership_tier_id = tier
            partner.wholesale_membership_until = until

    def _compute_wholesale_points_pending(self):
        heads = self.commercial_partner_id
        invoices = self.env["account.move"].search([
            ("commercial_partner_id", "in", heads.ids),
            ("company_id", "=", self.env.company.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "not in", ("paid", "in_payment", "reversed")),
        ])
        points_service = self.env["wholesale.loyalty.points"]
        holding = points_service._invoices_holding_points(invoices)
        pending = dict.fromkeys(heads.ids, 0)
        down_payment_moves = points_service._moves_with_down_payments(invoices)
        for invoice in invoices:
            program = points_service._program_of(invoice)
            if program.points_trigger == "paid" and invoice.id not in holding:
                points = points_service._invoice_points(invoice, program, down_payment_moves)
                pending[invoice.commercial_partner_id.id] += points
        for partner in self:
            partner.wholesale_points_pending = pending.get(partner.commercial_partner_id.id, 0)

    def _compute_wholesale_points_expiring(self):
        today = fields.Date.context_today(self)
        groups = dict(self.env["wholesale.loyalty.ledger"].sudo()._read_group(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("program_id", "in", self.commercial_partner_id.sudo().wholesale_program_id.ids),
                ("remaining_points", ">", 0),
                ("expiry_date", ">=", today),
                ("expiry_date", "<=", today + relativedelta(days=EXPIRING_SOON_DAYS)),
            ],
            ["partner_id"],
            ["remaining_points:sum"],
        ))
        for partner in self:
            partner.wholesale_points_expiring_30d = groups.get(partner.commercial_partner_id, 0)

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

    def _wholesale_visible_program(self):
        """This partner's program in the current company (an empty program when none)."""
        self.ensure_one()
        return self.commercial_partner_id.sudo().wholesale_program_id

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
            if self.wholesale_downgrade_on:
                return self.env._(
                    "%(partner)s stays %(new)s until %(date)s: the spend is below the tier, and the "
                    "downgrade waits for the grace period.",
                    date=format_date(self.env, self.wholesale_downgrade_on), **names,
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
        """Loyalty status of each partner, read from its commercial partner.

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
        self._wholesale_ensure_enrolled()
        statuses = []
        for partner in self:
            head = partner.commercial_partner_id
            if not head._wholesale_visible_program():
                # A customer of another company's program has no status in the current ones.
                statuses.append(head._wholesale_empty_status(partner))
                continue
            # sudo: the program is of the current companies (checked above); reads its names
            # and numbers, which the partner's own fields already show.
            shown = head.sudo()
            statuses.append(
                {
                    "partner_id": partner.id,
                    "commercial_partner_id": head.id,
                    "program": shown.wholesale_program_id.name or False,
                    "tier": shown.wholesale_tier_id.name or False,
                    "tier_since": fields.Date.to_string(shown.wholesale_tier_since) or False,
                    "qualifying_amount": shown.wholesale_qualifying_amount,
                    "next_tier": shown.wholesale_next_tier_id.name or False,
                    "amount_to_next_tier": shown.wholesale_amount_to_next_tier,
                    "discount_percent": shown.wholesale_tier_id.discount_percent or 0.0,
                    "tier_locked": shown.wholesale_tier_locked,
                    "downgrade_on": fields.Date.to_string(shown.wholesale_downgrade_on) or False,
                    "keep_tier_amount": shown.wholesale_keep_tier_amount,
                    "keep_tier_by": fields.Date.to_string(shown.wholesale_keep_tier_by) or False,
                    **shown._wholesale_points_status(),
                    **shown.wholesale_tier_id._benefits_status(),
                    "membership_tier": shown.wholesale_membership_tier_id.name or False,
                    "membership_until": fields.Date.to_string(shown.wholesale_membership_until) or False,
                }
            )
        return statuses

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

    def _wholesale_points_status(self):
        self.ensure_one()
        return {
            "points_balance": self.wholesale_points_balance,
            "points_pending": self.wholesale_points_pending,
            "points_expiring_30d": self.wholesale_points_expiring_30d,
            "point_value": self.wholesale_program_id.point_value or 0.0,
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
            # sudo: reads only the language of the company's partner, which any user may see
            company_lang = (customer.sudo().company_id or self.env.company).partner_id.lang
            lang = next((code for code in (customer.lang, company_lang, self.env.lang) if code in active), "en_US")
            if lang not in envs:
                envs[lang] = self.with_context(lang=lang).env
            by_partner[partner.id] = envs[lang]
        return by_partner

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
