"""The unit of work: one database transaction that rolls back unless committed."""
from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker


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
