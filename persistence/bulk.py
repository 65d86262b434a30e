"""Small helpers for set-based queries."""
from __future__ import annotations

from typing import Iterable, Iterator, Sequence, TypeVar

T = TypeVar("T")

IN_LIST_CHUNK = 5000
"""Keeps every ``IN (...)`` under SQLite's variable limit and PostgreSQL's comfort zone."""


def chunked(values: Iterable[T], size: int = IN_LIST_CHUNK) -> Iterator[Sequence[T]]:
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def select_in(session, statement_for, values: Iterable) -> list:
    """Run ``statement_for(chunk)`` for each chunk of distinct, sorted values."""
    rows: list = []
    for chunk in chunked(sorted(set(values))):
        rows.extend(session.execute(statement_for(chunk)).all())
    return rows
