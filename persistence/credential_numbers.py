"""Allocating credential numbers (format: :mod:`pasi_core.kernel.credential_numbers`).

Serials come from a database sequence (a PostgreSQL sequence; a counter row
on SQLite, whose writers are serialized), so every worker gets distinct
serials without coordination.  A number already stored (a loaded historical
number, one issued elsewhere) is skipped, so allocation never collides with
the table's primary key.  Numbers of a rolled-back award are never used.
"""
from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pasi_core.kernel.credential_numbers import with_check_digit
from persistence import models as t
from persistence.bulk import is_postgresql, select_in
from persistence.schema import CREDENTIAL_NUMBER_SEQUENCE

COUNTER_NAME = "credential_number"


def _serials(session: Session, count: int) -> list[int]:
    if is_postgresql(session):
        return sorted(row[0] for row in session.execute(text(
            f"SELECT nextval('{CREDENTIAL_NUMBER_SEQUENCE}') FROM generate_series(1, :n)"),
            {"n": count}))
    last = session.execute(text(
        "UPDATE version_counter SET value = value + :n WHERE name = :name RETURNING value"),
        {"n": count, "name": COUNTER_NAME}).scalar_one()
    return list(range(last - count + 1, last + 1))


class SqlCredentialNumberSource:
    def __init__(self, session: Session):
        self._session = session

    def allocate(self, count: int) -> list[str]:
        numbers: list[str] = []
        while len(numbers) < count:
            wanted = count - len(numbers)
            candidates = [with_check_digit(serial) for serial in _serials(self._session, wanted)]
            taken = {row.credential_number for row in select_in(
                self._session, lambda match: select(t.StudentCredential.credential_number).where(
                    match(t.StudentCredential.credential_number)), candidates)}
            numbers += [number for number in candidates if number not in taken]
        return numbers
