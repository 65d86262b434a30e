"""persistence.bulk: fast inserts round-trip every value exactly; set queries built once match
exactly their values, however many."""
from datetime import date, datetime

import pytest
from sqlalchemy import Boolean, Column, Date, DateTime, Integer, LargeBinary, MetaData, String, Table, select, text
from sqlalchemy.exc import OperationalError

from persistence import bulk
from persistence.bulk import InQuery, bulk_insert, row_locks, rows_together, select_in
from persistence.database import session_factory


def test_bulk_insert_round_trips_awkward_values(engine):
    metadata = MetaData()
    probe = Table("bulk_probe", metadata, Column("a", String(100)), Column("b", Boolean),
                  Column("c", DateTime), Column("d", Integer), Column("e", Date),
                  Column("f", LargeBinary))
    metadata.drop_all(engine)
    metadata.create_all(engine)
    rows = [{"a": "tab\there, back\\slash, new\nline, cr\r, é ∑", "b": True,
             "c": datetime(2026, 1, 2, 3, 4, 5, 678), "d": 5, "e": date(2020, 1, 1),
             "f": b"\x00\\x\t\n\xff"},
            {"a": None, "b": False, "c": None, "d": None, "e": None, "f": None},
            {"a": "\\N", "b": None, "c": None, "d": -1, "e": None, "f": b""}]
    try:
        session = session_factory(engine)()
        with session.begin():
            bulk_insert(session, probe, rows)
        with engine.connect() as connection:
            assert [dict(r) for r in connection.execute(select(probe)).mappings()] == rows
        with session_factory(engine)() as session:
            found = select_in(session, lambda match: select(probe.c.d).where(match(probe.c.a)),
                              ["\\N", "missing"])
            assert [row.d for row in found] == [-1]
    finally:
        metadata.drop_all(engine)


def test_a_query_built_once_matches_each_call_s_values_across_chunks(engine, monkeypatch):
    metadata = MetaData()
    probe = Table("in_query_probe", metadata, Column("a", String(20)), Column("d", Integer))
    metadata.drop_all(engine)
    metadata.create_all(engine)
    monkeypatch.setattr(bulk, "IN_LIST_CHUNK", 3)  # SQLite's chunks: several statements a call
    built: list[int] = []

    def statement(match):
        built.append(1)
        return select(probe.c.d).where(match(probe.c.a)).order_by(probe.c.d)

    query = InQuery(statement)
    try:
        with engine.begin() as connection:
            connection.execute(probe.insert(), [{"a": f"v{n}", "d": n} for n in range(10)])
        with session_factory(engine)() as session:
            assert sorted(r.d for r in query.rows(session, [f"v{n}" for n in (7, 1, 8, 2, 9, 7)] + ["x"])) == [
                1, 2, 7, 8, 9]
            assert [r.d for r in query.rows(session, {"v4"})] == [4]
            assert query.rows(session, []) == []
        assert len(built) == 1, "the statement is built once, not per call"
    finally:
        metadata.drop_all(engine)


def test_queries_sent_together_answer_each_in_order_and_a_driver_error_is_sqlalchemy_s(engine):
    """rows_together: one pipeline on PostgreSQL, one query after another elsewhere; the same
    rows either way, and an error (here a lock another transaction holds) raised as SQLAlchemy
    raises it for its own statements, so callers catch one family."""
    metadata = MetaData()
    probe = Table("together_probe", metadata, Column("a", String(20), primary_key=True), Column("d", Integer))
    metadata.drop_all(engine)
    metadata.create_all(engine)
    by_a = InQuery(lambda match: select(probe.c.a, probe.c.d).where(match(probe.c.a)).order_by(probe.c.a))
    by_d = InQuery(lambda match: select(probe.c.d).where(match(probe.c.d)))
    try:
        with engine.begin() as connection:
            connection.execute(probe.insert(), [{"a": f"v{n}", "d": n} for n in range(5)])
        with session_factory(engine)() as session:
            first, nothing, second = rows_together(session, [(by_a, ["v3", "v1", "x"]), (by_d, []), (by_d, {4, 9})])
            assert [(row.a, row.d) for row in first] == [("v1", 1), ("v3", 3)]
            assert nothing == [] and [row.d for row in second] == [4]
            assert rows_together(session, [(by_a, []), (by_d, set())]) == [[], []]
        if engine.dialect.name != "postgresql":
            return
        locks = row_locks(probe.c.a)
        with engine.connect() as holder:
            holder.begin()
            holder.execute(text("SELECT a FROM together_probe WHERE a = 'v2' FOR UPDATE"))
            with session_factory(engine)() as session:
                session.execute(text("SET LOCAL lock_timeout = '1ms'"))
                with pytest.raises(OperationalError, match="lock timeout"):
                    rows_together(session, [(by_a, ["v1"]), (locks, ["v2"]), (by_d, [1])])
            holder.rollback()
    finally:
        metadata.drop_all(engine)


AWKWARD = ['quote"d', "back\\slash", "com,ma", "{brace}", " spaced ", "NULL", "", "é∑", "tab\tnew\nline"]


def test_awkward_strings_match_exactly_through_queries_built_once(engine):
    """On PostgreSQL the values go as one array literal (persistence.bulk.array_literal): every
    character that literal syntax treats specially still matches only itself."""
    metadata = MetaData()
    probe = Table("awkward_probe", metadata, Column("a", String(20)), Column("d", Integer))
    metadata.drop_all(engine)
    metadata.create_all(engine)
    query = InQuery(lambda match: select(probe.c.a, probe.c.d).where(match(probe.c.a)))
    try:
        with engine.begin() as connection:
            connection.execute(probe.insert(), [{"a": a, "d": n} for n, a in enumerate(AWKWARD)]
                               + [{"a": "quoted", "d": 99}, {"a": "brace", "d": 98}])
        with session_factory(engine)() as session:
            for value in AWKWARD:
                assert [(r.a, r.d) for r in query.rows(session, [value])] == [(value, AWKWARD.index(value))]
            (together,) = rows_together(session, [(query, AWKWARD)])
            assert sorted(r.d for r in together) == list(range(len(AWKWARD)))
    finally:
        metadata.drop_all(engine)
