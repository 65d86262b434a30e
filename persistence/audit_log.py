"""The append-only, hash-chained audit log and the kept payloads.

:class:`SqlAuditLog` appends inside the unit of work of the request it
records, so a request that changes state commits together with its audit
row or not at all.  The chain head row is locked for the few statements an
append takes (the last thing before the commit), so appends from several
workers stay one linear chain.
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pasi_core.kernel.audit import AuditEntry
from persistence import models as t
from persistence.audit_chain import CURRENT_FORMAT, ChainProblem, link_hash, verify_chain

_head = t.table(t.AuditChainHead).c
# Built once: every request appends a row (the head locked, the row inserted, the head moved).
LOCK_HEAD = select(_head.last_sequence, _head.last_hash).where(_head.id == 1).with_for_update()
APPEND = insert(t.table(t.RequestAudit))
MOVE_HEAD = update(t.table(t.AuditChainHead)).where(_head.id == 1).values(
    last_sequence=bindparam("new_sequence"), last_hash=bindparam("new_hash"))


class SqlAuditLog:
    def __init__(self, session: Session):
        self._session = session

    def requests_since(self, since: datetime) -> bool:
        """Has a SOAP client's request arrived since ``since`` (the screens' and jobs' rows aside)?"""
        found = self._session.execute(select(t.RequestAudit.sequence).where(
            t.RequestAudit.received_utc >= since, t.RequestAudit.endpoint != "StudentRecords").limit(1)).first()
        return found is not None

    def append(self, entry: AuditEntry) -> int:
        """Add one row at the end of the chain; returns its sequence."""
        connection = self._session.connection()
        row = _row(entry)
        head = connection.execute(LOCK_HEAD).one()
        row["sequence"] = head.last_sequence + 1
        row["previous_hash"] = head.last_hash
        row["row_hash"] = link_hash(head.last_hash, row)
        connection.execute(APPEND, row)
        connection.execute(MOVE_HEAD, {"new_sequence": row["sequence"], "new_hash": row["row_hash"]})
        if entry.request_body is not None:
            connection.execute(insert(t.table(t.RequestPayload)), [{
                "message_id": entry.message_id, "received_utc": entry.received_utc,
                "request_body": zlib.compress(entry.request_body),
                "response_body": zlib.compress(entry.response_body) if entry.response_body
                else None}])
        return row["sequence"]


def _row(entry: AuditEntry) -> dict:
    return {
        "message_id": entry.message_id, "received_utc": entry.received_utc,
        "endpoint": entry.endpoint, "operation": entry.operation,
        "organization_code": _clip(entry.organization_code, 20),
        "client_name": _clip(entry.client_name, 200),
        "client_message_id": _clip(entry.client_message_id, 50),
        "remote_address": _clip(entry.remote_address, 64), "outcome": entry.outcome[:40],
        "rule_id": entry.rule_id, "record_count": entry.record_count,
        "accepted_count": entry.accepted_count,
        "rejected_count": entry.record_count - entry.accepted_count,
        "duration_ms": entry.duration_ms, "request_hash": entry.request_hash,
        "record_outcomes": (json.dumps([o.as_list() for o in entry.record_outcomes],
                                       separators=(",", ":"))
                            if entry.record_outcomes is not None else None),
        "operator": _clip(entry.operator, 200), "chain_format": CURRENT_FORMAT,
    }


@dataclass(frozen=True)
class VerifyReport:
    rows: int
    head_sequence: int
    head_hash: str
    problems: list[ChainProblem]


def verify(engine: Engine, expect_head: str | None = None) -> VerifyReport:
    """Walk the whole chain.  ``expect_head``: a head hash recorded elsewhere earlier,
    which must still be in the chain (catches a rewritten tail)."""
    with engine.connect() as connection:
        head = connection.execute(select(t.table(t.AuditChainHead)).where(
            t.AuditChainHead.id == 1)).mappings().one()
        result = connection.execution_options(yield_per=2000).execute(
            select(t.table(t.RequestAudit)).order_by(t.RequestAudit.sequence)).mappings()
        seen_hashes = set()
        rows = 0

        def walk():
            nonlocal rows
            for row in result:
                rows += 1
                if expect_head is not None:
                    seen_hashes.add(row["row_hash"])
                yield row

        problems = verify_chain(walk(), head["last_sequence"], head["last_hash"])
    if expect_head is not None and expect_head not in seen_hashes and expect_head != head["last_hash"]:
        problems.append(ChainProblem(None, None, f"the recorded head {expect_head} is not in the chain"))
    return VerifyReport(rows, head["last_sequence"], head["last_hash"], problems)


def purge(engine: Engine, *, now: datetime, payload_days: int, replay_days: int) -> tuple[int, int]:
    """Delete kept payloads and replay responses past their retention (the audit rows stay)."""
    with engine.begin() as connection:
        payloads = connection.execute(delete(t.table(t.RequestPayload)).where(
            t.RequestPayload.received_utc < now - timedelta(days=payload_days))).rowcount
        replays = connection.execute(delete(t.table(t.ProcessedRequest)).where(
            t.ProcessedRequest.created_utc < now - timedelta(days=replay_days))).rowcount
    return payloads, replays


def _clip(value: str | None, length: int) -> str | None:
    return value[:length] if value is not None else None
