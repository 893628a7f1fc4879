"""The what-if replay nets credit notes against their invoices as the points engine does:
a credit note takes back what its invoice earned less what the invoice's net amount earns,
not the points of its own amount. Today is 20 March 2026; the window is 21 March 2025 to
20 March 2026; 1 point per 100, everyone at Silver (x1)."""
from datetime import date

from freezegun import freeze_time
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.wholesale_loyalty.tools.points_rules import points_for_amount, points_to_hold
from odoo.addons.wholesale_loyalty_reports.models.wholesale_loyalty_simulation import (
    _credit_note_correction_sql,
    _document_points_sql,
    _ReplayRule,
)

from .common import WholesaleLoyaltyCommon

TODAY = date(2026, 3, 20)


@tagged("post_install", "-at_install")
class TestSimulationCreditNotes(WholesaleLoyaltyCommon):

    @classmethod
    def setUpClass(cls):
        cls.startClassPatcher(freeze_time(TODAY))
        super().setUpClass()
        cls.program.write({"qualification_period": "rolling", "period_months": 12, "downgrade_grace_days": 0})
        cls.alpha = cls.customer
        cls.beta = cls._customer("Beta Wholesale")
        cls.gamma = cls._customer("Gamma Supplies")
        cls.delta = cls._customer("Delta Distribution")
        # 150 earns 1 point; credited 60, the 90 left earn none: the point goes back.
        cls._refund(cls._invoice(cls.alpha, 150, "2026-01-10"), 60, "2026-02-01")
        # The same, the invoice before the window: the window only sees the point go back.
        cls._refund(cls._invoice(cls.beta, 150, "2025-01-10"), 60, "2026-02-01")
        # 900 earns 9; a credit note of no invoice takes the 2 points of its 250.
        cls._invoice(cls.gamma, 900, "2026-01-05")
        cls._invoice(cls.gamma, 250, "2026-02-01", move_type="out_refund")
        # 250 earns 2; credited 60 (190 left: 1 point) then 60 again (130 left: still 1).
        delta_invoice = cls._invoice(cls.delta, 250, "2026-01-10")
        cls._refund(delta_invoice, 60, "2026-02-01")
        cls._refund(delta_invoice, 60, "2026-02-15")
        cls.program.action_recalculate_tiers()

    def _engine_points(self, customer):
        entries = self.env["wholesale.loyalty.ledger"].search([("partner_id", "=", customer.id)])
        return sum(entries.mapped("points"))

    def test_replay_takes_back_what_the_engine_takes_back(self):
        self.assertEqual(
            [self._engine_points(customer) for customer in (self.alpha, self.gamma, self.delta)], [0, 7, 1],
            "the engine, the oracle: what each customer's documents left them",
        )
        simulation = self.env["wholesale.loyalty.simulation"].create({"program_id": self.program.id})
        now, then, _moves = simulation._simulate()
        # Alpha 0, Beta -1 (only the credit note is in the window), Gamma 9 - 2, Delta 2 - 1.
        self.assertEqual(now.points, 7)
        self.assertEqual(then.points, 7)
        self.assertEqual(simulation.current_points, 7)

    def test_replay_counts_a_paid_trigger_invoice_credited_in_full_for_nothing(self):
        """On payment, an invoice credited in full is never paid: it earned nothing, and its
        credit note takes nothing back."""
        self.program.points_trigger = "paid"
        # 300 credited 200: never paid, so never earned, and nothing for the credit note to take.
        epsilon = self._customer("Epsilon Foods")
        self._refund(self._invoice(epsilon, 300, "2026-01-10"), 200, "2026-02-01")
        self.assertEqual(self._engine_points(epsilon), 0)
        simulation = self.env["wholesale.loyalty.simulation"].create({"program_id": self.program.id})
        now, _then, _moves = simulation._simulate()
        # Nothing was paid: only Gamma's credit note of no invoice takes its 2 points.
        self.assertEqual(now.points, -2)


@tagged("post_install", "-at_install")
class TestReplayCreditNoteSql(TransactionCase):
    """The replay's SQL of an invoice and its credit notes (``_document_points_sql`` over the
    documents, ``_credit_note_correction_sql`` over the credit notes of an invoice), run by
    PostgreSQL, leaves what the engine's rule leaves the invoice holding: its rule on its net
    amount, never more than it earned, nothing when it earned nothing."""

    def _replay_points(self, rule, invoice, refunds, earns):
        replay_rule = _ReplayRule(*rule)
        documents = SQL(", ").join(SQL("(%s::numeric)", amount) for amount in [invoice, *(-r for r in refunds)])
        self.env.cr.execute(SQL(
            "SELECT SUM(%s) FROM (VALUES %s) AS m(amount_untaxed_signed)",
            _document_points_sql(replay_rule, SQL("%s", earns)), documents,
        ))
        [(counted,)] = self.env.cr.fetchall()
        nets = [invoice - sum(refunds[:count + 1]) for count in range(len(refunds))]
        notes = SQL(", ").join(
            SQL("(%s::numeric, %s::numeric, %s, %s::numeric)", -refund, invoice, earns, net)
            for refund, net in zip(refunds, nets, strict=True)
        )
        self.env.cr.execute(SQL(
            "SELECT SUM(%s) FROM (VALUES %s) AS n(amount, invoiced, earns, net_after)",
            _credit_note_correction_sql(replay_rule), notes,
        ))
        [(corrections,)] = self.env.cr.fetchall()
        return int(counted + corrections)

    @settings(max_examples=100, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(
        invoice=st.integers(min_value=1, max_value=10**8).map(lambda cents: cents / 100),
        refunds=st.lists(st.integers(min_value=1, max_value=10**8).map(lambda cents: cents / 100),
                         min_size=1, max_size=4),
        rule=st.tuples(
            st.sampled_from([100.0, 50.0, 12.5, 0.3, 1000.0]), st.integers(min_value=1, max_value=5),
            st.sampled_from([1.0, 1.5, 2.25, 0.5]), st.sampled_from([0.0, 100.0, 999.99]), st.just(0.01),
        ),
        earns=st.booleans(),
    )
    @example(invoice=150.0, refunds=[60.0], rule=(100.0, 1, 1.0, 0.0, 0.01), earns=True)
    def test_replay_leaves_what_the_engine_leaves(self, invoice, refunds, rule, earns):
        step, per_step, multiplier, minimum, rounding = rule

        def earn_points(amount):
            return points_for_amount(amount, step, per_step, multiplier, minimum, rounding=rounding)

        earned = earn_points(invoice) if earns else 0
        expected = points_to_hold(earned, invoice - sum(refunds), earn_points, rounding=rounding)
        self.assertEqual(self._replay_points(rule, invoice, refunds, earns), expected)
