"""Queries and writes of the bulk award-and-order run."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable, Sequence

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from operations.bulk_award_and_order.selection import Criteria, Selected
from persistence import models as t
from persistence.bulk import bulk_insert, select_in

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
    table = t.BulkAwardRun.__table__
    run_id = session.execute(insert(table).returning(table.c.id), [{
        "started_utc": now, "status": "Running",
        "criteria": json.dumps({"Authority": criteria.authority, "School": criteria.school,
                                "CredentialTypes": list(criteria.credential_types),
                                "DeliveryMethod": delivery_method})}]).scalar_one()
    bulk_insert(session, t.BulkAwardRunStudent.__table__, [
        {"run_id": run_id, "position": position, "asn": s.asn, "credential_type": s.credential_type,
         "state": SELECTED, "credential_number": None, "document_order_id": None, "rejections": None}
        for position, s in enumerate(selected)])
    return run_id


def run_details(session: Session, run_id: int) -> tuple[Criteria, str, str] | None:
    run = session.get(t.BulkAwardRun, run_id)
    if run is None:
        return None
    saved = json.loads(run.criteria)
    return (Criteria(saved["Authority"], saved["School"], tuple(saved["CredentialTypes"])),
            saved["DeliveryMethod"], run.status)


def students_in_state(session: Session, run_id: int, state: str, limit: int) -> list[t.BulkAwardRunStudent]:
    return list(session.execute(select(t.BulkAwardRunStudent).where(
        t.BulkAwardRunStudent.run_id == run_id, t.BulkAwardRunStudent.state == state).order_by(
        t.BulkAwardRunStudent.position).limit(limit)).scalars())


def all_students(session: Session, run_id: int) -> list[t.BulkAwardRunStudent]:
    return list(session.execute(select(t.BulkAwardRunStudent).where(
        t.BulkAwardRunStudent.run_id == run_id).order_by(t.BulkAwardRunStudent.position)).scalars())


def set_states(session: Session, run_id: int, changes: Sequence[dict]) -> None:
    """``changes``: dicts with position, state, credential_number, document_order_id, rejections."""
    if not changes:
        return
    table = t.BulkAwardRunStudent.__table__
    session.execute(update(table).where(table.c.run_id == run_id,
                                        table.c.position == bindparam("b_position")).values(
        state=bindparam("state"), credential_number=bindparam("credential_number"),
        document_order_id=bindparam("document_order_id"), rejections=bindparam("rejections")),
        [{"b_position": c["position"], "state": c["state"],
          "credential_number": c.get("credential_number"),
          "document_order_id": c.get("document_order_id"), "rejections": c.get("rejections")}
         for c in changes], execution_options={"synchronize_session": False})


def finish_run(session: Session, run_id: int, now: datetime) -> None:
    session.execute(update(t.BulkAwardRun.__table__).where(t.BulkAwardRun.id == run_id).values(
        status="Finished", finished_utc=now))


def credentials(session: Session, numbers: Iterable[str]) -> dict[str, t.StudentCredential]:
    return {row.StudentCredential.credential_number: row.StudentCredential for row in select_in(
        session, lambda match: select(t.StudentCredential).where(
            match(t.StudentCredential.credential_number)), set(numbers))}


def all_students_at(session: Session, run_id: int, positions: Sequence[int]) -> list[t.BulkAwardRunStudent]:
    return [row.BulkAwardRunStudent for row in select_in(session, lambda match: select(
        t.BulkAwardRunStudent).where(t.BulkAwardRunStudent.run_id == run_id,
                                     match(t.BulkAwardRunStudent.position)), positions)]
