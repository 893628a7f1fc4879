"""How every scheduled action works through its records (``tools/batches.py``): batches,
progress the scheduler shows, commits, and a failure kept to the customer it concerns."""
import gc

from odoo.tests import TransactionCase, tagged

from odoo.addons.wholesale_loyalty.tools.batches import batches, collector_paused, may_commit, run_in_batches

BATCHES_LOGGER = "odoo.addons.wholesale_loyalty.tools.batches"


@tagged("post_install", "-at_install")
class TestBatches(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls.env["res.partner"].create([{"name": f"Batch customer {n}"} for n in range(5)])
        cls.faulty = cls.partners[2]

    def _mark(self, batch):
        """The work of a batch: a real write, then a failure when the faulty customer is in it."""
        batch.write({"ref": "processed"})
        if self.faulty in batch:
            raise ValueError(f"cannot process {self.faulty.name}")
        return batch.ids

    def test_failing_customer_is_isolated_and_the_others_are_processed(self):
        with self.assertLogs(BATCHES_LOGGER, "ERROR") as logs:
            run = run_in_batches(
                self.env, self.partners, 2, self._mark, commit=True,
                isolate="Test work", describe=lambda partner: f"customer {partner.id}",
            )
        others = self.partners - self.faulty
        self.assertEqual(others.mapped("ref"), ["processed"] * 4)
        self.assertFalse(self.faulty.ref, "the failed customer's write is rolled back")
        self.assertEqual(run.succeeded, list(others))
        self.assertEqual((run.done, run.remaining), (5, 0))
        self.assertEqual(sorted(i for ids in run.results for i in ids), sorted(others.ids))
        self.assertEqual(len(logs.records), 1)
        self.assertIn(f"Test work failed for customer {self.faulty.id}", logs.output[0])

    def test_without_isolation_a_failure_stops_the_run(self):
        with self.assertRaisesRegex(ValueError, "cannot process"), self.env.cr.savepoint():
            run_in_batches(self.env, self.partners, 2, self._mark, commit=False)

    def test_progress_is_reported_to_the_scheduler_after_each_batch(self):
        cron = self.env.ref("wholesale_loyalty.ir_cron_expire_points")
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id, "remaining": 0, "done": 0})
        seen = []

        def work(batch):
            seen.append((progress.done, progress.remaining))
            return len(batch)

        env = self.env(context=dict(self.env.context, ir_cron_progress_id=progress.id))
        run_in_batches(env, self.partners, 2, work, commit=True)
        self.assertEqual(seen, [(0, 0), (2, 3), (4, 1)])
        self.assertRecordValues(progress, [{"done": 5, "remaining": 0}])

    def test_batch_limit_leaves_the_rest_for_the_next_call(self):
        run = run_in_batches(self.env, self.partners[:2] | self.partners[3:], 2, self._mark, commit=True, limit=1)
        self.assertEqual((run.done, run.remaining), (2, 2))
        self.assertEqual(self.partners.mapped("ref"), ["processed", "processed", False, False, False])

    def test_batches_never_mix_keys(self):
        items = [("a", 1), ("a", 2), ("a", 3), ("b", 4), ("b", 5)]
        self.assertEqual(
            list(batches(items, 2, key=lambda item: item[0])),
            [[("a", 1), ("a", 2)], [("a", 3)], [("b", 4), ("b", 5)]],
        )
        self.assertEqual(list(batches(self.partners, 2))[-1], self.partners[4:])

    def test_tests_never_commit(self):
        # The run above committed nothing either: this test's data is rolled back with it.
        self.assertFalse(may_commit(self.env))

    def test_collector_paused_for_the_block_and_restored_as_it_was(self):
        self.assertTrue(gc.isenabled())
        with self.assertRaises(ValueError), collector_paused():
            self.assertFalse(gc.isenabled())
            raise ValueError("a failure inside the block")
        self.assertTrue(gc.isenabled(), "restored after a failure")
        gc.disable()
        try:
            with collector_paused():
                self.assertFalse(gc.isenabled())
            self.assertFalse(gc.isenabled(), "a collector that was off stays off")
        finally:
            gc.enable()
