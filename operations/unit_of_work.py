"""The service layer's view of the store: a unit of work and the repositories it holds.

Every operation's service function takes a :class:`UnitOfWork` and reaches
the store only through the repositories on it.  The SQLAlchemy
implementation lives in :mod:`persistence.unit_of_work`; tests of the
service layer pass fakes (``tests/unit``).  A unit of work is one
transaction: leaving it without :meth:`UnitOfWork.commit` rolls everything
back, so nothing is ever half-applied.

Repositories decide their own locking (``SELECT … FOR UPDATE`` on
PostgreSQL); a collision with a concurrent transaction surfaces as
:class:`~pasi_core.kernel.errors.ConcurrentUpdateDetected`, and
:func:`run_retrying` runs the whole unit of work again.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, TypeVar

from pasi_core.kernel.audit import AuditEntry
from pasi_core.kernel.code_tables import CodeTables
from pasi_core.kernel.errors import ConcurrentUpdateDetected

if TYPE_CHECKING:
    from operations.background_jobs.ports import JobQueue
    from operations.bulk_award_and_order.ports import BulkRunRepository
    from operations.construct_document_order.ports import DocumentOrderRepository
    from operations.credential_documents.ports import DocumentRepository
    from operations.credentials_to_review.ports import ReviewRepository
    from operations.get_diploma_exam_mark.ports import ExamMarkReader
    from operations.get_student_credentials.ports import StudentRecordReader
    from operations.replay import ReplayStore
    from operations.staff_accounts.ports import StaffRepository
    from operations.submit_credential_awarding_multiple.ports import CredentialRepository
    from operations.submit_diploma_exam_mark.ports import ExamMarkRepository

log = logging.getLogger(__name__)
T = TypeVar("T")


class CodeTableSource(Protocol):
    def load(self) -> CodeTables: ...


class NumberSource(Protocol):
    def allocate(self, count: int) -> list:
        """``count`` fresh values, increasing; never handed out twice."""
        ...


class AuditLog(Protocol):
    def append(self, entry: AuditEntry) -> int:
        """Add one row at the end of the hash chain; returns its sequence."""
        ...

    def requests_since(self, since: datetime) -> bool:
        """Has a SOAP client's request arrived since ``since``?"""
        ...


class UnitOfWork(Protocol):
    """One transaction and the repositories that work in it (read-only properties)."""

    @property
    def exam_marks(self) -> ExamMarkRepository: ...

    @property
    def exam_mark_reads(self) -> ExamMarkReader:
        """The read side of exam marks (Get and IsDataAvailable); never locks."""
        ...

    @property
    def student_records(self) -> StudentRecordReader:
        """A student's credentials and document orders, for the PASISystem Get services."""
        ...

    @property
    def credentials(self) -> CredentialRepository: ...

    @property
    def document_orders(self) -> DocumentOrderRepository: ...

    @property
    def bulk_runs(self) -> BulkRunRepository: ...

    @property
    def code_tables(self) -> CodeTableSource: ...

    @property
    def versions(self) -> NumberSource:
        """PASICoreVersion numbers: one increasing sequence shared by every record type."""
        ...

    @property
    def credential_numbers(self) -> NumberSource: ...

    @property
    def replays(self) -> ReplayStore: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def staff(self) -> StaffRepository:
        """Student Records users and their sessions."""
        ...

    @property
    def jobs(self) -> JobQueue: ...

    @property
    def credential_review(self) -> ReviewRepository: ...

    @property
    def document_items(self) -> DocumentRepository:
        """Credential document production: items, files, print jobs, the outbox."""
        ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None: ...

    def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        """A new unit of work; ``read_only`` ones never take a write lock."""
        ...


MAX_ATTEMPTS = 4


def run_retrying(new_unit_of_work: UnitOfWorkFactory, work: Callable[[UnitOfWork], T], *,
                 attempts: int = MAX_ATTEMPTS) -> T:
    """Run ``work`` in a fresh unit of work; run it again from the start when it
    collided with a concurrent transaction, up to ``attempts`` times.  ``work``
    commits."""
    for attempt in range(1, attempts + 1):
        try:
            with new_unit_of_work() as uow:
                return work(uow)
        except ConcurrentUpdateDetected as collision:
            if attempt == attempts:
                raise
            log.info("concurrent update detected (%s); retrying, attempt %d",
                     collision.message, attempt + 1)
            time.sleep(0.01 * attempt)
    raise AssertionError("unreachable")


class VersionAllocator:
    """Hands out versions one at a time, fetched in blocks of ``block_size``."""

    def __init__(self, source: NumberSource, block_size: int):
        self._source = source
        self._block_size = max(1, block_size)
        self._available: list[int] = []

    def __call__(self) -> int:
        if not self._available:
            self._available = list(reversed(self._source.allocate(self._block_size)))
        return self._available.pop()


def allocate(source: NumberSource, count: int) -> Sequence:
    return source.allocate(count) if count > 0 else []


Clock = Callable[[], datetime]
