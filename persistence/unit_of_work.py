"""The unit of work on SQLAlchemy: one transaction that rolls back unless committed.

It implements :class:`operations.unit_of_work.UnitOfWork`: the service
layer sees repositories, never a session.  A read-only unit of work begins
a deferred transaction on SQLite (it never takes the write lock, so
``/health`` and certificate lookups never wait behind a batch); a writing
one begins ``BEGIN IMMEDIATE`` (persistence/database.py).

A collision with a concurrent transaction (a unique key taken, a deadlock,
a serialization failure, SQLite's lock timeout) leaves the block as
:class:`~pasi_core.kernel.errors.ConcurrentUpdateDetected`, which
:func:`operations.unit_of_work.run_retrying` answers by running the work
again.
"""
from __future__ import annotations

from functools import cached_property
from types import TracebackType

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pasi_core.kernel.errors import ConcurrentUpdateDetected
from persistence.audit_log import SqlAuditLog
from persistence.bulk_award_repository import SqlBulkRunRepository
from persistence.code_tables import SqlCodeTableSource
from persistence.credential_numbers import SqlCredentialNumberSource
from persistence.credential_repository import SqlCredentialRepository
from persistence.credential_review_repository import SqlCredentialReviewRepository
from persistence.database import READ_ONLY
from persistence.document_item_repository import SqlDocumentItemRepository
from persistence.document_order_repository import SqlDocumentOrderRepository
from persistence.exam_mark_reader import SqlExamMarkReader
from persistence.exam_mark_repository import SqlExamMarkRepository
from persistence.job_queue import SqlJobQueue
from persistence.replay import SqlReplayStore
from persistence.staff_repository import SqlStaffRepository
from persistence.student_record_reader import SqlStudentRecordReader
from persistence.versions import SqlVersionSource

RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected


class SqlUnitOfWork:
    """``with factory() as uow: ...; uow.commit()``."""

    def __init__(self, sessions: sessionmaker[Session], *, read_only: bool = False):
        self._sessions = sessions
        self._read_only = read_only
        self._session: Session | None = None

    def __enter__(self) -> SqlUnitOfWork:
        session = self._sessions()
        if self._read_only:
            session.connection(execution_options=READ_ONLY)
        else:
            session.begin()
        self._session = session
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        session = self.session
        try:
            session.rollback()
        finally:
            session.close()
            self._session = None
        if exc is not None and is_collision(exc):
            raise ConcurrentUpdateDetected(type(exc).__name__) from exc

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        self.session.commit()

    # Repositories: built on first use, sharing the unit of work's session.
    @cached_property
    def exam_marks(self) -> SqlExamMarkRepository:
        return SqlExamMarkRepository(self.session)

    @cached_property
    def exam_mark_reads(self) -> SqlExamMarkReader:
        return SqlExamMarkReader(self.session)

    @cached_property
    def student_records(self) -> SqlStudentRecordReader:
        return SqlStudentRecordReader(self.session)

    @cached_property
    def credentials(self) -> SqlCredentialRepository:
        return SqlCredentialRepository(self.session)

    @cached_property
    def document_orders(self) -> SqlDocumentOrderRepository:
        return SqlDocumentOrderRepository(self.session)

    @cached_property
    def bulk_runs(self) -> SqlBulkRunRepository:
        return SqlBulkRunRepository(self.session)

    @cached_property
    def code_tables(self) -> SqlCodeTableSource:
        return SqlCodeTableSource(self.session)

    @cached_property
    def versions(self) -> SqlVersionSource:
        return SqlVersionSource(self.session)

    @cached_property
    def credential_numbers(self) -> SqlCredentialNumberSource:
        return SqlCredentialNumberSource(self.session)

    @cached_property
    def replays(self) -> SqlReplayStore:
        return SqlReplayStore(self.session)

    @cached_property
    def audit(self) -> SqlAuditLog:
        return SqlAuditLog(self.session)

    @cached_property
    def staff(self) -> SqlStaffRepository:
        return SqlStaffRepository(self.session)

    @cached_property
    def jobs(self) -> SqlJobQueue:
        return SqlJobQueue(self.session)

    @cached_property
    def credential_review(self) -> SqlCredentialReviewRepository:
        return SqlCredentialReviewRepository(self.session)

    @cached_property
    def document_items(self) -> SqlDocumentItemRepository:
        return SqlDocumentItemRepository(self.session)


class SqlUnitOfWorkFactory:
    """:class:`operations.unit_of_work.UnitOfWorkFactory` over a session factory."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions, read_only=read_only)


def is_collision(error: BaseException) -> bool:
    """Did this database error come from a concurrent transaction (worth a retry)?

    Also for a driver error SQLAlchemy never wrapped: the bulk writes COPY through psycopg
    directly, so a key another batch inserted meanwhile (23505) or a deadlock between two COPYs
    (40P01) arrives as psycopg's own exception."""
    if isinstance(error, IntegrityError):
        return True
    original = error.orig if isinstance(error, DBAPIError) else error
    sqlstate = getattr(original, "sqlstate", None)
    if isinstance(sqlstate, str) and (sqlstate in RETRYABLE_SQLSTATES or sqlstate.startswith("23")):
        return True
    return isinstance(error, DBAPIError) and "database is locked" in str(original or "")
