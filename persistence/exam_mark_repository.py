"""Loads what a SubmitDiplomaExamMark batch needs in a few set-based queries,
and writes the accepted changes in bulk.

On PostgreSQL the students of the batch are locked with ``SELECT … FOR NO
KEY UPDATE`` in a fixed order before their marks are read, so two concurrent
batches touching one student serialize: the second sees the first's
committed versions (rule 3004) and registrations (40540).  Of the sittings,
only those with a capacity that an active registration of the batch names
are locked (then counted, rule 40552): a results batch, or registrations on
sittings without a capacity, never wait for another batch at the same
writing centre.  SQLite's ``BEGIN IMMEDIATE`` already serializes writers.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Row, bindparam, delete, func, select, union_all, update
from sqlalchemy.orm import Session

from operations.submit_diploma_exam_mark import model as m
from operations.submit_diploma_exam_mark.book import Enrolments, MarkBook
from operations.submit_diploma_exam_mark.changes import PlannedChange
from pasi_core.kernel.code_tables import CodeTables
from pasi_core.kernel.errors import ConcurrentUpdateDetected
from pasi_core.kernel.students import Student, is_well_formed_asn
from persistence import models as t
from persistence.bulk import InQuery, bulk_insert, is_postgresql, row_locks, rows_together


class SqlExamMarkRepository:
    """:class:`operations.submit_diploma_exam_mark.ports.ExamMarkRepository` on SQLAlchemy."""

    def __init__(self, session: Session):
        self._session = session

    def load_book(self, submitted: Sequence[m.SubmittedExamMark], codes: CodeTables) -> MarkBook:
        return load_book(self._session, submitted, codes)

    def save_changes(self, changes: Sequence[PlannedChange], *, updated_by: str, now: datetime,
                     originally_stored: dict[str, m.StoredExamMark],
                     original_fee_links: dict[str, str],
                     original_activity: dict[str, int]) -> None:
        save_changes(self._session, changes, updated_by=updated_by, now=now,
                     originally_stored=originally_stored, original_fee_links=original_fee_links,
                     original_activity=original_activity)


def _columns(model) -> list:
    """Every column of ``model``'s table: Core rows, which cost far less to build than ORM objects."""
    return list(t.table(model).c)


_student = t.table(t.Student).c
_mark = t.table(t.ExamMark).c
_component = t.table(t.ExamMarkComponent).c
# The load's queries, each built once (persistence.bulk.InQuery): a batch of one record runs a
# dozen of them.
MARK_OWNERS = InQuery(lambda match: select(_mark.ref_id, _mark.asn).where(match(_mark.ref_id)))
PEOPLE = InQuery(lambda match: union_all(
    select(_student.asn, _student.primary_asn, _student.is_deactivated).where(match(_student.asn)),
    select(_student.asn, _student.primary_asn, _student.is_deactivated).where(match(_student.primary_asn))))
STUDENT_LOCKS = row_locks(t.Student.asn)
SITTING_LOCKS = row_locks(t.ExamSitting.ref_id)


def _marks_by(key: str) -> InQuery:
    return InQuery(lambda match: select(*_mark).where(match(_mark[key])))


MARKS_BY = {key: _marks_by(key) for key in ("asn", "ref_id")}
COMPONENTS = InQuery(lambda match: select(*_component).where(match(_component.exam_mark_ref_id)))
EXAM_COMPONENTS = InQuery(lambda match: select(*_columns(t.DiplomaExamComponent)).where(
    match(t.DiplomaExamComponent.exam_ref_id)))
EXAMS = InQuery(lambda match: select(*_columns(t.DiplomaExam)).where(match(t.DiplomaExam.ref_id)))
SITTINGS = InQuery(lambda match: select(
    *_columns(t.ExamSitting), t.Organization.name.label("writing_centre_name"),
    t.Organization.authority_code).outerjoin(
    t.Organization, t.Organization.code == t.ExamSitting.writing_centre_code).where(
    match(t.ExamSitting.ref_id)))
REGISTRATION_COUNTS = InQuery(lambda match: select(
    t.ExamMarkComponent.sitting_ref_id, func.count(func.distinct(t.ExamMark.ref_id))).join(
    t.ExamMark, t.ExamMark.ref_id == t.ExamMarkComponent.exam_mark_ref_id).where(
    match(t.ExamMarkComponent.sitting_ref_id), t.ExamMark.is_deleted.is_(False),
    t.ExamMark.status == m.REGISTERED).group_by(t.ExamMarkComponent.sitting_ref_id))
RESCORE_REQUESTS = InQuery(lambda match: select(*_columns(t.RescoreRequest)).where(
    match(t.RescoreRequest.exam_mark_ref_id)))
REGISTRATION_REQUESTS = InQuery(lambda match: select(
    t.RegistrationRequest.ref_id, t.RegistrationRequest.status, t.RegistrationRequest.is_deleted).where(
    match(t.RegistrationRequest.ref_id)))
WAIVED_FEES = InQuery(lambda match: select(*_columns(t.WaivedFee)).where(match(t.WaivedFee.asn)))
FEE_LINKS = InQuery(lambda match: select(
    t.RegistrationFee.exam_mark_ref_id, t.RegistrationFee.waived_fee_ref_id).where(
    match(t.RegistrationFee.exam_mark_ref_id)))
ENROLMENTS = InQuery(lambda match: select(
    t.SchoolEnrolment.asn, t.SchoolEnrolment.school_code, t.SchoolEnrolment.school_year,
    t.Organization.authority_code).join(
    t.Organization, t.Organization.code == t.SchoolEnrolment.school_code).where(
    match(t.SchoolEnrolment.asn)))
ACTIVITY = InQuery(lambda match: select(t.StudentActivity.asn, t.StudentActivity.school_year).where(
    match(t.StudentActivity.asn)))


def load_book(session: Session, submitted: Sequence[m.SubmittedExamMark],
              codes: CodeTables) -> MarkBook:
    """What the batch's rules read, in a few round trips: the queries that do not need each
    other's answers go together (:func:`persistence.bulk.rows_together`)."""
    # SQLite's BEGIN IMMEDIATE already serializes writers; PostgreSQL locks rows.
    lock = is_postgresql(session)
    ref_ids = {s.mark.ref_id for s in submitted}
    asns = {s.mark.asn for s in submitted if is_well_formed_asn(s.mark.asn)}
    # Before the lock: whose marks the batch names (their students are locked and read too).
    stored_owner = {row.ref_id: row.asn for row in MARK_OWNERS.rows(session, ref_ids)}
    asns |= set(stored_owner.values())
    students = load_people(session, asns)
    person_asns = set(students)
    exam_ids = {s.mark.exam_ref_id for s in submitted}
    sitting_ids = {c.sitting_ref_id for s in submitted for c in s.mark.components}

    # The students locked first (a fixed order, by ASN, then sitting, so concurrent batches never
    # deadlock); everything after it in the same round trip is read under that lock.
    locks = [(STUDENT_LOCKS, person_asns)] if lock else []
    *_, mark_rows, fee_rows, enrolment_rows, activity_rows, exam_component_rows, exam_rows, sitting_rows = (
        rows_together(session, locks + [
            (MARKS_BY["asn"], person_asns), (WAIVED_FEES, person_asns), (ENROLMENTS, person_asns),
            (ACTIVITY, asns), (EXAM_COMPONENTS, exam_ids), (EXAMS, exam_ids), (SITTINGS, sitting_ids)]))
    # Every mark of those students: the named ones among them, unless one moved to another
    # student since it was found above; those are read again by RefId, and refused.
    by_ref = {row.ref_id: row for row in mark_rows}
    moved = {ref for ref in stored_owner if ref not in by_ref}
    if moved:
        by_ref.update({row.ref_id: row for row in MARKS_BY["ref_id"].rows(session, moved)})
        if any(by_ref[ref].asn not in person_asns for ref in moved if ref in by_ref):
            raise ConcurrentUpdateDetected("an exam mark moved to another student while loading")

    # What the stored marks refer to.
    mark_refs = set(by_ref)
    stored_exam_ids = {row.exam_ref_id for row in by_ref.values()} - exam_ids
    component_rows, rescore_rows, request_rows, link_rows, more_component_rows, more_exam_rows = (
        rows_together(session, [
            (COMPONENTS, mark_refs), (RESCORE_REQUESTS, mark_refs),
            (REGISTRATION_REQUESTS, {row.registration_request_ref_id for row in by_ref.values()
                                     if row.registration_request_ref_id}),
            (FEE_LINKS, mark_refs), (EXAM_COMPONENTS, stored_exam_ids), (EXAMS, stored_exam_ids)]))
    marks = _stored_marks_from(by_ref, component_rows)
    sittings = _sittings_from(sitting_rows)
    stored_sitting_ids = {c.sitting_ref_id for mark in marks.values() for c in mark.mark.components} - set(sittings)
    if stored_sitting_ids:
        sittings.update(load_sittings(session, stored_sitting_ids))

    capped = capped_sittings_registered_on(submitted, sittings)
    # Only where capacity is at stake (rule 40552) are sittings locked: results, deletions and
    # registrations on uncapped sittings never wait for each other.  The capacity and the
    # registrations are read under the lock, in the same round trip.
    sitting_locks = [(SITTING_LOCKS, capped)] if lock else []
    *_, capped_rows, count_rows = rows_together(session, sitting_locks + [
        (SITTINGS, capped if lock else set()), (REGISTRATION_COUNTS, capped)])
    sittings.update(_sittings_from(capped_rows))
    exams = _exams_from(exam_component_rows + more_component_rows, exam_rows + more_exam_rows)
    exams.update(_load_exams(session, {s.exam_ref_id for s in sittings.values()} - set(exams)))

    return MarkBook(
        marks=marks.values(), exams=exams, sittings=sittings, students=students,
        registrations_by_sitting={sitting: count for sitting, count in count_rows},
        rescore_requests=[m.RescoreRequest(r.ref_id, r.exam_mark_ref_id, r.payment_status, r.consent_status,
                                           r.is_cancelled, r.version) for r in rescore_rows],
        registration_requests={r.ref_id: m.RegistrationRequest(r.ref_id, r.status, r.is_deleted)
                               for r in request_rows},
        waived_fees=[m.WaivedFee(f.ref_id, f.asn, f.course_code, f.expiry_school_year, f.expiry_exam_period,
                                 f.is_used, f.is_deleted, f.version) for f in fee_rows],
        fee_links={row.exam_mark_ref_id: row.waived_fee_ref_id for row in link_rows},
        enrolments=_enrolments_from(enrolment_rows),
        activity_school_years={row.asn: row.school_year for row in activity_rows},
        codes=codes,
    )


def capped_sittings_registered_on(submitted: Sequence[m.SubmittedExamMark],
                                  sittings: dict[str, m.ExamSitting]) -> set[str]:
    """The sittings with a capacity that the batch's active registrations name: the only ones
    whose registration count a concurrent batch could push past the capacity (40552)."""
    return {c.sitting_ref_id for s in submitted if s.mark.is_active_registration
            for c in s.mark.components
            if c.sitting_ref_id in sittings and sittings[c.sitting_ref_id].student_capacity is not None}


def load_people(session: Session, asns: set[str]) -> dict[str, Student]:
    """The students named, plus every ASN linked to them (Primary and Secondaries).

    Each round is one statement of two indexed lookups (by ASN, and by primary_asn), not one
    ``asn IN … OR primary_asn IN …``, which PostgreSQL answers with a full scan.  A second round
    runs only when a named ASN is a Secondary: for its Primary and the Primary's other ASNs."""
    found = {row.asn: row for row in PEOPLE.rows(session, asns)}
    primaries = {row.primary_asn for row in found.values() if row.primary_asn} - asns
    if primaries:
        found.update({row.asn: row for row in PEOPLE.rows(session, primaries)})
    return {row.asn: Student(row.asn, row.primary_asn, row.is_deactivated) for row in found.values()}


def _stored_marks_from(by_ref: dict[str, Row], component_rows: Iterable) -> dict[str, m.StoredExamMark]:
    components: dict[str, list] = defaultdict(list)
    for row in component_rows:
        components[row.exam_mark_ref_id].append(row)
    marks = {}
    for ref, row in by_ref.items():
        parts = tuple(m.ComponentMark(c.status, c.sitting_ref_id, c.mark_value, c.mark_format,
                                      c.maximum_mark, c.form_id, c.supplied_contact_name)
                      for c in sorted(components[ref], key=lambda c: c.position))
        marks[ref] = m.StoredExamMark(
            mark=m.ExamMark(row.ref_id, row.asn, row.exam_ref_id, row.status, row.mark_value,
                            row.is_rescored, row.is_deleted, parts),
            version=row.version, registration_request_ref_id=row.registration_request_ref_id,
            asn_set_by_linking=row.asn_set_by_linking)
    return marks


def _load_exams(session: Session, exam_ids: set[str]) -> dict[str, m.Exam]:
    if not exam_ids:
        return {}
    component_rows, exam_rows = rows_together(session, [(EXAM_COMPONENTS, exam_ids), (EXAMS, exam_ids)])
    return _exams_from(component_rows, exam_rows)


def _exams_from(component_rows: Iterable, exam_rows: Iterable) -> dict[str, m.Exam]:
    components: dict[str, dict[str, m.ExamComponent]] = defaultdict(dict)
    for c in component_rows:
        components[c.exam_ref_id][c.component_code] = m.ExamComponent(
            c.component_code, c.name_english, c.is_mark_reportable, c.is_deleted, c.scheduled_utc)
    return {e.ref_id: m.Exam(e.ref_id, e.course_code, e.course_name, e.school_year, e.exam_period,
                             e.exam_type, e.mark_format, e.registration_deadline_utc,
                             components.get(e.ref_id, {}), e.is_deleted) for e in exam_rows}


def load_sittings(session: Session, sitting_ids: set[str]) -> dict[str, m.ExamSitting]:
    return _sittings_from(SITTINGS.rows(session, sitting_ids))


def _sittings_from(rows: Iterable) -> dict[str, m.ExamSitting]:
    return {s.ref_id: m.ExamSitting(
        s.ref_id, s.exam_ref_id, s.component_code, s.writing_centre_code,
        s.writing_centre_name or (s.writing_centre_code or ""), s.location_name, s.scheduled_utc,
        s.student_capacity, s.is_special, s.is_deleted, s.authority_code) for s in rows}


def load_enrolments(session: Session, asns: set[str]) -> Enrolments:
    return _enrolments_from(ENROLMENTS.rows(session, asns))


def _enrolments_from(rows: Iterable) -> Enrolments:
    schools: dict[str, set[tuple[str, int]]] = defaultdict(set)
    authority = {}
    for row in rows:
        schools[row.asn].add((row.school_code, row.school_year))
        authority[row.school_code] = row.authority_code
    return Enrolments(dict(schools), authority)


# --- writing ------------------------------------------------------------------------------
def save_changes(session: Session, changes: Sequence[PlannedChange], *, updated_by: str,
                 now: datetime, originally_stored: dict[str, m.StoredExamMark],
                 original_fee_links: dict[str, str], original_activity: dict[str, int]) -> None:
    """Write the final state of every mark, fee, link and request the batch touched."""
    if not changes:
        return
    final: dict[str, m.StoredExamMark] = {}
    for change in changes:
        final[change.saved.mark.ref_id] = change.saved
        for repeat in change.repeats_deleted:
            final[repeat.mark.ref_id] = repeat

    inserts = [ref for ref in final if ref not in originally_stored]
    updates = [ref for ref in final if ref in originally_stored]
    if inserts:
        bulk_insert(session, t.table(t.ExamMark), [
            _mark_row(final[ref], updated_by, now) | {"created_utc": now} for ref in inserts])
    if updates:
        table = t.table(t.ExamMark)
        session.execute(
            update(table).where(table.c.ref_id == bindparam("b_ref_id")).values(
                asn=bindparam("asn"), exam_ref_id=bindparam("exam_ref_id"),
                status=bindparam("status"), mark_value=bindparam("mark_value"),
                is_rescored=bindparam("is_rescored"), is_deleted=bindparam("is_deleted"),
                version=bindparam("version"),
                registration_request_ref_id=bindparam("registration_request_ref_id"),
                asn_set_by_linking=bindparam("asn_set_by_linking"),
                updated_utc=bindparam("updated_utc"), updated_by=bindparam("updated_by")),
            [_mark_row(final[ref], updated_by, now, key="b_ref_id") for ref in updates],
            execution_options={"synchronize_session": False})

    rewritten = [ref for ref in updates
                 if final[ref].mark.components != originally_stored[ref].mark.components]
    if rewritten:
        session.execute(delete(t.table(t.ExamMarkComponent)).where(
            t.ExamMarkComponent.exam_mark_ref_id.in_(rewritten)))
    component_rows = [
        {"exam_mark_ref_id": ref, "position": position, "sitting_ref_id": c.sitting_ref_id,
         "status": c.status, "mark_value": c.mark_value, "mark_format": c.mark_format,
         "maximum_mark": c.maximum_mark, "form_id": c.form_id,
         "supplied_contact_name": c.supplied_contact_name}
        for ref in inserts + rewritten for position, c in enumerate(final[ref].mark.components)]
    bulk_insert(session, t.table(t.ExamMarkComponent), component_rows)

    _save_fees(session, changes, original_fee_links)
    _save_rescore_requests(session, changes)
    bulk_insert(session, t.table(t.TranscriptTrigger), [
        {"asn": trigger.asn, "course_code": trigger.course_code, "version": trigger.version,
         "source": "DiplomaExamMark", "source_ref_id": trigger.exam_mark_ref_id,
         "created_utc": now}
        for change in changes for trigger in change.triggers])
    _save_activity(session, changes, original_activity, updated_by, now)


def _mark_row(stored: m.StoredExamMark, updated_by: str, now: datetime, key: str = "ref_id") -> dict:
    mark = stored.mark
    return {key: mark.ref_id, "asn": mark.asn, "exam_ref_id": mark.exam_ref_id,
            "status": mark.status, "mark_value": mark.mark_value, "is_rescored": mark.is_rescored,
            "is_deleted": mark.is_deleted, "version": stored.version,
            "registration_request_ref_id": stored.registration_request_ref_id,
            "asn_set_by_linking": stored.asn_set_by_linking, "updated_utc": now,
            "updated_by": updated_by}


def _save_fees(session: Session, changes: Iterable[PlannedChange], original_links: dict[str, str]) -> None:
    fees: dict[str, tuple[m.WaivedFee, int]] = {}
    links = dict(original_links)
    for change in changes:
        for fee in change.waived_fees:
            fees[fee.ref_id] = (fee, change.version)
        if change.fee_link is not None:
            mark_ref, fee_ref = change.fee_link
            if fee_ref is None:
                links.pop(mark_ref, None)
            else:
                links[mark_ref] = fee_ref
    if fees:
        table = t.table(t.WaivedFee)
        session.execute(
            update(table).where(table.c.ref_id == bindparam("b_ref_id")).values(
                is_used=bindparam("is_used"), version=bindparam("version")),
            [{"b_ref_id": ref, "is_used": fee.is_used, "version": version}
             for ref, (fee, version) in fees.items()],
            execution_options={"synchronize_session": False})
    removed = [ref for ref in original_links if original_links[ref] != links.get(ref)]
    added = [ref for ref in links if original_links.get(ref) != links[ref]]
    if removed:
        session.execute(delete(t.table(t.RegistrationFee)).where(t.RegistrationFee.exam_mark_ref_id.in_(removed)))
    if added:
        bulk_insert(session, t.table(t.RegistrationFee), [
            {"exam_mark_ref_id": ref, "waived_fee_ref_id": links[ref], "fee_type": "RW"}
            for ref in added])


def _save_rescore_requests(session: Session, changes: Iterable[PlannedChange]) -> None:
    rows = {}
    for change in changes:
        for request, status in change.rescore_requests:
            rows[request.ref_id] = {"b_ref_id": request.ref_id, "status": status,
                                    "version": change.version}
    if rows:
        table = t.table(t.RescoreRequest)
        session.execute(
            update(table).where(table.c.ref_id == bindparam("b_ref_id")).values(
                status=bindparam("status"), version=bindparam("version")),
            list(rows.values()), execution_options={"synchronize_session": False})


def _save_activity(session: Session, changes: Iterable[PlannedChange], original: dict[str, int],
                   updated_by: str, now: datetime) -> None:
    years: dict[str, tuple[int, int]] = {}
    for change in changes:
        if change.activity_school_year is not None:
            years[change.saved.mark.asn] = (change.activity_school_year, change.version)
    rows = [{"asn": asn, "school_year": year, "version": version, "last_updated_utc": now,
             "updated_by": updated_by} for asn, (year, version) in years.items()]
    new_rows = [row for row in rows if row["asn"] not in original]
    old_rows = [row | {"b_asn": row["asn"]} for row in rows if row["asn"] in original]
    bulk_insert(session, t.table(t.StudentActivity), new_rows)
    if old_rows:
        table = t.table(t.StudentActivity)
        session.execute(
            update(table).where(table.c.asn == bindparam("b_asn")).values(
                school_year=bindparam("school_year"), version=bindparam("version"),
                last_updated_utc=bindparam("last_updated_utc"), updated_by=bindparam("updated_by")),
            [{k: v for k, v in row.items() if k != "asn"} for row in old_rows],
            execution_options={"synchronize_session": False})
