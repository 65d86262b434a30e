"""List Credentials to Review: find the credentials of a category (on the screen and as a CSV),
and order the ones "Awarded but Not Ordered" (the follow-up of the bulk run's alternate
scenario 2), through the same code and defaults as the bulk run's orders, audited."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from operations.bulk_award_and_order import reports
from operations.bulk_award_and_order.service import (
    DELIVERY_METHODS,
    STUDENT_RECORDS,
    BulkAwardError,
    awarding_order,
    credential_order,
    document_language,
)
from operations.construct_document_order.service import construct_orders
from operations.unit_of_work import UnitOfWorkFactory
from pasi_core.kernel import rule_catalogue
from pasi_core.kernel.audit import AuditEntry, RecordOutcome
from pasi_core.kernel.clock import PROVINCE_TIME_ZONE, local_date, local_time
from pasi_core.kernel.credential_numbers import display
from pasi_core.kernel.rejections import Rejection
from pasi_core.kernel.students import display_asn

from .model import CATEGORIES, ReviewItem

ENDPOINT = "StudentRecords"
COLUMNS = ["ASN", "Legal Last Name", "Legal First Name", "School Code", "School Name", "Credential Type Code",
           "Credential Type", "Credential Requirement Set", "Achievement Status", "Credential Number",
           "Awarded On Date"]


@dataclass(frozen=True)
class ReviewRow:
    item: ReviewItem
    last_name: str
    first_name: str | None
    school_code: str | None
    school_name: str | None
    credential_description: str

    def cells(self) -> list[str]:
        item = self.item
        return [display_asn(item.asn), self.last_name, self.first_name or "", self.school_code or "",
                self.school_name or "", item.credential_type, self.credential_description,
                item.requirement_set or "", item.achievement_status or "",
                display(item.credential_number) if item.credential_number else "",
                item.awarded_on_date.isoformat() if item.awarded_on_date else ""]


def check_category(category: str) -> str:
    if category not in CATEGORIES:
        raise BulkAwardError(f"unknown category {category!r}; one of {', '.join(CATEGORIES)}")
    return category


def find(new_unit_of_work: UnitOfWorkFactory, category: str, *, operator: str, now: datetime) -> list[ReviewRow]:
    """Every credential of ``category``; who looked is audited (the list names students)."""
    check_category(category)
    with new_unit_of_work(read_only=True) as uow:
        items = uow.credential_review.items(category)
        profiles = uow.bulk_runs.profiles(item.asn for item in items)
        order = awarding_order(uow)
    rows = []
    for item in items:
        profile = profiles.get(item.asn)
        placement = profile.placement if profile else None
        rows.append(ReviewRow(item, profile.last_name if profile else "", profile.first_name if profile else None,
                              placement.school_code if placement else None,
                              placement.school_name if placement else None, order.description(item.credential_type)))
    _audit(new_unit_of_work, f"ListCredentialsToReview:{category}", operator, now, len(rows), None)
    return rows


def csv_file(rows: list[ReviewRow], category: str, moment_utc: datetime,
             time_zone: str = PROVINCE_TIME_ZONE) -> tuple[str, bytes]:
    name = f"{local_time(moment_utc, time_zone):%Y-%m-%d %H.%M.%S} - Credentials to Review - {CATEGORIES[category]}.csv"
    return name, reports.to_bytes(COLUMNS, (row.cells() for row in rows))


@dataclass(frozen=True)
class OrderResult:
    credential_number: str
    order_id: int
    rejections: tuple[Rejection, ...]

    @property
    def ordered(self) -> bool:
        return not self.rejections


def order_credentials(new_unit_of_work: UnitOfWorkFactory, numbers: list[str], delivery: str, *,
                      operator: str, now: datetime, time_zone: str = PROVINCE_TIME_ZONE) -> list[OrderResult]:
    """Order each of the chosen "Awarded but Not Ordered" credentials, with the bulk run's
    defaults.  A credential ordered meanwhile (or not awarded) is refused, never ordered twice."""
    if delivery not in DELIVERY_METHODS:
        raise BulkAwardError(f"delivery method must be one of {', '.join(DELIVERY_METHODS)}")
    if not numbers:
        raise BulkAwardError("choose at least one credential to order")
    with new_unit_of_work() as uow:
        orderable = set(uow.credential_review.unordered_credentials(numbers))
        chosen = [n for n in dict.fromkeys(numbers) if n in orderable]
        credentials = uow.bulk_runs.credentials(chosen)
        today = local_date(now, time_zone)
        addresses = uow.bulk_runs.current_addresses((credentials[n].asn for n in chosen), today)
        profiles = uow.bulk_runs.profiles(credentials[n].asn for n in chosen)
        codes = uow.code_tables.load()
        orders = [credential_order(credentials[n], addresses.get(credentials[n].asn), DELIVERY_METHODS[delivery],
                                   codes, now, document_language(profiles.get(credentials[n].asn)))
                  for n in chosen]
        outcomes = construct_orders(uow, STUDENT_RECORDS, orders, now=now) if orders else []
        results = [OrderResult(n, o.order_id, o.rejections) for n, o in zip(chosen, outcomes, strict=True)]
        refused = [n for n in numbers if n not in orderable]
        _append_audit(uow, "OrderCredentialsToReview", operator, now, len(numbers),
                      tuple(RecordOutcome(i, o.version, tuple(r.rule_id for r in o.rejections))
                            for i, o in enumerate(outcomes)))
        uow.commit()
    # Ordered meanwhile (a second tab, another user) or not awarded: PASI's own 44017 says why.
    return results + [OrderResult(n, 0, (Rejection(44017, rule_catalogue.render(44017, {})),)) for n in refused]


def _audit(new_unit_of_work: UnitOfWorkFactory, operation: str, operator: str, now: datetime, records: int,
           outcomes: tuple[RecordOutcome, ...] | None) -> None:
    with new_unit_of_work() as uow:
        _append_audit(uow, operation, operator, now, records, outcomes)
        uow.commit()


def _append_audit(uow, operation: str, operator: str, now: datetime, records: int,
                  outcomes: tuple[RecordOutcome, ...] | None) -> None:
    uow.audit.append(AuditEntry(
        message_id=str(uuid.uuid4()), received_utc=now, endpoint=ENDPOINT, operation=operation,
        organization_code=STUDENT_RECORDS.organization_code, client_name="Student Records",
        client_message_id=None, remote_address=None, outcome="ok", rule_id=None, record_count=records,
        accepted_count=sum(1 for o in outcomes or () if not o.rule_ids), duration_ms=0, request_hash=None,
        record_outcomes=outcomes, operator=operator))

