"""Create or upgrade the database schema through the Alembic migrations."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_SEQUENCE = "pasi_core_version_seq"
CREDENTIAL_NUMBER_SEQUENCE = "credential_number_seq"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("the migrations have no head revision")
    return head


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


def drop_everything(engine: Engine) -> None:
    """Tests only: remove every table, the sequence and Alembic's bookkeeping."""
    from persistence.models import Base

    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"DROP SEQUENCE IF EXISTS {VERSION_SEQUENCE}"))
            connection.execute(text(f"DROP SEQUENCE IF EXISTS {CREDENTIAL_NUMBER_SEQUENCE}"))
