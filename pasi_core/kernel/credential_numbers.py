"""Credential numbers as this service issues them: ten digits, shown ``XXXXX-XXXXX``.

PASI's Credential Number Calculation Logic is not public.  Ours: a nine-digit
serial from a database sequence followed by a Luhn check digit, so a number
we issued and then mistyped is caught when it is read back.  The check digit
is ours alone: historical numbers loaded from PASI only need the ten digits.
"""
from __future__ import annotations

import re

DISPLAYED = re.compile(r"^[0-9]{5}-?[0-9]{5}$")


def luhn_digit(serial: str) -> str:
    total = 0
    for position, digit in enumerate(reversed(serial)):
        value = int(digit)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def with_check_digit(serial: int) -> str:
    digits = f"{serial:09d}"
    if len(digits) != 9:
        raise OverflowError("credential number serials are exhausted")
    return digits + luhn_digit(digits)


def has_our_check_digit(number: str) -> bool:
    digits = number.replace("-", "")
    return len(digits) == 10 and digits.isdigit() and luhn_digit(digits[:9]) == digits[9]


def is_well_formed(number: str) -> bool:
    """Ten digits, with or without the display hyphen (PASI's own numbers included)."""
    return bool(DISPLAYED.match(number))


def normalize(number: str) -> str:
    return number.replace("-", "")


def display(number: str) -> str:
    """``1234567890`` is shown ``12345-67890``."""
    return f"{number[:5]}-{number[5:]}" if len(number) == 10 else number
