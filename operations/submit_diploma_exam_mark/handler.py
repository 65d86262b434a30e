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

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Sequence

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pasi_core.caller import Caller
from pasi_core.errors import ConcurrentUpdateDetected, RequestRejected
from pasi_core.rule_catalogue import render
from persistence import exam_mark_repository as repository
from persistence import replay
from persistence.unit_of_work import UnitOfWork
from persistence.versions import VersionAllocator

from .changes import PlannedChange, plan_change, record_in_book
from .model import Limits, SubmittedExamMark
from .rules import MarkCheck, Violation, check_record

log = logging.getLogger("pasi_core.operations.submit_diploma_exam_mark")

MAX_ATTEMPTS = 4
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
DUPLICATE_MESSAGE_FAULT = "Client.DuplicateClientMessageID"


@dataclass(frozen=True)
class Rejection:
    rule_id: int
    message: str
    path: str | None


@dataclass(frozen=True)
class RecordOutcome:
    id: str
    version: int
    """The new PASICoreVersion, or 0 when the record was not saved."""
    rejections: tuple[Rejection, ...] = ()

    @property
    def accepted(self) -> bool:
        return not self.rejections


@dataclass(frozen=True)
class Idempotency:
    """Remember this request under the client's ClientMessageID (``persistence.replay``)."""

    key: replay.ReplayKey
    message_id: str
    render: Callable[[list[RecordOutcome]], bytes]
    """The response body the client will receive, stored for a resubmission."""


@dataclass(frozen=True)
class Replayed:
    """A resubmission: the stored response, nothing applied."""

    response_body: bytes
    original_message_id: str


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
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with UnitOfWork(session_factory) as uow:
                if idempotency is not None:
                    stored = replay.find(uow.session, idempotency.key)
                    if stored is not None:
                        return _replay(stored, idempotency)
                outcomes = _run_batch(uow, caller, records, now, limits,
                                      remove_repeat_registration_marks)
                if idempotency is not None:
                    replay.remember(uow.session, idempotency.key, idempotency.message_id,
                                    idempotency.render(outcomes), now)
                uow.commit()
                return outcomes
        except (IntegrityError, ConcurrentUpdateDetected, DBAPIError) as error:
            if attempt == MAX_ATTEMPTS or not _is_retryable(error):
                raise
            log.info("concurrent update detected (%s); retrying the batch, attempt %d",
                     type(error).__name__, attempt + 1)
            time.sleep(0.01 * attempt)
    raise AssertionError("unreachable")


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


def _replay(stored: replay.StoredResponse, idempotency: Idempotency) -> Replayed:
    if stored.request_hash != idempotency.key.request_hash:
        raise RequestRejected(99010, render(99010, {
            "ClientMessageID": idempotency.key.client_message_id,
            "MessageID": stored.message_id}), fault_code=DUPLICATE_MESSAGE_FAULT)
    return Replayed(stored.response_body, stored.message_id)


def _rejection(violation: Violation) -> Rejection:
    return Rejection(violation.rule_id,
                     render(violation.rule_id, violation.params, template=violation.template),
                     violation.path)


def _is_retryable(error: Exception) -> bool:
    if isinstance(error, (IntegrityError, ConcurrentUpdateDetected)):
        return True
    original = getattr(error, "orig", None)
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(original or "")
