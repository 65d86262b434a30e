"""Queries and writes of Award and Order Credentials in Bulk (:class:`BulkRunRepository`)."""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import and_, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from operations.bulk_award_and_order.ports import (
    CANCELLED,
    RUNNING,
    SEARCHED,
    SELECTED,
    Address,
    AwardedCredential,
    OrderedItem,
    Organization,
    Placement,
    Profile,
    RunDetails,
    RunStudent,
)
from operations.bulk_award_and_order.selection import Criteria, Selected
from persistence import models as t
from persistence.bulk import bulk_insert, is_postgresql, select_in


def candidates(session: Session, criteria: Criteria, *, after: str | None, limit: int) -> list[str]:
    """The next ``limit`` ASNs (in order, after ``after``) with an achieved credential requirement
    set, within the criteria's school or authority: a page at a time, so a province-wide search
    never holds every candidate at once."""
    def beyond(column):
        return column > after if after is not None else column.is_not(None)

    achieved = select(t.CredentialAchievement.asn).where(t.CredentialAchievement.status == "Achieved")
    if not criteria.school and not criteria.authority:
        return list(session.execute(achieved.where(beyond(t.CredentialAchievement.asn)).distinct()
                                    .order_by(t.CredentialAchievement.asn).limit(limit)).scalars())
    # Each student's latest school year; the page's bound is repeated inside, where the planner
    # would not carry it from the join.
    latest = select(t.SchoolEnrolment.asn, func.max(t.SchoolEnrolment.school_year).label("year")).where(
        beyond(t.SchoolEnrolment.asn)).group_by(t.SchoolEnrolment.asn).subquery()
    query = select(t.SchoolEnrolment.asn).join(latest, and_(
        t.SchoolEnrolment.asn == latest.c.asn, t.SchoolEnrolment.school_year == latest.c.year)).join(
        t.Organization, t.Organization.code == t.SchoolEnrolment.school_code).where(
        beyond(t.SchoolEnrolment.asn), t.SchoolEnrolment.asn.in_(achieved))
    if criteria.school:
        query = query.where(t.SchoolEnrolment.school_code == criteria.school)
    if criteria.authority:
        query = query.where(t.Organization.authority_code == criteria.authority)
    return list(session.execute(query.distinct().order_by(t.SchoolEnrolment.asn).limit(limit)).scalars())


def profiles(session: Session, asns: Iterable[str]) -> dict[str, Profile]:
    asns = set(asns)
    enrolments: dict[str, tuple[int, str]] = {}
    for row in select_in(session, lambda match: select(
            t.SchoolEnrolment.asn, t.SchoolEnrolment.school_year, t.SchoolEnrolment.school_code).where(
            match(t.SchoolEnrolment.asn)), asns):
        current = enrolments.get(row.asn)
        if current is None or (row.school_year, row.school_code) > current:
            enrolments[row.asn] = (row.school_year, row.school_code)
    organizations = {row.code: row for row in session.execute(select(
        t.Organization.code, t.Organization.name, t.Organization.authority_code,
        t.Organization.is_francophone))}
    found = {}
    for row in select_in(session, lambda match: select(
            t.Student.asn, t.Student.legal_last_name, t.Student.legal_first_name,
            t.Student.legal_middle_name).where(match(t.Student.asn)), asns):
        school_code = enrolments.get(row.asn, (None, None))[1]
        school = organizations.get(school_code) if school_code else None
        authority = organizations.get(school.authority_code) if school and school.authority_code else None
        found[row.asn] = Profile(row.asn, row.legal_last_name, row.legal_first_name,
                                 row.legal_middle_name, Placement(
                                     school_code, school.name if school else None,
                                     school.authority_code if school else None,
                                     authority.name if authority else None,
                                     bool(school and school.is_francophone)))
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


def credentials(session: Session, numbers: Iterable[str | None]) -> dict[str, AwardedCredential]:
    found = {}
    for row in select_in(session, lambda match: select(t.StudentCredential).where(
            match(t.StudentCredential.credential_number)), {n for n in numbers if n}):
        c = row.StudentCredential
        found[c.credential_number] = AwardedCredential(
            c.credential_number, c.asn, c.credential_type, c.requirement_set, c.awarded_on_date,
            c.school_year, c.awarded_last_name, c.awarded_first_name, c.awarded_middle_name)
    return found


def ordered_items(session: Session, numbers: Iterable[str | None]) -> dict[str, OrderedItem]:
    """Each credential's latest order item, as it stands now."""
    found: dict[str, OrderedItem] = {}
    item = t.DocumentOrderItem
    for row in select_in(session, lambda match: select(
            item.credential_number, item.order_id, item.item_number, item.status, item.document_language,
            item.delivery_method).where(match(item.credential_number)).order_by(item.order_id),
            {n for n in numbers if n}):
        found[row.credential_number] = OrderedItem(row.order_id, row.item_number, row.status,
                                                   row.document_language, row.delivery_method)
    return found


def create_selection(session: Session, criteria: Criteria, *, operator: str, now: datetime) -> int:
    table = t.table(t.BulkAwardRun)
    return session.execute(insert(table).returning(table.c.id), [{
        "started_utc": now, "status": SEARCHED, "operator": operator,
        "criteria": json.dumps({"Authority": criteria.authority, "School": criteria.school,
                                "CredentialTypes": list(criteria.credential_types)})}]).scalar_one()


def add_to_selection(session: Session, run_id: int, first_position: int, selected: Sequence[Selected]) -> None:
    bulk_insert(session, t.table(t.BulkAwardRunStudent), [
        {"run_id": run_id, "position": position, "asn": s.asn, "credential_type": s.credential_type,
         "state": SELECTED, "credential_number": None, "document_order_id": None, "rejections": None,
         "requirement_set": s.requirement_set, "expected_school_year": s.expected_school_year}
        for position, s in enumerate(selected, start=first_position)])


def _change_status(session: Session, run_id: int, from_status: str, values: dict) -> bool:
    table = t.table(t.BulkAwardRun)
    result = session.execute(update(table).where(table.c.id == run_id, table.c.status == from_status)
                             .values(**values))
    return getattr(result, "rowcount", 0) == 1


def _run_details(run: t.BulkAwardRun) -> RunDetails:
    saved = json.loads(run.criteria)
    return RunDetails(run.id, Criteria(saved["Authority"], saved["School"], tuple(saved["CredentialTypes"])),
                      run.delivery_method or saved.get("DeliveryMethod"), run.status, run.started_utc,
                      run.operator, run.run_operator, run.processing_started_utc, run.finished_utc)


def _student(row: t.BulkAwardRunStudent) -> RunStudent:
    return RunStudent(row.position, row.asn, row.credential_type, row.state, row.credential_number,
                      row.document_order_id, row.rejections, row.requirement_set, row.expected_school_year)


class SqlBulkRunRepository:
    """:class:`operations.bulk_award_and_order.ports.BulkRunRepository` on SQLAlchemy."""

    def __init__(self, session: Session):
        self._session = session

    def organization(self, code: str) -> Organization | None:
        row = self._session.get(t.Organization, code)
        return Organization(row.code, row.name, row.kind, row.authority_code) if row else None

    def organizations(self, kind: str, authority: str | None = None) -> list[Organization]:
        statement = select(t.Organization).where(t.Organization.kind == kind)
        if authority is not None:
            statement = statement.where(t.Organization.authority_code == authority)
        rows = self._session.execute(statement.order_by(t.Organization.name, t.Organization.code)).scalars()
        return [Organization(row.code, row.name, row.kind, row.authority_code) for row in rows]

    def candidates(self, criteria: Criteria, *, after: str | None, limit: int) -> list[str]:
        return candidates(self._session, criteria, after=after, limit=limit)

    def profiles(self, asns: Iterable[str]) -> dict[str, Profile]:
        return profiles(self._session, asns)

    def current_addresses(self, asns: Iterable[str], today: date) -> dict[str, Address]:
        return current_addresses(self._session, asns, today)

    def credentials(self, numbers: Iterable[str | None]) -> dict[str, AwardedCredential]:
        return credentials(self._session, numbers)

    def ordered_items(self, numbers: Iterable[str | None]) -> dict[str, OrderedItem]:
        return ordered_items(self._session, numbers)

    def create_selection(self, criteria: Criteria, *, operator: str, now: datetime) -> int:
        return create_selection(self._session, criteria, operator=operator, now=now)

    def add_to_selection(self, run_id: int, first_position: int, selected: Sequence[Selected]) -> None:
        add_to_selection(self._session, run_id, first_position, selected)

    def start(self, run_id: int, *, delivery_method: str, operator: str, now: datetime) -> bool:
        return _change_status(self._session, run_id, SEARCHED, {
            "status": RUNNING, "delivery_method": delivery_method, "run_operator": operator,
            "processing_started_utc": now})

    def cancel(self, run_id: int, *, now: datetime) -> bool:
        return _change_status(self._session, run_id, SEARCHED, {"status": CANCELLED, "finished_utc": now})

    def unfinished_runs_sharing_students(self, run_id: int) -> list[int]:
        students = t.table(t.BulkAwardRunStudent)
        mine, theirs = students.alias("mine"), students.alias("theirs")
        run = t.table(t.BulkAwardRun)
        return sorted(self._session.execute(select(run.c.id).distinct().select_from(
            theirs.join(mine, mine.c.asn == theirs.c.asn).join(run, run.c.id == theirs.c.run_id)).where(
            mine.c.run_id == run_id, theirs.c.run_id != run_id, run.c.status == RUNNING)).scalars())

    def run_details(self, run_id: int) -> RunDetails | None:
        run = self._session.get(t.BulkAwardRun, run_id)
        return _run_details(run) if run is not None else None

    def recent_runs(self, limit: int) -> list[RunDetails]:
        return [_run_details(run) for run in self._session.execute(select(t.BulkAwardRun).order_by(
            t.BulkAwardRun.id.desc()).limit(limit)).scalars()]

    def state_counts(self, run_id: int) -> dict[str, int]:
        student = t.BulkAwardRunStudent
        return {state: count for state, count in self._session.execute(select(
            student.state, func.count()).where(student.run_id == run_id).group_by(student.state))}

    def students_in_states(self, run_id: int, states: Sequence[str], limit: int,
                           after_position: int = -1) -> list[RunStudent]:
        student = t.BulkAwardRunStudent
        return [_student(row) for row in self._session.execute(select(student).where(
            student.run_id == run_id, student.state.in_(list(states)), student.position > after_position)
            .order_by(student.position).limit(limit)).scalars()]

    def students_at(self, run_id: int, positions: Sequence[int]) -> list[RunStudent]:
        student = t.BulkAwardRunStudent
        return sorted((_student(row.BulkAwardRunStudent) for row in select_in(
            self._session, lambda match: select(student).where(
                student.run_id == run_id, match(student.position)), positions)),
            key=lambda s: s.position)

    def selected_among(self, run_id: int, asns: Sequence[str]) -> set[str]:
        student = t.BulkAwardRunStudent
        return {row.asn for row in select_in(self._session, lambda match: select(student.asn).where(
            student.run_id == run_id, match(student.asn)), asns)}

    def set_states(self, run_id: int, changes: Sequence[dict]) -> None:
        """``changes``: dicts with position, state, credential_number, document_order_id, rejections."""
        if not changes:
            return
        if is_postgresql(self._session):
            # One statement over arrays, not an UPDATE per student (20,000 per 10,000 students).
            self._session.execute(text(
                "UPDATE bulk_award_run_student AS s SET state = v.state, "
                "credential_number = v.credential_number, document_order_id = v.document_order_id, "
                "rejections = v.rejections FROM unnest(CAST(:positions AS integer[]), "
                "CAST(:states AS text[]), CAST(:numbers AS text[]), CAST(:orders AS integer[]), "
                "CAST(:rejections AS text[])) AS v(position, state, credential_number, "
                "document_order_id, rejections) WHERE s.run_id = :run_id AND s.position = v.position"),
                {"run_id": run_id, "positions": [c["position"] for c in changes],
                 "states": [c["state"] for c in changes],
                 "numbers": [c.get("credential_number") for c in changes],
                 "orders": [c.get("document_order_id") for c in changes],
                 "rejections": [c.get("rejections") for c in changes]})
            return
        table = t.table(t.BulkAwardRunStudent)
        self._session.execute(update(table).where(
            table.c.run_id == run_id, table.c.position == bindparam("b_position")).values(
            state=bindparam("state"), credential_number=bindparam("credential_number"),
            document_order_id=bindparam("document_order_id"), rejections=bindparam("rejections")),
            [{"b_position": c["position"], "state": c["state"],
              "credential_number": c.get("credential_number"),
              "document_order_id": c.get("document_order_id"), "rejections": c.get("rejections")}
             for c in changes], execution_options={"synchronize_session": False})

    def finish_run(self, run_id: int, now: datetime) -> None:
        table = t.table(t.BulkAwardRun)
        self._session.execute(update(table).where(table.c.id == run_id).values(
            status="Finished", finished_utc=now))
