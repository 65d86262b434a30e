"""GetDiplomaExamMark: each requested RefId answered in the order given.

PASI (Get Diploma Exam Mark): no validation of the request; each RefId is ``Unknown`` (no such
mark), ``No Access`` (the caller may not see it) or ``Normal`` (returned).  An Expected Version
of 0 returns the mark; an equal one returns it; any other means the caller is out of step: that
mark is not returned and no further requested marks are processed, so the answer stops there
(re-synchronize, then ask again).  Who may see a mark is who may change it (rules 9059, 99008).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

from operations.submit_diploma_exam_mark.access import (
    association_years,
    centres_still_to_write,
    is_written_at_callers_schools,
    may_access_student,
)
from operations.unit_of_work import UnitOfWork
from pasi_core.kernel.caller import Caller

from .model import (
    NO_ACCESS,
    NORMAL,
    UNKNOWN,
    MarkAccessFacts,
    MarkAnswer,
    MarkPlacement,
    ReadMark,
    RequestedMark,
)
from .ports import ExamMarkReader


def get_diploma_exam_marks(uow: UnitOfWork, caller: Caller, requested: Sequence[RequestedMark], *,
                           today: date, now: datetime) -> list[MarkAnswer]:
    keys = {item.ref_id.lower() for item in requested}
    found = uow.exam_mark_reads.marks(keys)
    visible = readable(uow, caller, found, today=today, now=now, known=found)
    answers = []
    for item in requested:
        read = found.get(item.ref_id.lower())
        if read is None:
            answers.append(MarkAnswer(item.ref_id, UNKNOWN))
            continue
        if read.stored.mark.ref_id not in visible:
            answers.append(MarkAnswer(item.ref_id, NO_ACCESS))
            continue
        if item.expected_version not in (0, read.stored.version):
            break
        answers.append(MarkAnswer(item.ref_id, NORMAL, read))
    return answers


def readable(uow: UnitOfWork, caller: Caller, ref_ids: Iterable[str], *, today: date,
             now: datetime, known: Mapping[str, ReadMark] | None = None) -> set[str]:
    """The stored marks among ``ref_ids`` the caller may read (:func:`may_read_mark`).

    In passes, each only for the marks the one before left undecided: the common reasons
    first, from the mark itself (:func:`certainly_readable`); then the person's linked ASNs
    and enrolments; last, for a school, the person's registrations (the costliest fact).
    ``known``: the marks already read, whose placements need no query."""
    reader = uow.exam_mark_reads
    refs = list(ref_ids)
    if caller.is_ministry:
        return set(refs)
    placed = ({ref: MarkPlacement.of(known[ref]) for ref in refs if ref in known}
              if known is not None else reader.placements(refs))
    visible = certainly_readable(reader, caller, placed, today=today)
    undecided = [ref for ref in placed if ref not in visible]
    if not undecided:
        return visible
    facts = reader.access_facts(undecided, with_registrations=False, known=placed)
    visible |= {ref for ref, fact in facts.items() if may_read_mark(caller, fact, today=today, now=now)}
    undecided = [ref for ref in facts if ref not in visible]
    if caller.is_school and undecided:
        visible |= {ref for ref, fact in reader.access_facts(undecided, known=placed).items()
                    if may_read_mark(caller, fact, today=today, now=now)}
    return visible


def certainly_readable(reader: ExamMarkReader, caller: Caller, placed: Mapping[str, MarkPlacement],
                       *, today: date) -> set[str]:
    """The marks a school or authority may read for the two common reasons, told by the mark
    alone: its own ASN is enrolled at one of the caller's schools this or last school year
    (9059), or one of its components is written at one (99008).  Never more than
    :func:`may_read_mark` allows (it is the same rule, on fewer facts), so a mark left out is
    not refused, only decided by the next pass."""
    enrolled = reader.enrolled_at_callers_schools(
        caller, {placement.asn for placement in placed.values()}, association_years(today))
    visible = {ref for ref, placement in placed.items() if placement.asn in enrolled}
    rest = {ref: placement for ref, placement in placed.items() if ref not in visible}
    if rest:
        here = reader.sittings_at_callers_schools(
            caller, {sitting for placement in rest.values() for sitting in placement.sitting_ref_ids})
        visible |= {ref for ref, placement in rest.items()
                    if any(sitting in here for sitting in placement.sitting_ref_ids)}
    return visible


def may_read_mark(caller: Caller, facts: MarkAccessFacts, *, today: date, now: datetime) -> bool:
    """The Ministry reads every mark; a school or authority reads the marks of students it is
    associated with (9059) and the marks written at its schools (99008)."""
    if caller.is_ministry:
        return True
    return (may_access_student(caller, today, facts.enrolments, facts.authority_of_school,
                               lambda: centres_still_to_write(facts.registrations, now))
            or is_written_at_callers_schools(caller, facts.sittings))
