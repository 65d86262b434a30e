"""Per-request bookkeeping shared by the gateway, the protocol and the services."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from pasi_core.authentication import TransportFacts

ENVIRON_KEY = "pasi.exchange"


@dataclass
class Exchange:
    endpoint: str
    remote_address: str | None
    message_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.perf_counter)
    operation: str | None = None
    organization_code: str | None = None
    client_name: str | None = None
    client_message_id: str | None = None
    outcome: str | None = None
    rule_id: int | None = None
    record_count: int = 0
    accepted_count: int = 0
    transport: TransportFacts | None = None
    request_hash: str | None = None
    """SHA-256 of the request body as received."""
    record_outcomes: list | None = None
    """Per record: [Id, version, [rule numbers]] for the audit row (no student data)."""
    request_body: bytes | None = None
    response_body: bytes | None = None
    """Kept only when full payloads are audited."""

    @property
    def elapsed_ms(self) -> int:
        return int((time.perf_counter() - self.started) * 1000)

    def fault(self, fault_code: str, rule_id: int | None) -> None:
        self.outcome = fault_code
        self.rule_id = rule_id


def exchange_of(ctx) -> Exchange:
    """The exchange of a spyne method context (set by the gateway)."""
    return ctx.transport.req_env[ENVIRON_KEY]
