"""Plain data for document orders."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

ORDERED = "Ordered"
PAYMENT_PENDING = "PaymentPending"
UNDER_CONSTRUCTION = "UnderConstruction"
CANCELLED = "Cancelled"

CREDENTIAL_CATEGORY = "Credential"
TRANSCRIPT_CATEGORY = "Transcript"
NORTH_AMERICAN_COUNTRIES = frozenset({"canada", "ca", "can", "united states", "united states of america",
                                      "us", "usa"})
"""How recipient_address_details.html spells the two countries with full addresses (and codes)."""
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
    def is_north_american(self) -> bool:
        return (self.country or "").strip().lower() in NORTH_AMERICAN_COUNTRIES

    @property
    def has_address(self) -> bool:
        """A full mailing address (rule 60108): street, city, province or state, postal code
        and country for Canada and the United States; street and country elsewhere (where
        city and postal code are folded into the street lines)."""
        if not any(line.strip() for line in self.address_lines) or not self.country:
            return False
        if self.is_north_american:
            return all((value or "").strip() for value in (self.city, self.province_state,
                                                            self.postal_code))
        return True


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

    @property
    def is_placed_from_an_education_account(self) -> bool:
        """A myPass order (a reprint, paid from the student's or parent's education account)."""
        return bool(self.education_account_identifier)

    def same_content_as(self, other: DocumentOrder) -> bool:
        """Equal in every field that is stored (9023): nothing would change."""
        def key(order: DocumentOrder):
            return (replace(order, version=0, items=()),
                    sorted((replace(i, item_number=i.item_number or 0) for i in order.items),
                           key=lambda i: (i.item_number, i.asn, i.document_type,
                                          i.credential_number or "")))
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
