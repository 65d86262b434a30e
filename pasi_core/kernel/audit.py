"""What the audit log records of one request or job step (never student data)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RecordOutcome:
    """One record of a request, named by its position (never by an ASN)."""

    position: int
    version: int
    rule_ids: tuple[int, ...] = ()

    def as_list(self) -> list:
        return [self.position, self.version, list(self.rule_ids)]


@dataclass(frozen=True)
class AuditEntry:
    message_id: str
    received_utc: datetime
    """When the request arrived (or the job step began), UTC."""
    endpoint: str
    operation: str | None
    organization_code: str | None
    client_name: str | None
    client_message_id: str | None
    remote_address: str | None
    outcome: str
    """``ok``, ``replayed``, or the fault code of a refused request."""
    rule_id: int | None
    record_count: int
    accepted_count: int
    duration_ms: int
    request_hash: str | None
    record_outcomes: tuple[RecordOutcome, ...] | None
    operator: str | None = None
    """The person who acted, for Student Records screens and jobs."""
    request_body: bytes | None = None
    response_body: bytes | None = None
    """Kept only when full payloads are audited (PASI_AUDIT_PAYLOADS)."""
