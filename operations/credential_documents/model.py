"""Plain data of credential document production: order item statuses, addresses, what an item
needs to be rendered, print jobs and outbox messages."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# Order Item Status codes (reference §3.5).
ORDERED = "Ordered"
ON_HOLD = "OnHold"
SYSTEM_HOLD = "SystemHold"
CANCELLED = "Cancelled"
PROCESSED = "Processed"
READY_FOR_DELIVERY = "ReadyForDelivery"
SENT = "Sent"
FAILED_DELIVERY = "FailedDelivery"
DELIVERED_IN_ERROR = "DeliveredInError"

STATUSES = (ORDERED, ON_HOLD, SYSTEM_HOLD, CANCELLED, PROCESSED, READY_FOR_DELIVERY, SENT,
            FAILED_DELIVERY, DELIVERED_IN_ERROR)
STATUS_LABELS = {
    ORDERED: "Ordered", ON_HOLD: "User Hold", SYSTEM_HOLD: "System Hold", CANCELLED: "Cancelled",
    PROCESSED: "In Progress", READY_FOR_DELIVERY: "Ready for Delivery", SENT: "Sent for Delivery",
    FAILED_DELIVERY: "Failed Delivery", DELIVERED_IN_ERROR: "Delivered In Error",
}

AUTOMATED_PLUS_CARDBOARD = "AutomatedPlusCardboard"
"""The one delivery method the print service provider mails itself; every other one is printed
and returned to Student Records (Manually Deliver Printed Credential)."""

SPECIAL_HANDLING_NOT_REQUIRED = "NotRequired"
SPECIAL_HANDLING_OUTSTANDING = "Outstanding"

REASON_NO_ADDRESS = "Document Order with No Address"
REASON_GENERATION_ERROR = "Document Generation Error"
REASON_RETURNED_BAD_ADDRESS = "ReturnedBadAddress"

# The files of an item (a Document Order Item File holds the credential and its letter).
CREDENTIAL = "Credential"
FIRST_RUN_LETTER = "FirstRunLetter"
REPRINT_LETTER = "ReprintLetter"

# Where an envelope goes, for the printer instruction sheet.
CANADA, UNITED_STATES, INTERNATIONAL = "Canada", "United States", "International"
DESTINATIONS = (CANADA, UNITED_STATES, INTERNATIONAL)

# Print jobs: one per delivery group, delivered to the print service provider.
AUTOMATED_MAIL_JOB = "AutomatedMail"
RETURN_TO_STUDENT_RECORDS_JOB = "ReturnToStudentRecords"
JOB_READY, JOB_DELIVERED, JOB_RETRY, JOB_FAILED = "ReadyToDeliver", "Delivered", "RetryWaiting", "DeliveryFailed"

# Outbox message kinds.
CREDENTIAL_ISSUED = "Credential Issued"
CREDENTIAL_UNDELIVERABLE = "Credential Order Undeliverable"
PRINT_JOB_DELIVERED = "Print Job Delivered"
PRINT_JOB_DELIVERY_FAILED = "Print Job Delivery Failed"
TO_MYPASS, TO_STUDENT_RECORDS, TO_PRINT_PROVIDER = "myPass", "Student Records", "Print Service Provider"


@dataclass(frozen=True)
class MailingAddress:
    lines: tuple[str, ...]
    city: str | None
    province_state: str | None
    postal_code: str | None
    country: str | None

    @property
    def destination(self) -> str:
        country = (self.country or "").strip().casefold()
        if country in {"canada", "ca", "can"}:
            return CANADA
        if country in {"united states", "united states of america", "usa", "us"}:
            return UNITED_STATES
        return INTERNATIONAL

    def block(self) -> tuple[str, ...]:
        """The lines printed on the envelope window, Canada Post style."""
        lines = [line for line in self.lines if line.strip()]
        locality = " ".join(part for part in (self.city, self.province_state) if part)
        if self.postal_code:
            locality = f"{locality}  {self.postal_code}" if locality else self.postal_code
        if locality:
            lines.append(locality)
        if self.destination != CANADA and self.country:
            lines.append(self.country.upper())
        return tuple(lines)

    def same_place(self, other: MailingAddress) -> bool:
        """Is ``other`` the same address, ignoring case and spacing?"""
        def norm(address: MailingAddress) -> tuple[str, ...]:
            return tuple(" ".join(part.split()).casefold() for part in (
                *address.lines, address.city or "", address.province_state or "",
                (address.postal_code or "").replace(" ", ""), address.country or ""))
        return norm(self) == norm(other)


@dataclass(frozen=True)
class AwardedCredential:
    credential_number: str
    credential_type: str
    awarded_first_name: str | None
    awarded_middle_name: str | None
    awarded_last_name: str
    awarded_on: date
    is_deleted: bool

    @property
    def awarded_name(self) -> str:
        return " ".join(p for p in (self.awarded_first_name, self.awarded_middle_name, self.awarded_last_name) if p)


@dataclass(frozen=True)
class ItemKey:
    order_id: int
    item_number: int

    def __str__(self) -> str:
        return f"{self.order_id}-{self.item_number}"


@dataclass(frozen=True)
class DocumentItem:
    """A credential order item with what its documents show."""

    key: ItemKey
    asn: str
    document_type: str
    delivery_method: str
    language: str
    copies: int
    recipient_name: str | None
    address: MailingAddress | None
    """The item's address, or the student's current mailing address when the order had none."""
    address_from_student: bool
    credential: AwardedCredential | None
    first_run: bool
    """The first print of this credential after awarding (every later one is a reprint)."""
    generation: int
    """Counts the times the item was sent back to Ordered; names its files."""
    status: str


@dataclass(frozen=True)
class DocumentError:
    code: str
    description: str


@dataclass(frozen=True)
class StoredFile:
    kind: str
    path: str
    """Relative to the documents folder."""
    sha256: str
    size: int


@dataclass(frozen=True)
class Envelope:
    """One envelope of a print job: its items share the recipient and the address."""

    sequence: int
    destination: str
    items: tuple[DocumentItem, ...]


@dataclass(frozen=True)
class PrintJob:
    id: int
    kind: str
    status: str
    created_utc: datetime
    item_count: int
    envelope_counts: dict[str, int]
    files: tuple[StoredFile, ...]
    attempts: int = 0
    next_attempt_utc: datetime | None = None
    delivered_utc: datetime | None = None
    last_error: str | None = None

    @property
    def name(self) -> str:
        return f"print-job-{self.id:06d}"


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    kind: str
    audience: str
    event_key: str
    asn: str | None
    payload: dict
    created_utc: datetime


@dataclass(frozen=True)
class StatusChange:
    from_status: str | None
    to_status: str
    reason: str | None
    changed_by: str
    changed_utc: datetime


@dataclass(frozen=True)
class ItemDetails:
    """An item as the Student Records screen shows it."""

    item: DocumentItem
    status_change_reason: str | None
    special_handling: str | None
    processed_on: datetime | None
    print_job_id: int | None
    mailing_sequence: int | None
    files: tuple[StoredFile, ...]
    errors: tuple[DocumentError, ...]
    history: tuple[StatusChange, ...] = field(default=())


@dataclass(frozen=True)
class ItemRow:
    """One line of an item list."""

    key: ItemKey
    asn: str
    recipient_name: str | None
    credential_number: str | None
    document_type: str
    delivery_method: str
    language: str
    status: str
    status_change_reason: str | None
    print_job_id: int | None


@dataclass(frozen=True)
class Hold:
    """An item the Credential Processing Agent puts on System Hold, and why."""

    key: ItemKey
    reason: str
    errors: tuple[DocumentError, ...]


@dataclass(frozen=True)
class Processed:
    """An item rendered: its files and its special handling."""

    item: DocumentItem
    files: tuple[StoredFile, ...]
    special_handling: str


@dataclass(frozen=True)
class NewMessage:
    kind: str
    audience: str
    event_key: str
    asn: str | None
    payload: dict
