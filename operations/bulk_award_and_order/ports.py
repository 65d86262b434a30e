"""What the bulk award-and-order run needs from the store, and the plain data it returns."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from .selection import Criteria, Selected

SELECTED, AWARDED, ORDERED, AWARD_FAILED, ORDER_FAILED = (
    "Selected", "Awarded", "Ordered", "AwardFailed", "OrderFailed")
"""A student's state in a run: chosen; awarded (order to come); awarded and ordered; not
awarded (with the rules); awarded but the order was refused (retried by resume)."""
SEARCHED, RUNNING, FINISHED, CANCELLED = "Searched", "Running", "Finished", "Cancelled"
"""A run's status: the selection made by a search; processing; done; given up at confirmation."""


@dataclass(frozen=True)
class Placement:
    """Where a student is enrolled most recently (for criteria and the CSVs)."""

    school_code: str | None
    school_name: str | None
    authority_code: str | None
    authority_name: str | None
    school_is_francophone: bool = False


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
    requirement_set: str | None = None
    expected_school_year: int | None = None


@dataclass(frozen=True)
class RunDetails:
    run_id: int
    criteria: Criteria
    delivery_method: str | None
    """None until the run is started (the confirmation chooses it)."""
    status: str
    searched_utc: datetime
    operator: str | None
    run_operator: str | None
    processing_started_utc: datetime | None
    finished_utc: datetime | None


@dataclass(frozen=True)
class OrderedItem:
    """The credential order item of a student in a run, as it stands now."""

    order_id: int
    item_number: int
    status: str
    document_language: str
    delivery_method: str


class BulkRunRepository(Protocol):
    def organization(self, code: str) -> Organization | None: ...

    def organizations(self, kind: str, authority: str | None = None) -> list[Organization]:
        """Every organization of ``kind`` (School, Authority), of ``authority`` when given, by name."""
        ...

    def candidates(self, criteria: Criteria, *, after: str | None, limit: int) -> list[str]:
        """The next ``limit`` students the criteria may select, by ASN, after ``after``."""
        ...

    def profiles(self, asns: Iterable[str]) -> dict[str, Profile]: ...

    def current_addresses(self, asns: Iterable[str], today: date) -> dict[str, Address]: ...

    def credentials(self, numbers: Iterable[str | None]) -> dict[str, AwardedCredential]: ...

    def ordered_items(self, numbers: Iterable[str | None]) -> dict[str, OrderedItem]: ...

    def create_selection(self, criteria: Criteria, *, operator: str, now: datetime) -> int:
        """Record a search as a run in status Searched, with no student yet; its id."""
        ...

    def add_to_selection(self, run_id: int, first_position: int, selected: Sequence[Selected]) -> None:
        """Add students to a search's selection, numbered from ``first_position``."""
        ...

    def start(self, run_id: int, *, delivery_method: str, operator: str, now: datetime) -> bool:
        """Searched -> Running, atomically: True only for the one caller that started it."""
        ...

    def cancel(self, run_id: int, *, now: datetime) -> bool:
        """Searched -> Cancelled; False when it was no longer Searched."""
        ...

    def unfinished_runs_sharing_students(self, run_id: int) -> list[int]:
        """Other Running runs that hold any student of this one."""
        ...

    def run_details(self, run_id: int) -> RunDetails | None: ...

    def recent_runs(self, limit: int) -> list[RunDetails]: ...

    def state_counts(self, run_id: int) -> dict[str, int]: ...

    def students_in_states(self, run_id: int, states: Sequence[str], limit: int,
                           after_position: int = -1) -> list[RunStudent]: ...

    def students_at(self, run_id: int, positions: Sequence[int]) -> list[RunStudent]: ...

    def selected_among(self, run_id: int, asns: Sequence[str]) -> set[str]:
        """Which of ``asns`` the run selected."""
        ...

    def set_states(self, run_id: int, changes: Sequence[dict]) -> None: ...

    def finish_run(self, run_id: int, now: datetime) -> None: ...
