"""The Alembic migrations build exactly the schema the models describe, on both databases."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from persistence import schema
from persistence.models import Base


def test_migrations_and_models_agree(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    assert schema.is_up_to_date(engine)


def test_the_version_sequence_exists_for_the_dialect(engine):
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            first = connection.execute(text("SELECT nextval('pasi_core_version_seq')")).scalar_one()
            second = connection.execute(text("SELECT nextval('pasi_core_version_seq')")).scalar_one()
            assert second > first
        assert "version_counter" in inspect(connection).get_table_names()
