"""The audit log's hash chain, as plain functions.

Each audit row's hash covers its own fields and the previous row's hash,
so changing or deleting any row breaks every link after it; the chain head
(last sequence and hash) catches a deleted tail.  ``pasi-core audit verify``
walks the chain.  The field lists and encoding below are stored formats:
each row names its format (``chain_format``), so rows written before a
format was added keep verifying; never change a format in place.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64
_V1_FIELDS = (
    "sequence", "message_id", "received_utc", "endpoint", "operation", "organization_code",
    "client_name", "client_message_id", "remote_address", "outcome", "rule_id", "record_count",
    "accepted_count", "rejected_count", "duration_ms", "request_hash", "record_outcomes",
)
CHAINED_FIELDS = {"v1": _V1_FIELDS, "v2": _V1_FIELDS + ("operator",)}
"""v2 adds the operator (the Student Records user behind a screen action or job)."""
CURRENT_FORMAT = "v2"


def _canonical(value):
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    return value


def link_hash(previous_hash: str, row: Mapping[str, object]) -> str:
    """SHA-256 over the previous hash and the row's chained fields (in its format)."""
    chain_format = str(row.get("chain_format") or "v1")
    fields = CHAINED_FIELDS[chain_format]
    payload = json.dumps([chain_format, previous_hash] + [_canonical(row.get(name)) for name in fields],
                         separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    sequence: int | None
    message_id: str | None
    problem: str


def verify_chain(rows: Iterable[Mapping[str, Any]], head_sequence: int | None,
                 head_hash: str | None) -> list[ChainProblem]:
    """Every problem found walking ``rows`` in sequence order; empty when intact."""
    problems: list[ChainProblem] = []
    expected_sequence, previous = 1, GENESIS_HASH
    for row in rows:
        sequence, message_id = row["sequence"], row["message_id"]
        if sequence != expected_sequence:
            problems.append(ChainProblem(sequence, message_id,
                                         f"expected sequence {expected_sequence}: rows are missing"))
        if row["previous_hash"] != previous:
            problems.append(ChainProblem(sequence, message_id,
                                         "does not link to the row before it (a row was changed or removed)"))
        if str(row.get("chain_format") or "v1") not in CHAINED_FIELDS:
            problems.append(ChainProblem(sequence, message_id, "names an unknown chain format"))
        elif link_hash(row["previous_hash"], row) != row["row_hash"]:
            problems.append(ChainProblem(sequence, message_id, "its content was changed"))
        expected_sequence, previous = sequence + 1, row["row_hash"]
    last_sequence = expected_sequence - 1
    if head_sequence is not None and (head_sequence != last_sequence or head_hash != previous):
        problems.append(ChainProblem(head_sequence, None,
                                     f"the chain head names sequence {head_sequence} but the log ends "
                                     f"at {last_sequence}: rows at the end were removed or changed"))
    return problems
