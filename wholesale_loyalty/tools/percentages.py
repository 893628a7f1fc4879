"""Percentages as people write them, shared by the payment terms, the rebates and the quotations."""


def format_percent(value):
    """A percentage as people write it: 3, 2.5, 0.75 (no trailing zeros)."""
    return f"{value:g}"


def percent_digits(value):
    """The decimals :func:`format_percent` shows (0 for 3, 1 for 2.5), to format the same
    percentage in a language's own format."""
    return len(format_percent(value).partition(".")[2])
