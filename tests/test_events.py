"""Signed outbound events: queued with the change that causes them, posted after it to a real
HTTP endpoint on 127.0.0.1, signed, tried again with the same id, in order per customer."""
import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.wholesale_loyalty.tools.webhooks import MAX_ATTEMPTS, RETRY_DELAYS

from .common import WholesaleLoyaltyCommon
from .webhook_receiver import Receiver, verify

SECRET = "test-secret-ünïcode"


class EventsCommon(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wholesale.loyalty.webhook"].sudo().search([]).write({"active": False})
        cls.Event = cls.env["wholesale.loyalty.event"]
        # Odoo's tests raise a request timeout below 10 s to 10 s: the endpoint hangs longer.
        cls.receiver = Receiver(hang_seconds=12.0).__enter__()
        cls.addClassCleanup(cls.receiver.__exit__, None, None, None)

    def setUp(self):
        super().setUp()
        self.receiver.received.clear()
        self.receiver.answers.clear()

    def _endpoint(self, path="/ok", **values):
        return self.env["wholesale.loyalty.webhook"].create({
            "name": f"CRM {path}", "url": self.receiver.url(path), "secret": SECRET, **values,
        })

    def _events(self, webhook=None, event_type=None):
        domain = [("partner_id", "=", self.customer.id)]
        if webhook:
            domain.append(("webhook_id", "=", webhook.id))
        if event_type:
            domain.append(("event_type", "=", event_type))
        return self.Event.search(domain, order="id")

    def _deliver(self, after=timedelta(0), **kwargs):
        return self.Event._deliver_pending(now=fields.Datetime.now() + after, **kwargs)

    def _award(self, points=100, reason="Survey"):
        return self.env["wholesale.loyalty.points"]._award(self.customer, points, reason)


@tagged("post_install", "-at_install")
class TestEventDelivery(EventsCommon):

    def test_delivery_is_signed_and_carries_the_event(self):
        webhook = self._endpoint()
        entry = self._award(250)
        [event] = self._events(webhook)
        self.assertEqual((event.event_type, event.state, event.attempts), ("points.earned", "pending", 0))
        self.assertFalse(self.receiver.received, "nothing is posted inside the transaction of the change")

        self.assertEqual(self._deliver(), 1)
        [request] = self.receiver.on("/ok")
        # The signature recomputed from the secret, the id, the timestamp and the body received.
        headers = {name.lower(): value for name, value in request.headers.items()}
        self.assertEqual(headers["webhook-id"], event.uuid)
        signed = f"{event.uuid}.{headers['webhook-timestamp']}.{request.body}".encode()
        expected = "v1," + base64.b64encode(hmac.new(SECRET.encode(), signed, hashlib.sha256).digest()).decode()
        self.assertEqual(headers["webhook-signature"], expected)
        self.assertLessEqual(abs(int(headers["webhook-timestamp"]) - time.time()), 5)
        self.assertTrue(verify(SECRET, headers, request.body, now=int(time.time())))
        self.assertFalse(verify("another secret", headers, request.body))
        body = json.loads(request.body)
        self.assertEqual(set(body), {"id", "type", "created_at", "company_id", "data"})
        self.assertEqual((body["id"], body["type"], body["company_id"]),
                         (event.uuid, "points.earned", self.program.company_id.id))
        self.assertEqual(body["data"]["partner_id"], self.customer.id)
        self.assertEqual(body["data"]["entry_id"], entry.id)
        self.assertEqual((body["data"]["points"], body["data"]["balance"], body["data"]["kind"]), (250, 250, "bonus"))
        self.assertEqual((event.state, event.attempts, event.last_status_code), ("sent", 1, 200))
        self.assertEqual(event.delivery_ids.mapped("status"), ["sent"])
        self.assertEqual(webhook.failure_count, 0)
        self.assertTrue(webhook.last_success_at)
        self.assertEqual(self._deliver(), 0, "a sent event is not posted again")

    def test_refused_delivery_is_tried_again_later_with_the_same_id(self):
        webhook = self._endpoint("/flaky")
        self.receiver.answers["/flaky"] = [500]
        self._award()
        [event] = self._events(webhook)
        self._deliver()
        self.assertEqual((event.state, event.attempts, event.last_status_code), ("pending", 1, 500))
        self.assertIn("HTTP 500", event.last_error)
        self.assertGreater(event.next_attempt, fields.Datetime.now() + RETRY_DELAYS[0] - timedelta(seconds=10))
        self.assertEqual(self._deliver(), 0, "not before its next try")
        self._deliver(after=RETRY_DELAYS[0] + timedelta(seconds=1))
        self.assertEqual((event.state, event.attempts), ("sent", 2))
        ids = [request.headers["webhook-id"] for request in self.receiver.on("/flaky")]
        self.assertEqual(ids, [event.uuid, event.uuid], "the same id on every try")
        self.assertEqual(event.delivery_ids.sorted("attempt").mapped("response_code"), [500, 200])

    def test_timeout_pauses_the_endpoint_and_the_event_is_tried_again(self):
        webhook = self._endpoint("/hang")
        self._award()
        [event] = self._events(webhook)
        self._deliver(timeout=1)
        self.assertEqual((event.state, event.attempts), ("pending", 1))
        self.assertEqual(event.delivery_ids.status, "unreachable")
        self.assertIn("Timeout", event.last_error)
        self.assertTrue(webhook.paused_until)
        self.receiver.answers["/hang"] = [200]
        self._deliver(after=RETRY_DELAYS[0] + timedelta(seconds=1), timeout=1)
        self.assertEqual(event.state, "sent")
        self.assertEqual({request.headers["webhook-id"] for request in self.receiver.on("/hang")}, {event.uuid})
        self.assertFalse(webhook.paused_until)

    def test_tries_used_up_fail_the_event_and_archive_the_endpoint(self):
        webhook = self._endpoint("/fail")
        self._award()
        [event] = self._events(webhook)
        later = timedelta(0)
        for delay in (timedelta(0), *RETRY_DELAYS):
            later += delay + timedelta(seconds=1)
            self._deliver(after=later)
        self.assertEqual((event.state, event.attempts), ("failed", MAX_ATTEMPTS))
        self.assertEqual(len(self.receiver.on("/fail")), MAX_ATTEMPTS)
        self.assertFalse(webhook.active, "archived after repeated failures")
        admins = webhook._managers()
        self.assertIn(self.env.user, admins, "a loyalty administrator of the company")
        self.assertEqual(webhook.activity_ids.user_id, admins, "the administrators get an activity")
        mail = self.env["mail.mail"].sudo().search([("model", "=", webhook._name), ("res_id", "=", webhook.id)])
        self.assertIn("archived", mail.subject)
        self.assertEqual(mail.recipient_ids, admins.partner_id.filtered("email"))
        # Once the address is fixed and the endpoint restored, the event can be sent again.
        webhook.write({"url": self.receiver.url("/ok"), "active": True})
        event.action_send_again()
        self.assertEqual((event.state, event.attempts), ("pending", 0))
        self._deliver()
        self.assertEqual(event.state, "sent")
        self.assertEqual(len(event.delivery_ids), MAX_ATTEMPTS + 1, "the log keeps every try")

    def test_a_customers_events_arrive_in_order(self):
        webhook = self._endpoint("/order")
        self.receiver.answers["/order"] = [500]
        first, second = self._award(10, "First"), self._award(20, "Second")
        other = self.env["wholesale.loyalty.points"]._award(self._customer("Other Shop"), 5, "Other")
        self._deliver()

        def entries_received():
            bodies = [json.loads(request.body) for request in self.receiver.on("/order")]
            return [body["data"]["entry_id"] for body in bodies if body["type"] == "points.earned"]

        self.assertEqual(entries_received(), [first.id, other.id],
                         "the customer's second event waits for its first; another customer's goes")
        self._deliver(after=RETRY_DELAYS[0] + timedelta(seconds=1))
        self.assertEqual(entries_received(), [first.id, other.id, first.id, second.id])
        self.assertEqual(set(self._events(webhook).mapped("state")), {"sent"})

    def test_hanging_endpoint_does_not_delay_another(self):
        hanging, quick = self._endpoint("/hang"), self._endpoint("/ok")
        self._award()
        started = time.monotonic()
        self._deliver(timeout=1)
        [request] = self.receiver.on("/ok")
        self.assertLess(request.at - started, 1.0, "the quick endpoint is posted to at once")
        self.assertEqual(self._events(quick).state, "sent")
        self.assertEqual(self._events(hanging).state, "pending")

    def test_rolled_back_change_sends_nothing(self):
        self._endpoint()
        with self.assertRaises(UserError), self.env.cr.savepoint():
            self._award()
            raise UserError("the order failed")
        self.assertFalse(self._events())
        self.assertEqual(self._deliver(), 0)
        self.assertFalse(self.receiver.received)

    def test_endpoint_receives_its_types_and_its_company_only(self):
        tiers_only = self._endpoint("/tiers", event_types="tier.changed, tier.will_downgrade")
        other_company = self.setup_other_company()["company"]
        foreign = self._endpoint("/foreign", company_id=other_company.id)
        self._award()
        self._invoice(self.customer, 1500, "2026-01-10")  # Gold
        self.assertEqual(self._events(tiers_only).mapped("event_type"), ["tier.changed"])
        self.assertFalse(self.Event.search([("webhook_id", "=", foreign.id)]))

    def test_queueing_costs_no_query_without_endpoint_and_one_with_one(self):
        items = [("points.earned", self.program.company_id.id, self.customer.id, {"points": 1})]
        self.env["wholesale.loyalty.webhook"]._endpoints()  # cached, as after the first call of a worker
        self.assertEqual(self._queries(lambda: self.Event._queue_batch(items)), 0)
        self.assertEqual(self._queries(lambda: self.Event._listening({"points.earned"})), 0)
        self._endpoint()
        self.env["wholesale.loyalty.webhook"]._endpoints()
        self.env.flush_all()
        self.assertEqual(self._queries(lambda: self.Event._queue_batch(items * 50)), 1, "one INSERT for 50 events")
        # The delivery is scheduled when the transaction commits, not before.
        cron = self.env.ref("wholesale_loyalty.ir_cron_deliver_events")
        triggers = self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", cron.id)])
        self.assertEqual(self._queries(lambda: self.Event._queue_batch(items)), 1, "the trigger waits for the commit")
        self.env.cr.flush()  # what the commit runs first
        self.assertGreater(self.env["ir.cron.trigger"].sudo().search_count([("cron_id", "=", cron.id)]), len(triggers))
        # The whole path of a ledger entry: the balances and the events, two queries more.
        draft = self._invoice(self.customer, 300, "2026-01-10", post=False)
        self.env.flush_all()
        without, with_endpoint = self._post_counting(draft, active=False), None
        draft2 = self._invoice(self.customer, 300, "2026-01-11", post=False)
        self.env.flush_all()
        with_endpoint = self._post_counting(draft2, active=True)
        self.assertLessEqual(with_endpoint - without, 2, f"{without} queries without an endpoint, {with_endpoint} with")

    def _queries(self, function):
        before = self.env.cr.sql_log_count
        function()
        return self.env.cr.sql_log_count - before

    def _post_counting(self, invoice, active):
        self.env["wholesale.loyalty.webhook"].search([]).active = active
        self.env["wholesale.loyalty.webhook"]._endpoints()
        self.env.flush_all()
        before = self.env.cr.sql_log_count
        invoice.action_post()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before


@tagged("post_install", "-at_install")
class TestEventEndpoints(EventsCommon):

    def _signing_secret(self, webhook):
        """The secret the delivery signs with: a column of no field, read as the delivery does."""
        webhook.flush_recordset()
        self.env.cr.execute("SELECT signing_secret FROM wholesale_loyalty_webhook WHERE id = %s", [webhook.id])
        return self.env.cr.fetchone()[0]

    def test_bad_input_is_refused_and_writes_nothing(self):
        Webhook = self.env["wholesale.loyalty.webhook"]
        count = Webhook.search_count([])
        for values, message in (
            ({"url": "ftp://crm.example.com/hook"}, "http:// or https://"),
            ({"url": "crm.example.com/hook"}, "http:// or https://"),
            ({"url": "https://crm.example.com", "secret": ""}, "needs a signing secret"),
            ({"url": "https://crm.example.com", "secret": "   "}, "needs a signing secret"),
            ({"url": "https://crm.example.com", "event_types": "points.earned, order.placed"}, "order.placed"),
        ):
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, message), \
                    self.env.cr.savepoint():
                Webhook.create({"name": "Bad", **values})
        self.assertEqual(Webhook.search_count([]), count)
        webhook = self._endpoint()
        with self.assertRaisesRegex(ValidationError, "needs a signing secret"), self.env.cr.savepoint():
            webhook.write({"secret": ""})

    def test_other_companys_endpoint_is_refused(self):
        other_company = self.setup_other_company()["company"]
        foreign = self._endpoint("/foreign", company_id=other_company.id)
        with self.assertRaises(UserError), self.env.cr.savepoint():
            self.Event.sudo().create({
                "uuid": "x-1", "event_type": "points.earned", "webhook_id": foreign.id,
                "company_id": self.program.company_id.id, "partner_id": self.customer.id,
            })
        admin = self._company_user("events_admin", "wholesale_loyalty.group_wholesale_loyalty_manager")
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self.env["wholesale.loyalty.webhook"].with_user(admin).create({
                "name": "Elsewhere", "url": "https://crm.example.com", "company_id": other_company.id,
            })
        with self.assertRaises(AccessError):
            foreign.with_user(admin).read(["url"])

    def test_secret_is_shown_once_and_rotates(self):
        webhook = self.env["wholesale.loyalty.webhook"].create({"name": "CRM", "url": self.receiver.url("/ok")})
        proposed = self.env["wholesale.loyalty.webhook"].default_get(["secret"])["secret"]
        self.assertGreaterEqual(len(proposed), 32, "a new endpoint's form proposes a secret")
        self.assertFalse(webhook.read(["secret"])[0]["secret"], "never read back")
        self.assertNotIn("signing_secret", webhook._fields)
        old_secret = self._signing_secret(webhook)
        action = webhook.action_rotate_secret()
        new_secret = self._signing_secret(webhook)
        self.assertNotEqual(new_secret, old_secret)
        self.assertIn(new_secret, action["params"]["message"])
        self.assertEqual(webhook.secret_hint, "…" + new_secret[-4:])
        self._award()
        self._deliver()
        [request] = self.receiver.on("/ok")
        self.assertTrue(verify(new_secret, request.headers, request.body))
        self.assertFalse(verify(old_secret, request.headers, request.body))

    def test_sales_rep_sees_no_endpoint_nor_event(self):
        webhook = self._endpoint()
        self._award()
        event = self._events(webhook)
        rep = self._company_user("events_rep", "sales_team.group_sale_salesman")
        for model in ("wholesale.loyalty.webhook", "wholesale.loyalty.event", "wholesale.loyalty.event.delivery"):
            with self.assertRaises(AccessError):
                self.env[model].with_user(rep).search([])
        with self.assertRaises(AccessError):
            webhook.with_user(rep).read(["name", "url"])
        with self.assertRaises(AccessError):
            webhook.with_user(rep).action_rotate_secret()
        with self.assertRaises(AccessError):
            event.with_user(rep).action_send_again()
        with self.assertRaises(AccessError):
            webhook.with_user(rep).action_view_events()
