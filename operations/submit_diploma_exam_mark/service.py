"""The service layer of SubmitDiplomaExamMark, inside one unit of work.

1. Load what the batch needs in a few queries (the repository locks its
   students where the database needs it).
2. Check each record in request order against the store *and* the records
   accepted before it; collect every failing rule.
3. Write the accepted records and their side effects in bulk, in the same
   transaction.  The caller of :func:`submit_diploma_exam_marks` commits.

Each record succeeds or fails on its own (a batch can partly succeed), yet
no SAVEPOINT is used: validation happens before any write.  Any unexpected
database error rolls back the whole unit of work, so nothing is ever
half-applied.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from operations.unit_of_work import UnitOfWork, VersionAllocator
from pasi_core.kernel.caller import Caller
from pasi_core.kernel.rejections import Rejection, reject_all

from .changes import PlannedChange, plan_change, record_in_book
from .model import Limits, SubmittedExamMark
from .rules import MarkCheck, check_record


@dataclass(frozen=True)
class RecordOutcome:
    id: str
    version: int
    """The new PASICoreVersion, or 0 when the record was not saved."""
    rejections: tuple[Rejection, ...] = ()

    @property
    def accepted(self) -> bool:
        return not self.rejections


def submit_diploma_exam_marks(uow: UnitOfWork, caller: Caller,
                              records: Sequence[SubmittedExamMark], *, now: datetime,
                              today: date | None = None, limits: Limits | None = None,
                              remove_repeat_registration_marks: bool = False) -> list[RecordOutcome]:
    """Validate and save a batch; one outcome per record, in request order.

    ``now`` is the request's arrival (UTC); ``today`` the province's date then.
    ``remove_repeat_registration_marks`` is PASI's internal flag (not in the
    WSDL): saving a registration deletes the student's other registrations
    for the same course and exam session.
    """
    book = uow.exam_marks.load_book(records, uow.code_tables.load())
    originally_stored, original_links, original_activity = book.snapshot()
    allocate = VersionAllocator(uow.versions, block_size=len(records))
    outcomes: list[RecordOutcome] = []
    changes: list[PlannedChange] = []
    for submitted in records:
        check = MarkCheck(submitted=submitted, caller=caller, now=now, book=book, limits=limits or Limits(),
                          remove_repeat_registration_marks=remove_repeat_registration_marks,
                          province_date=today)
        violations = check_record(check)
        if violations:
            outcomes.append(RecordOutcome(submitted.mark.ref_id, 0, reject_all(violations)))
            continue
        change = plan_change(check, allocate)
        record_in_book(book, change)
        changes.append(change)
        outcomes.append(RecordOutcome(submitted.mark.ref_id, change.version))
    uow.exam_marks.save_changes(changes, updated_by=caller.organization_code, now=now,
                                originally_stored=originally_stored,
                                original_fee_links=original_links,
                                original_activity=original_activity)
    return outcomes
