"""Who may reach a student's exam marks: the one access model for changing them (rules 9059
and 99008) and for reading them (GetDiplomaExamMark, IsDataAvailable; docs/read-services.md).

Plain functions over plain facts, so the rules of a batch (reading a
:class:`~.book.MarkBook`) and the read services (reading what their repository loaded) decide
the same way.  docs/decisions.md, "Student association", says why the model is what it is.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date, datetime

from pasi_core.kernel.caller import Caller
from pasi_core.kernel.school_years import school_year_of

from .model import ExamSitting


def association_years(today: date) -> tuple[int, int]:
    """The school years whose enrolments associate a student with a school: the current one
    and the one before it (rule 9059)."""
    current = school_year_of(today)
    return current, current - 1


def may_access_student(caller: Caller, today: date, enrolments: Iterable[tuple[str, int]],
                       authority_of_school: Mapping[str, str | None],
                       registered_centres: Callable[[], Collection[str]]) -> bool:
    """Student association (rule 9059).

    The Ministry reaches every student.  A school reaches students enrolled with it in the
    current or previous school year, or registered to write at it (an exam still to come); an
    authority reaches students enrolled in its schools in those years.  ``enrolments`` are the
    (school code, school year) pairs of every ASN of the person; ``registered_centres`` is
    asked only for a school.
    """
    if caller.is_ministry:
        return True
    years = set(association_years(today))
    if caller.is_school:
        if any(school == caller.organization_code and year in years for school, year in enrolments):
            return True
        return caller.organization_code in registered_centres()
    if caller.is_authority:
        return any(authority_of_school.get(school) == caller.organization_code and year in years
                   for school, year in enrolments)
    return False


def centres_still_to_write(sittings: Iterable[ExamSitting | None], now: datetime) -> set[str]:
    """The writing centres of registration sittings not yet written: the "By Exam
    Registration" association, which ends when the exam is written."""
    return {sitting.writing_centre_code for sitting in sittings
            if sitting is not None and sitting.writing_centre_code
            and (sitting.scheduled_utc is None or sitting.scheduled_utc >= now)}


def is_written_at_callers_schools(caller: Caller, sittings: Iterable[ExamSitting | None]) -> bool:
    """Is any sitting of the mark at the caller's school (or, for an authority, one of its
    schools)?  The writing centre owns its component records (rule 99008)."""
    for sitting in sittings:
        if sitting is None:
            continue
        if caller.is_school and sitting.writing_centre_code == caller.organization_code:
            return True
        if caller.is_authority and sitting.writing_centre_authority == caller.organization_code:
            return True
    return False
