"""Loads what credential awarding needs per student, in a few set-based queries,
and writes awards in bulk.

On PostgreSQL the students are locked (``SELECT … FOR NO KEY UPDATE``, ASN order)
before their awards are read, so two concurrent awards of one student
serialize and the second finds the first (rule 44010)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from operations.submit_credential_awarding_multiple.model import ACHIEVED, Award, OfficialMark, StudentRecord
from pasi_core.kernel.students import Student, is_well_formed_asn
from persistence import models as t
from persistence.bulk import bulk_insert, is_postgresql, lock_rows, select_in


class SqlCredentialRepository:
    """:class:`operations.submit_credential_awarding_multiple.ports.CredentialRepository`."""

    def __init__(self, session: Session):
        self._session = session

    def load_student_records(self, asns: Iterable[str], *, for_update: bool = True
                             ) -> dict[str, StudentRecord]:
        return load_student_records(self._session, asns,
                                    lock=for_update and is_postgresql(self._session))

    def save_awards(self, awards: Sequence[tuple[Award, str, int]], *, updated_by: str,
                    now: datetime) -> None:
        save_awards(self._session, awards, updated_by=updated_by, now=now)


def load_student_records(session: Session, asns: Iterable[str], *, lock: bool) -> dict[str, StudentRecord]:
    asns = {asn for asn in asns if is_well_formed_asn(asn)}
    if not asns:
        return {}
    if lock:
        lock_rows(session, t.Student.asn, asns)
    # Core rows throughout, not ORM objects: building 100,000 mapped instances was a tenth of a
    # bulk run's time, and nothing here is written back through them.
    student = t.table(t.Student).c
    students = {row.asn: row for row in select_in(session, lambda match: select(
        student.asn, student.primary_asn, student.is_deactivated, student.legal_last_name,
        student.legal_first_name, student.legal_middle_name, student.birth_date).where(
        match(student.asn)), asns)}
    achieved: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in select_in(session, lambda match: select(
            t.CredentialAchievement.asn, t.CredentialAchievement.credential_type,
            t.CredentialAchievement.requirement_set).where(
            match(t.CredentialAchievement.asn), t.CredentialAchievement.status == ACHIEVED), students):
        achieved[row.asn][row.credential_type].append(row.requirement_set)
    latest: dict[tuple[str, str], Row] = {}
    credentials = t.table(t.StudentCredential).c
    for credential in select_in(session, lambda match: select(
            credentials.asn, credentials.credential_type, credentials.created_utc,
            credentials.credential_number, credentials.is_deleted).where(
            match(credentials.asn)), students):
        key = (credential.asn, credential.credential_type)
        current = latest.get(key)
        if current is None or (credential.created_utc, credential.credential_number) > (
                current.created_utc, current.credential_number):
            latest[key] = credential
    active: dict[str, dict[str, str]] = defaultdict(dict)
    for (asn, kind), credential in latest.items():
        if not credential.is_deleted:
            active[asn][kind] = credential.credential_number
    years: dict[str, set[int]] = defaultdict(set)
    for row in select_in(session, lambda match: select(
            t.SchoolEnrolment.asn, t.SchoolEnrolment.school_year).where(
            match(t.SchoolEnrolment.asn)), students):
        years[row.asn].add(row.school_year)
    marks: dict[str, list[OfficialMark]] = defaultdict(list)
    official = t.table(t.OfficialMark).c
    for mark in select_in(session, lambda match: select(
            official.asn, official.course_code, official.school_year, official.mark_value,
            official.credits_awarded, official.is_ged).where(
            match(official.asn), official.is_deleted.is_(False)), students):
        marks[mark.asn].append(OfficialMark(mark.course_code, mark.school_year, mark.mark_value,
                                            mark.credits_awarded, mark.is_ged))
    return {asn: StudentRecord(
        student=Student(asn, s.primary_asn, s.is_deactivated), legal_last_name=s.legal_last_name,
        legal_first_name=s.legal_first_name, legal_middle_name=s.legal_middle_name,
        birth_date=s.birth_date,
        achieved={kind: tuple(sorted(sets)) for kind, sets in achieved[asn].items()},
        active_awards=dict(active[asn]), enrolment_school_years=tuple(sorted(years[asn])),
        official_marks=tuple(marks[asn])) for asn, s in students.items()}


def save_awards(session: Session, awards: Sequence[tuple[Award, str, int]], *, updated_by: str,
                now: datetime) -> None:
    """Insert (award, credential number, version) rows and a transcript trigger each."""
    bulk_insert(session, t.table(t.StudentCredential), [
        {"credential_number": number, "asn": award.asn, "credential_type": award.credential_type,
         "requirement_set": award.requirement_set, "awarded_on_date": award.awarded_on,
         "school_year": award.school_year, "awarded_last_name": award.last_name,
         "awarded_first_name": award.first_name, "awarded_middle_name": award.middle_name,
         "is_deleted": False, "delete_reason": None, "legacy_credential_number": None,
         "version": version, "created_utc": now, "updated_by": updated_by}
        for award, number, version in awards])
    bulk_insert(session, t.table(t.TranscriptTrigger), [
        {"asn": award.asn, "course_code": None, "version": version, "source": "StudentCredential",
         "source_ref_id": number, "created_utc": now} for award, number, version in awards])
