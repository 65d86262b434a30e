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
    centres_still_to_write,
    is_written_at_callers_schools,
    may_access_student,
)
from operations.unit_of_work import UnitOfWork
from pasi_core.kernel.caller import Caller

from .model import NO_ACCESS, NORMAL, UNKNOWN, MarkAccessFacts, MarkAnswer, ReadMark, RequestedMark


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

    Two passes: a mark is decided by its student's enrolments and its own sittings first; only
    the marks still undecided for a school need the student's registrations (the one costly
    fact), so a school's own students never load them."""
    reader = uow.exam_mark_reads
    refs = list(ref_ids)
    if caller.is_ministry:
        return set(refs)
    facts = reader.access_facts(refs, with_registrations=False, known=known)
    visible = {ref for ref, fact in facts.items() if may_read_mark(caller, fact, today=today, now=now)}
    undecided = [ref for ref in facts if ref not in visible]
    if caller.is_school and undecided:
        visible |= {ref for ref, fact in reader.access_facts(undecided, known=known).items()
                    if may_read_mark(caller, fact, today=today, now=now)}
    return visible


def may_read_mark(caller: Caller, facts: MarkAccessFacts, *, today: date, now: datetime) -> bool:
    """The Ministry reads every mark; a school or authority reads the marks of students it is
    associated with (9059) and the marks written at its schools (99008)."""
    if caller.is_ministry:
        return True
    return (may_access_student(caller, today, facts.enrolments, facts.authority_of_school,
                               lambda: centres_still_to_write(facts.registrations, now))
            or is_written_at_callers_schools(caller, facts.sittings))
