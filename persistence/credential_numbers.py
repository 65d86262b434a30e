"""Credential numbers: unique, ten digits, shown ``XXXXX-XXXXX``.

PASI's Credential Number Calculation Logic is not public.  Ours: a nine-digit
serial from a database sequence (a PostgreSQL sequence; a counter row on
SQLite, whose writers are serialized) followed by a Luhn check digit, so a
mistyped number is caught when it is read back.  A sequence hands every
worker distinct serials without coordination; the table's primary key is
the last guard.  Numbers of a rolled-back award are simply never used.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from persistence.schema import CREDENTIAL_NUMBER_SEQUENCE

COUNTER_NAME = "credential_number"


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


def is_valid(number: str) -> bool:
    digits = number.replace("-", "")
    return len(digits) == 10 and digits.isdigit() and luhn_digit(digits[:9]) == digits[9]


def display(number: str) -> str:
    """``1234567890`` is shown ``12345-67890``."""
    return f"{number[:5]}-{number[5:]}" if len(number) == 10 else number


def allocate(session: Session, count: int) -> list[str]:
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        serials = sorted(row[0] for row in session.execute(text(
            f"SELECT nextval('{CREDENTIAL_NUMBER_SEQUENCE}') FROM generate_series(1, :n)"), {"n": count}))
    else:
        last = session.execute(text(
            "UPDATE version_counter SET value = value + :n WHERE name = :name RETURNING value"),
            {"n": count, "name": COUNTER_NAME}).scalar_one()
        serials = list(range(last - count + 1, last + 1))
    numbers = []
    for serial in serials:
        digits = f"{serial:09d}"
        if len(digits) != 9:
            raise OverflowError("credential number serials are exhausted")
        numbers.append(digits + luhn_digit(digits))
    return numbers
