"""Award and Order Credentials in Bulk (seed 000) as service-layer use cases.

1. :func:`search` finds the students the criteria select and records that selection under an
   id (a run in status Searched); it awards nothing.  The Pre-Processing CSV is written from it.
2. :func:`start_run` is the confirmation's Continue: it starts *exactly* the recorded selection,
   once (a second Continue, a reload or a second tab start nothing), never one widened by a
   later search, and says how the selection has gone stale since it was made.  A run is refused
   while another unfinished run holds any of its students.
3. :func:`process_run` works through the run in chunks: the awards of a chunk (the same code as
   SubmitCredentialAwardingMultiple) commit with each student's new state and an audit row,
   then their credential orders (the same code as ConstructDocumentOrder, with PASI's
   credential-order defaults) commit with theirs.  A run killed at any point goes on from those
   states, so no student is ever awarded twice; :func:`resume_run` also retries the orders of
   students left "Awarded, not ordered" once their cause is fixed.
4. :func:`write_reports` writes the Post-Processing Successful and Un-successful CSVs.

Every step names its operator (the Student Records user) in the audit log.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from operations.background_jobs.model import BULK_AWARD_RUN
from operations.construct_document_order.model import ORDERED, DocumentOrder, OrderItem
from operations.construct_document_order.service import OrderOutcome, construct_orders
from operations.submit_credential_awarding_multiple.model import AwardingOrder
from operations.submit_credential_awarding_multiple.service import AwardOutcome, award_credentials
from operations.unit_of_work import UnitOfWork, UnitOfWorkFactory
from pasi_core.kernel.audit import AuditEntry, RecordOutcome
from pasi_core.kernel.caller import MINISTRY_CLIENT_USER, PASI_SYSTEM_USER, Caller
from pasi_core.kernel.clock import PROVINCE_TIME_ZONE, local_date
from pasi_core.kernel.code_tables import CodeTables
from pasi_core.kernel.errors import PasiError
from pasi_core.kernel.rejections import Rejection

from . import ports as store
from . import reports
from .selection import Criteria, Selected, SelectionSpool, select

STUDENT_RECORDS = Caller("O.1", frozenset({PASI_SYSTEM_USER, MINISTRY_CLIENT_USER}),
                         client_name="Award and Order Credentials in Bulk")
DELIVERY_METHODS = {"automated": "AutomatedPlusCardboard", "manual": "ManualMail"}
"""The confirmation's two choices (reference §1.5); Automated Mail is the default."""
DELIVERY_LABELS = {"automated": "Automated Mail (with a cardboard insert)", "manual": "Manual Mail"}
ENDPOINT = "StudentRecords"
CHUNK = 500
"""Students awarded (then ordered) per transaction by default (PASI_BULK_CHUNK_SIZE)."""
LOAD_CHUNK = 2000
ENGLISH, FRENCH = "EN", "FR"
ALL_STATES = (store.SELECTED, store.AWARDED, store.ORDERED, store.AWARD_FAILED, store.ORDER_FAILED)


class BulkAwardError(PasiError):
    """A bulk run cannot start or go on (bad criteria, an unknown run, ...)."""


@dataclass(frozen=True)
class Selection:
    """A recorded search.  Its students are in the store (:func:`students`), never all in
    memory: a province-wide selection is 50,000 of them."""

    run_id: int
    criteria: Criteria
    count: int
    searched_utc: datetime


@dataclass(frozen=True)
class Staleness:
    """How the students the criteria select now differ from the recorded selection."""

    no_longer_eligible: int = 0
    """Selected students the search would not select any more (their award will say why)."""
    newly_eligible: int = 0
    """Students the search would select now but who are not part of this run."""

    @property
    def changed(self) -> bool:
        return bool(self.no_longer_eligible or self.newly_eligible)


@dataclass(frozen=True)
class RunStart:
    run_id: int
    started: bool
    """False when the run had been started before (nothing more is started)."""
    staleness: Staleness = Staleness()


@dataclass
class RunSummary:
    run_id: int
    status: str
    selected: int
    awarded_and_ordered: int = 0
    awarded_not_ordered: int = 0
    not_awarded: int = 0
    not_processed: int = 0
    files: list[Path] = field(default_factory=list)

    @property
    def processed(self) -> int:
        return self.selected - self.not_processed

    @property
    def successful(self) -> int:
        """Students awarded (ordered or not): the Successful CSV's rows."""
        return self.awarded_and_ordered + self.awarded_not_ordered

    @property
    def unsuccessful(self) -> int:
        """Students not awarded, or not processed: the Un-successful CSV's rows."""
        return self.not_awarded + self.not_processed


def awarding_order(uow: UnitOfWork) -> AwardingOrder:
    return AwardingOrder.from_code_tables(uow.code_tables.load())


def check_criteria(uow: UnitOfWork, criteria: Criteria) -> Criteria:
    """Unknown codes are refused (never read as "everything"); no types means every type."""
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


def _selected_chunks(uow: UnitOfWork, criteria: Criteria,
                     progress: Callable[[int], None] | None = None) -> Iterator[list[Selected]]:
    """The students the criteria select, ``LOAD_CHUNK`` candidates at a time, by ASN."""
    order = awarding_order(uow)
    types = frozenset(criteria.credential_types)
    after = None
    while chunk := uow.bulk_runs.candidates(criteria, after=after, limit=LOAD_CHUNK):
        records = uow.credentials.load_student_records(chunk, for_update=False)
        yield [s for s in (select(records[a], order, types) for a in chunk if a in records) if s]
        if progress:
            progress(len(chunk))
        after = chunk[-1]


def search(new_unit_of_work: UnitOfWorkFactory, criteria: Criteria, *, operator: str, now: datetime,
           progress: Callable[[int], None] | None = None) -> Selection:
    """Select the students and record the selection (awarding nothing).

    The selection is made in a read-only unit of work and spooled to a temporary file, then
    recorded in a short write: on SQLite a write holds the database's one write lock, which a
    province-wide search must not hold for its seconds of reading."""
    _require_operator(operator)
    with SelectionSpool() as spool:
        with new_unit_of_work(read_only=True) as uow:
            criteria = check_criteria(uow, criteria)
            for chunk in _selected_chunks(uow, criteria, progress):
                spool.add(chunk)
        with new_unit_of_work() as uow:
            run_id = uow.bulk_runs.create_selection(criteria, operator=operator, now=now)
            position = 0
            for chunk in spool.chunks(LOAD_CHUNK):
                uow.bulk_runs.add_to_selection(run_id, position, chunk)
                position += len(chunk)
            _audit_step(uow, "BulkSearch", run_id, operator, now, spool.count)
            uow.commit()
        return Selection(run_id, criteria, spool.count, now)


def selection(new_unit_of_work: UnitOfWorkFactory, run_id: int) -> Selection:
    """A recorded selection, as the search made it."""
    with new_unit_of_work(read_only=True) as uow:
        details = _details(uow, run_id)
        count = sum(uow.bulk_runs.state_counts(run_id).values())
    return Selection(run_id, details.criteria, count, details.searched_utc)


def students(new_unit_of_work: UnitOfWorkFactory, run_id: int, chunk: int = LOAD_CHUNK
             ) -> Iterator[store.RunStudent]:
    """Every student of a selection or run, in its order, ``chunk`` at a time from the store."""
    with new_unit_of_work(read_only=True) as uow:
        _details(uow, run_id)
        for found in _student_chunks(uow, run_id, chunk):
            yield from found


def _student_chunks(uow: UnitOfWork, run_id: int, chunk: int) -> Iterator[list[store.RunStudent]]:
    """A run's students in its order, ``chunk`` at a time, whatever their state."""
    after = -1
    while found := uow.bulk_runs.students_in_states(run_id, ALL_STATES, chunk, after):
        yield found
        after = found[-1].position


def write_pre_processing_csv(new_unit_of_work: UnitOfWorkFactory, chosen: Selection, out_dir: Path, *,
                             time_zone: str = PROVINCE_TIME_ZONE, chunk: int = LOAD_CHUNK) -> Path:
    path = out_dir / reports.file_name(chosen.searched_utc, "Pre-Processing", time_zone)
    with reports.csv_file(path, reports.PRE_PROCESSING_COLUMNS) as add:
        for rows in _pre_processing_chunks(new_unit_of_work, chosen.run_id, chunk):
            add(rows)
    return path


def _pre_processing_chunks(new_unit_of_work: UnitOfWorkFactory, run_id: int, chunk: int = LOAD_CHUNK
                           ) -> Iterator[list[list[str]]]:
    """The Pre-Processing CSV's rows, ``chunk`` students at a time, in the selection's order."""
    with new_unit_of_work(read_only=True) as uow:
        order = awarding_order(uow)
        for found in _student_chunks(uow, run_id, chunk):
            profiles = uow.bulk_runs.profiles(s.asn for s in found)
            yield [_row(s, profiles, order).cells() for s in found]


def _row(student: store.RunStudent, profiles: dict[str, store.Profile], order: AwardingOrder) -> reports.Row:
    """A student's Pre-Processing cells: who, where, and what the search found for them."""
    return reports.Row.of(student.asn, profiles.get(student.asn), student.credential_type,
                          order.description(student.credential_type), student.requirement_set,
                          student.expected_school_year)


def start_run(new_unit_of_work: UnitOfWorkFactory, run_id: int, delivery: str, *, operator: str,
              now: datetime, queue_job: bool = False) -> RunStart:
    """Continue: start exactly the recorded selection, once.  With ``queue_job`` the processing
    is queued for the job runner in the same transaction (the screens never process inside a
    web request); without, the caller processes it (the command line)."""
    _require_operator(operator)
    if delivery not in DELIVERY_METHODS:
        raise BulkAwardError(f"delivery method must be one of {', '.join(DELIVERY_METHODS)}")
    with new_unit_of_work(read_only=True) as uow:
        details = _details(uow, run_id)
        if details.status == store.CANCELLED:
            raise BulkAwardError(f"selection {run_id} was cancelled; search again")
        if details.status != store.SEARCHED:
            return RunStart(run_id, started=False)
        # Compared a chunk at a time: what is held does not grow with the selection.
        frozen = sum(uow.bulk_runs.state_counts(run_id).values())
        now_selected = still_selected = 0
        for chunk in _selected_chunks(uow, details.criteria):
            asns = [s.asn for s in chunk]
            now_selected += len(asns)
            still_selected += len(uow.bulk_runs.selected_among(run_id, asns))
    with new_unit_of_work() as uow:
        busy = uow.bulk_runs.unfinished_runs_sharing_students(run_id)
        if busy:
            raise BulkAwardError(
                f"bulk run {', '.join(map(str, busy))} is not finished and holds students of this "
                f"selection; let it finish (or resume it: pasi-core bulk-award resume {busy[0]}) first")
        started = uow.bulk_runs.start(run_id, delivery_method=DELIVERY_METHODS[delivery],
                                      operator=operator, now=now)
        if started:
            if queue_job:
                uow.jobs.enqueue(BULK_AWARD_RUN, run_id, now)
            _audit_step(uow, "BulkContinue", run_id, operator, now, frozen)
        uow.commit()
    return RunStart(run_id, started, Staleness(frozen - still_selected, now_selected - still_selected))


def cancel(new_unit_of_work: UnitOfWorkFactory, run_id: int, *, now: datetime, operator: str | None = None) -> bool:
    """Cancel at the confirmation: nothing is awarded or ordered.  False once started."""
    with new_unit_of_work() as uow:
        _details(uow, run_id)
        cancelled = uow.bulk_runs.cancel(run_id, now=now)
        if cancelled:
            _audit_step(uow, "BulkCancel", run_id, operator, now, 0)
        uow.commit()
    return cancelled


def process_run(new_unit_of_work: UnitOfWorkFactory, run_id: int, *, clock: Callable[[], datetime],
                time_zone: str = PROVINCE_TIME_ZONE, progress: Callable[[int], None] | None = None,
                retry_failed_orders: bool = False, chunk: int = CHUNK,
                stopping: Callable[[], bool] = lambda: False) -> RunSummary:
    """Award and order every student of a started run not yet done, then finish it.  When
    ``stopping`` says so between chunks it returns early, unfinished (resumable)."""
    with new_unit_of_work(read_only=True) as uow:
        details = _details(uow, run_id)
    if details.status not in (store.RUNNING, store.FINISHED) or details.delivery_method is None:
        raise BulkAwardError(f"bulk run {run_id} has not been started (status {details.status})")
    operator = details.run_operator or details.operator or "unknown"
    job = _RunJob(new_unit_of_work, run_id, details.delivery_method, operator, clock, time_zone, chunk)
    while not stopping() and job.award_chunk(progress):
        pass
    if stopping():
        return summarize(new_unit_of_work, run_id)
    job.order_remaining(store.AWARDED)
    if retry_failed_orders:
        job.order_remaining(store.ORDER_FAILED)
    with new_unit_of_work() as uow:
        uow.bulk_runs.finish_run(run_id, clock())
        uow.commit()
    return summarize(new_unit_of_work, run_id)


def resume_run(new_unit_of_work: UnitOfWorkFactory, run_id: int, *, clock: Callable[[], datetime],
               time_zone: str = PROVINCE_TIME_ZONE, progress: Callable[[int], None] | None = None,
               chunk: int = CHUNK) -> RunSummary:
    """Go on with an interrupted run, and retry the orders that were refused."""
    return process_run(new_unit_of_work, run_id, clock=clock, time_zone=time_zone, progress=progress,
                       retry_failed_orders=True, chunk=chunk)


def summarize(new_unit_of_work: UnitOfWorkFactory, run_id: int) -> RunSummary:
    """The run's counts, from its students' states (what its CSVs hold)."""
    with new_unit_of_work(read_only=True) as uow:
        details = _details(uow, run_id)
        states = uow.bulk_runs.state_counts(run_id)
    return RunSummary(run_id, details.status, sum(states.values()),
                      awarded_and_ordered=states.get(store.ORDERED, 0),
                      awarded_not_ordered=states.get(store.AWARDED, 0) + states.get(store.ORDER_FAILED, 0),
                      not_awarded=states.get(store.AWARD_FAILED, 0),
                      not_processed=states.get(store.SELECTED, 0))


class _RunJob:
    """The chunks of one run; each chunk a unit of work with its audit row."""

    def __init__(self, new_unit_of_work: UnitOfWorkFactory, run_id: int, delivery_method: str,
                 operator: str, clock: Callable[[], datetime], time_zone: str, chunk: int):
        self.new_unit_of_work = new_unit_of_work
        self.run_id = run_id
        self.delivery_method = delivery_method
        self.operator = operator
        self.clock = clock
        self.time_zone = time_zone
        self.chunk = chunk

    def award_chunk(self, progress: Callable[[int], None] | None) -> bool:
        now = self.clock()
        with self.new_unit_of_work() as uow:
            pending = uow.bulk_runs.students_in_states(self.run_id, [store.SELECTED], self.chunk)
            if not pending:
                return False
            outcomes = award_credentials(uow, STUDENT_RECORDS, [s.asn for s in pending], now=now,
                                         today=local_date(now, self.time_zone))
            uow.bulk_runs.set_states(self.run_id, [_award_state(s, o) for s, o in zip(pending, outcomes,
                                                                                      strict=True)])
            self._audit(uow, "SubmitCredentialAwardingMultiple", now, pending,
                        [(o.version, o.rejections) for o in outcomes])
            uow.commit()
        self.order([s.position for s, o in zip(pending, outcomes, strict=True) if o.awarded], now)
        if progress:
            progress(len(pending))
        return True

    def order_remaining(self, state: str) -> None:
        after = -1
        while True:
            with self.new_unit_of_work(read_only=True) as uow:
                pending = uow.bulk_runs.students_in_states(self.run_id, [state], self.chunk, after)
            if not pending:
                return
            self.order([s.position for s in pending], self.clock())
            after = pending[-1].position

    def order(self, positions: list[int], now: datetime) -> None:
        if not positions:
            return
        with self.new_unit_of_work() as uow:
            awarded = [s for s in uow.bulk_runs.students_at(self.run_id, positions)
                       if s.state in (store.AWARDED, store.ORDER_FAILED)]
            if not awarded:
                return
            today = local_date(now, self.time_zone)
            credentials = uow.bulk_runs.credentials(s.credential_number for s in awarded)
            addresses = uow.bulk_runs.current_addresses((s.asn for s in awarded), today)
            profiles = uow.bulk_runs.profiles(s.asn for s in awarded)
            codes = uow.code_tables.load()
            orders = [credential_order(credentials[s.credential_number or ""], addresses.get(s.asn),
                                       self.delivery_method, codes, now,
                                       document_language(profiles.get(s.asn)))
                      for s in awarded]
            outcomes = construct_orders(uow, STUDENT_RECORDS, orders, now=now)
            uow.bulk_runs.set_states(self.run_id, [_order_state(s, o) for s, o in zip(awarded, outcomes,
                                                                                      strict=True)])
            self._audit(uow, "ConstructDocumentOrder", now, awarded,
                        [(o.version, o.rejections) for o in outcomes])
            uow.commit()

    def _audit(self, uow: UnitOfWork, operation: str, now: datetime, students: list[store.RunStudent],
               results: list[tuple[int, tuple[Rejection, ...]]]) -> None:
        uow.audit.append(AuditEntry(
            message_id=str(uuid.uuid4()), received_utc=now, endpoint=ENDPOINT, operation=operation,
            organization_code=STUDENT_RECORDS.organization_code,
            client_name=f"{STUDENT_RECORDS.client_name} (run {self.run_id})", client_message_id=None,
            remote_address=None, outcome="ok", rule_id=None, record_count=len(students),
            accepted_count=sum(1 for _, rejections in results if not rejections),
            duration_ms=0, request_hash=None, operator=self.operator,
            record_outcomes=tuple(RecordOutcome(s.position, version, tuple(r.rule_id for r in rejections))
                                  for s, (version, rejections) in zip(students, results, strict=True))))


def _award_state(student: store.RunStudent, outcome: AwardOutcome) -> dict:
    if outcome.awarded:
        return {"position": student.position, "state": store.AWARDED,
                "credential_number": outcome.credential_number}
    return {"position": student.position, "state": store.AWARD_FAILED,
            "rejections": json.dumps([[r.rule_id, r.message] for r in outcome.rejections])}


def _order_state(student: store.RunStudent, outcome: OrderOutcome) -> dict:
    if outcome.saved:
        return {"position": student.position, "state": store.ORDERED,
                "credential_number": student.credential_number, "document_order_id": outcome.order_id}
    return {"position": student.position, "state": store.ORDER_FAILED,
            "credential_number": student.credential_number,
            "rejections": json.dumps([[r.rule_id, r.message] for r in outcome.rejections])}


def document_language(profile: store.Profile | None) -> str:
    """docs/decisions.md "Document language": French for a student of a Francophone school."""
    return FRENCH if profile is not None and profile.placement.school_is_francophone else ENGLISH


def credential_order(credential: store.AwardedCredential, address: store.Address | None,
                     delivery_method: str, codes: CodeTables, now: datetime,
                     document_language: str = ENGLISH) -> DocumentOrder:
    """PASI's credential-order defaults (reference §3.3): one item, to the student, one copy,
    nothing collected, Ordered, the credential type's document type, the current mailing
    address or none (the Credential Processing Agent holds it later)."""
    document_type = codes.attribute("CredentialType", credential.credential_type, "DocumentType",
                                    credential.credential_type)
    name = " ".join(part for part in (credential.awarded_first_name, credential.awarded_middle_name,
                                      credential.awarded_last_name) if part)
    item = OrderItem(
        asn=credential.asn, document_type=document_type, delivery_method=delivery_method,
        document_language=document_language, number_of_copies=1, amount_collected=Decimal(0),
        recipient_is_student=True, process_expectation="Standard",
        credential_number=credential.credential_number, recipient_name=name,
        address_lines=address.lines if address else (), city=address.city if address else None,
        province_state=address.province_state if address else None,
        postal_code=address.postal_code if address else None,
        country=address.country if address else None)
    return DocumentOrder(order_id=0, version=0, billing_information_id=0,
                         order_received_method="NotApplicable", order_status=ORDERED, is_deleted=False,
                         items=(item,), requestor_name="Alberta Education", order_placed_utc=now)


def _report_chunks(new_unit_of_work: UnitOfWorkFactory, run_id: int, chunk: int = LOAD_CHUNK
                   ) -> Generator[tuple[list[list[str]], list[list[str]]], None, None]:
    """(Successful rows, Un-successful rows) for ``chunk`` students at a time, in
    their order in the run: what is held at once does not grow with the run."""
    with new_unit_of_work(read_only=True) as uow:
        order = awarding_order(uow)
        codes = uow.code_tables.load()
        for students in _student_chunks(uow, run_id, chunk):
            profiles = uow.bulk_runs.profiles(s.asn for s in students)
            credentials = uow.bulk_runs.credentials(s.credential_number for s in students)
            items = uow.bulk_runs.ordered_items(s.credential_number for s in students)
            successful, unsuccessful = [], []
            for s in students:
                cells = _row(s, profiles, order).cells()
                rejections = json.loads(s.rejections) if s.rejections else []
                if s.state in (store.ORDERED, store.ORDER_FAILED, store.AWARDED):
                    successful.append(cells + _awarded_cells(run_id, s, credentials, items, codes,
                                                             rejections))
                elif s.state == store.AWARD_FAILED:
                    unsuccessful.append(cells + ["Award", *reports.rules_cells(rejections)])
                else:
                    unsuccessful.append(cells + ["Not processed (run interrupted)", "", ""])
            yield successful, unsuccessful


def _awarded_cells(run_id: int, student: store.RunStudent,
                   credentials: dict[str, store.AwardedCredential],
                   items: dict[str, store.OrderedItem], codes: CodeTables,
                   rejections: list) -> list[str]:
    """The Successful file's own cells for an awarded student (ordered or not)."""
    credential = credentials.get(student.credential_number or "")
    if credential is None:
        raise BulkAwardError(f"run {run_id}: the credential of position {student.position} is missing")
    item = items.get(credential.credential_number) if student.state == store.ORDERED else None
    return reports.successful_cells(credential, item, codes, rejections)


def write_reports(new_unit_of_work: UnitOfWorkFactory, run_id: int, *, out_dir: Path,
                  time_zone: str = PROVINCE_TIME_ZONE, chunk: int = LOAD_CHUNK) -> RunSummary:
    """The Post-Processing Successful and Un-successful CSVs of a run, written to ``out_dir``
    as the rows are made (a chunk of students at a time)."""
    summary = summarize(new_unit_of_work, run_id)
    with new_unit_of_work(read_only=True) as uow:
        searched_utc = _details(uow, run_id).searched_utc
    successful_path = out_dir / reports.file_name(searched_utc, "Successful", time_zone)
    unsuccessful_path = out_dir / reports.file_name(searched_utc, "Un-successful", time_zone)
    with reports.csv_file(successful_path, reports.SUCCESSFUL_COLUMNS) as add_successful, \
            reports.csv_file(unsuccessful_path, reports.UNSUCCESSFUL_COLUMNS) as add_unsuccessful:
        for successful, unsuccessful in _report_chunks(new_unit_of_work, run_id, chunk):
            add_successful(successful)
            add_unsuccessful(unsuccessful)
    summary.files = [successful_path, unsuccessful_path]
    return summary


@dataclass(frozen=True)
class CsvDownload:
    """A CSV made as it is sent: :meth:`chunks` reads the store and yields the file's bytes a
    chunk of students at a time."""

    name: str
    records: int
    make: Callable[[], Iterator[bytes]]

    def chunks(self) -> Iterator[bytes]:
        return self.make()

    @property
    def content(self) -> bytes:
        return b"".join(self.make())


def pre_processing_csv(new_unit_of_work: UnitOfWorkFactory, run_id: int, *,
                       time_zone: str = PROVINCE_TIME_ZONE, chunk: int = LOAD_CHUNK) -> CsvDownload:
    chosen = selection(new_unit_of_work, run_id)
    return CsvDownload(reports.file_name(chosen.searched_utc, "Pre-Processing", time_zone), chosen.count,
                       lambda: reports.stream(reports.PRE_PROCESSING_COLUMNS,
                                              _pre_processing_chunks(new_unit_of_work, run_id, chunk)))


def post_processing_csv(new_unit_of_work: UnitOfWorkFactory, run_id: int, kind: str, *,
                        time_zone: str = PROVINCE_TIME_ZONE, chunk: int = LOAD_CHUNK) -> CsvDownload:
    """``kind`` is Successful or Un-successful."""
    if kind not in ("Successful", "Un-successful"):
        raise BulkAwardError(f"there is no {kind} file; Successful or Un-successful")
    summary = summarize(new_unit_of_work, run_id)
    with new_unit_of_work(read_only=True) as uow:
        searched_utc = _details(uow, run_id).searched_utc
    side = 0 if kind == "Successful" else 1
    columns = (reports.SUCCESSFUL_COLUMNS, reports.UNSUCCESSFUL_COLUMNS)[side]
    return CsvDownload(reports.file_name(searched_utc, kind, time_zone),
                       (summary.successful, summary.unsuccessful)[side],
                       lambda: reports.stream(columns, (pair[side] for pair in
                                                        _report_chunks(new_unit_of_work, run_id, chunk))))


def awarded_not_ordered(new_unit_of_work: UnitOfWorkFactory, run_id: int, limit: int) -> list[list[str]]:
    """The first ``limit`` Successful rows of students awarded but not ordered (the screen's
    follow-up list), read only as far as needed."""
    outcome = reports.SUCCESSFUL_COLUMNS.index("Outcome")
    found: list[list[str]] = []
    chunks = _report_chunks(new_unit_of_work, run_id)
    try:
        for successful, _ in chunks:
            found += [row for row in successful if row[outcome] == "Awarded, not ordered"]
            if len(found) >= limit:
                break
    finally:
        chunks.close()
    return found[:limit]


def exported(new_unit_of_work: UnitOfWorkFactory, file: CsvDownload, run_id: int, kind: str, *,
             operator: str, now: datetime) -> Iterator[bytes]:
    """The file's bytes as they are made, its export audited once the whole file has been made:
    a failure half-way (a credential gone, the database lost) raises before any export is
    recorded, so the audit log never shows an export that did not happen."""
    yield from file.chunks()
    record_export(new_unit_of_work, run_id, kind, operator=operator, now=now, records=file.records)


def record_export(new_unit_of_work: UnitOfWorkFactory, run_id: int, kind: str, *, operator: str,
                  now: datetime, records: int) -> None:
    """An exported CSV holds student data: who took which one is audited."""
    with new_unit_of_work() as uow:
        _audit_step(uow, f"Export{kind.replace('-', '')}Csv", run_id, operator, now, records)
        uow.commit()


@dataclass(frozen=True)
class SearchOptions:
    authorities: list[store.Organization]
    """Every school authority, alphabetically."""
    credential_types: list[tuple[str, str]]
    """(code, description) of the types a bulk run may award, highest order first."""


def search_options(new_unit_of_work: UnitOfWorkFactory) -> SearchOptions:
    with new_unit_of_work(read_only=True) as uow:
        order = awarding_order(uow)
        authorities = uow.bulk_runs.organizations("Authority")
    types = sorted((code for code in order.types if order.in_order(code)), key=order.rank)
    return SearchOptions(authorities, [(code, order.description(code)) for code in types])


def schools_of(new_unit_of_work: UnitOfWorkFactory, authority: str) -> list[store.Organization]:
    with new_unit_of_work(read_only=True) as uow:
        return uow.bulk_runs.organizations("School", authority=authority)


def run_details(new_unit_of_work: UnitOfWorkFactory, run_id: int) -> store.RunDetails:
    with new_unit_of_work(read_only=True) as uow:
        return _details(uow, run_id)


def recent_runs(new_unit_of_work: UnitOfWorkFactory, *, limit: int = 20) -> list[store.RunDetails]:
    with new_unit_of_work(read_only=True) as uow:
        return uow.bulk_runs.recent_runs(limit)


def _details(uow: UnitOfWork, run_id: int) -> store.RunDetails:
    details = uow.bulk_runs.run_details(run_id)
    if details is None:
        raise BulkAwardError(f"there is no bulk selection or run {run_id}")
    return details


def _audit_step(uow: UnitOfWork, operation: str, run_id: int, operator: str | None, now: datetime,
                records: int) -> None:
    uow.audit.append(AuditEntry(
        message_id=str(uuid.uuid4()), received_utc=now, endpoint=ENDPOINT, operation=operation,
        organization_code=STUDENT_RECORDS.organization_code,
        client_name=f"{STUDENT_RECORDS.client_name} (run {run_id})", client_message_id=None,
        remote_address=None, outcome="ok", rule_id=None, record_count=records, accepted_count=records,
        duration_ms=0, request_hash=None, operator=operator, record_outcomes=None))


def _require_operator(operator: str) -> None:
    if not operator or not operator.strip():
        raise BulkAwardError("a bulk run is made by a named operator (the Student Records user)")
