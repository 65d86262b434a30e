"""What the bulk award-and-order run needs from the store, and the plain data it returns."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from .selection import Criteria, Selected

SELECTED, AWARDED, ORDERED, AWARD_FAILED, ORDER_FAILED = (
    "Selected", "Awarded", "Ordered", "AwardFailed", "OrderFailed")


@dataclass(frozen=True)
class Placement:
    """Where a student is enrolled most recently (for criteria and the CSVs)."""

    school_code: str | None
    school_name: str | None
    authority_code: str | None
    authority_name: str | None


@dataclass(frozen=True)
class Profile:
    asn: str
    last_name: str
    first_name: str | None
    middle_name: str | None
    placement: Placement


@dataclass(frozen=True)
class Address:
    lines: tuple[str, ...]
    city: str | None
    province_state: str | None
    postal_code: str | None
    country: str


@dataclass(frozen=True)
class Organization:
    code: str
    name: str
    kind: str
    authority_code: str | None


@dataclass(frozen=True)
class AwardedCredential:
    credential_number: str
    asn: str
    credential_type: str
    requirement_set: str | None
    awarded_on_date: date
    school_year: int
    awarded_last_name: str
    awarded_first_name: str | None
    awarded_middle_name: str | None


@dataclass(frozen=True)
class RunStudent:
    position: int
    asn: str
    credential_type: str
    state: str
    credential_number: str | None
    document_order_id: int | None
    rejections: str | None
    """JSON list of [rule, message] pairs."""


@dataclass(frozen=True)
class RunDetails:
    run_id: int
    criteria: Criteria
    delivery_method: str
    status: str
    started_utc: datetime


class BulkRunRepository(Protocol):
    def organization(self, code: str) -> Organization | None: ...

    def candidates(self, criteria: Criteria) -> list[str]: ...

    def profiles(self, asns: Iterable[str]) -> dict[str, Profile]: ...

    def current_addresses(self, asns: Iterable[str], today: date) -> dict[str, Address]: ...

    def credentials(self, numbers: Iterable[str | None]) -> dict[str, AwardedCredential]: ...

    def create_run(self, criteria: Criteria, delivery_method: str, selected: Sequence[Selected],
                   now: datetime) -> int: ...

    def run_details(self, run_id: int) -> RunDetails | None: ...

    def students_in_state(self, run_id: int, state: str, limit: int) -> list[RunStudent]: ...

    def students_at(self, run_id: int, positions: Sequence[int]) -> list[RunStudent]: ...

    def all_students(self, run_id: int) -> list[RunStudent]: ...

    def set_states(self, run_id: int, changes: Sequence[dict]) -> None: ...

    def finish_run(self, run_id: int, now: datetime) -> None: ...
