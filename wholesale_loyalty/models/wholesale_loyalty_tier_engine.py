from collections import defaultdict
from datetime import date
from typing import NamedTuple

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL, split_every

from ..tools.batches import run_in_batches
from ..tools.tier_rules import (
    TierPlace,
    change_direction,
    decide_tier,
    local_today,
    qualification_window,
    tier_for_amount,
)

DEFAULT_BATCH_SIZE = 2000
# Partner fields the engine writes with SQL: their cached values and dependents are dropped.
STATE_FIELDS = [
    "wholesale_program_id", "wholesale_tier_id", "wholesale_tier_since",
    "wholesale_qualifying_amount", "wholesale_downgrade_since", "wholesale_tier_evaluated_on",
]


class PartnerState(NamedTuple):
    """A customer's tier state as the engine writes it (columns of ``res_partner``)."""

    id: int
    program_id: int
    tier_id: int | None
    since: date
    amount: float
    downgrade_since: date | None
    evaluated_on: date


class HistoryRow(NamedTuple):
    """A tier change as the engine inserts it (columns of ``wholesale_loyalty_tier_history``)."""

    partner_id: int
    program_id: int
    company_id: int
    date: date
    old_tier_id: int | None
    new_tier_id: int | None
    qualifying_amount: float
    reason: str
    direction: str
    notification_pending: bool
    old_program_id: int | None
    note: str | None


class WholesaleLoyaltyTierEngine(models.AbstractModel):
    """Evaluates tiers for many customers with one aggregation query and one update per
    batch. Partner state is written with SQL because the ORM would run res.partner's
    write machinery (and its commercial-field sync) once per customer."""

    _name = "wholesale.loyalty.tier.engine"
    _description = "Wholesale Loyalty Tier Engine"

    # ------------------------------------------------------------------ entry points

    @api.model
    def evaluate_partners(self, partners, reason, bases=None):
        """Re-evaluate the given commercial partners at once (real time or on request).

        ``bases`` limits the work to programs that count the event that happened.
        """
        # sudo: tiers follow objective rules; whoever triggers an evaluation (a sales rep
        # confirming an order, an accountant posting an invoice) must not need loyalty rights.
        engine = self.sudo()
        partners = partners.sudo().commercial_partner_id
        if not partners:
            return self.env["wholesale.loyalty.tier.history"]
        history = engine.env["wholesale.loyalty.tier.history"]
        claimed = engine.env["res.partner"]
        for program in engine._active_programs():
            members = (partners - claimed).filtered_domain(program._eligibility_domain())
            claimed |= members
            if bases and program.qualification_basis not in bases:
                # The event does not change this program's spend, but a customer who is
                # not a member yet joins it all the same.
                members = members.filtered(lambda partner, program=program: partner.wholesale_program_id != program)
            if members:
                history |= engine._evaluate_batch(program, members.ids, program._today(), reason)
        leavers = (partners - claimed).filtered("wholesale_program_id")
        history |= engine._remove_from_program(leavers.ids, engine._today(), reason)
        history._send_notifications()
        return history

    @api.model
    def enroll(self, programs, batch_size=DEFAULT_BATCH_SIZE):
        """Apply the membership of ``programs`` now: customers their filters (and order)
        give them join, customers they no longer match move to the program that matches
        them, or leave. Only the customers whose program changes are evaluated."""
        engine = self.sudo()  # sudo: membership follows the programs' objective rules
        history = engine.env["wholesale.loyalty.tier.history"]
        moves = engine._membership_moves(programs.sudo())
        targets = defaultdict(list)
        for partner_id, (_old, new) in sorted(moves.items()):
            targets[new].append(partner_id)
        for program in engine._active_programs():
            for batch in split_every(batch_size, targets.pop(program.id, []), list):
                history |= engine._evaluate_batch(program, batch, program._today(), "realtime")
        history |= engine._remove_from_program(targets.pop(None, []), engine._today(), "program_change")
        history._send_notifications()
        return history

    @api.model
    def preview_membership(self, program, partner_domain=None, sequence=None):
        """How many customers would move, and between which programs, if ``program`` had
        ``partner_domain`` and ``sequence``: {(old program id, new program id): count}."""
        engine = self.sudo()  # sudo: counts only, of customers the rules would move
        override = {"partner_domain": partner_domain, "sequence": sequence}
        moves = engine._membership_moves(program.sudo(), {program.id: override})
        counts = defaultdict(int)
        for move in moves.values():
            counts[move] += 1
        return dict(counts)

    @api.model
    def recalculate(self, programs=None, only_stale=False, batch_size=DEFAULT_BATCH_SIZE,
                    batch_limit=None, reason="recalculation", commit=False):
        """Evaluate every eligible customer of ``programs`` (all active ones by default).

        With ``only_stale`` customers already evaluated today are skipped, which lets an
        interrupted run resume where it stopped. ``batch_limit`` stops after that many
        batches. ``commit`` commits after each batch (scheduled runs only: never inside a
        module install or a request). Returns the number of customers left to evaluate.
        """
        return self._recalculate(programs, only_stale, batch_size, batch_limit, reason, commit)[0]

    @api.model
    def _recalculate(self, programs=None, only_stale=False, batch_size=DEFAULT_BATCH_SIZE,
                     batch_limit=None, reason="recalculation", commit=False):
        """:meth:`recalculate`, returning (customers left, customers evaluated, history
        written) so that the user who asked for it can be told what changed."""
        engine = self.sudo()  # sudo: scheduled, system-wide evaluation
        history = engine.env["wholesale.loyalty.tier.history"]
        work, claimed = engine._plan(programs, only_stale)
        todays = {program: program._today() for program, _ids in work}

        def evaluate(batch):
            program = batch[0][0]
            # ids, not a growing recordset: a full run writes a line per customer
            return engine._evaluate_batch(program, [pid for _program, pid in batch], todays[program], reason).ids

        run = run_in_batches(
            engine.env, [(program, pid) for program, ids in work for pid in ids], batch_size, evaluate,
            commit=commit, key=lambda item: item[0], limit=batch_limit,
        )
        history_ids = [history_id for ids in run.results for history_id in ids]
        if run.remaining:
            return run.remaining, run.done, history.browse(history_ids)
        if programs is None:
            history_ids += engine._remove_from_program(engine._orphan_member_ids(claimed), engine._today(), reason).ids
        return 0, run.done, history.browse(history_ids)

    @api.model
    def run_scheduled(self, batch_size=DEFAULT_BATCH_SIZE, batches_per_call=25):
        """Daily run: resumable, a bounded number of batches per call."""
        # Each batch reports its progress; Odoo runs the cron again at once while the last
        # report says work remains, and the next call resumes with the customers not yet done.
        remaining = self.recalculate(
            only_stale=True, batch_size=batch_size, batch_limit=batches_per_call, commit=True
        )
        notifications = self.env.ref(
            "wholesale_loyalty.ir_cron_send_tier_notifications", raise_if_not_found=False
        )
        if notifications:
            notifications._trigger()
        return remaining

    # ------------------------------------------------------------------ planning

    def _active_programs(self):
        return self.env["wholesale.loyalty.program"].search([], order="sequence, id")

    def _today(self):
        """Today in the current company's timezone, for work that spans programs."""
        timezone = self.env["wholesale.loyalty.program"]._company_timezone(self.env.company)
        return local_today(timezone, fields.Datetime.now())

    def _membership_moves(self, programs, overrides=None):
        """{partner id: (current program id, new program id or None)} for the customers
        whose program changes because of ``programs``: those their filters take from
        elsewhere and their own members whom another program (or none) now claims.

        ``overrides`` maps a program id to the partner_domain / sequence to use instead
        of the saved ones. One search per program, restricted to the customers concerned.
        """
        overrides = overrides or {}
        ranked = []
        for program in self._active_programs():
            override = overrides.get(program.id, {})
            sequence = override.get("sequence")
            ranked.append((
                program.sequence if sequence is None else sequence, program.id, program,
                program._eligibility_domain(override.get("partner_domain")),
            ))
        ranked.sort(key=lambda entry: entry[:2])
        partners = self.env["res.partner"]
        candidates = set(self._member_ids(programs))
        for _sequence, _id, program, domain in ranked:
            if program in programs:
                candidates.update(partners.search(domain).ids)
        current = self._current_programs(list(candidates))
        planned, unclaimed = {}, set(candidates)
        for _sequence, _id, program, domain in ranked:
            if not unclaimed:
                break
            found = partners.search(expression.AND([domain, [("id", "in", list(unclaimed))]])).ids
            planned.update(dict.fromkeys(found, program.id))
            unclaimed.difference_update(found)
        return {
            partner_id: (current.get(partner_id), planned.get(partner_id))
            for partner_id in candidates
            if current.get(partner_id) != planned.get(partner_id)
        }

    def _member_ids(self, programs):
        if not programs:
            return []
        self.env["res.partner"].flush_model(["wholesale_program_id", "parent_id"])
        rows = self.env.execute_query(SQL(
            "SELECT id FROM res_partner WHERE wholesale_program_id = ANY(%s) AND parent_id IS NULL",
            programs.ids,
        ))
        return [row[0] for row in rows]

    def _current_programs(self, partner_ids):
        if not partner_ids:
            return {}
        self.env["res.partner"].flush_model(["wholesale_program_id"])
        return dict(self.env.execute_query(SQL(
            "SELECT id, wholesale_program_id FROM res_partner WHERE id = ANY(%s) AND wholesale_program_id IS NOT NULL",
            partner_ids,
        )))

    def _plan(self, programs, only_stale):
        """(program, partner ids) pairs to evaluate, and the ids of all members.

        A customer belongs to the first program, by sequence, whose filter it matches."""
        selected = programs.sudo() if programs else None
        claimed = set()
        work = []
        for program in self._active_programs():
            eligible = [
                pid
                for pid in self.env["res.partner"].search(program._eligibility_domain(), order="id").ids
                if pid not in claimed
            ]
            claimed.update(eligible)
            if selected is not None and program not in selected:
                continue
            if only_stale:
                eligible = self._stale_ids(program, eligible, program._today())
            if eligible:
                work.append((program, eligible))
        return work, claimed

    def _stale_ids(self, program, partner_ids, today):
        rows = self.env.execute_query(SQL(
            """SELECT id FROM res_partner
                WHERE id = ANY(%(ids)s)
                  AND (wholesale_tier_evaluated_on IS DISTINCT FROM %(today)s
                       OR wholesale_program_id IS DISTINCT FROM %(program)s)
             ORDER BY id""",
            ids=partner_ids, today=today, program=program.id,
        ))
        return [row[0] for row in rows]

    def _orphan_member_ids(self, claimed):
        """Members of no program any more (filter changed, program archived)."""
        rows = self.env.execute_query(SQL(
            """SELECT id FROM res_partner
                WHERE wholesale_program_id IS NOT NULL AND parent_id IS NULL
                  AND NOT (id = ANY(%s))""",
            list(claimed),
        ))
        return [row[0] for row in rows]

    # ------------------------------------------------------------------ one batch

    def _evaluate_batch(self, program, partner_ids, today, reason):
        amounts = self._qualifying_amounts(program, partner_ids, today)
        states = self._current_states(partner_ids)
        ladder = program._ladder()
        move_notes = self._move_notes(program, states)
        thresholds = {step.tier_id: step.threshold for step in ladder}
        rows, changes = [], []
        for partner_id in partner_ids:
            state = states[partner_id]
            amount = program.currency_id.round(amounts.get(partner_id, 0.0))
            joined = state["program_id"] != program.id
            moved = joined and bool(state["program_id"])
            current = None if joined else state["tier_id"]
            if state["locked"] and not joined:
                decision_tier, downgrade_since = current, None
            else:
                decision_tier, downgrade_since = decide_tier(
                    ladder,
                    current,
                    tier_for_amount(ladder, amount),
                    None if joined else state["downgrade_since"],
                    today,
                    program.downgrade_grace_days,
                )
            tier_changed = joined or decision_tier != current
            since = today if tier_changed else state["tier_since"]
            rows.append(PartnerState(partner_id, program.id, decision_tier, since, amount, downgrade_since, today))
            if tier_changed:
                changes.append(HistoryRow(
                    partner_id=partner_id,
                    program_id=program.id,
                    company_id=program.company_id.id,
                    date=today,
                    old_tier_id=state["tier_id"],
                    new_tier_id=decision_tier,
                    qualifying_amount=amount,
                    reason="program_change" if moved else "enrollment" if joined else reason,
                    direction=change_direction(
                        TierPlace(state["program_id"], thresholds.get(state["tier_id"])),
                        TierPlace(program.id, thresholds.get(decision_tier)),
                    ),
                    notification_pending=not moved and self._worth_notifying(decision_tier, joined, ladder),
                    old_program_id=state["program_id"] if moved else None,
                    note=move_notes.get(partner_id) if moved else None,
                ))
        self._write_states(rows)
        return self._insert_history(changes)

    def _move_notes(self, program, states):
        """{customer id: history note} of the customers of the batch moving from another
        program to ``program``, in the customer's language (one note per program and language)."""
        movers = {pid: state["program_id"] for pid, state in states.items()
                  if state["program_id"] and state["program_id"] != program.id}
        lang_envs = self.env["res.partner"].browse(movers)._wholesale_lang_envs()
        notes, by_program_and_lang = {}, {}
        for partner_id, old_id in movers.items():
            env = lang_envs[partner_id]
            if (old_id, env.lang) not in by_program_and_lang:
                by_program_and_lang[old_id, env.lang] = env._(
                    "Moved from program %(old)s to program %(new)s.",
                    old=program.browse(old_id).with_env(env).name, new=program.with_env(env).name,
                )
            notes[partner_id] = by_program_and_lang[old_id, env.lang]
        return notes

    def _worth_notifying(self, tier_id, joined, ladder):
        """Customers hear of tiers they earned; joining at a tier open to all is no news."""
        if not tier_id or self.env.context.get("wholesale_silent"):
            return False
        entry_level = next((step.threshold for step in ladder if step.tier_id == tier_id), 0.0) <= 0.0
        return not (joined and entry_level)

    def _qualifying_amounts(self, program, partner_ids, today):
        """Qualifying spend per commercial partner over the program's window on ``today``:
        one aggregation query (the rule is the program's, see ``_spend_query``)."""
        date_from, date_to = qualification_window(
            program.qualification_period, today, program.period_months
        )
        return program._spend_by_partner(partner_ids, date_from, date_to)

    def _current_states(self, partner_ids):
        self.env["res.partner"].flush_model([
            "wholesale_program_id", "wholesale_tier_id", "wholesale_tier_since",
            "wholesale_downgrade_since", "wholesale_tier_locked",
        ])
        rows = self.env.execute_query_dict(SQL(
            """SELECT id, wholesale_program_id AS program_id, wholesale_tier_id AS tier_id,
                      wholesale_tier_since AS tier_since, wholesale_downgrade_since AS downgrade_since,
                      COALESCE(wholesale_tier_locked, FALSE) AS locked
                 FROM res_partner WHERE id = ANY(%s)""",
            partner_ids,
        ))
        return {row["id"]: row for row in rows}

    def _write_states(self, rows):
        """One UPDATE for the batch, on commercial partners and their contacts alike; rows
        whose values did not change are left untouched."""
        if not rows:
            return
        columns = dict(zip(PartnerState._fields, zip(*rows, strict=True), strict=True))
        written = self.env.execute_query(SQL(
            """UPDATE res_partner p
                  SET wholesale_program_id = v.program_id,
                      wholesale_tier_id = v.tier_id,
                      wholesale_tier_since = v.since,
                      wholesale_qualifying_amount = v.amount,
                      wholesale_downgrade_since = v.downgrade_since,
                      wholesale_tier_evaluated_on = v.evaluated_on
                 FROM unnest(%(id)s::int[], %(program_id)s::int[], %(tier_id)s::int[], %(since)s::date[],
                             %(amount)s::numeric[], %(downgrade_since)s::date[], %(evaluated_on)s::date[])
                      AS v(id, program_id, tier_id, since, amount, downgrade_since, evaluated_on)
                WHERE p.commercial_partner_id = v.id
                  AND (p.wholesale_program_id, p.wholesale_tier_id, p.wholesale_tier_since,
                       p.wholesale_qualifying_amount, p.wholesale_downgrade_since,
                       p.wholesale_tier_evaluated_on)
                      IS DISTINCT FROM
                      (v.program_id, v.tier_id, v.since, v.amount, v.downgrade_since, v.evaluated_on)
            RETURNING p.id""",
            **{name: list(column) for name, column in columns.items()},
        ))
        self.env["res.partner"].browse(row[0] for row in written)._wholesale_sql_written(STATE_FIELDS)

    def _insert_history(self, changes):
        """One INSERT for the batch's tier changes; at enrollment that is every customer."""
        history = self.env["wholesale.loyalty.tier.history"]
        if not changes:
            return history
        columns = {
            name: list(column) for name, column in zip(HistoryRow._fields, zip(*changes, strict=True), strict=True)
        }
        rows = self.env.execute_query(SQL(
            """INSERT INTO wholesale_loyalty_tier_history
                      (partner_id, program_id, company_id, date, old_tier_id, new_tier_id,
                       qualifying_amount, reason, direction, notification_pending,
                       old_program_id, note, create_uid, write_uid, create_date, write_date)
               SELECT v.*, %(uid)s, %(uid)s, %(now)s, %(now)s
                 FROM unnest(%(partner_id)s::int[], %(program_id)s::int[], %(company_id)s::int[],
                             %(date)s::date[], %(old_tier_id)s::int[], %(new_tier_id)s::int[],
                             %(qualifying_amount)s::numeric[], %(reason)s::varchar[], %(direction)s::varchar[],
                             %(notification_pending)s::bool[], %(old_program_id)s::int[], %(note)s::text[]) AS v
            RETURNING id""",
            uid=self.env.uid, now=fields.Datetime.now(), **columns,
        ))
        return history.browse([row[0] for row in rows])

    def _remove_from_program(self, partner_ids, today, reason):
        """Customers who no longer match any program leave it, with a history line."""
        history = self.env["wholesale.loyalty.tier.history"]
        if not partner_ids:
            return history
        states = self._current_states(partner_ids)
        lang_envs = self.env["res.partner"].browse(states)._wholesale_lang_envs()  # the notes are the customers'
        history = history.create([
            {
                "partner_id": pid,
                "program_id": state["program_id"],
                "date": today,
                "old_tier_id": state["tier_id"],
                "new_tier_id": False,
                "reason": reason,
                "note": lang_envs[pid]._("No longer eligible for the program."),
            }
            for pid, state in states.items()
        ])
        written = self.env.execute_query(SQL(
            """UPDATE res_partner
                  SET wholesale_program_id = NULL, wholesale_tier_id = NULL,
                      wholesale_tier_since = NULL, wholesale_downgrade_since = NULL,
                      wholesale_qualifying_amount = 0, wholesale_tier_evaluated_on = %s,
                      wholesale_tier_locked = FALSE, wholesale_tier_lock_reason = NULL
                WHERE commercial_partner_id = ANY(%s)
            RETURNING id""",
            today, partner_ids,
        ))
        self.env["res.partner"].browse(row[0] for row in written)._wholesale_sql_written(
            [*STATE_FIELDS, "wholesale_tier_locked", "wholesale_tier_lock_reason"]
        )
        return history
