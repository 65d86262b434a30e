"""PASICoreVersion numbers: one increasing sequence shared by every record type.

PostgreSQL hands out numbers from a sequence without serializing writers;
SQLite (one writer at a time under ``BEGIN IMMEDIATE``) bumps a counter
row.  Numbers are taken in blocks; a rolled-back transaction leaves a gap,
which is harmless: versions only need to increase.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from persistence.bulk import is_postgresql
from persistence.schema import VERSION_SEQUENCE

COUNTER_NAME = "pasi_core_version"


def allocate_versions(session: Session, count: int) -> list[int]:
    if count <= 0:
        return []
    if is_postgresql(session):
        rows = session.execute(
            text(f"SELECT nextval('{VERSION_SEQUENCE}') FROM generate_series(1, :n)"), {"n": count})
        return sorted(row[0] for row in rows)
    last = session.execute(
        text("UPDATE version_counter SET value = value + :n WHERE name = :name RETURNING value"),
        {"n": count, "name": COUNTER_NAME}).scalar_one()
    return list(range(last - count + 1, last + 1))


class SqlVersionSource:
    def __init__(self, session: Session):
        self._session = session

    def allocate(self, count: int) -> list[int]:
        return allocate_versions(self._session, count)
