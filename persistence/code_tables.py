"""Reads the PASI code tables every operation's rules consult."""
from __future__ import annotations

import json
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasi_core.kernel.code_tables import CodeTables, CodeValue
from persistence import models as t


def load_code_tables(session: Session) -> CodeTables:
    tables: dict[str, dict[str, CodeValue]] = defaultdict(dict)
    code = t.table(t.CodeValueRow).c  # Core rows, not ORM objects: every request reads the tables
    for row in session.execute(select(code.code_table, code.code, code.short_description,
                                      code.sequence, code.attributes)):
        tables[row.code_table][row.code] = CodeValue(
            row.code_table, row.code, row.short_description, row.sequence,
            json.loads(row.attributes or "{}"))
    return CodeTables(dict(tables))


class SqlCodeTableSource:
    def __init__(self, session: Session):
        self._session = session
        self._loaded: CodeTables | None = None

    def load(self) -> CodeTables:
        if self._loaded is None:
            self._loaded = load_code_tables(self._session)
        return self._loaded
