"""Queries and writes of the bulk award-and-order run (:class:`BulkRunRepository`)."""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from operations.bulk_award_and_order.ports import (
    SELECTED,
    Address,
    AwardedCredential,
    Organization,
    Placement,
    Profile,
    RunDetails,
    RunStudent,
)
from operations.bulk_award_and_order.selection import Criteria, Selected
from persistence import models as t
from persistence.bulk import bulk_insert, select_in


def candidates(session: Session, criteria: Criteria) -> list[str]:
    """ASNs with an achieved credential requirement set, within the criteria's school or authority."""
    achieved = select(t.CredentialAchievement.asn).where(
        t.CredentialAchievement.status == "Achieved").distinct()
    if not criteria.school and not criteria.authority:
        return sorted(session.execute(achieved).scalars())
    latest = select(t.SchoolEnrolment.asn, func.max(t.SchoolEnrolment.school_year).label("year")).group_by(
        t.SchoolEnrolment.asn).subquery()
    query = select(t.SchoolEnrolment.asn).join(latest, and_(
        t.SchoolEnrolment.asn == latest.c.asn, t.SchoolEnrolment.school_year == latest.c.year)).join(
        t.Organization, t.Organization.code == t.SchoolEnrolment.school_code).where(
        t.SchoolEnrolment.asn.in_(achieved))
    if criteria.school:
        query = query.where(t.SchoolEnrolment.school_code == criteria.school)
    if criteria.authority:
        query = query.where(t.Organization.authority_code == criteria.authority)
    return sorted(set(session.execute(query).scalars()))


def profiles(session: Session, asns: Iterable[str]) -> dict[str, Profile]:
    asns = set(asns)
    enrolments: dict[str, tuple[int, str]] = {}
    for row in select_in(session, lambda match: select(
            t.SchoolEnrolment.asn, t.SchoolEnrolment.school_year, t.SchoolEnrolment.school_code).where(
            match(t.SchoolEnrolment.asn)), asns):
        current = enrolments.get(row.asn)
        if current is None or (row.school_year, row.school_code) > current:
            enrolments[row.asn] = (row.school_year, row.school_code)
    organizations = {row.code: (row.name, row.authority_code) for row in session.execute(
        select(t.Organization.code, t.Organization.name, t.Organization.authority_code))}
    found = {}
    for row in select_in(session, lambda match: select(
            t.Student.asn, t.Student.legal_last_name, t.Student.legal_first_name,
            t.Student.legal_middle_name).where(match(t.Student.asn)), asns):
        school = enrolments.get(row.asn, (None, None))[1]
        school_name, authority = organizations.get(school, (None, None))
        authority_name = organizations.get(authority, (None, None))[0] if authority else None
        found[row.asn] = Profile(row.asn, row.legal_last_name, row.legal_first_name,
                                 row.legal_middle_name,
                                 Placement(school, school_name, authority, authority_name))
    return found


def current_addresses(session: Session, asns: Iterable[str], today: date) -> dict[str, Address]:
    """Each student's current mailing address: in effect today, the latest to take effect."""
    chosen: dict[str, t.StudentAddress] = {}
    for row in select_in(session, lambda match: select(t.StudentAddress).where(
            match(t.StudentAddress.asn), t.StudentAddress.effective_date <= today), set(asns)):
        address = row.StudentAddress
        if address.expiry_date is not None and address.expiry_date <= today:
            continue
        current = chosen.get(address.asn)
        if current is None or address.effective_date > current.effective_date:
            chosen[address.asn] = address
    return {asn: Address(tuple(a.address_lines.split("\n")), a.city, a.province_state, a.postal_code,
                         a.country) for asn, a in chosen.items()}


def create_run(session: Session, criteria: Criteria, delivery_method: str,
               selected: Sequence[Selected], now: datetime) -> int:
    table = t.table(t.BulkAwardRun)
    run_id = session.execute(insert(table).returning(table.c.id), [{
        "started_utc": now, "status": "Running",
        "criteria": json.dumps({"Authority": criteria.authority, "School": criteria.school,
                                "CredentialTypes": list(criteria.credential_types),
                                "DeliveryMethod": delivery_method})}]).scalar_one()
    bulk_insert(session, t.table(t.BulkAwardRunStudent), [
        {"run_id": run_id, "position": position, "asn": s.asn, "credential_type": s.credential_type,
         "state": SELECTED, "credential_number": None, "document_order_id": None, "rejections": None}
        for position, s in enumerate(selected)])
    return run_id


def run_details(session: Session, run_id: int) -> RunDetails | None:
    run = session.get(t.BulkAwardRun, run_id)
    if run is None:
        return None
    saved = json.loads(run.criteria)
    return RunDetails(run_id, Criteria(saved["Authority"], saved["School"],
                                       tuple(saved["CredentialTypes"])),
                      saved["DeliveryMethod"], run.status, run.started_utc)


def _student(row: t.BulkAwardRunStudent) -> RunStudent:
    return RunStudent(row.position, row.asn, row.credential_type, row.state, row.credential_number,
                      row.document_order_id, row.rejections)


def students_in_state(session: Session, run_id: int, state: str, limit: int) -> list[RunStudent]:
    return [_student(row) for row in session.execute(select(t.BulkAwardRunStudent).where(
        t.BulkAwardRunStudent.run_id == run_id, t.BulkAwardRunStudent.state == state).order_by(
        t.BulkAwardRunStudent.position).limit(limit)).scalars()]


def all_students(session: Session, run_id: int) -> list[RunStudent]:
    return [_student(row) for row in session.execute(select(t.BulkAwardRunStudent).where(
        t.BulkAwardRunStudent.run_id == run_id).order_by(t.BulkAwardRunStudent.position)).scalars()]


def set_states(session: Session, run_id: int, changes: Sequence[dict]) -> None:
    """``changes``: dicts with position, state, credential_number, document_order_id, rejections."""
    if not changes:
        return
    table = t.table(t.BulkAwardRunStudent)
    session.execute(update(table).where(table.c.run_id == run_id,
                                        table.c.position == bindparam("b_position")).values(
        state=bindparam("state"), credential_number=bindparam("credential_number"),
        document_order_id=bindparam("document_order_id"), rejections=bindparam("rejections")),
        [{"b_position": c["position"], "state": c["state"],
          "credential_number": c.get("credential_number"),
          "document_order_id": c.get("document_order_id"), "rejections": c.get("rejections")}
         for c in changes], execution_options={"synchronize_session": False})


def finish_run(session: Session, run_id: int, now: datetime) -> None:
    session.execute(update(t.table(t.BulkAwardRun)).where(t.BulkAwardRun.id == run_id).values(
        status="Finished", finished_utc=now))


def credentials(session: Session, numbers: Iterable[str | None]) -> dict[str, AwardedCredential]:
    found = {}
    for row in select_in(session, lambda match: select(t.StudentCredential).where(
            match(t.StudentCredential.credential_number)), {n for n in numbers if n}):
        c = row.StudentCredential
        found[c.credential_number] = AwardedCredential(
            c.credential_number, c.asn, c.credential_type, c.requirement_set, c.awarded_on_date,
            c.school_year, c.awarded_last_name, c.awarded_first_name, c.awarded_middle_name)
    return found


def students_at(session: Session, run_id: int, positions: Sequence[int]) -> list[RunStudent]:
    return sorted((_student(row.BulkAwardRunStudent) for row in select_in(session, lambda match: select(
        t.BulkAwardRunStudent).where(t.BulkAwardRunStudent.run_id == run_id,
                                     match(t.BulkAwardRunStudent.position)), positions)),
                  key=lambda s: s.position)


def organization(session: Session, code: str) -> Organization | None:
    row = session.get(t.Organization, code)
    return Organization(row.code, row.name, row.kind, row.authority_code) if row else None


class SqlBulkRunRepository:
    """:class:`operations.bulk_award_and_order.ports.BulkRunRepository` on SQLAlchemy."""

    def __init__(self, session: Session):
        self._session = session

    def organization(self, code: str) -> Organization | None:
        return organization(self._session, code)

    def candidates(self, criteria: Criteria) -> list[str]:
        return candidates(self._session, criteria)

    def profiles(self, asns: Iterable[str]) -> dict[str, Profile]:
        return profiles(self._session, asns)

    def current_addresses(self, asns: Iterable[str], today: date) -> dict[str, Address]:
        return current_addresses(self._session, asns, today)

    def credentials(self, numbers: Iterable[str | None]) -> dict[str, AwardedCredential]:
        return credentials(self._session, numbers)

    def create_run(self, criteria: Criteria, delivery_method: str, selected: Sequence[Selected],
                   now: datetime) -> int:
        return create_run(self._session, criteria, delivery_method, selected, now)

    def run_details(self, run_id: int) -> RunDetails | None:
        return run_details(self._session, run_id)

    def students_in_state(self, run_id: int, state: str, limit: int) -> list[RunStudent]:
        return students_in_state(self._session, run_id, state, limit)

    def students_at(self, run_id: int, positions: Sequence[int]) -> list[RunStudent]:
        return students_at(self._session, run_id, positions)

    def all_students(self, run_id: int) -> list[RunStudent]:
        return all_students(self._session, run_id)

    def set_states(self, run_id: int, changes: Sequence[dict]) -> None:
        set_states(self._session, run_id, changes)

    def finish_run(self, run_id: int, now: datetime) -> None:
        finish_run(self._session, run_id, now)
