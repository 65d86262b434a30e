"""The bulk award-and-order run as a service-layer job.

``search`` selects the students and writes the Pre-Processing CSV; it changes
nothing.  ``run`` records the selection as a run, then works through it in
chunks: the awards of a chunk (through the same code as
SubmitCredentialAwardingMultiple) commit together with each student's new
state, then their credential orders (through the same code as
ConstructDocumentOrder, with PASI's credential-order defaults) commit with
theirs.  A run killed at any point is resumed from those states, so no
student is ever awarded twice; a student awarded but not ordered is ordered
on resume, or reported so.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from operations.construct_document_order.model import ORDERED, DocumentOrder, OrderItem
from operations.construct_document_order.service import construct_orders
from operations.submit_credential_awarding_multiple.model import AwardingOrder
from operations.submit_credential_awarding_multiple.service import award_credentials
from operations.unit_of_work import UnitOfWork, UnitOfWorkFactory
from pasi_core.kernel.caller import MINISTRY_CLIENT_USER, PASI_SYSTEM_USER, Caller
from pasi_core.kernel.code_tables import CodeTables
from pasi_core.kernel.errors import PasiError

from . import ports as store
from . import reports
from .selection import Criteria, Selected, select

STUDENT_RECORDS = Caller("O.1", frozenset({PASI_SYSTEM_USER, MINISTRY_CLIENT_USER}),
                         client_name="Student Records bulk award and order")
DELIVERY_METHODS = {"automated": "AutomatedPlusCardboard", "manual": "ManualMail"}
CHUNK = 500
"""Students awarded (then ordered) per transaction; smaller chunks lose less work to an interruption."""
LOAD_CHUNK = 2000


class BulkAwardError(PasiError):
    """A bulk run cannot start or go on (bad criteria, an unknown run, ...)."""


@dataclass
class SearchResult:
    criteria: Criteria
    selected: list[Selected]
    rows: dict[str, reports.Row]
    pre_processing_csv: Path | None = None


@dataclass
class RunSummary:
    run_id: int
    selected: int
    awarded_and_ordered: int = 0
    awarded_not_ordered: int = 0
    not_awarded: int = 0
    files: list[Path] = field(default_factory=list)


def awarding_order(uow: UnitOfWork) -> AwardingOrder:
    return AwardingOrder.from_code_tables(uow.code_tables.load())


def check_criteria(uow: UnitOfWork, criteria: Criteria) -> Criteria:
    order = awarding_order(uow)
    bad = [code for code in criteria.credential_types if not order.in_order(code)]
    if bad:
        raise BulkAwardError(f"credential type(s) {', '.join(bad)} cannot be awarded in bulk (unknown, "
                             "or awarded singly only, like the Honorary High School Diploma)")
    found = {}
    for code, kind in ((criteria.authority, "Authority"), (criteria.school, "School")):
        if code is not None:
            organization = uow.bulk_runs.organization(code)
            if organization is None or organization.kind != kind:
                raise BulkAwardError(f"{code} is not a known {kind.lower()}")
            found[kind] = organization
    school = found.get("School")
    if school is not None and criteria.authority and school.authority_code != criteria.authority:
        raise BulkAwardError(f"school {criteria.school} is not in authority {criteria.authority}")
    types = criteria.credential_types or tuple(sorted((c for c in order.types if order.in_order(c)),
                                                      key=order.rank))
    return Criteria(criteria.authority, criteria.school, types)


def search(new_unit_of_work: UnitOfWorkFactory, criteria: Criteria, *, out_dir: Path | None = None,
           now: datetime, progress: Callable[[int], None] | None = None) -> SearchResult:
    """Select the students (read only) and optionally write the Pre-Processing CSV."""
    with new_unit_of_work(read_only=True) as uow:
        criteria = check_criteria(uow, criteria)
        order = awarding_order(uow)
        types = frozenset(criteria.credential_types)
        asns = uow.bulk_runs.candidates(criteria)
        selected: list[Selected] = []
        for start in range(0, len(asns), LOAD_CHUNK):
            chunk = asns[start:start + LOAD_CHUNK]
            records = uow.credentials.load_student_records(chunk, for_update=False)
            selected += [s for s in (select(records[a], order, types) for a in chunk if a in records) if s]
            if progress:
                progress(len(chunk))
        rows = _rows(uow, selected, order)
    result = SearchResult(criteria, selected, rows)
    if out_dir is not None:
        result.pre_processing_csv = reports.write(
            out_dir / reports.file_name(now, "Pre-Processing"), reports.PRE_PROCESSING_COLUMNS,
            (rows[s.asn].cells() for s in selected))
    return result


def _rows(uow: UnitOfWork, selected: list[Selected], order: AwardingOrder) -> dict[str, reports.Row]:
    found = uow.bulk_runs.profiles(s.asn for s in selected)
    rows = {}
    for s in selected:
        p = found[s.asn]
        rows[s.asn] = reports.Row(s.asn, p.last_name, p.first_name, p.middle_name,
                                  p.placement.authority_code, p.placement.authority_name,
                                  p.placement.school_code, p.placement.school_name, s.credential_type,
                                  order.description(s.credential_type), s.requirement_set,
                                  s.expected_school_year)
    return rows


def start_run(new_unit_of_work: UnitOfWorkFactory, criteria: Criteria, delivery: str, *,
              now: datetime, out_dir: Path) -> tuple[int, SearchResult]:
    """Select the students again (the data may have moved since the search) and record the run."""
    if delivery not in DELIVERY_METHODS:
        raise BulkAwardError(f"delivery method must be one of {', '.join(DELIVERY_METHODS)}")
    result = search(new_unit_of_work, criteria, out_dir=out_dir, now=now)
    with new_unit_of_work() as uow:
        run_id = uow.bulk_runs.create_run(result.criteria, DELIVERY_METHODS[delivery],
                                          result.selected, now)
        uow.commit()
    return run_id, result


def resume_run(new_unit_of_work: UnitOfWorkFactory, run_id: int, *, clock: Callable[[], datetime],
               out_dir: Path, progress: Callable[[int], None] | None = None) -> RunSummary:
    """Award and order every student of the run not yet done; write the post-processing CSVs."""
    with new_unit_of_work(read_only=True) as uow:
        details = uow.bulk_runs.run_details(run_id)
    if details is None:
        raise BulkAwardError(f"there is no bulk run {run_id}")
    while _award_chunk(new_unit_of_work, run_id, clock(), progress, details.delivery_method):
        pass
    while _order_chunk(new_unit_of_work, run_id, clock(), details.delivery_method):
        pass
    with new_unit_of_work() as uow:
        uow.bulk_runs.finish_run(run_id, clock())
        uow.commit()
    return write_reports(new_unit_of_work, run_id, out_dir=out_dir, now=clock())


def _award_chunk(new_unit_of_work: UnitOfWorkFactory, run_id: int, now: datetime, progress,
                 delivery_method: str) -> bool:
    with new_unit_of_work() as uow:
        pending = uow.bulk_runs.students_in_state(run_id, store.SELECTED, CHUNK)
        if not pending:
            return False
        outcomes = award_credentials(uow, STUDENT_RECORDS, [s.asn for s in pending], now=now)
        uow.bulk_runs.set_states(run_id, [
            {"position": s.position, "state": store.AWARDED, "credential_number": o.credential_number}
            if o.awarded else
            {"position": s.position, "state": store.AWARD_FAILED,
             "rejections": json.dumps([[r.rule_id, r.message] for r in o.rejections])}
            for s, o in zip(pending, outcomes, strict=True)])
        uow.commit()
    _order_chunk_for(new_unit_of_work, run_id, now, [s.position for s in pending], delivery_method)
    if progress:
        progress(len(pending))
    return True


def _order_chunk(new_unit_of_work: UnitOfWorkFactory, run_id: int, now: datetime,
                 delivery_method: str) -> bool:
    """Orders for students awarded but not yet ordered (after an interruption)."""
    with new_unit_of_work(read_only=True) as uow:
        pending = uow.bulk_runs.students_in_state(run_id, store.AWARDED, CHUNK)
    if not pending:
        return False
    _order_chunk_for(new_unit_of_work, run_id, now, [s.position for s in pending], delivery_method)
    return True


def _order_chunk_for(new_unit_of_work: UnitOfWorkFactory, run_id: int, now: datetime,
                     positions: list[int], delivery_method: str) -> None:
    with new_unit_of_work() as uow:
        awarded = [s for s in uow.bulk_runs.students_at(run_id, positions) if s.state == store.AWARDED]
        if not awarded:
            return
        credentials = uow.bulk_runs.credentials(s.credential_number for s in awarded)
        addresses = uow.bulk_runs.current_addresses((s.asn for s in awarded), now.date())
        codes = uow.code_tables.load()
        orders = [credential_order(credentials[s.credential_number or ""], addresses.get(s.asn),
                                   delivery_method, codes, now) for s in awarded]
        outcomes = construct_orders(uow, STUDENT_RECORDS, orders, now=now)
        uow.bulk_runs.set_states(run_id, [
            {"position": s.position, "state": store.ORDERED, "credential_number": s.credential_number,
             "document_order_id": o.order_id} if o.saved else
            {"position": s.position, "state": store.ORDER_FAILED, "credential_number": s.credential_number,
             "rejections": json.dumps([[r.rule_id, r.message] for r in o.rejections])}
            for s, o in zip(awarded, outcomes, strict=True)])
        uow.commit()


def credential_order(credential: store.AwardedCredential, address: store.Address | None,
                     delivery_method: str, codes: CodeTables, now: datetime) -> DocumentOrder:
    """PASI's credential-order defaults (reference §3.3): one item, to the student, one copy,
    nothing collected, Ordered, the credential type's document type, the current mailing
    address or none."""
    document_type = codes.attribute("CredentialType", credential.credential_type, "DocumentType",
                                    credential.credential_type)
    name = " ".join(part for part in (credential.awarded_first_name, credential.awarded_middle_name,
                                      credential.awarded_last_name) if part)
    item = OrderItem(
        asn=credential.asn, document_type=document_type, delivery_method=delivery_method,
        document_language="EN", number_of_copies=1, amount_collected=Decimal(0),
        recipient_is_student=True, process_expectation="Standard",
        credential_number=credential.credential_number, recipient_name=name,
        address_lines=address.lines if address else (), city=address.city if address else None,
        province_state=address.province_state if address else None,
        postal_code=address.postal_code if address else None,
        country=address.country if address else None)
    return DocumentOrder(order_id=0, version=0, billing_information_id=0,
                         order_received_method="NotApplicable", order_status=ORDERED, is_deleted=False,
                         items=(item,), requestor_name="Alberta Education", order_placed_utc=now)


def write_reports(new_unit_of_work: UnitOfWorkFactory, run_id: int, *, out_dir: Path,
                  now: datetime) -> RunSummary:
    """The Post-Processing Successful and Un-successful CSVs of a run, from its stored states."""
    with new_unit_of_work(read_only=True) as uow:
        details = uow.bulk_runs.run_details(run_id)
        if details is None:
            raise BulkAwardError(f"there is no bulk run {run_id}")
        delivery_method = details.delivery_method
        students = uow.bulk_runs.all_students(run_id)
        order = awarding_order(uow)
        profiles = uow.bulk_runs.profiles(s.asn for s in students)
        credentials = uow.bulk_runs.credentials(s.credential_number for s in students)
    summary = RunSummary(run_id, len(students))
    successful, unsuccessful = [], []
    for s in students:
        p = profiles.get(s.asn)
        credential = credentials.get(s.credential_number or "")
        row = reports.Row(s.asn, p.last_name if p else "", p.first_name if p else None,
                          p.middle_name if p else None,
                          p.placement.authority_code if p else None, p.placement.authority_name if p else None,
                          p.placement.school_code if p else None, p.placement.school_name if p else None,
                          s.credential_type, order.description(s.credential_type),
                          credential.requirement_set if credential else None,
                          credential.school_year if credential else None).cells()
        rejections = json.loads(s.rejections) if s.rejections else []
        if s.state in (store.ORDERED, store.ORDER_FAILED, store.AWARDED):
            if credential is None:
                raise BulkAwardError(f"run {run_id}: the credential of position {s.position} is missing")
            ordered = s.state == store.ORDERED
            summary.awarded_and_ordered += ordered
            summary.awarded_not_ordered += not ordered
            successful.append(row + reports.credential_cells(
                credential.credential_number, credential.awarded_on_date, credential.school_year) + [
                str(s.document_order_id or ""), "1" if ordered else "", delivery_method if ordered else "",
                "English" if ordered else "", "Ordered" if ordered else "",
                "Awarded and ordered" if ordered else "Awarded, not ordered"]
                + (reports.rules_cells(rejections) if rejections else ["", ""]))
        elif s.state == store.AWARD_FAILED:
            summary.not_awarded += 1
            unsuccessful.append(row + ["Award"] + reports.rules_cells(rejections))
        else:
            unsuccessful.append(row + ["Not processed (run interrupted)", "", ""])
    started = details.started_utc
    summary.files = [
        reports.write(out_dir / reports.file_name(started, "Successful"), reports.SUCCESSFUL_COLUMNS, successful),
        reports.write(out_dir / reports.file_name(started, "Un-successful"), reports.UNSUCCESSFUL_COLUMNS,
                      unsuccessful)]
    return summary
