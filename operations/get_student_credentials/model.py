"""Plain data for the PASISystem reads of a student's records: GetStudentCredentials and
GetDocumentOrders.  No spyne, no SQLAlchemy."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pasi_core.kernel.rejections import Rejection


@dataclass(frozen=True)
class CredentialRecord:
    credential_number: str
    asn: str
    credential_type: str
    requirement_set: str | None
    awarded_on: date
    school_year: int
    is_deleted: bool
    delete_reason: str | None
    legacy_credential_number: str | None
    version: int
    created_utc: datetime
    is_active: bool = False
    """The most recent undeleted credential of its type for the person (the one PASI shows)."""


@dataclass(frozen=True)
class OrderItemRecord:
    item_number: int
    asn: str
    document_type: str
    credential_number: str | None
    delivery_method: str
    document_language: str
    number_of_copies: int
    amount_collected: str
    status: str
    status_change_reason: str | None
    special_handling: str | None
    processed_utc: datetime | None
    sent_utc: datetime | None
    print_job_id: int | None
    mailing_sequence_number: int | None


@dataclass(frozen=True)
class OrderRecord:
    order_id: int
    order_status: str
    order_received_method: str
    billing_information_id: int
    requestor_name: str | None
    order_placed_utc: datetime | None
    version: int
    updated_utc: datetime
    items: tuple[OrderItemRecord, ...]
    """Only the items of the student asked for (any of the person's ASNs)."""


@dataclass(frozen=True)
class StudentAnswer:
    """One requested ASN: its rejections (9002, 9009), or what it holds."""

    asn: str
    rejections: tuple[Rejection, ...] = ()
    credentials: tuple[CredentialRecord, ...] = ()
    orders: tuple[OrderRecord, ...] = ()
