"""The unit of work: one database transaction that rolls back unless committed."""
from __future__ import annotations

import logging
import time
from typing import Callable, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pasi_core.errors import ConcurrentUpdateDetected

log = logging.getLogger("pasi_core.unit_of_work")
T = TypeVar("T")


class UnitOfWork:
    """``with UnitOfWork(factory) as uow: ...; uow.commit()``.

    Leaving the block without :meth:`commit` (an exception, or simply
    forgetting) rolls everything back, so nothing is ever half-applied.
    """

    def __init__(self, session_factory: sessionmaker[Session]):
        self._session_factory = session_factory
        self.session: Session | None = None

    def __enter__(self) -> "UnitOfWork":
        self.session = self._session_factory()
        self.session.begin()
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()

    @property
    def is_postgresql(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"


MAX_ATTEMPTS = 4
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected


def run_retrying(session_factory: sessionmaker[Session], work: Callable[[UnitOfWork], T]) -> T:
    """Run ``work`` in a fresh unit of work; re-run it when it collided with a
    concurrent request (a unique key taken, a deadlock, a serialization failure,
    a row that moved), up to :data:`MAX_ATTEMPTS` times.  ``work`` commits."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with UnitOfWork(session_factory) as uow:
                return work(uow)
        except (IntegrityError, ConcurrentUpdateDetected, DBAPIError) as error:
            if attempt == MAX_ATTEMPTS or not is_retryable(error):
                raise
            log.info("concurrent update detected (%s); retrying, attempt %d",
                     type(error).__name__, attempt + 1)
            time.sleep(0.01 * attempt)
    raise AssertionError("unreachable")


def is_retryable(error: Exception) -> bool:
    if isinstance(error, (IntegrityError, ConcurrentUpdateDetected)):
        return True
    original = getattr(error, "orig", None)
    if getattr(original, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(original or "")
