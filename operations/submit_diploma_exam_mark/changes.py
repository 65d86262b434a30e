"""What saving an accepted record changes: the mark and its side effects.

:func:`plan_change` is pure: it reads the :class:`MarkCheck` and returns a
:class:`PlannedChange`; the handler records it in the batch's book (so
later records see it) and the repository writes it.  The side effects are
those of reference §4: the waived fee used or released, a rescore request
becoming Rescored, a restore unlinking a deleted registration request,
repeated registrations deleted (internal flag), a transcript trigger per
saved change and the student's activity school year.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from .book import MarkBook
from .fees import FEE_RELEASING_STATUSES, should_release_fee
from .model import RescoreRequest, StoredExamMark, WaivedFee, rescore_request_status
from .rules import MarkCheck, repeat_registrations

CREATE, UPDATE, DELETE, RESTORE = "create", "update", "delete", "restore"


@dataclass(frozen=True)
class TranscriptTrigger:
    asn: str
    course_code: str
    version: int
    exam_mark_ref_id: str


@dataclass(frozen=True)
class PlannedChange:
    kind: str
    previous: StoredExamMark | None
    saved: StoredExamMark
    waived_fees: tuple[WaivedFee, ...] = ()
    fee_link: tuple[str, str | None] | None = None
    """(exam mark RefId, waived fee RefId or None to unlink) when the link changes."""
    rescore_requests: tuple[tuple[RescoreRequest, str], ...] = ()
    """Rescore requests of this mark with their recomputed status."""
    repeats_deleted: tuple[StoredExamMark, ...] = ()
    triggers: tuple[TranscriptTrigger, ...] = ()
    activity_school_year: int | None = None

    @property
    def version(self) -> int:
        return self.saved.version


def plan_change(check: MarkCheck, allocate_version: Callable[[], int]) -> PlannedChange:
    record, stored, book, exam = check.record, check.stored, check.book, check.exam
    if stored is None:
        kind = CREATE
    elif check.is_delete:
        kind = DELETE
    elif check.is_restore:
        kind = RESTORE
    else:
        kind = UPDATE

    registration_request = stored.registration_request_ref_id if stored else None
    if kind == RESTORE and registration_request is not None:
        request = book.registration_requests.get(registration_request)
        if request is not None and request.is_deleted:
            registration_request = None
    saved = StoredExamMark(
        mark=record, version=allocate_version(),
        registration_request_ref_id=registration_request,
        asn_set_by_linking=bool(stored and stored.asn_set_by_linking
                                and stored.mark.asn == record.asn))

    fees, fee_link = _plan_waived_fee(check, kind)

    rescore_requests: tuple[tuple[RescoreRequest, str], ...] = ()
    if stored is not None and record.is_rescored != stored.mark.is_rescored:
        rescore_requests = tuple(
            (request, rescore_request_status(request, record.is_rescored))
            for request in book.rescore_requests_for(record.ref_id))

    repeats: tuple[StoredExamMark, ...] = ()
    if check.remove_repeat_registration_marks and record.is_active_registration:
        repeats = tuple(
            replace(other, mark=replace(other.mark, is_deleted=True), version=allocate_version())
            for other in repeat_registrations(check))

    course_code = (exam or book.require_exam(record.exam_ref_id)).course_code
    triggers = (TranscriptTrigger(record.asn, course_code, saved.version, record.ref_id),) + tuple(
        TranscriptTrigger(r.mark.asn, course_code, r.version, r.mark.ref_id) for r in repeats)

    activity = None
    if exam is not None and not record.is_deleted and exam.school_year > (
            book.activity_school_years.get(record.asn, 0)):
        activity = exam.school_year

    return PlannedChange(kind=kind, previous=stored, saved=saved, waived_fees=fees,
                         fee_link=fee_link, rescore_requests=rescore_requests,
                         repeats_deleted=repeats, triggers=triggers,
                         activity_school_year=activity)


def _plan_waived_fee(check: MarkCheck, kind: str):
    """Reference §4.2: use a waived fee for a new registration, give it back when
    the mark is deleted or becomes Not Written or Incomplete."""
    record, book, exam = check.record, check.book, check.exam
    if exam is None and kind == DELETE:
        exam = check.stored_exam  # withdrawn since: its fee is still given back
    if exam is None:
        return (), None
    linked = book.waived_fee_for(record.ref_id)
    if kind in (CREATE, RESTORE) and record.is_active_registration and linked is None:
        assessment = check.registration_fee
        fee = assessment.available_fee
        if assessment.fee_type is not None and fee is not None:
            return (replace(fee, is_used=True),), (record.ref_id, fee.ref_id)
        return (), None
    releasing = kind == DELETE or (not record.is_deleted and record.status in FEE_RELEASING_STATUSES)
    if linked is not None and releasing and should_release_fee(record, exam, book):
        return (replace(linked, is_used=False),), (record.ref_id, None)
    return (), None


def record_in_book(book: MarkBook, change: PlannedChange) -> None:
    """Make an accepted change visible to the records after it in the batch."""
    book.record(change.saved)
    for repeat in change.repeats_deleted:
        book.record(repeat)
    for fee in change.waived_fees:
        book.record_waived_fee(replace(fee, version=change.version))
    if change.fee_link is not None:
        book.link_fee(*change.fee_link)
    if change.activity_school_year is not None:
        book.activity_school_years[change.saved.mark.asn] = change.activity_school_year
