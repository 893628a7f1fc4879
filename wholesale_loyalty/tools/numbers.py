"""Numbers no setting or amount can hold, refused before the ORM rounds them.

Odoo rounds a float field to its digits before writing it, which overflows on the largest
floats (1e308 becomes infinity), and PostgreSQL refuses integers beyond 32 bits: a client
sending such a value would get a crash instead of an error it can read.
"""
import math

from odoo.exceptions import ValidationError

# Far beyond any amount, threshold or percentage a program holds, and exact to the cent.
MAX_NUMBER = 1e13
MAX_INTEGER = 2 ** 31 - 1
NUMBER_TYPES = {"float": MAX_NUMBER, "monetary": MAX_NUMBER, "integer": MAX_INTEGER}


def check_numbers(model, vals_list):
    """Refuse, naming the field, any number of ``vals_list`` (values for ``model``) that is not
    finite or is beyond what its field can hold."""
    for vals in vals_list:
        for name, value in vals.items():
            field = model._fields.get(name)
            limit = field and NUMBER_TYPES.get(field.type)
            if not limit or isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if not math.isfinite(value) or abs(value) > limit:
                raise ValidationError(model.env._(
                    "%(field)s: %(value)s is not a number this setting can hold.",
                    field=field._description_string(model.env), value=value,
                ))
