"""In-memory fakes of the service layer's ports, for unit tests (cosmicpython's way):
the service functions run against them in microseconds, no database involved."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from operations.replay import ReplayKey, StoredResponse
from pasi_core.kernel.audit import AuditEntry
from pasi_core.kernel.code_tables import CodeTables


class FakeNumbers:
    def __init__(self, start: int = 1000):
        self.next = start

    def allocate(self, count: int) -> list:
        numbers = list(range(self.next, self.next + count))
        self.next += count
        return numbers


class FakeCodeTables:
    def __init__(self, codes: CodeTables):
        self.codes = codes

    def load(self) -> CodeTables:
        return self.codes


class FakeReplays:
    def __init__(self):
        self.stored: dict[tuple[str, str], StoredResponse] = {}

    def find(self, client_name: str, client_message_id: str) -> StoredResponse | None:
        return self.stored.get((client_name, client_message_id))

    def remember(self, key: ReplayKey, message_id: str, response_body: bytes, now: datetime) -> None:
        self.stored[(key.client_name, key.client_message_id)] = StoredResponse(
            message_id, key.request_hash, response_body, now)


class FakeAudit:
    def __init__(self):
        self.entries: list[AuditEntry] = []

    def append(self, entry: AuditEntry) -> int:
        self.entries.append(entry)
        return len(self.entries)


@dataclass
class FakeUnitOfWork:
    """Holds whatever repositories a test gives it; ``committed`` says whether the work
    committed.  Leaving the block without commit discards ``pending`` like a rollback."""

    exam_marks: object = None
    credentials: object = None
    document_orders: object = None
    bulk_runs: object = None
    code_tables: object = field(default_factory=lambda: FakeCodeTables(CodeTables({})))
    versions: FakeNumbers = field(default_factory=FakeNumbers)
    credential_numbers: FakeNumbers = field(default_factory=lambda: FakeNumbers(9_000_000))
    replays: FakeReplays = field(default_factory=FakeReplays)
    audit: FakeAudit = field(default_factory=FakeAudit)
    staff: object = None
    jobs: object = None
    credential_review: object = None
    committed: int = 0
    rolled_back: int = 0

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        self.rolled_back += 1

    def commit(self) -> None:
        self.committed += 1
