"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production).

SQLite: WAL journal, ``synchronous=NORMAL``, foreign keys on, a busy
timeout, and SQLAlchemy's documented pysqlite hooks so that SQLAlchemy
(not the driver) begins transactions: a writing transaction begins with
``BEGIN IMMEDIATE`` and takes the write lock up front, so two workers never
deadlock upgrading a read lock; a connection marked :data:`READ_ONLY`
begins a deferred transaction and, under WAL, never waits for a writer.

PostgreSQL: psycopg 3, a small pool with pre-ping, READ COMMITTED; rows a
batch depends on are locked with ``SELECT … FOR NO KEY UPDATE``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from pasi_core.kernel.errors import ConfigurationError

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = {"pasi_read_only": True}
"""Execution options of a connection that only reads (health checks, lookups, Get services)."""


def normalize_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here; refuse drivers we do not test."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if parsed.drivername not in ("postgresql", "postgresql+psycopg"):
            raise ConfigurationError(
                f"unsupported PostgreSQL driver {parsed.drivername!r}; use postgresql+psycopg://")
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend == "sqlite":
        return url
    raise ConfigurationError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


def create_database_engine(url: str, *, pool_size: int = 5) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                         pool_recycle=1800, isolation_level="READ COMMITTED",
                         hide_parameters=True)


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    database = parsed.database
    in_memory = database in (None, "", ":memory:")
    if database and not in_memory:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False,
                                               "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    if in_memory:
        kwargs["poolclass"] = StaticPool
    # hide_parameters: a database error must never put student data in a log.
    engine = create_engine(url, hide_parameters=True, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure_connection(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        reads_only = connection.get_execution_options().get("pasi_read_only", False)
        connection.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
