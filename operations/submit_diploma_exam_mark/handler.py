"""The unit of work of SubmitDiplomaExamMark.

1. Load what the batch needs in a few queries (locking its students on
   PostgreSQL).
2. Check each record in request order against the store *and* the records
   accepted before it; collect every failing rule.
3. Write the accepted records and their side effects in bulk, in the same
   transaction, and commit.

Each record succeeds or fails on its own (a batch can partly succeed), yet
no SAVEPOINT is used: validation happens before any write.  Any
unexpected database error rolls back the whole request, so nothing is ever
half-applied.  A conflict with a concurrent request (a unique key taken, a
deadlock, a serialization failure) re-runs the whole unit of work.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy.orm import Session, sessionmaker

from pasi_core.caller import Caller
from pasi_core.rejections import Rejection, reject
from persistence import exam_mark_repository as repository
from persistence.replay import Idempotency, Replayed, run_once
from persistence.unit_of_work import UnitOfWork
from persistence.versions import VersionAllocator

from .changes import PlannedChange, plan_change, record_in_book
from .model import Limits, SubmittedExamMark
from .rules import MarkCheck, Violation, check_record



@dataclass(frozen=True)
class RecordOutcome:
    id: str
    version: int
    """The new PASICoreVersion, or 0 when the record was not saved."""
    rejections: tuple[Rejection, ...] = ()

    @property
    def accepted(self) -> bool:
        return not self.rejections


def submit_diploma_exam_marks(session_factory: sessionmaker[Session], caller: Caller,
                              records: Sequence[SubmittedExamMark], *, now: datetime,
                              limits: Limits = Limits(),
                              remove_repeat_registration_marks: bool = False,
                              idempotency: Idempotency | None = None) -> list[RecordOutcome] | Replayed:
    """Validate and save a batch; returns one outcome per record, in request order
    (or, for a resubmitted ClientMessageID, the stored response).

    ``remove_repeat_registration_marks`` is PASI's internal flag (not in the
    WSDL): saving a registration deletes the student's other registrations
    for the same course and exam session.
    """
    return run_once(session_factory, idempotency,
                    lambda uow: _run_batch(uow, caller, records, now, limits,
                                           remove_repeat_registration_marks), now)


def _run_batch(uow: UnitOfWork, caller: Caller, records: Sequence[SubmittedExamMark],
               now: datetime, limits: Limits, remove_repeats: bool) -> list[RecordOutcome]:
    session = uow.session
    book = repository.load_book(session, records, lock=uow.is_postgresql)
    originally_stored, original_links, original_activity = book.snapshot()
    allocate = VersionAllocator(session, block_size=len(records))
    outcomes: list[RecordOutcome] = []
    changes: list[PlannedChange] = []
    for submitted in records:
        check = MarkCheck(submitted=submitted, caller=caller, now=now, book=book, limits=limits,
                          remove_repeat_registration_marks=remove_repeats)
        violations = check_record(check)
        if violations:
            outcomes.append(RecordOutcome(submitted.mark.ref_id, 0,
                                          tuple(_rejection(v) for v in violations)))
            continue
        change = plan_change(check, allocate)
        record_in_book(book, change)
        changes.append(change)
        outcomes.append(RecordOutcome(submitted.mark.ref_id, change.version))
    repository.save_changes(session, changes, updated_by=caller.organization_code, now=now,
                            originally_stored=originally_stored, original_fee_links=original_links,
                            original_activity=original_activity)
    return outcomes


def _rejection(violation: Violation) -> Rejection:
    return reject(violation.rule_id, violation.params, violation.path, violation.template)
