"""Reading the stored state back, to check what a call changed."""
from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from persistence import models as t
from persistence.audit_chain import GENESIS_HASH
from persistence.database import session_factory
from persistence.reference_loader import load_document


def mark(engine: Engine, ref_id: str) -> dict | None:
    with engine.connect() as connection:
        row = connection.execute(select(t.ExamMark.__table__).where(
            t.ExamMark.ref_id == ref_id.lower())).mappings().first()
        return dict(row) if row else None


def components(engine: Engine, ref_id: str) -> list[dict]:
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(select(t.ExamMarkComponent.__table__).where(
            t.ExamMarkComponent.exam_mark_ref_id == ref_id.lower()).order_by(
            t.ExamMarkComponent.position)).mappings()]


def row(engine: Engine, model, **where) -> dict | None:
    table = model.__table__
    with engine.connect() as connection:
        found = connection.execute(select(table).where(
            *[table.c[k] == v for k, v in where.items()])).mappings().first()
        return dict(found) if found else None


def rows(engine: Engine, model, **where) -> list:
    """Every row of a table (as named tuples), optionally filtered by column values."""
    table = model.__table__
    with engine.connect() as connection:
        return list(connection.execute(select(table).where(
            *[table.c[k] == v for k, v in where.items()])).all())


def count(engine: Engine, model, **where) -> int:
    table = model.__table__
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table).where(
            *[table.c[k] == v for k, v in where.items()])).scalar_one()


def marks_snapshot(engine: Engine) -> list[tuple]:
    """Every mark and component row, to prove a refused call changed nothing."""
    with engine.connect() as connection:
        marks = connection.execute(select(t.ExamMark.__table__).order_by(t.ExamMark.ref_id)).all()
        parts = connection.execute(select(t.ExamMarkComponent.__table__).order_by(
            t.ExamMarkComponent.exam_mark_ref_id, t.ExamMarkComponent.position)).all()
        triggers = connection.execute(select(func.count()).select_from(t.TranscriptTrigger)).scalar_one()
        fees = connection.execute(select(t.WaivedFee.__table__).order_by(t.WaivedFee.ref_id)).all()
        return [tuple(marks), tuple(parts), triggers, tuple(fees)]


def load(engine: Engine, document: dict):
    return load_document(session_factory(engine), {"FormatVersion": 1, **document})


def truncate_all(engine: Engine) -> None:
    tables = [table.name for table in reversed(t.Base.metadata.sorted_tables)
              if table.name != "version_counter"]
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("TRUNCATE TABLE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                connection.execute(text(f"DELETE FROM {name}"))
        # The audit chain starts again from its genesis, as after init-db.
        connection.execute(text("INSERT INTO audit_chain_head (id, last_sequence, last_hash) "
                                "VALUES (1, 0, :genesis)"), {"genesis": GENESIS_HASH})


def load_demo_province(engine: Engine, *, students: int, seed: int, today) -> None:
    """Empty the database, then load a generated demo province of ``students`` dated ``today``."""
    from pasi_core.app import demo

    truncate_all(engine)
    document = demo.generate(students=students, seed=seed, today=today)
    load(engine, {k: v for k, v in document.items() if k != "FormatVersion"})
