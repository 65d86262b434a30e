"""What credential document production needs: the store (through the unit of work), a renderer
of PDFs, a folder of document files, a delivery target (the print service provider) and a sink
for outbox messages."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from .model import (
    DocumentItem,
    Envelope,
    Hold,
    ItemDetails,
    ItemKey,
    ItemRow,
    MailingAddress,
    NewMessage,
    OutboxMessage,
    PrintJob,
    Processed,
    StoredFile,
)


class DocumentRepository(Protocol):
    def claim_items(self, status: str, limit: int, today: date) -> list[DocumentItem]:
        """Up to ``limit`` credential items in ``status``, oldest first, locked for this unit of
        work (others skip them: two processors never take the same item).  An item ordered
        without an address gets the student's current mailing address on ``today``."""
        ...

    def hold(self, holds: Sequence[Hold], *, by: str, now: datetime) -> None:
        """System Hold, with the Document Error rows that say why."""
        ...

    def record_processed(self, processed: Sequence[Processed], *, by: str, now: datetime) -> None:
        """Processed, then Ready for Delivery, with their files (and the address each was printed
        for, when that came from the student)."""
        ...

    def create_print_job(self, kind: str, envelopes: Sequence[Envelope], counts: dict[str, int], *,
                         now: datetime) -> int: ...

    def attach_print_files(self, job_id: int, files: Sequence[StoredFile]) -> None: ...

    def record_sent(self, job_id: int, envelopes: Sequence[Envelope], *, by: str, now: datetime) -> None:
        """Sent for Delivery, each item with its print job and mailing sequence number."""
        ...

    def print_jobs_due(self, now: datetime) -> list[PrintJob]:
        """Print jobs waiting for delivery whose next attempt is due, locked."""
        ...

    def record_delivery(self, job_id: int, *, status: str, attempts: int, error: str | None,
                        next_attempt: datetime | None, now: datetime) -> None: ...

    def retry_failed_jobs(self) -> int:
        """Give the print jobs whose delivery failed for good a new set of attempts; how many."""
        ...

    def print_job(self, job_id: int) -> PrintJob | None: ...

    def recent_print_jobs(self, limit: int) -> list[PrintJob]: ...

    def details(self, key: ItemKey, *, lock: bool = False) -> ItemDetails | None: ...

    def change_status(self, key: ItemKey, status: str, reason: str | None, *, by: str, now: datetime) -> None: ...

    def reset_for_reprocessing(self, key: ItemKey) -> None:
        """Logically delete the item's files and errors and move to its next file generation."""
        ...

    def expire_addresses(self, asn: str, address: MailingAddress, today: date) -> int:
        """Expire the student's active addresses that match ``address``; how many."""
        ...

    def add_message(self, kind: str, audience: str, event_key: str, asn: str | None, payload: dict, *,
                    now: datetime) -> bool:
        """Write an outbox message once: False when ``event_key`` was written before."""
        ...

    def add_messages(self, messages: Sequence[NewMessage], *, now: datetime) -> int:
        """Write many at once, each once; how many were new."""
        ...

    def undelivered_messages(self, limit: int) -> list[OutboxMessage]: ...

    def mark_messages_delivered(self, ids: Sequence[int], now: datetime) -> None: ...

    def recent_notices(self, limit: int) -> list[OutboxMessage]:
        """Messages for Student Records (print job notices), newest first."""
        ...

    def status_counts(self) -> dict[str, int]:
        """Credential items by Order Item Status."""
        ...

    def items_with_status(self, status: str, *, offset: int, limit: int) -> list[ItemRow]: ...


class DocumentRenderer(Protocol):
    @property
    def title_overrides(self) -> Mapping[tuple[str, str], str]:
        """Credential titles by (Credential Type code, language) that the templates set."""
        ...

    def render_items(self, items: Sequence[tuple[DocumentItem, str]], now: datetime) -> list[dict[str, bytes]]:
        """Each (item, credential title)'s files by kind, in order: the credential and its letter
        in the item's language, the letter dated ``now``."""
        ...

    def render_print_file(self, envelopes: Sequence[Envelope], titles: dict[tuple[str, str], str],
                          job_name: str) -> bytes:
        """Every envelope's letter and credential in mailing order, with the sequence number."""
        ...

    def render_instruction_sheet(self, job: PrintJob, envelopes: Sequence[Envelope]) -> bytes: ...


class DocumentFiles(Protocol):
    def write(self, path: str, content: bytes, kind: str) -> StoredFile:
        """Store ``content`` at ``path`` (relative), replacing what an interrupted run left."""
        ...

    def read(self, path: str) -> bytes: ...

    def absolute(self, path: str) -> str: ...


class DeliveryFailed(Exception):
    """A delivery target could not take a print job (the reason has no student data)."""


class DeliveryTarget(Protocol):
    description: str

    def deliver(self, job_name: str, files: Sequence[tuple[str, str]]) -> None:
        """Hand over ``files`` (name, absolute path) as one print job; raise DeliveryFailed."""
        ...


class MessageSink(Protocol):
    def send(self, message: OutboxMessage) -> None:
        """Deliver one outbox message (raise to leave it for the next attempt)."""
        ...
