"""The read side of exam marks: GetDiplomaExamMark and IsDataAvailable (docs/read-services.md).

Reads only, in a few set-based queries, never locking: a reader never waits for a writer.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal, or_, select, text, union
from sqlalchemy.orm import Session, aliased

from operations.get_diploma_exam_mark.model import MarkAccessFacts, MarkPlacement, ReadMark
from operations.submit_diploma_exam_mark import model as m
from pasi_core.kernel.caller import Caller
from pasi_core.kernel.students import asns_of_people
from persistence import models as t
from persistence.bulk import is_postgresql, select_in
from persistence.exam_mark_repository import load_enrolments, load_people, load_sittings
from persistence.versions import sync_horizon


class SqlExamMarkReader:
    """:class:`operations.get_diploma_exam_mark.ports.ExamMarkReader` on SQLAlchemy."""

    def __init__(self, session: Session):
        self._session = session

    def marks(self, ref_ids: Iterable[str]) -> dict[str, ReadMark]:
        """One query, the marks joined with their components in order: a thousand marks in one
        round trip, only the columns a read returns."""
        mark, component = t.table(t.ExamMark).c, t.table(t.ExamMarkComponent).c
        statement = lambda match: (
            select(mark.ref_id, mark.asn, mark.exam_ref_id, mark.status, mark.mark_value,
                   mark.is_rescored, mark.is_deleted, mark.version, mark.updated_utc,
                   component.status.label("c_status"), component.sitting_ref_id,
                   component.mark_value.label("c_mark_value"), component.mark_format,
                   component.maximum_mark, component.form_id, component.supplied_contact_name)
            .select_from(t.table(t.ExamMark).outerjoin(
                t.table(t.ExamMarkComponent), component.exam_mark_ref_id == mark.ref_id))
            .where(match(mark.ref_id)).order_by(mark.ref_id, component.position))
        found: dict[str, ReadMark] = {}
        # Rows arrive grouped by mark, components in order; indexed as plain tuples (a Row's
        # attribute access costs more than the rest of this loop).
        for ref, group in groupby(select_in(self._session, statement, ref_ids), key=itemgetter(0)):
            rows = list(group)
            _, asn, exam, status, value, rescored, deleted, version, updated = rows[0][:9]
            components = tuple(m.ComponentMark(*row[9:]) for row in rows if row[10] is not None)
            found[ref] = ReadMark(m.StoredExamMark(m.ExamMark(
                ref, asn, exam, status, value, rescored, deleted, components), version), updated)
        return found

    def placements(self, ref_ids: Iterable[str]) -> dict[str, MarkPlacement]:
        mark, component = t.table(t.ExamMark).c, t.table(t.ExamMarkComponent).c
        rows = select_in(self._session, lambda match: select(
            mark.ref_id, mark.asn, component.sitting_ref_id).select_from(
            t.table(t.ExamMark).outerjoin(t.table(t.ExamMarkComponent),
                                          component.exam_mark_ref_id == mark.ref_id)).where(
            match(mark.ref_id)).order_by(mark.ref_id, component.position), ref_ids)
        owner: dict[str, str] = {}
        sittings: dict[str, list[str]] = defaultdict(list)
        for ref, asn, sitting in rows:
            owner[ref] = asn
            if sitting is not None:
                sittings[ref].append(sitting)
        return {ref: MarkPlacement(asn, tuple(sittings.get(ref, ()))) for ref, asn in owner.items()}

    def enrolled_at_callers_schools(self, caller: Caller, asns: Iterable[str],
                                    school_years: tuple[int, int]) -> set[str]:
        enrolment = t.SchoolEnrolment
        in_schools = _in_callers_schools(caller)
        return {asn for (asn,) in select_in(self._session, lambda match: select(enrolment.asn).where(
            match(enrolment.asn), in_schools(enrolment.school_code),
            enrolment.school_year.in_(school_years)).distinct(), asns)}

    def sittings_at_callers_schools(self, caller: Caller, sitting_ref_ids: Iterable[str]) -> set[str]:
        sitting = t.ExamSitting
        in_schools = _in_callers_schools(caller)
        return {ref for (ref,) in select_in(self._session, lambda match: select(sitting.ref_id).where(
            match(sitting.ref_id), in_schools(sitting.writing_centre_code)), sitting_ref_ids)}

    def access_facts(self, ref_ids: Iterable[str], *, with_registrations: bool = True,
                     known: Mapping[str, MarkPlacement] | None = None) -> dict[str, MarkAccessFacts]:
        session = self._session
        c = t.ExamMarkComponent
        refs = set(ref_ids)
        placed = ({ref: known[ref] for ref in refs} if known is not None and refs <= set(known)
                  else self.placements(refs))
        owners = {ref: placement.asn for ref, placement in placed.items()}
        sittings_of_mark = {ref: placement.sitting_ref_ids for ref, placement in placed.items()}
        if not owners:
            return {}
        people = load_people(session, set(owners.values()))
        persons = asns_of_people(people.values())
        everyone = set(people) | set(owners.values())
        enrolments = load_enrolments(session, everyone)
        # The sittings of every active registration of the people.
        registered: dict[str, set[str]] = defaultdict(set)
        for row in select_in(session, lambda match: select(t.ExamMark.asn, c.sitting_ref_id).join(
                c, c.exam_mark_ref_id == t.ExamMark.ref_id).where(
                match(t.ExamMark.asn), t.ExamMark.is_deleted.is_(False),
                t.ExamMark.status == m.REGISTERED), everyone if with_registrations else ()):
            registered[row.asn].add(row.sitting_ref_id)
        sittings = load_sittings(session, {ref for refs in sittings_of_mark.values() for ref in refs}
                                 | {ref for refs in registered.values() for ref in refs})
        facts = {}
        for ref, owner in owners.items():
            person = persons.get(owner, frozenset({owner}))
            facts[ref] = MarkAccessFacts(
                enrolments=tuple(sorted(pair for asn in person
                                        for pair in enrolments.schools_by_student.get(asn, ()))),
                authority_of_school=enrolments.authority_of_school,
                registrations=tuple(sittings[s] for asn in sorted(person)
                                    for s in sorted(registered.get(asn, ())) if s in sittings),
                sittings=tuple(sittings.get(s) for s in sittings_of_mark.get(ref, ())))
        return facts

    def sync_horizon(self) -> int:
        return sync_horizon(self._session)

    def changed_marks(self, school_year: int, *, after: int, before: int, limit: int,
                      caller: Caller) -> list[tuple[str, int]]:
        mark, exam = t.ExamMark, t.DiplomaExam
        statement = (select(mark.ref_id, mark.version)
                     .join(exam, exam.ref_id == mark.exam_ref_id)
                     .where(exam.school_year == school_year, mark.version > after,
                            mark.version < before))
        if not caller.is_ministry:
            statement = statement.where(_possibly_visible_to(caller))
            if is_postgresql(self._session):
                # The filter's sub-plans price this 15 ms scan past jit_above_cost, and PostgreSQL
                # then spent half a second compiling it.  For this transaction only (a startup
                # option would not pass connection poolers such as PgBouncer).
                self._session.execute(text("SET LOCAL jit = off"))
        rows = self._session.execute(statement.order_by(mark.version).limit(limit))
        return [(row.ref_id, row.version) for row in rows]


def _in_callers_schools(caller: Caller) -> Callable[[Any], ColumnElement[bool]]:
    """A condition on a school-code column: the caller's school, or any school of the caller's
    authority."""
    if caller.is_school:
        return lambda column: column == caller.organization_code
    school_codes = select(t.Organization.code).where(
        t.Organization.authority_code == caller.organization_code)
    return lambda column: column.in_(school_codes)


def _written_at(in_schools: Callable[[Any], ColumnElement[bool]], mark_ref_id: Any):
    """Has the mark a sitting at one of the schools?"""
    component, sitting = t.ExamMarkComponent, t.ExamSitting
    return exists(select(literal(1)).select_from(component).join(
        sitting, sitting.ref_id == component.sitting_ref_id).where(
        component.exam_mark_ref_id == mark_ref_id, in_schools(sitting.writing_centre_code)))


def _possibly_visible_to(caller: Caller):
    """A superset of the marks a school or authority may read: the marks written at its schools,
    and every mark of a person who was ever enrolled at one of them or ever had a mark written
    there.  The service then decides exactly (operations.submit_diploma_exam_mark.access)."""
    enrolment = t.SchoolEnrolment
    in_schools = _in_callers_schools(caller)
    outer = t.ExamMark
    written_here = _written_at(in_schools, outer.ref_id)
    other_mark, other_component, other_sitting = (aliased(t.ExamMark), aliased(t.ExamMarkComponent),
                                                  aliased(t.ExamSitting))
    related_asns = union(
        select(enrolment.asn.label("asn")).where(in_schools(enrolment.school_code)),
        select(other_mark.asn.label("asn")).select_from(other_mark).join(
            other_component, other_component.exam_mark_ref_id == other_mark.ref_id).join(
            other_sitting, other_sitting.ref_id == other_component.sitting_ref_id).where(
            in_schools(other_sitting.writing_centre_code))).subquery()
    related, owner = aliased(t.Student), aliased(t.Student)
    related_people = select(func.coalesce(related.primary_asn, related.asn)).where(
        related.asn.in_(select(related_asns.c.asn)))
    owners_person = select(func.coalesce(owner.primary_asn, owner.asn)).where(
        owner.asn == outer.asn).scalar_subquery()
    return or_(written_here, owners_person.in_(related_people))
