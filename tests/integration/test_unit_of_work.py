"""The SQLAlchemy unit of work on the test database: rollback unless committed, collisions
reported for a retry, and readers that never wait for a writer on SQLite."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import insert, select, text

from pasi_core.app.application import HealthCheck
from pasi_core.kernel.errors import ConcurrentUpdateDetected
from persistence import models as t
from persistence.client_registry import SqlClientDirectory
from persistence.database import create_database_engine, session_factory
from persistence.unit_of_work import SqlUnitOfWork, SqlUnitOfWorkFactory
from tests.conftest import is_postgresql
from tests.support import province as p


def _organization(code: str) -> dict:
    return {"code": code, "name": "Test", "kind": "School", "authority_code": None}


def test_leaving_without_commit_rolls_everything_back(db):
    with SqlUnitOfWork(session_factory(db)) as uow:
        uow.session.execute(insert(t.table(t.Organization)), [_organization("S.9998")])
    with db.connect() as connection:
        assert connection.execute(select(t.Organization.code).where(
            t.Organization.code == "S.9998")).first() is None


def test_a_duplicate_key_is_reported_as_a_collision_to_retry(db):
    with pytest.raises(ConcurrentUpdateDetected), SqlUnitOfWork(session_factory(db)) as uow:
        uow.session.execute(insert(t.table(t.Organization)), [_organization("S.0001")])
        uow.commit()


def test_a_read_only_unit_of_work_cannot_commit(db):
    with pytest.raises(RuntimeError), SqlUnitOfWork(session_factory(db), read_only=True) as uow:
        uow.commit()


@pytest.mark.skipif(is_postgresql(), reason="SQLite's write lock; PostgreSQL readers never wait")
def test_readers_do_not_wait_while_a_writer_holds_the_sqlite_write_lock(db, database_url):
    """A batch holds the write lock; /health, a registry lookup and a read-only unit of work
    answer at once.  (If they took the lock they would wait out the 30 s busy timeout and
    then fail with "database is locked".)"""
    writer = create_database_engine(database_url)
    holding, release = threading.Event(), threading.Event()

    def hold_the_write_lock():
        with writer.connect() as connection:
            connection.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock is ours
            holding.set()
            release.wait(60)
            connection.rollback()

    thread = threading.Thread(target=hold_the_write_lock)
    thread.start()
    try:
        assert holding.wait(60)
        reader = create_database_engine(database_url)
        statuses = []
        HealthCheck(reader)({}, lambda status, headers: statuses.append(status))
        assert statuses == ["200 OK"]
        assert SqlClientDirectory(session_factory(reader)).lookup("0" * 64) is None
        with SqlUnitOfWorkFactory(session_factory(reader))(read_only=True) as uow:
            assert uow.credentials.load_student_records([p.S1], for_update=False)
    finally:
        release.set()
        thread.join(60)
