"""Bad configuration is refused with a clear message and writes nothing."""

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import WholesaleLoyaltyCommon


@tagged("post_install", "-at_install")
class TestBadInput(WholesaleLoyaltyCommon):

    def assertRefused(self, exception, message_part, write):
        tiers_before = self.env["wholesale.loyalty.tier"].search_count([])
        with mute_logger("odoo.sql_db"), self.assertRaises(exception) as caught, self.cr.savepoint():
            write()
            self.env.flush_all()
        if message_part:
            self.assertIn(message_part, str(caught.exception))
        self.assertEqual(self.env["wholesale.loyalty.tier"].search_count([]), tiers_before)

    def _new_tier(self, **values):
        return lambda: self.env["wholesale.loyalty.tier"].create({
            "program_id": self.program.id, "name": "Bad", "threshold_amount": 777, **values,
        })

    def test_negative_threshold(self):
        self.assertRefused(ValidationError, "Tier Bad of program Test Program", self._new_tier(threshold_amount=-1))

    def test_discount_outside_range(self):
        self.assertRefused(ValidationError, "discount", self._new_tier(discount_percent=101))
        self.assertRefused(ValidationError, "discount", self._new_tier(discount_percent=-1))

    def test_multiplier_not_positive(self):
        self.assertRefused(ValidationError, "multiplier", self._new_tier(points_multiplier=0))

    def test_duplicate_threshold(self):
        self.assertRefused(ValidationError, "same threshold", self._new_tier(threshold_amount=1000))

    def test_rolling_period_without_months(self):
        self.assertRefused(
            ValidationError, "rolling period",
            lambda: self.program.write({"qualification_period": "rolling", "period_months": 0}),
        )
        self.assertEqual(self.program.qualification_period, "lifetime")

    def test_unparsable_partner_domain(self):
        self.assertRefused(
            ValidationError, "cannot be used",
            lambda: self.program.write({"partner_domain": "[('name', '=',"}),
        )
        self.assertRefused(
            ValidationError, "cannot be used",
            lambda: self.program.write({"partner_domain": "[('no_such_field', '=', 1)]"}),
        )

    def test_program_with_bad_tier_writes_nothing(self):
        programs_before = self.env["wholesale.loyalty.program"].search_count([])
        self.assertRefused(ValidationError, "Tier bad of program Half", lambda: self.env[
            "wholesale.loyalty.program"].create({
            "name": "Half", "tier_ids": [Command.create({"name": "ok", "threshold_amount": 1}),
                                         Command.create({"name": "bad", "threshold_amount": -5})],
        }))
        self.assertEqual(self.env["wholesale.loyalty.program"].search_count([]), programs_before)

    def test_lock_without_reason(self):
        wizard = self.env["wholesale.loyalty.tier.lock.wizard"].create({
            "partner_id": self.customer.id, "tier_id": self.gold.id, "reason": " ",
        })
        with self.assertRaises(UserError), self.cr.savepoint():
            wizard.action_apply()
        self.assertTier(self.customer, self.silver)
        self.assertFalse(self.customer.wholesale_tier_locked)

    def test_messages_are_translated(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        with self.assertRaises(ValidationError) as caught, self.cr.savepoint():
            self.program.with_context(lang="ru_RU").write({"qualification_period": "rolling", "period_months": 0})
        self.assertNotIn("rolling period needs", str(caught.exception))
