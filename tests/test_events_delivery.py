"""Two delivery workers at once, for real: each in its own thread and database cursor,
committing every batch, against one endpoint on 127.0.0.1."""
import json
from collections import Counter, defaultdict

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged

from .concurrency import DONE, run_together
from .webhook_receiver import Receiver

CUSTOMERS = 6
EVENTS_PER_CUSTOMER = 10


@tagged("post_install", "-at_install")
class TestConcurrentDelivery(BaseCase):
    """Runs outside the usual test transaction: the events are committed, and each worker
    commits what it delivered, as two cron workers would."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.receiver = Receiver().__enter__()
        cls.addClassCleanup(cls.receiver.__exit__, None, None, None)
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            cls.webhook_id = env["wholesale.loyalty.webhook"].create({
                "name": "Concurrency CRM", "url": cls.receiver.url("/ok"), "secret": "s", "company_id": company.id,
            }).id
            partners = env["res.partner"].create([{"name": f"Delivery customer {i}"} for i in range(CUSTOMERS)])
            cls.partner_ids = partners.ids
            # Interleaved, as events of many customers come in: a customer's come in order.
            env["wholesale.loyalty.event"]._queue_batch([
                ("points.earned", company.id, partner.id, {"partner_id": partner.id, "sequence": sequence})
                for sequence in range(EVENTS_PER_CUSTOMER) for partner in partners
            ])

    @classmethod
    def tearDownClass(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["wholesale.loyalty.webhook"].browse(cls.webhook_id).unlink()  # its events and deliveries go too
            env["res.partner"].browse(cls.partner_ids).write({"active": False})
        super().tearDownClass()

    def test_two_workers_deliver_each_event_once_and_in_order(self):
        outcomes = run_together(self.registry, {
            worker: lambda env: env["wholesale.loyalty.event"]._deliver_pending(batch_size=7, commit=True)
            for worker in ("first", "second")
        })
        self.assertEqual(outcomes, {"first": DONE, "second": DONE})
        received = self.receiver.on("/ok")
        ids = Counter(request.headers["webhook-id"] for request in received)
        self.assertEqual(len(ids), CUSTOMERS * EVENTS_PER_CUSTOMER)
        self.assertEqual(set(ids.values()), {1}, "each event is posted once")
        sequences = defaultdict(list)
        for request in received:
            body = json.loads(request.body)
            sequences[body["data"]["partner_id"]].append(body["data"]["sequence"])
        self.assertEqual(dict(sequences), {pid: list(range(EVENTS_PER_CUSTOMER)) for pid in self.partner_ids},
                         "a customer's events arrive in the order they happened")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            events = env["wholesale.loyalty.event"].search([("webhook_id", "=", self.webhook_id)])
            self.assertEqual(set(events.mapped("state")), {"sent"})
            self.assertEqual(set(events.mapped("attempts")), {1})
