import json
from collections import Counter, defaultdict
from datetime import date
from typing import NamedTuple

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL, float_compare, float_round, split_every

from ..tools.batches import may_commit, run_batches, streamed
from ..tools.sql_arrays import array_literal
from ..tools.tier_rules import (
    TierPlace,
    change_direction,
    decide_tier,
    higher_tier,
    local_today,
    qualification_window,
    tier_finder,
    tier_sql,
)
from .wholesale_loyalty_member import STATE_FIELDS as MEMBER_STATE_FIELDS

DEFAULT_BATCH_SIZE = 5000
# Where the resumable daily run stands: {program id: [day, id of the last customer done]}.
PROGRESS_PARAMETER = "wholesale_loyalty.tier_recalculation_progress"
# A customer's state before it is a member of the company's program.
NO_STATE = {"program_id": None, "tier_id": None, "tier_since": None, "downgrade_since": None,
            "amount": None, "locked": False}


class PartnerState(NamedTuple):
    """A customer's tier state as the engine writes it (on its member of the program)."""

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


class Joining(NamedTuple):
    """What a customer who is no member yet would join with: program, tier, qualifying spend."""

    program: models.BaseModel
    tier: models.BaseModel
    amount: float


class Recalculation(NamedTuple):
    """What a recalculation did: customers left (batch limit) and evaluated, and how many
    tier changes of each kind it wrote (``joined``, ``up``, ``down``, ``same``), and how many
    customers entered the downgrade grace period (``grace``)."""

    remaining: int
    evaluated: int
    changes: Counter


class _MemberStatistics:
    """Keeps the planner's statistics of the accounts' table in step with a run that opens
    many accounts (a first recalculation): each history line's reference to its account is
    checked with a plan made once per connection, and a plan made while the table was small
    scans the whole table for every line. Once the run has grown the table by half since its
    statistics were taken, they are taken again, which makes PostgreSQL plan the checks anew."""

    def __init__(self, env):
        self.env = env
        [(counted,)] = env.execute_query(SQL(
            "SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = 'wholesale_loyalty_member'::regclass"
        ))
        self.counted = max(counted, 1000)
        self.added = 0

    def opened(self, count):
        self.added += count
        if self.added * 2 > self.counted:
            self.env.cr.execute(SQL("ANALYZE wholesale_loyalty_member"))
            self.counted, self.added = self.counted + self.added, 0


class WholesaleLoyaltyTierEngine(models.AbstractModel):
    """Evaluates tiers for many customers with one aggregation query and one update per
    batch. Members are written with SQL because the ORM would write them one by one.

    A customer is a member of at most one program per company: programs claim customers
    in their order within their company, and each company's programs are independent."""

    _name = "wholesale.loyalty.tier.engine"
    _description = "Wholesale Loyalty Tier Engine"

    # ------------------------------------------------------------------ entry points

    @api.model
    def _evaluate_partners(self, partners, reason, bases=None, unfunded=None):
        """Re-evaluate the given commercial partners at once (real time or on request).

        ``bases`` limits the work to programs that count the event that happened.
        ``unfunded``: {customer id: tier id} of paid tiers whose fee's money just went back
        (see ``_decide``).
        """
        # sudo: tiers follow objective rules; whoever triggers an evaluation (a sales rep
        # confirming an order, an accountant posting an invoice) must not need loyalty rights.
        engine = self.sudo()
        partners = partners.sudo().commercial_partner_id
        if not partners:
            return self.env["wholesale.loyalty.tier.history"]
        history = engine.env["wholesale.loyalty.tier.history"]
        # The customers' accounts in every company, read once: each program's evaluation
        # writes only the accounts of its own company's customers it claimed, so what the
        # others read of them stays true.
        accounts = engine._active_accounts(partners.ids)
        claimed = defaultdict(lambda: engine.env["res.partner"])  # {company: customers its programs took}
        for program in engine._active_programs():
            company = program.company_id
            members = program._eligible_customers(partners - claimed[company])
            claimed[company] |= members
            states = engine._states_in(accounts, company, members.ids)
            if bases and program.qualification_basis not in bases:
                # The event does not change this program's spend, but a customer who is
                # not a member yet joins it all the same.
                members = members.filtered(
                    lambda partner, program=program, states=states: states[partner.id]["program_id"] != program.id
                )
            if members:
                history |= engine._evaluate_batch(program, members.ids, program._today(), reason, unfunded,
                                                  states=states)
        history |= engine._remove_members(engine._leavers(accounts, claimed), engine._today(), reason)
        history._notify_later()
        return history

    def _active_accounts(self, partner_ids, company=None):
        """{(customer id, company id): the state of the customer's active member there}, in
        every company or in ``company``."""
        self.env["wholesale.loyalty.member"].flush_model()
        rows = self.env.execute_query_dict(SQL(
            """SELECT partner_id AS id, id AS member_id, company_id, program_id, tier_id, tier_since,
                      downgrade_since, qualifying_amount AS amount, COALESCE(tier_locked, FALSE) AS locked
                 FROM wholesale_loyalty_member
                WHERE partner_id = ANY(%s) AND active %s""",
            partner_ids, SQL("AND company_id = %s", company.id) if company else SQL(),
        ))
        return {(row["id"], row.pop("company_id")): row for row in rows}

    @staticmethod
    def _states_in(accounts, company, partner_ids):
        """{partner id: state of its active member in ``company``} (``NO_STATE`` without one)
        of ``partner_ids``, from ``accounts`` (see ``_active_accounts``)."""
        return {
            partner_id: accounts.get((partner_id, company.id)) or dict(NO_STATE, id=partner_id, member_id=None)
            for partner_id in partner_ids
        }

    def _leavers(self, accounts, claimed):
        """The active members of ``accounts`` (see ``_active_accounts``) whom no program of
        their company claims any more (``claimed``: {company: the customers its programs took})."""
        claimed_ids = {company.id: set(customers.ids) for company, customers in claimed.items()}
        return self.env["wholesale.loyalty.member"].browse(
            state["member_id"] for (partner_id, company_id), state in accounts.items()
            if partner_id not in claimed_ids.get(company_id, ())
        )

    @api.model
    def _joining(self, partner, company):
        """The :class:`Joining` of a customer who is a member of no program of ``company``
        yet: the program, tier and qualifying spend it would join with now (empty when no
        program matches it), what its quotations show before its first document enrolls it.
        Nothing is written."""
        engine = self.sudo()  # sudo: reads the programs' rules and the customer's spend
        customer = partner.sudo().commercial_partner_id
        nothing = Joining(engine.env["wholesale.loyalty.program"], engine.env["wholesale.loyalty.tier"], 0.0)
        if not customer.id or engine._current_programs(company, customer.ids):
            return nothing
        for program in engine._active_programs().filtered(lambda program: program.company_id == company):
            if program._eligible_customers(customer):
                today = program._today()
                [row], _changes = engine._decide(
                    program, customer.ids, engine._qualifying_amounts(program, customer.ids, today), today, "realtime",
                )
                return Joining(program, nothing.tier.browse(row.tier_id), row.amount)
        return nothing

    @api.model
    def _enroll(self, programs, batch_size=DEFAULT_BATCH_SIZE):
        """Apply the membership of ``programs`` now: customers their filters (and order)
        give them join, customers they no longer match move to the program that matches
        them, or leave. Only the customers whose program changes are evaluated."""
        engine = self.sudo()  # sudo: membership follows the programs' objective rules
        history = engine.env["wholesale.loyalty.tier.history"]
        moves = engine._membership_moves(programs.sudo())
        targets, leavers = defaultdict(list), []
        for (partner_id, _company_id), (old, new) in sorted(moves.items()):
            if new:
                targets[new].append(partner_id)
            else:
                leavers.append((partner_id, old))
        for program in engine._active_programs():
            for batch in split_every(batch_size, targets.pop(program.id, []), list):
                history |= engine._evaluate_batch(program, batch, program._today(), "realtime")
        history |= engine._remove_members(engine._members_of(leavers), engine._today(), "program_change")
        history._notify_later()
        return history

    @api.model
    def _preview_membership(self, program, partner_domain=None, sequence=None):
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
    def _recalculate(self, programs=None, only_stale=False, batch_size=DEFAULT_BATCH_SIZE,
                     batch_limit=None, reason="recalculation", commit=False):
        """Evaluate every eligible customer of ``programs`` (all active ones by default) and
        return a :class:`Recalculation`, so that the user who asked for it can be told what
        changed and a scheduled run how many customers are left.

        With ``only_stale`` customers already evaluated today are skipped, which lets an
        interrupted run resume where it stopped. ``batch_limit`` stops after that many
        batches. ``commit`` commits after each batch (scheduled runs only: never inside a
        module install or a request).

        Each program's customers and their spend come from one aggregation query, read in
        batches through a database cursor: the work is planned as a whole, as one GROUP BY
        would be, and memory holds one batch at a time whatever the number of customers.
        """
        engine = self.sudo()  # sudo: scheduled, system-wide evaluation
        engine.env.flush_all()  # the engine reads partners and documents with SQL
        selected = programs.sudo() if programs else None
        commit = commit and may_commit(engine.env)
        evaluated, changes, batches_left = 0, Counter(), batch_limit
        # {company: member queries of its programs before}, which take their customers first
        earlier = defaultdict(list)
        statistics = _MemberStatistics(engine.env)
        for program in engine._active_programs():
            members = engine._members_query(program, earlier[program.company_id])
            earlier[program.company_id].append(members.select())
            if selected is not None and program not in selected:
                continue
            today = program._today()
            resume_after = engine._progress(program, today) if only_stale else None
            if resume_after:
                members.add_where(SQL("res_partner.id > %s", resume_after))
            total = engine.env.execute_query(members.select(SQL("COUNT(*)")))[0][0]
            if batches_left == 0:
                return Recalculation(total, evaluated, changes)

            def evaluate(rows, program=program, today=today):
                kinds = Counter(engine._evaluate_rows(program, rows, today, reason))
                statistics.opened(kinds["joined"])
                if only_stale:
                    engine._save_progress(program, today, rows[-1][0])
                return kinds

            with streamed(engine.env, engine._spend_rows_query(program, members, today), batch_size, commit) as rows:
                run = run_batches(engine.env, rows, total, evaluate, commit=commit, limit=batches_left,
                                  keep_items=False)
            evaluated += run.done
            changes.update(sum(run.results, Counter()))
            if run.remaining:
                return Recalculation(run.remaining, evaluated, changes)
            if batches_left is not None:
                batches_left -= -(-run.done // batch_size)  # batches used, the last one partial
        if programs is None:
            member_model = engine.env["wholesale.loyalty.member"]
            for batch in split_every(batch_size, engine._orphan_member_ids(earlier), list):
                changes["down"] += len(engine._remove_members(member_model.browse(batch), engine._today(), reason))
        return Recalculation(0, evaluated, changes)

    def _progress(self, program, today):
        """The id of the last customer of ``program`` that today's resumable run evaluated
        (customers are taken by id), or None when it has not started today."""
        progress = json.loads(self.env["ir.config_parameter"].get_param(PROGRESS_PARAMETER) or "{}")
        day, last_id = progress.get(str(program.id), (None, None))
        return last_id if day == str(today) else None

    def _save_progress(self, program, today, last_id):
        """Remember where today's resumable run of ``program`` is: committed with the batch,
        so that the next call goes on after it (customers whose state stays are not written,
        so their rows cannot tell)."""
        parameters = self.env["ir.config_parameter"]
        progress = json.loads(parameters.get_param(PROGRESS_PARAMETER) or "{}")
        progress[str(program.id)] = (str(today), last_id)
        parameters.set_param(PROGRESS_PARAMETER, json.dumps(progress))

    @api.model
    def _run_scheduled(self, batch_size=DEFAULT_BATCH_SIZE, batches_per_call=25):
        """Daily run: resumable, a bounded number of batches per call."""
        # Each batch reports its progress; Odoo runs the cron again at once while the last
        # report says work remains, and the next call resumes with the customers not yet done.
        remaining = self._recalculate(
            only_stale=True, batch_size=batch_size, batch_limit=batches_per_call, commit=True
        ).remaining
        notifications = self.env.ref(
            "wholesale_loyalty.ir_cron_send_tier_notifications", raise_if_not_found=False
        )
        if notifications:
            notifications._trigger()
        return remaining

    # ------------------------------------------------------------------ planning

    def _active_programs(self):
        programs = self.env["wholesale.loyalty.program"]
        return programs.browse(programs._active_program_ids())

    def _today(self):
        """Today in the current company's timezone, for work that spans programs."""
        timezone = self.env["wholesale.loyalty.program"]._company_timezone(self.env.company)
        return local_today(timezone, fields.Datetime.now())

    def _membership_moves(self, programs, overrides=None):
        """{(partner id, company id): (current program id, new program id or None)} for the
        customers whose program in a company changes because of ``programs``: those their
        filters take from the company's other programs and their own members whom another
        program of the company (or none) now claims.

        ``overrides`` maps a program id to the partner_domain / sequence to use instead
        of the saved ones. One search per program, restricted to the customers concerned.
        """
        moves = {}
        for company in programs.company_id:
            for partner_id, move in self._company_moves(programs, company, overrides or {}).items():
                moves[partner_id, company.id] = move
        return moves

    def _company_moves(self, programs, company, overrides):
        """{partner id: (current program id, new program id or None)}: see ``_membership_moves``,
        for the programs of ``company``."""
        ranked = []
        for program in self._active_programs().filtered(lambda program: program.company_id == company):
            override = overrides.get(program.id, {})
            sequence = override.get("sequence")
            ranked.append((
                program.sequence if sequence is None else sequence, program.id, program,
                program._eligibility_domain(override.get("partner_domain")),
            ))
        ranked.sort(key=lambda entry: entry[:2])
        partners = self.env["res.partner"]
        candidates = set(self._member_ids(programs.filtered(lambda program: program.company_id == company)))
        for _sequence, _id, program, domain in ranked:
            if program in programs:
                candidates.update(partners.search(domain).ids)
        current = self._current_programs(company, list(candidates))
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
        """The customers who are active members of ``programs``."""
        if not programs:
            return []
        self.env["wholesale.loyalty.member"].flush_model(["partner_id", "program_id", "active"])
        rows = self.env.execute_query(SQL(
            "SELECT partner_id FROM wholesale_loyalty_member WHERE program_id = ANY(%s) AND active",
            programs.ids,
        ))
        return [row[0] for row in rows]

    def _current_programs(self, company, partner_ids):
        """{partner id: the program of ``company`` it is an active member of}."""
        if not partner_ids:
            return {}
        self.env["wholesale.loyalty.member"].flush_model(["partner_id", "program_id", "company_id", "active"])
        return dict(self.env.execute_query(SQL(
            """SELECT partner_id, program_id FROM wholesale_loyalty_member
                WHERE partner_id = ANY(%s) AND company_id = %s AND active""",
            partner_ids, company.id,
        )))

    def _members_of(self, accounts):
        """The active members of the given (partner id, program id) pairs."""
        if not accounts:
            return self.env["wholesale.loyalty.member"]
        partner_ids, program_ids = zip(*accounts, strict=True)
        rows = self.env.execute_query(SQL(
            """SELECT m.id FROM wholesale_loyalty_member m
                 JOIN unnest(%s::int[], %s::int[]) AS v(partner_id, program_id)
                   ON v.partner_id = m.partner_id AND v.program_id = m.program_id
                WHERE m.active""",
            list(partner_ids), list(program_ids),
        ))
        return self.env["wholesale.loyalty.member"].browse(row[0] for row in rows)

    def _members_query(self, program, earlier):
        """Query of the customers ``program`` evaluates: those its filter matches and no
        program before it (``earlier``: their member queries) takes first."""
        members = self.env["res.partner"]._search(program._eligibility_domain())
        for claimed in earlier:
            # ``NOT IN`` on ids, not a negated domain: a negated condition on a column that
            # is NULL (a customer without reference, say) would match neither the domain
            # nor its negation.
            members.add_where(SQL("res_partner.id NOT IN (%s)", claimed))
        return members

    def _spend_rows_query(self, program, members, today):
        """(customer id, qualifying spend rounded to the currency, whether the state may
        change) of every customer of ``members``, by id: one aggregation of the program's
        spend (see ``_spend_query``) over all of them.

        A customer of the program, outside any grace period, whose stored spend is the new
        one and whose tier is the one that spend earns keeps its state whatever the rules
        decide: the database says so for every row at once, and the engine reads no more of
        such a customer. The tier a spend earns is the ladder's rule (``tier_sql``)."""
        date_from, date_to = qualification_window(program.qualification_period, today, program.period_months)
        ladder = program._ladder()
        digits = program.currency_id.decimal_places
        holders = self._floor_holders_query(program, today)
        return SQL(
            """SELECT member.id, ROUND(COALESCE(spend.amount, 0), %(digits)s),
                      NOT COALESCE(
                          m.active
                          AND m.downgrade_since IS NULL
                          AND m.qualifying_amount = ROUND(COALESCE(spend.amount, 0), %(digits)s)
                          AND m.tier_id IS NOT DISTINCT FROM %(earned_tier)s
                          AND %(no_floor)s,
                          FALSE)
                 FROM (%(members)s) AS member(id)
            LEFT JOIN wholesale_loyalty_member m ON m.partner_id = member.id AND m.program_id = %(program)s
            LEFT JOIN (%(spend)s) AS spend(partner_id, amount) ON spend.partner_id = member.id
             ORDER BY member.id""",
            members=members.select(), spend=program._spend_query(members.select(), date_from, date_to),
            program=program.id, digits=digits,
            no_floor=SQL("member.id NOT IN (%s)", holders) if holders else SQL("TRUE"),
            earned_tier=tier_sql(ladder, SQL("m.qualifying_amount")),
        )

    def _orphan_member_ids(self, member_queries):
        """Members of no program any more (filter changed, program archived): active members
        that none of their company's ``member_queries`` ({company: every active program's
        member query}) selects."""
        self.env["wholesale.loyalty.member"].flush_model(["partner_id", "company_id", "active"])
        kept = [
            SQL("(m.company_id = %s AND (%s))", company.id, SQL(" OR ").join(
                SQL("m.partner_id IN (%s)", members) for members in queries
            ))
            for company, queries in member_queries.items() if queries
        ]
        query = SQL(
            "SELECT m.id FROM wholesale_loyalty_member m WHERE m.active AND NOT (%s) ORDER BY m.id",
            SQL(" OR ").join(kept) if kept else SQL("FALSE"),
        )
        return [row[0] for row in self.env.execute_query(query)]

    # ------------------------------------------------------------------ one batch

    def _evaluate_batch(self, program, partner_ids, today, reason, unfunded=None, states=None):
        """Evaluate ``partner_ids`` for ``program``: write their state, return the history.
        ``states``: their current states, when the caller has read them (see ``_decide``)."""
        rows, changes = self._decide(program, partner_ids, self._qualifying_amounts(program, partner_ids, today),
                                     today, reason, unfunded, states)
        accounts = self._write_states(rows, changes)
        history = self._insert_history(changes, accounts)
        history._follow_up()
        return history

    def _evaluate_rows(self, program, spend_rows, today, reason):
        """Evaluate the customers of ``spend_rows`` (see ``_spend_rows_query``) for
        ``program``; return the kind of each tier change (``joined``, ``up``, ``down``,
        ``same``), and ``grace`` for each customer that fell below its tier today and keeps it
        for the grace period."""
        amounts = {partner_id: amount for partner_id, amount, may_change in spend_rows if may_change}
        if not amounts:
            return []
        rows, changes = self._decide(program, list(amounts), amounts, today, reason)
        accounts = self._write_states(rows, changes)
        self._insert_history(changes, accounts)._follow_up()
        changed = {change.partner_id for change in changes}
        # A customer that fell below its tier today keeps it for the grace period: no change
        # of tier, but one the user who recalculated must hear of.
        entered_grace = ["grace" for row in rows if row.downgrade_since == today and row.id not in changed]
        return [
            "joined" if change.reason in ("enrollment", "program_change") else change.direction
            for change in changes
        ] + entered_grace

    def _decide(self, program, partner_ids, amounts, today, reason, unfunded=None, states=None):
        """(partner states to write, history rows to insert) for ``partner_ids``, whose
        qualifying spend ``amounts`` gives ({id: amount rounded to the program's currency},
        nobody missing but those without).

        ``unfunded`` ({customer id: tier id}) names the paid tiers whose fee's money just
        went back: a customer holding such a tier, or a lower one, gets no downgrade grace.
        Grace softens spend that ages out of the window; a paid tier was held by the money,
        and the money is gone. ``states``: see ``_current_states``, read from the database
        when not given."""
        states = states if states is not None else self._current_states(program.company_id, partner_ids)
        ladder = program._ladder()
        move_notes = self._move_notes(program, states)
        thresholds = {step.tier_id: step.threshold for step in ladder}
        earned_tier = tier_finder(ladder)  # the ladder sorted once, not per customer
        floors = self._tier_floors(program, partner_ids, today)
        # Read once: a field read per customer costs more than the decision itself.
        rounding, grace_days = program.currency_id.rounding, program.downgrade_grace_days
        program_id, company_id = program.id, program.company_id.id
        rows, changes = [], []
        for partner_id in partner_ids:
            state = states[partner_id]
            amount = amounts.get(partner_id, 0.0)
            joined = state["program_id"] != program_id
            moved = joined and bool(state["program_id"])
            current = None if joined else state["tier_id"]
            if state["locked"] and not joined:
                decision_tier, downgrade_since = current, None
            else:
                lost = (unfunded or {}).get(partner_id)
                money_back = lost in thresholds and current in thresholds and thresholds[current] <= thresholds[lost]
                decision_tier, downgrade_since = decide_tier(
                    ladder,
                    current,
                    higher_tier(ladder, earned_tier(amount), floors.get(partner_id)),
                    None if joined else state["downgrade_since"],
                    today,
                    0 if money_back else grace_days,
                )
            tier_changed = joined or decision_tier != current
            since = today if tier_changed else state["tier_since"]
            row = PartnerState(partner_id, program_id, decision_tier, since, amount, downgrade_since, today)
            if self._state_differs(row, state, rounding):
                rows.append(row)
            if tier_changed:
                changes.append(HistoryRow(
                    partner_id=partner_id,
                    program_id=program_id,
                    company_id=company_id,
                    date=today,
                    old_tier_id=state["tier_id"],
                    new_tier_id=decision_tier,
                    qualifying_amount=amount,
                    reason="program_change" if moved else "enrollment" if joined else reason,
                    direction=change_direction(
                        TierPlace(state["program_id"], thresholds.get(state["tier_id"])),
                        TierPlace(program_id, thresholds.get(decision_tier)),
                    ),
                    notification_pending=not moved and self._worth_notifying(decision_tier, joined, ladder),
                    old_program_id=state["program_id"] if moved else None,
                    note=move_notes.get(partner_id) if moved else None,
                ))
        return rows, changes

    def _tier_floors(self, program, partner_ids, today):
        """{customer id: tier id} of the customers of ``partner_ids`` who hold at least that
        tier of ``program`` on ``today`` whatever their spend (a paid membership)."""
        return self.env["wholesale.loyalty.membership"]._tier_floors(program, partner_ids, today)

    def _floor_holders_query(self, program, today):
        """SQL query selecting the ids of the customers with a tier floor (see
        :meth:`_tier_floors`) in ``program`` on ``today``, or None when nobody has one."""
        return self.env["wholesale.loyalty.membership"]._floor_holders_query(program, today)

    @staticmethod
    def _state_differs(row, state, rounding):
        """Whether ``row`` changes what ``state`` (read from the database) holds: customers
        whose state stays are not written at all."""
        return (
            (row.program_id, row.tier_id, row.since, row.downgrade_since)
            != (state["program_id"], state["tier_id"], state["tier_since"], state["downgrade_since"])
            or state["amount"] is None
            or float_compare(row.amount, state["amount"], precision_rounding=rounding) != 0
        )

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
        """Qualifying spend per commercial partner over the program's window on ``today``, rounded to
        the currency: one aggregation query (the rule is the program's, see ``_spend_query``)."""
        date_from, date_to = qualification_window(
            program.qualification_period, today, program.period_months
        )
        rounding = program.currency_id.rounding
        return {
            partner_id: float_round(amount, precision_rounding=rounding)
            for partner_id, amount in program._spend_by_partner(partner_ids, date_from, date_to).items()
        }

    def _current_states(self, company, partner_ids):
        """{partner id: state of its active member in ``company``} (``NO_STATE`` without one)."""
        return self._states_in(self._active_accounts(partner_ids, company), company, partner_ids)


    def _write_states(self, rows, changes=()):
        """Write the batch's states on the members of the programs, creating those of
        customers who join: customers moving from another program of the company (``changes``
        says who) first leave it, then one upsert writes every row. Members whose values did
        not change are left untouched. A new account holds no points: every ledger entry
        belongs to an account already (``member_id``), and an existing one keeps its balance.

        :return: {customer id: its member written} (in the batch's program)
        """
        if not rows:
            return {}
        columns = {name: array_literal(column) for name, column in zip(PartnerState._fields, zip(*rows, strict=True),
                                                                         strict=True)}
        member_model = self.env["wholesale.loyalty.member"]
        member_model.flush_model()
        movers = {change.partner_id for change in changes if change.reason == "program_change"}
        left = self._archive_left_accounts([row for row in rows if row.id in movers])
        written = self.env.execute_query(SQL(
            """INSERT INTO wholesale_loyalty_member AS m
                      (partner_id, program_id, company_id, active, tier_id, tier_since, qualifying_amount,
                       downgrade_since, tier_evaluated_on, tier_locked, points_balance,
                       create_uid, write_uid, create_date, write_date)
               SELECT v.id, v.program_id, pr.company_id, TRUE, v.tier_id, v.since, v.amount,
                      v.downgrade_since, v.evaluated_on, FALSE, 0,
                      %(uid)s, %(uid)s, %(now)s, %(now)s
                 FROM unnest(%(id)s::int[], %(program_id)s::int[], %(tier_id)s::int[], %(since)s::date[],
                             %(amount)s::numeric[], %(downgrade_since)s::date[], %(evaluated_on)s::date[])
                      AS v(id, program_id, tier_id, since, amount, downgrade_since, evaluated_on)
                 JOIN wholesale_loyalty_program pr ON pr.id = v.program_id
               ON CONFLICT (partner_id, program_id) DO UPDATE
                  SET active = TRUE, tier_id = EXCLUDED.tier_id, tier_since = EXCLUDED.tier_since,
                      qualifying_amount = EXCLUDED.qualifying_amount, downgrade_since = EXCLUDED.downgrade_since,
                      tier_evaluated_on = EXCLUDED.tier_evaluated_on,
                      write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                WHERE (m.active, m.tier_id, m.tier_since, m.qualifying_amount, m.downgrade_since, m.tier_evaluated_on)
                      IS DISTINCT FROM
                      (TRUE, EXCLUDED.tier_id, EXCLUDED.tier_since, EXCLUDED.qualifying_amount,
                       EXCLUDED.downgrade_since, EXCLUDED.tier_evaluated_on)
            RETURNING m.id, m.partner_id""",
            uid=self.env.uid, now=fields.Datetime.now(), **columns,
        ))
        member_model.browse(row[0] for row in left + written)._sql_written(MEMBER_STATE_FIELDS)
        return {partner_id: member_id for member_id, partner_id in written}

    def _archive_left_accounts(self, rows):
        """Archive the accounts the customers of ``rows`` hold in the other programs of the
        company of the program they move to: one active program per customer and company."""
        if not rows:
            return []
        return self.env.execute_query(SQL(
            """UPDATE wholesale_loyalty_member m
                  SET active = FALSE, tier_id = NULL, tier_since = NULL, downgrade_since = NULL,
                      qualifying_amount = 0, tier_locked = FALSE, tier_lock_reason = NULL,
                      write_uid = %(uid)s, write_date = %(now)s
                 FROM unnest(%(ids)s::int[], %(program_ids)s::int[]) AS v(partner_id, program_id)
                 JOIN wholesale_loyalty_program pr ON pr.id = v.program_id
                WHERE m.partner_id = v.partner_id AND m.company_id = pr.company_id
                  AND m.program_id <> v.program_id AND m.active
            RETURNING m.id""",
            uid=self.env.uid, now=fields.Datetime.now(),
            ids=[row.id for row in rows], program_ids=[row.program_id for row in rows],
        ))

    def _insert_history(self, changes, accounts):
        """One INSERT for the batch's tier changes; at enrollment that is every customer. Each
        line points to the member ``_write_states`` just wrote for its customer (``accounts``:
        {customer id: member id}): a customer whose tier changes always has its state written."""
        history = self.env["wholesale.loyalty.tier.history"]
        if not changes:
            return history
        columns = {
            name: array_literal(column)
            for name, column in zip(HistoryRow._fields, zip(*changes, strict=True), strict=True)
        }
        rows = self.env.execute_query(SQL(
            """INSERT INTO wholesale_loyalty_tier_history
                      (partner_id, program_id, company_id, date, old_tier_id, new_tier_id,
                       qualifying_amount, reason, direction, notification_pending,
                       old_program_id, note, member_id, create_uid, write_uid, create_date, write_date)
               SELECT v.*, %(uid)s, %(uid)s, %(now)s, %(now)s
                 FROM unnest(%(partner_id)s::int[], %(program_id)s::int[], %(company_id)s::int[],
                             %(date)s::date[], %(old_tier_id)s::int[], %(new_tier_id)s::int[],
                             %(qualifying_amount)s::numeric[], %(reason)s::varchar[], %(direction)s::varchar[],
                             %(notification_pending)s::bool[], %(old_program_id)s::int[], %(note)s::text[],
                             %(member_id)s::int[]) AS v
            RETURNING id""",
            uid=self.env.uid, now=fields.Datetime.now(),
            member_id=array_literal([accounts[change.partner_id] for change in changes]), **columns,
        ))
        return history.browse([row[0] for row in rows])

    def _remove_members(self, members, today, reason):
        """Customers who no longer match any program of the company leave it, with a history
        line; their accounts are archived with the points they hold."""
        history = self.env["wholesale.loyalty.tier.history"]
        if not members:
            return history
        members = members.sudo()
        lang_envs = members.partner_id._wholesale_lang_envs()  # the notes are the customers'
        history = history.create([
            {
                "member_id": member.id,
                "partner_id": member.partner_id.id,
                "program_id": member.program_id.id,
                "date": today,
                "old_tier_id": member.tier_id.id,
                "new_tier_id": False,
                "reason": reason,
                "note": lang_envs[member.partner_id.id]._("No longer eligible for the program."),
            }
            for member in members
        ])
        self.env["wholesale.loyalty.member"].flush_model()
        self.env.execute_query(SQL(
            """UPDATE wholesale_loyalty_member
                  SET active = FALSE, tier_id = NULL, tier_since = NULL, downgrade_since = NULL,
                      qualifying_amount = 0, tier_evaluated_on = %s,
                      tier_locked = FALSE, tier_lock_reason = NULL
                WHERE id = ANY(%s)""",
            today, members.ids,
        ))
        members._sql_written([*MEMBER_STATE_FIELDS, "tier_locked", "tier_lock_reason"])
        history._follow_up()
        return history
