"""Array literals read back by PostgreSQL as the values they were made of."""
from datetime import date, datetime

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.wholesale_loyalty.tools.sql_arrays import array_literal


@tagged("post_install", "-at_install")
class TestArrayLiteral(TransactionCase):

    def _read_back(self, values, sql_type):
        rows = self.env.execute_query(SQL("SELECT unnest(%s::" + sql_type + "[])", array_literal(values)))
        return [row[0] for row in rows]

    def test_texts_keep_quotes_backslashes_braces_commas_and_the_word_null(self):
        texts = ['say "hi"', "back\\slash", "{braces}, commas", "NULL", "", " spaced ", "Кириллица", None]
        self.assertEqual(self._read_back(texts, "text"), texts)

    def test_numbers_booleans_and_dates(self):
        self.assertEqual(self._read_back([1, None, -7], "int"), [1, None, -7])
        self.assertEqual(self._read_back([0.1, 1234.56, -2.5, None], "numeric"), [0.1, 1234.56, -2.5, None])
        self.assertEqual(self._read_back([True, False, None], "bool"), [True, False, None])
        self.assertEqual(self._read_back([date(2026, 2, 28), None], "date"), [date(2026, 2, 28), None])
        moment = datetime(2026, 12, 7, 21, 5, 3)
        self.assertEqual(self._read_back([moment], "timestamp"), [moment])

    def test_an_empty_column(self):
        self.assertEqual(self._read_back([], "int"), [])
