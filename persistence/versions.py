"""PASICoreVersion numbers: one increasing sequence shared by every record type,
and the horizon below which a reader has seen every change.

PostgreSQL hands out numbers from a sequence without serializing writers;
SQLite (one writer at a time under ``BEGIN IMMEDIATE``) bumps a counter
row.  Numbers are taken in blocks; a rolled-back transaction leaves a gap,
which is harmless: versions only need to increase.

**No skipped change** (IsDataAvailable, docs/read-services.md).  On
PostgreSQL two writers may commit out of order: one takes version 10, a
second takes 11 and commits first.  A reader that returned 11 and was then
asked for "everything after 11" would never see 10.  So every writer, before
it takes its first number, holds a shared transaction-level advisory lock
whose key is the sequence's value at that moment (no greater than any number
it will get), until it commits or rolls back.  A reader's horizon is the
smaller of the sequence's value plus one (read first) and the smallest key
still held: every version below it is committed or rolled back, and a
writer whose lock the reader did not see takes numbers above the value the
reader read.  Neither side waits for the other.  PostgreSQL marks a
transaction committed before it releases its locks, so a released lock
means visible rows for the reader's next statement.  SQLite's writers
commit one at a time, in version order: the horizon is the counter plus one.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from persistence.bulk import is_postgresql
from persistence.schema import VERSION_SEQUENCE

COUNTER_NAME = "pasi_core_version"
HORIZON_LOCK_CLASS = 0x5041_5349
"""'PASI': the high 32 bits of the horizon locks' keys (pg_locks.classid); the low 32 bits
(pg_locks.objid) are the version, so the scheme holds for the first 4,294,967,295 versions."""
_KEY_BASE = HORIZON_LOCK_CLASS << 32
_MAX_VERSION = 0xFFFF_FFFF


def allocate_versions(session: Session, count: int) -> list[int]:
    if count <= 0:
        return []
    if is_postgresql(session):
        _hold_horizon(session)
        rows = session.execute(
            text(f"SELECT nextval('{VERSION_SEQUENCE}') FROM generate_series(1, :n)"), {"n": count})
        return sorted(row[0] for row in rows)
    last = session.execute(
        text("UPDATE version_counter SET value = value + :n WHERE name = :name RETURNING value"),
        {"n": count, "name": COUNTER_NAME}).scalar_one()
    return list(range(last - count + 1, last + 1))


def _hold_horizon(session: Session) -> None:
    """Before taking numbers: a shared advisory lock keyed by the sequence's current value,
    held to the end of the transaction (a second call in one transaction only adds a key that
    is no smaller)."""
    # One round trip: the lock is keyed by the value read in the same statement.
    current = session.execute(text(
        f"SELECT last_value, pg_advisory_xact_lock_shared(:base + last_value) FROM {VERSION_SEQUENCE}"),
        {"base": _KEY_BASE}).one()[0]
    if current >= _MAX_VERSION:  # the key spilled out of its class: refuse (the rollback releases it)
        raise RuntimeError("PASICoreVersion passed the range the sync horizon locks can key")


def sync_horizon(session: Session) -> int:
    """The smallest version that may still be uncommitted: every version below it that will
    ever be visible is visible to the reader's next statement (PostgreSQL, READ COMMITTED) or
    to its snapshot (SQLite)."""
    if not is_postgresql(session):
        value = session.execute(text("SELECT value FROM version_counter WHERE name = :name"),
                                {"name": COUNTER_NAME}).scalar_one()
        return int(value) + 1
    # The order matters: the sequence first, then the locks (see the module's docstring).
    current = session.execute(text(f"SELECT last_value FROM {VERSION_SEQUENCE}")).scalar_one()
    held = session.execute(text(
        "SELECT min(objid::bigint) FROM pg_locks WHERE locktype = 'advisory' AND classid = :class "
        "AND objsubid = 1 AND database = (SELECT oid FROM pg_database "
        "WHERE datname = current_database())"), {"class": HORIZON_LOCK_CLASS}).scalar_one()
    horizon = int(current) + 1
    return horizon if held is None else min(horizon, int(held))


class SqlVersionSource:
    def __init__(self, session: Session):
        self._session = session

    def allocate(self, count: int) -> list[int]:
        return allocate_versions(self._session, count)
