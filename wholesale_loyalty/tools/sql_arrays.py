"""Columns of values passed to PostgreSQL as array literals."""

import datetime


def array_literal(values):
    """``values`` (ints, floats, strings, booleans, dates, ``None``) as the text of one
    PostgreSQL array literal, for ``unnest(%s::int[])`` and the like.

    psycopg2 sends a Python list as an ``ARRAY[...]`` constructor: one expression per
    element, which the server parses and plans one by one; a batch of thousands of rows
    spends more time there than in writing them. A literal is one string, read at once.
    """
    return "{" + ",".join([_FORMATS.get(type(value), _quoted)(value) for value in values]) + "}"


def _quoted(value):
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


# By exact type: a bool is an int to isinstance, and must not be written as 1 or 0.
_FORMATS = {
    type(None): lambda _value: "NULL",
    bool: lambda value: "t" if value else "f",
    int: str,
    float: repr,
    datetime.date: datetime.date.isoformat,
    datetime.datetime: datetime.datetime.isoformat,
}
