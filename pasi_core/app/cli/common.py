"""What every command group shares: the engine, the schema check, a safe URL."""
from __future__ import annotations

from sqlalchemy.engine import Engine, make_url

from pasi_core.kernel.errors import PasiError
from pasi_core.kernel.settings import Settings
from persistence import schema
from persistence.database import create_database_engine, session_factory
from persistence.unit_of_work import SqlUnitOfWorkFactory


def engine_of(settings: Settings) -> Engine:
    return create_database_engine(settings.database_url)


def require_schema(engine: Engine) -> None:
    if not schema.is_up_to_date(engine):
        raise PasiError("the database schema is missing or out of date: run `pasi-core init-db` first")


def ready_engine(settings: Settings) -> Engine:
    engine = engine_of(settings)
    require_schema(engine)
    return engine


def units_of_work(settings: Settings) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(session_factory(ready_engine(settings)))


def safe_url(settings: Settings) -> str:
    return make_url(settings.database_url).render_as_string(hide_password=True)
