"""Plain data for document orders."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

ORDERED = "Ordered"
PAYMENT_PENDING = "PaymentPending"
UNDER_CONSTRUCTION = "UnderConstruction"
CANCELLED = "Cancelled"

CREDENTIAL_CATEGORY = "Credential"
TRANSCRIPT_CATEGORY = "Transcript"
MAXIMUM_ORDER_AMOUNT = Decimal("9999.99")
MAXIMUM_COPIES = 10


@dataclass(frozen=True)
class OrderItem:
    asn: str
    document_type: str
    delivery_method: str
    document_language: str
    number_of_copies: int
    amount_collected: Decimal
    recipient_is_student: bool
    process_expectation: str | None = None
    credential_number: str | None = None
    recipient_name: str | None = None
    address_lines: tuple[str, ...] = ()
    city: str | None = None
    province_state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    fax_number: str | None = None
    control_schedule_id: int | None = None
    provided_consent_for_school_release: bool | None = None
    item_number: int | None = None
    """The item's number within its order when updating; None for a new item."""

    @property
    def has_address(self) -> bool:
        return bool(self.address_lines) and bool(self.country)


@dataclass(frozen=True)
class DocumentOrder:
    order_id: int
    """0 for a new order."""
    version: int
    billing_information_id: int
    order_received_method: str
    order_status: str
    is_deleted: bool
    items: tuple[OrderItem, ...]
    requestor_name: str | None = None
    order_placed_utc: datetime | None = None
    education_account_identifier: str | None = None
    education_account_organization: str | None = None
    payment_method: str | None = None
    payment_transaction_id: str | None = None

    @property
    def total_amount(self) -> Decimal:
        return sum((item.amount_collected for item in self.items), Decimal(0))

    def same_content_as(self, other: DocumentOrder) -> bool:
        """Equal in everything the client controls (9023)."""
        def key(order):
            return (order.billing_information_id, order.order_received_method, order.order_status,
                    order.is_deleted, order.requestor_name, order.education_account_identifier,
                    order.education_account_organization, order.payment_method,
                    order.payment_transaction_id,
                    sorted((i.item_number or 0, i.asn, i.document_type, i.delivery_method,
                            i.document_language, i.number_of_copies, i.amount_collected,
                            i.recipient_is_student, i.credential_number, i.recipient_name,
                            i.address_lines, i.city, i.province_state, i.postal_code, i.country)
                           for i in order.items))
        return key(self) == key(other)


@dataclass(frozen=True)
class StoredOrder:
    order: DocumentOrder
    item_statuses: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CredentialFacts:
    number: str
    asn: str
    credential_type: str
    is_deleted: bool
    already_ordered_in: int | None
    """Another order that already holds an active item for this credential (44017)."""


def item_status_for(order_status: str) -> str:
    """Items follow their order: Ordered items wait to be processed; others are being built."""
    return ORDERED if order_status == ORDERED else UNDER_CONSTRUCTION
