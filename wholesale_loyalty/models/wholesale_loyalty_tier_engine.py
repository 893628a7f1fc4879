import logging

from odoo import api, fields, models
from odoo.modules.module import current_test
from odoo.tools import SQL, config, split_every

from ..tools.tier_rules import decide_tier, direction, qualification_window, tier_for_amount

_logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 2000


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
        today = fields.Date.context_today(self)
        history = engine.env["wholesale.loyalty.tier.history"]
        claimed = engine.env["res.partner"]
        for program in engine._active_programs():
            members = (partners - claimed).filtered_domain(program._eligibility_domain())
            claimed |= members
            if bases and program.qualification_basis not in bases:
                continue
            if members:
                history |= engine._evaluate_batch(program, members.ids, today, reason)
        leavers = (partners - claimed).filtered("wholesale_program_id")
        history |= engine._remove_from_program(leavers.ids, today, reason)
        history._send_notifications()
        return history

    @api.model
    def recalculate(self, programs=None, only_stale=False, batch_size=DEFAULT_BATCH_SIZE,
                    batch_limit=None, reason="recalculation", commit=False):
        """Evaluate every eligible customer of ``programs`` (all active ones by default).

        With ``only_stale`` customers already evaluated today are skipped, which lets an
        interrupted run resume where it stopped. ``batch_limit`` stops after that many
        batches. ``commit`` commits after each batch (scheduled runs only: never inside a
        module install or a request). Returns the number of customers left to evaluate.
        """
        engine = self.sudo()  # sudo: scheduled, system-wide evaluation
        today = fields.Date.context_today(self)
        work, claimed = engine._plan(programs, today, only_stale)
        total = sum(len(ids) for _program, ids in work)
        done = batches = 0
        for program, partner_ids in work:
            for batch in split_every(batch_size, partner_ids, list):
                if batch_limit is not None and batches >= batch_limit:
                    return total - done
                engine._evaluate_batch(program, batch, today, reason)
                done += len(batch)
                batches += 1
                engine._end_of_batch(done, total - done, commit)
        if programs is None:
            engine._remove_from_program(engine._orphan_member_ids(claimed), today, reason)
        return 0

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

    def _plan(self, programs, today, only_stale):
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
                eligible = self._stale_ids(program, eligible, today)
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

    def _end_of_batch(self, done, remaining, commit):
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if commit and self._may_commit():
            # A crash loses at most the batch in progress.
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _may_commit(self):
        """Scheduled work commits per batch, except under tests, which roll back."""
        return not (self.env.registry.in_test_mode() or config["test_enable"] or current_test)

    # ------------------------------------------------------------------ one batch

    def _evaluate_batch(self, program, partner_ids, today, reason):
        amounts = self._qualifying_amounts(program, partner_ids, today)
        states = self._current_states(partner_ids)
        ladder = program._ladder()
        rows, changes = [], []
        for partner_id in partner_ids:
            state = states[partner_id]
            amount = program.currency_id.round(amounts.get(partner_id, 0.0))
            joined = state["program_id"] != program.id
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
            rows.append((partner_id, program.id, decision_tier, since, amount, downgrade_since, today))
            if tier_changed:
                changes.append((
                    partner_id, program.id, program.company_id.id, today, state["tier_id"], decision_tier,
                    amount, "enrollment" if joined else reason,
                    direction(ladder, state["tier_id"], decision_tier),
                    self._worth_notifying(decision_tier, joined, ladder),
                ))
        self._write_states(rows)
        return self._insert_history(changes)

    def _worth_notifying(self, tier_id, joined, ladder):
        """Customers hear of tiers they earned; joining at a tier open to all is no news."""
        if not tier_id or self.env.context.get("wholesale_silent"):
            return False
        entry_level = next((step.threshold for step in ladder if step.tier_id == tier_id), 0.0) <= 0.0
        return not (joined and entry_level)

    def _qualifying_amounts(self, program, partner_ids, today):
        """Qualifying spend per commercial partner: one aggregation query."""
        date_from, date_to = qualification_window(
            program.qualification_period, today, program.period_months
        )
        query = self._spend_query(program, partner_ids, date_from, date_to)
        # Payment states and totals are computed fields: pending ORM writes must reach
        # the database before it is queried (only the fields the query reads).
        self.env["account.move"].flush_model([
            "commercial_partner_id", "state", "move_type", "company_id", "invoice_date",
            "amount_untaxed_signed", "payment_state",
        ])
        self.env["sale.order"].flush_model(["partner_id", "company_id", "state", "date_order",
                                            "amount_untaxed", "currency_rate"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["wholesale.loyalty.rebate"].flush_model(["move_id"])
        return dict(self.env.execute_query(query))

    def _spend_query(self, program, partner_ids, date_from, date_to):
        if program.qualification_basis == "confirmed":
            return SQL(
                """SELECT p.commercial_partner_id,
                          SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1))
                     FROM sale_order so
                     JOIN res_partner p ON p.id = so.partner_id
                    WHERE p.commercial_partner_id = ANY(%(ids)s)
                      AND so.company_id = %(company)s
                      AND so.state = 'sale'
                      AND (%(date_from)s::date IS NULL OR so.date_order >= %(date_from)s::date)
                      AND so.date_order < %(date_to)s::date + 1
                 GROUP BY p.commercial_partner_id""",
                ids=partner_ids, company=program.company_id.id, date_from=date_from, date_to=date_to,
            )
        # Credit notes carry a negative signed amount, so the sum is net of refunds. A
        # fully credited invoice is 'reversed' and its credit note 'paid': both count,
        # and cancel out, on the paid basis.
        paid_only = SQL("AND m.payment_state IN ('paid', 'in_payment', 'reversed')") \
            if program.qualification_basis == "paid" else SQL()
        return SQL(
            """SELECT m.commercial_partner_id, SUM(m.amount_untaxed_signed)
                 FROM account_move m
                WHERE m.commercial_partner_id = ANY(%(ids)s)
                  AND m.state = 'posted'
                  AND m.move_type IN ('out_invoice', 'out_refund')
                  AND m.company_id = %(company)s
                  AND (%(date_from)s::date IS NULL OR m.invoice_date >= %(date_from)s::date)
                  AND m.invoice_date <= %(date_to)s
                  %(paid_only)s
                  -- A rebate paid back is a reward, not a smaller purchase.
                  AND NOT EXISTS (SELECT 1 FROM wholesale_loyalty_rebate r WHERE r.move_id = m.id)
             GROUP BY m.commercial_partner_id""",
            ids=partner_ids, company=program.company_id.id, date_from=date_from,
            date_to=date_to, paid_only=paid_only,
        )

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
        columns = list(zip(*rows, strict=True))
        self.env.cr.execute(SQL(
            """UPDATE res_partner p
                  SET wholesale_program_id = v.program_id,
                      wholesale_tier_id = v.tier_id,
                      wholesale_tier_since = v.since,
                      wholesale_qualifying_amount = v.amount,
                      wholesale_downgrade_since = v.downgrade_since,
                      wholesale_tier_evaluated_on = v.evaluated_on
                 FROM unnest(%s::int[], %s::int[], %s::int[], %s::date[], %s::numeric[], %s::date[], %s::date[])
                      AS v(id, program_id, tier_id, since, amount, downgrade_since, evaluated_on)
                WHERE p.commercial_partner_id = v.id
                  AND (p.wholesale_program_id, p.wholesale_tier_id, p.wholesale_tier_since,
                       p.wholesale_qualifying_amount, p.wholesale_downgrade_since,
                       p.wholesale_tier_evaluated_on)
                      IS DISTINCT FROM
                      (v.program_id, v.tier_id, v.since, v.amount, v.downgrade_since, v.evaluated_on)""",
            *[list(column) for column in columns],
        ))
        self.env["res.partner"].invalidate_model([
            "wholesale_program_id", "wholesale_tier_id", "wholesale_tier_since",
            "wholesale_qualifying_amount", "wholesale_downgrade_since", "wholesale_tier_evaluated_on",
        ])

    def _insert_history(self, changes):
        """One INSERT for the batch's tier changes; at enrollment that is every customer."""
        history = self.env["wholesale.loyalty.tier.history"]
        if not changes:
            return history
        columns = [list(column) for column in zip(*changes, strict=True)]
        rows = self.env.execute_query(SQL(
            """INSERT INTO wholesale_loyalty_tier_history
                      (partner_id, program_id, company_id, date, old_tier_id, new_tier_id,
                       qualifying_amount, reason, direction, notification_pending,
                       create_uid, write_uid, create_date, write_date)
               SELECT v.*, %(uid)s, %(uid)s, %(now)s, %(now)s
                 FROM unnest(%(partner)s::int[], %(program)s::int[], %(company)s::int[],
                             %(date)s::date[], %(old)s::int[], %(new)s::int[], %(amount)s::numeric[],
                             %(reason)s::varchar[], %(direction)s::varchar[], %(pending)s::bool[]) AS v
            RETURNING id""",
            uid=self.env.uid, now=fields.Datetime.now(), partner=columns[0], program=columns[1],
            company=columns[2], date=columns[3], old=columns[4], new=columns[5], amount=columns[6],
            reason=columns[7], direction=columns[8], pending=columns[9],
        ))
        return history.browse([row[0] for row in rows])

    def _remove_from_program(self, partner_ids, today, reason):
        """Customers who no longer match any program leave it, with a history line."""
        history = self.env["wholesale.loyalty.tier.history"]
        if not partner_ids:
            return history
        states = self._current_states(partner_ids)
        history = history.create([
            {
                "partner_id": pid,
                "program_id": state["program_id"],
                "date": today,
                "old_tier_id": state["tier_id"],
                "new_tier_id": False,
                "reason": reason,
                "note": self.env._("No longer eligible for the program."),
            }
            for pid, state in states.items()
        ])
        self.env.cr.execute(SQL(
            """UPDATE res_partner
                  SET wholesale_program_id = NULL, wholesale_tier_id = NULL,
                      wholesale_tier_since = NULL, wholesale_downgrade_since = NULL,
                      wholesale_qualifying_amount = 0, wholesale_tier_evaluated_on = %s,
                      wholesale_tier_locked = FALSE, wholesale_tier_lock_reason = NULL
                WHERE commercial_partner_id = ANY(%s)""",
            today, partner_ids,
        ))
        self.env["res.partner"].invalidate_model()
        return history
