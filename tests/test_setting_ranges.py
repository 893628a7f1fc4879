"""The ranges of program and tier settings, one table (``tools/setting_ranges.py``): the
database constraints, the checks naming the program or tier, and the what-if simulation's
checks refuse the same values."""
from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.wholesale_loyalty.tools.setting_ranges import PROGRAM_RANGES, TIER_RANGES, in_range
from odoo.addons.wholesale_loyalty_reports.models.wholesale_loyalty_simulation import POINTS_FIELDS
from odoo.addons.wholesale_loyalty_reports.models.wholesale_loyalty_simulation_tier import (
    TIER_SETTINGS,
    setting_problem,
)

from .common import WholesaleLoyaltyCommon


def _edges(limit):
    """Values on and around the ends of a range."""
    values = [limit.minimum - 1, limit.minimum, limit.minimum + 0.5]
    if limit.maximum is not None:
        values += [limit.maximum, limit.maximum + 0.5]
    return values


@tagged("post_install", "-at_install")
class TestSettingRanges(WholesaleLoyaltyCommon):

    def _value(self, record, fname, value):
        return int(value) if record._fields[fname].type == "integer" else value

    def _refused_by_database(self, record, fname, value):
        try:
            with self.cr.savepoint(), mute_logger("odoo.sql_db"):
                self.env.cr.execute(SQL(
                    "UPDATE %s SET %s = %s WHERE id = %s",
                    SQL.identifier(record._table), SQL.identifier(fname), value, record.id,
                ))
        except IntegrityError:
            return True
        return False

    def _refused_by_write(self, record, fname, value):
        try:
            with self.cr.savepoint():
                record.write({fname: value})
                record.flush_recordset()
        except ValidationError:
            return True
        return False

    def test_program_and_tier_checks_refuse_what_the_database_refuses(self):
        # A tier alone on its program: no other threshold for a threshold to collide with.
        program = self.env["wholesale.loyalty.program"].create({"name": "Ranges", "active": False})
        tier = self.env["wholesale.loyalty.tier"].create({"name": "Only", "program_id": program.id})
        for record, ranges in ((program, PROGRAM_RANGES), (tier, TIER_RANGES)):
            for fname, limit in ranges.items():
                for value in {self._value(record, fname, value) for value in _edges(limit)}:
                    with self.subTest(model=record._name, field=fname, value=value):
                        refused = not in_range(ranges, fname, value)
                        self.assertEqual(self._refused_by_database(record, fname, value), refused)
                        self.assertEqual(self._refused_by_write(record, fname, value), refused)
                        if fname in POINTS_FIELDS + TIER_SETTINGS:
                            self.assertEqual(setting_problem(self.env, fname, value) is not None, refused)

    def test_a_negative_minimum_order_for_points_is_refused_naming_the_program(self):
        """The what-if simulation refused a negative minimum order; the program took it.
        Both refuse it now."""
        with self.assertRaisesRegex(ValidationError, "Program Test Program: the minimum order for points cannot "
                                                     "be negative"):
            self.program.write({"points_min_order_amount": -1.0})
        self.assertEqual(self.program.points_min_order_amount, 0.0)
        with self.assertRaisesRegex(ValidationError, "Program Bad: the minimum order for points cannot be negative"):
            self.env["wholesale.loyalty.program"].create({"name": "Bad", "points_min_order_amount": -0.01})
        self.assertFalse(self.env["wholesale.loyalty.program"].search([("name", "=", "Bad")]))
