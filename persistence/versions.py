"""PASICoreVersion numbers: one increasing sequence shared by every record type.

PostgreSQL hands out numbers from a sequence without serializing writers;
SQLite (one writer at a time under ``BEGIN IMMEDIATE``) bumps a counter
row.  Numbers are taken in blocks; a rolled-back transaction leaves a gap,
which is harmless: versions only need to increase.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from persistence.schema import VERSION_SEQUENCE

COUNTER_NAME = "pasi_core_version"


def allocate_versions(session: Session, count: int) -> list[int]:
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text(f"SELECT nextval('{VERSION_SEQUENCE}') FROM generate_series(1, :n)"), {"n": count})
        return sorted(row[0] for row in rows)
    last = session.execute(
        text("UPDATE version_counter SET value = value + :n WHERE name = :name RETURNING value"),
        {"n": count, "name": COUNTER_NAME}).scalar_one()
    return list(range(last - count + 1, last + 1))


class VersionAllocator:
    """Hands out versions one at a time, fetching them in blocks of ``block_size``."""

    def __init__(self, session: Session, block_size: int):
        self._session = session
        self._block_size = max(1, block_size)
        self._available: list[int] = []

    def __call__(self) -> int:
        if not self._available:
            self._available = allocate_versions(self._session, self._block_size)
            self._available.reverse()
        return self._available.pop()
