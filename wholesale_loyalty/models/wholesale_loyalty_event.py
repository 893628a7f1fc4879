import json
import logging
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import NamedTuple

import requests
from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.sql import create_index

from ..tools.access import LOYALTY_MANAGER, check_caller_groups
from ..tools.batches import may_commit
from ..tools.webhooks import EVENT_TYPES, MAX_ATTEMPTS, RETRY_DELAYS, after_failure, body, headers

_logger = logging.getLogger(__name__)

STATES = [("pending", "Pending"), ("sent", "Sent"), ("failed", "Failed")]
BATCH_SIZE = 200  # events claimed, posted and recorded per transaction
TIMEOUT_SECONDS = 5  # to connect, and then between bytes of the answer
TIME_LIMIT_SECONDS = 240  # a run hands over to the next one after this
PARALLEL_ENDPOINTS = 8  # endpoints posted to at once: a slow one holds up only its own events
CLAIM_TRIES = 5
ERROR_LENGTH = 500


class Claimed(NamedTuple):
    """An event a delivery run holds the lock of (columns of ``wholesale_loyalty_event``)."""

    id: int
    uuid: str
    event_type: str
    payload: dict
    create_date: datetime
    company_id: int
    webhook_id: int
    partner_id: int | None
    attempts: int


class Outcome(NamedTuple):
    """What posting one event gave."""

    event_id: int
    sent: bool
    unreachable: bool  # no answer at all (timeout, refused): the endpoint is paused
    status_code: int | None
    error: str | None
    at: datetime
    duration_ms: int


class WholesaleLoyaltyEvent(models.Model):
    """The outbox: one row per event and endpoint, written in the transaction of the change it
    reports (so a change rolled back sends nothing), posted after commit by the scheduled
    action "Wholesale Loyalty: deliver events", at least once.

    Every event is queued by :meth:`_queue_batch`. The delivery (:meth:`_deliver_pending`)
    claims events with ``FOR UPDATE SKIP LOCKED`` (several workers never post the same one),
    posts a customer's events to an endpoint in the order they happened (a later one waits
    for an earlier one still pending), and posts to each endpoint in a thread of its own with
    a short timeout (an endpoint that hangs holds up nothing but itself, and is paused).
    """

    _name = "wholesale.loyalty.event"
    _description = "Wholesale Loyalty Outbound Event"
    _order = "id desc"
    _rec_name = "uuid"
    _check_company_auto = True

    uuid = fields.Char(
        string="Event ID", required=True, readonly=True, copy=False,
        help="Sent as webhook-id, the same on every try: the receiving system drops duplicates by it.",
    )
    event_type = fields.Selection(EVENT_TYPES, required=True, readonly=True, index=True)
    payload = fields.Json(readonly=True)
    payload_text = fields.Text(string="Data", compute="_compute_payload_text")
    state = fields.Selection(STATES, required=True, default="pending", readonly=True, index=True)
    attempts = fields.Integer(readonly=True)
    next_attempt = fields.Datetime(readonly=True, help="No try before this time.")
    sent_at = fields.Datetime(readonly=True)
    last_status_code = fields.Integer(string="Last Response Code", readonly=True)
    last_error = fields.Text(readonly=True)
    webhook_id = fields.Many2one(
        "wholesale.loyalty.webhook", string="Endpoint", required=True, ondelete="cascade", index=True, readonly=True,
        check_company=True,
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", ondelete="set null", index="btree_not_null", readonly=True,
        help="A customer's events reach an endpoint in the order they happened.",
    )
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade", index=True, readonly=True)
    delivery_ids = fields.One2many("wholesale.loyalty.event.delivery", "event_id", string="Deliveries", readonly=True)

    _sql_constraints = [
        ("uuid_unique", "UNIQUE(uuid)", "An event ID is sent once per event."),
    ]

    def init(self):
        # What the delivery reads: due events, and the earlier pending ones of a customer.
        create_index(self.env.cr, "wholesale_loyalty_event_due_index", self._table, ["next_attempt", "id"],
                     where="state = 'pending'")
        create_index(self.env.cr, "wholesale_loyalty_event_chain_index", self._table,
                     ["webhook_id", "partner_id", "id"], where="state = 'pending'")

    @api.depends("payload")
    def _compute_payload_text(self):
        for event in self:
            event.payload_text = json.dumps(event.payload, indent=2, ensure_ascii=False, sort_keys=True)

    # ------------------------------------------------------------------ actions

    def action_send_again(self):
        """Post these events again, from their first try on, with the same id (loyalty
        administrators only)."""
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self.check_access("read")
        archived = self.webhook_id.filtered(lambda webhook: not webhook.active)
        if archived:
            raise UserError(self.env._(
                "Endpoint %(name)s is archived: restore it before sending its events again.",
                name=", ".join(archived.mapped("name")),
            ))
        # sudo: events are written by the delivery only; the caller is a loyalty administrator
        # who sees these events, and nothing but their schedule changes.
        self.sudo().write({"state": "pending", "attempts": 0, "next_attempt": fields.Datetime.now()})
        self._trigger_delivery()
        return True

    # ------------------------------------------------------------------ queueing

    @api.model
    def _listening(self, event_types, company_ids=None):
        """Whether an active endpoint (of one of ``company_ids``, by default of any company)
        receives one of ``event_types``: no query once the endpoints are cached. Callers ask
        it before they gather an event's data."""
        endpoints = self.env["wholesale.loyalty.webhook"]._endpoints()
        companies = endpoints if company_ids is None else company_ids
        return any(
            types is None or not types.isdisjoint(event_types)
            for company_id in companies for _webhook_id, types in endpoints.get(company_id, ())
        )

    @api.model
    def _queue_batch(self, items):
        """Queue events ``items`` [(event type, company id, customer id or None, data)] for
        the active endpoints of their company that receive their type: one INSERT, in the
        caller's transaction, and none at all when no endpoint listens. The delivery is
        triggered for when the transaction commits. Returns the number of rows queued."""
        endpoints = self.env["wholesale.loyalty.webhook"]._endpoints()
        if not endpoints:
            return 0
        rows = []
        for event_type, company_id, partner_id, data in items:
            payload = None
            for webhook_id, types in endpoints.get(company_id, ()):
                if types is None or event_type in types:
                    payload = payload or json.dumps(data, default=_json_value, ensure_ascii=False)
                    rows.append((str(uuid.uuid4()), event_type, payload, webhook_id, partner_id or None, company_id))
        if not rows:
            return 0
        now = fields.Datetime.now()
        columns = list(zip(*rows, strict=True))
        self.env.cr.execute(SQL(
            """INSERT INTO wholesale_loyalty_event
                      (uuid, event_type, payload, state, attempts, next_attempt, webhook_id, partner_id, company_id,
                       create_uid, write_uid, create_date, write_date)
               SELECT v.uuid, v.event_type, v.payload::jsonb, 'pending', 0, %(now)s, v.webhook_id, v.partner_id,
                      v.company_id, %(uid)s, %(uid)s, %(now)s, %(now)s
                 FROM unnest(%(uuid)s::varchar[], %(type)s::varchar[], %(payload)s::text[], %(webhook)s::int[],
                             %(partner)s::int[], %(company)s::int[]) WITH ORDINALITY
                      AS v(uuid, event_type, payload, webhook_id, partner_id, company_id, n)
                 -- An endpoint archived or deleted since it was cached gets nothing.
                 JOIN wholesale_loyalty_webhook w ON w.id = v.webhook_id AND w.active
             ORDER BY v.n""",
            now=now, uid=self.env.uid, uuid=list(columns[0]), type=list(columns[1]), payload=list(columns[2]),
            webhook=list(columns[3]), partner=list(columns[4]), company=list(columns[5]),
        ))
        self._trigger_delivery()
        return len(rows)

    @api.model
    def _trigger_delivery(self):
        """Have the delivery run as soon as this transaction commits, once per transaction:
        never inside the request that queued the events."""
        if self.env.cr.precommit.data.get("wholesale_loyalty.deliver_events"):
            return
        self.env.cr.precommit.data["wholesale_loyalty.deliver_events"] = True
        self.env.cr.precommit.add(self._trigger_cron)

    @api.model
    def _trigger_cron(self, at=None):
        cron = self.env.ref("wholesale_loyalty.ir_cron_deliver_events", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at)  # sudo: scheduling the add-on's own scheduled action

    @api.model
    def _partner_data(self, partner):
        """What every event says of its customer."""
        return {"partner_id": partner.id, "partner_name": partner.name, "partner_ref": partner.ref or None}

    # ------------------------------------------------------------------ delivery

    @api.model
    def _cron_deliver_events(self):
        self._deliver_pending()

    @api.model
    def _deliver_pending(self, batch_size=BATCH_SIZE, timeout=TIMEOUT_SECONDS, time_limit=TIME_LIMIT_SECONDS,
                         commit=None, now=None):
        """Post the events that are due, ``batch_size`` per transaction, until none is left or
        ``time_limit`` seconds have passed; with ``commit`` (by default outside tests) each
        batch is committed once recorded. ``now`` stands for the time (tests). Returns the
        number of events tried."""
        # sudo: the delivery is the add-on's own work, whoever triggered it; it reads the
        # endpoints' secrets, which no user can.
        self = self.sudo()
        commit = may_commit(self.env) if commit is None else commit
        started, done = time.monotonic(), 0
        sessions = defaultdict(requests.Session)
        with ThreadPoolExecutor(max_workers=PARALLEL_ENDPOINTS, thread_name_prefix="wholesale_events") as pool:
            while time.monotonic() - started < time_limit:
                claimed = self._claim_safely(batch_size, now, commit)
                if not claimed:
                    break
                self._record(claimed, self._post(claimed, pool, sessions, timeout), now)
                done += len(claimed)
                self.env["ir.cron"]._notify_progress(done=done, remaining=self._due_count(now))
                if commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
        for session in sessions.values():
            session.close()
        self._schedule_next(now)
        return done

    def _claim_safely(self, limit, now, commit):
        """:meth:`_claim`; a claim that ran into an event another worker just recorded is
        tried again in a new transaction (when committing)."""
        for attempt in range(CLAIM_TRIES):
            try:
                with self.env.cr.savepoint(flush=False):
                    return self._claim(limit, now)
            except SerializationFailure:
                if not commit or attempt == CLAIM_TRIES - 1:
                    raise
                self.env.cr.rollback()  # nothing of this batch was done yet; a new snapshot
        return []

    def _claim(self, limit, now=None):
        """Lock up to ``limit`` due events and return them as :class:`Claimed`, in order: the
        first pending event of each customer and endpoint (skipping those another worker
        holds), then the customer's next ones to that endpoint, as long as they are due."""
        now = now or fields.Datetime.now()
        self.flush_model()
        self.env["wholesale.loyalty.webhook"].flush_model(["active", "paused_until", "url"])
        heads = self.env.execute_query(SQL(
            """SELECT e.id, e.webhook_id, e.partner_id
                 FROM wholesale_loyalty_event e
                 JOIN wholesale_loyalty_webhook w ON w.id = e.webhook_id
                WHERE e.state = 'pending' AND e.next_attempt <= %(now)s
                  AND w.active AND (w.paused_until IS NULL OR w.paused_until <= %(now)s)
                  AND (e.partner_id IS NULL OR NOT EXISTS (
                        SELECT 1 FROM wholesale_loyalty_event p
                         WHERE p.state = 'pending' AND p.webhook_id = e.webhook_id
                           AND p.partner_id = e.partner_id AND p.id < e.id))
             ORDER BY e.id
                LIMIT %(limit)s
                  FOR UPDATE OF e SKIP LOCKED""",
            now=now, limit=limit,
        ))
        if not heads:
            return []
        ids = [row[0] for row in heads]
        chains = [(webhook_id, partner_id) for _id, webhook_id, partner_id in heads if partner_id]
        if chains and len(ids) < limit:
            ids += self._claim_followers(chains, set(ids), limit - len(ids), now)
        rows = self.env.execute_query(SQL(
            """SELECT id, uuid, event_type, payload, create_date, company_id, webhook_id, partner_id, attempts
                 FROM wholesale_loyalty_event WHERE id = ANY(%s) ORDER BY id""",
            ids,
        ))
        return [Claimed(*row) for row in rows]

    def _claim_followers(self, chains, heads, limit, now):
        """Ids of the customers' next events after the heads this worker holds, locked: those
        due and in a row (a customer's event not due yet stops its chain)."""
        webhook_ids, partner_ids = zip(*chains, strict=True)
        rows = self.env.execute_query(SQL(
            """SELECT e.id, e.webhook_id, e.partner_id, e.next_attempt <= %(now)s
                 FROM wholesale_loyalty_event e
                 JOIN unnest(%(webhooks)s::int[], %(partners)s::int[]) AS c(webhook_id, partner_id)
                   ON c.webhook_id = e.webhook_id AND c.partner_id = e.partner_id
                WHERE e.state = 'pending'
             ORDER BY e.id""",
            now=now, webhooks=list(webhook_ids), partners=list(partner_ids),
        ))
        stopped, wanted = set(), []
        for event_id, webhook_id, partner_id, due in rows:
            if event_id in heads or (webhook_id, partner_id) in stopped:
                continue
            if not due or len(wanted) >= limit:
                stopped.add((webhook_id, partner_id))
                continue
            wanted.append(event_id)
        if not wanted:
            return []
        # Only the worker holding a customer's head takes its followers: none is held elsewhere.
        locked = {row[0] for row in self.env.execute_query(SQL(
            "SELECT id FROM wholesale_loyalty_event WHERE id = ANY(%s) FOR UPDATE SKIP LOCKED", wanted,
        ))}
        return [event_id for event_id in wanted if event_id in locked]

    def _post(self, claimed, pool, sessions, timeout):
        """[:class:`Outcome`] of posting ``claimed``: each endpoint's events in a thread of its
        own (no database there), in order."""
        by_webhook = defaultdict(list)
        for event in claimed:
            by_webhook[event.webhook_id].append(event)
        endpoints = {
            webhook_id: (url, secret) for webhook_id, url, secret in self.env.execute_query(SQL(
                "SELECT id, url, signing_secret FROM wholesale_loyalty_webhook WHERE id = ANY(%s)", list(by_webhook),
            ))
        }
        futures = [
            pool.submit(_post_to_endpoint, sessions[webhook_id], *endpoints[webhook_id], events, timeout)
            for webhook_id, events in by_webhook.items()
        ]
        return [outcome for future in futures for outcome in future.result()]

    def _record(self, claimed, outcomes, now=None):
        """Write what the tries gave: the events' state and schedule, one delivery line per
        try, the endpoints' run of failures (pausing those that did not answer), and archive
        an endpoint whose event used up its tries while it kept failing."""
        now = now or fields.Datetime.now()
        events = {event.id: event for event in claimed}
        updates = []
        for outcome in outcomes:
            attempts = events[outcome.event_id].attempts + 1
            if outcome.sent:
                state, next_attempt, sent_at = "sent", None, outcome.at
            else:
                state, delay = after_failure(attempts)
                next_attempt, sent_at = (now + delay if delay else None), None
            updates.append((outcome.event_id, state, attempts, next_attempt, sent_at, outcome.status_code,
                            outcome.error))
        if not updates:
            return
        columns = list(zip(*updates, strict=True))
        self.env.cr.execute(SQL(
            """UPDATE wholesale_loyalty_event e
                  SET state = v.state, attempts = v.attempts, next_attempt = COALESCE(v.next_attempt, e.next_attempt),
                      sent_at = COALESCE(v.sent_at, e.sent_at), last_status_code = v.code, last_error = v.error,
                      write_date = %(now)s
                 FROM unnest(%(id)s::int[], %(state)s::varchar[], %(attempts)s::int[], %(next)s::timestamp[],
                             %(sent)s::timestamp[], %(code)s::int[], %(error)s::text[])
                      AS v(id, state, attempts, next_attempt, sent_at, code, error)
                WHERE e.id = v.id""",
            now=now, id=list(columns[0]), state=list(columns[1]), attempts=list(columns[2]), next=list(columns[3]),
            sent=list(columns[4]), code=list(columns[5]), error=list(columns[6]),
        ))
        self.env.cr.execute(SQL(
            """INSERT INTO wholesale_loyalty_event_delivery
                      (event_id, company_id, attempt, date, status, response_code, error, duration_ms,
                       create_uid, write_uid, create_date, write_date)
               SELECT v.event_id, e.company_id, v.attempt, v.date, v.status, v.code, v.error, v.duration,
                      %(uid)s, %(uid)s, %(now)s, %(now)s
                 FROM unnest(%(event)s::int[], %(attempt)s::int[], %(date)s::timestamp[], %(status)s::varchar[],
                             %(code)s::int[], %(error)s::text[], %(duration)s::int[])
                      AS v(event_id, attempt, date, status, code, error, duration)
                 JOIN wholesale_loyalty_event e ON e.id = v.event_id""",
            uid=self.env.uid, now=now,
            event=[outcome.event_id for outcome in outcomes],
            attempt=[events[outcome.event_id].attempts + 1 for outcome in outcomes],
            date=[outcome.at for outcome in outcomes],
            status=[_delivery_status(outcome) for outcome in outcomes],
            code=[outcome.status_code for outcome in outcomes],
            error=[outcome.error for outcome in outcomes],
            duration=[outcome.duration_ms for outcome in outcomes],
        ))
        self.invalidate_model()
        self.env["wholesale.loyalty.event.delivery"].invalidate_model()
        given_up = {events[update[0]].webhook_id for update in updates if update[1] == "failed"}
        self._record_endpoints(claimed, outcomes, given_up, now)

    def _record_endpoints(self, claimed, outcomes, given_up, now):
        webhook_of = {event.id: event.webhook_id for event in claimed}
        runs = {}  # endpoint id: [went through once, failures since, did not answer]
        for outcome in outcomes:
            run = runs.setdefault(webhook_of[outcome.event_id], [False, 0, False])
            if outcome.sent:
                run[:] = [True, 0, False]
            else:
                run[1] += 1
                run[2] = outcome.unreachable
        rows = [(webhook_id, *run) for webhook_id, run in runs.items()]
        columns = list(zip(*rows, strict=True))
        failing = self.env.execute_query(SQL(
            """UPDATE wholesale_loyalty_webhook w
                  SET failure_count = n.total,
                      last_success_at = CASE WHEN n.success THEN %(now)s ELSE w.last_success_at END,
                      paused_until = CASE WHEN n.unreachable
                                          THEN %(now)s + (%(delays)s::interval[])[LEAST(n.total, %(last)s)] END
                 FROM (SELECT v.*, CASE WHEN v.success THEN v.failures
                                        ELSE COALESCE(o.failure_count, 0) + v.failures END AS total
                         FROM unnest(%(id)s::int[], %(success)s::bool[], %(failures)s::int[], %(unreachable)s::bool[])
                              AS v(id, success, failures, unreachable)
                         JOIN wholesale_loyalty_webhook o ON o.id = v.id) AS n
                WHERE w.id = n.id
            RETURNING w.id, w.failure_count""",
            now=now, delays=[f"{int(delay.total_seconds())} seconds" for delay in RETRY_DELAYS],
            last=len(RETRY_DELAYS), id=list(columns[0]), success=list(columns[1]), failures=list(columns[2]),
            unreachable=list(columns[3]),
        ))
        webhooks = self.env["wholesale.loyalty.webhook"]
        webhooks.invalidate_model(["failure_count", "last_success_at", "paused_until"])
        worn_out = webhooks.browse(
            webhook_id for webhook_id, failures in failing if webhook_id in given_up and failures >= MAX_ATTEMPTS
        )
        if worn_out:
            worn_out._disable(self.env._(
                "Its events failed %(count)s times in a row, over more than a day: it is archived and its events "
                "wait. Check the address and the receiving system, then restore the endpoint and send the failed "
                "events again.",
                count=MAX_ATTEMPTS,
            ))

    @api.model
    def _due_count(self, now=None):
        return self.env.execute_query(SQL(
            "SELECT COUNT(*) FROM wholesale_loyalty_event WHERE state = 'pending' AND next_attempt <= %s",
            now or fields.Datetime.now(),
        ))[0][0]

    @api.model
    def _schedule_next(self, now=None):
        """Have the delivery run again when the next event waiting for a retry (or for its
        endpoint to be tried again) is due."""
        now = now or fields.Datetime.now()
        [(next_at,)] = self.env.execute_query(SQL(
            """SELECT MIN(GREATEST(e.next_attempt, w.paused_until))
                 FROM wholesale_loyalty_event e
                 JOIN wholesale_loyalty_webhook w ON w.id = e.webhook_id AND w.active
                WHERE e.state = 'pending' AND GREATEST(e.next_attempt, w.paused_until) > %s""",
            now,
        ))
        if next_at:
            self._trigger_cron(next_at)


def _post_to_endpoint(session, url, secret, events, timeout):
    """Post ``events`` (:class:`Claimed`, in order) to one endpoint; runs in a thread of its
    own, without the database. A customer's later events wait when one fails; all wait when
    the endpoint does not answer."""
    outcomes, failed_chains = [], set()
    for event in events:
        if event.partner_id in failed_chains:
            continue
        text = body(event.uuid, event.event_type, event.create_date.isoformat() + "Z", event.company_id,
                    event.payload)
        started = time.monotonic()
        at = fields.Datetime.now()
        try:
            response = session.post(
                url, data=text.encode(), headers=headers(secret, event.uuid, int(time.time()), text),
                timeout=timeout, allow_redirects=False,
            )
        except requests.RequestException as error:
            outcomes.append(Outcome(event.id, False, True, None, _error_text(error), at, _ms_since(started)))
            break  # the others would wait as long: they stay pending, untried
        sent = 200 <= response.status_code < 300
        error = None if sent else f"HTTP {response.status_code}: {response.text[:ERROR_LENGTH]}"
        outcomes.append(Outcome(event.id, sent, False, response.status_code, error, at, _ms_since(started)))
        if not sent and event.partner_id:
            failed_chains.add(event.partner_id)
    return outcomes


def _error_text(error):
    return f"{type(error).__name__}: {error}"[:ERROR_LENGTH]


def _ms_since(started):
    return int((time.monotonic() - started) * 1000)


def _delivery_status(outcome):
    return "sent" if outcome.sent else "unreachable" if outcome.unreachable else "failed"


def _json_value(value):
    """JSON of what the payloads hold besides plain values: dates, as ISO 8601 text."""
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
