"""Code tables are data (loaded with the reference data), not Python enums.

A rule that names a specific code (for example "RE" in rule 40504) keeps
that code as a constant beside it; whether a submitted code exists at
all is always answered by the loaded table.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

EXAM_MARK_STATUS = "ExamMarkStatus"
COMPONENT_MARK_STATUS = "ComponentMarkStatus"
MARK_FORMAT = "MarkFormat"
EXAM_PERIOD = "ExamPeriod"
EXAM_TYPE = "ExamType"
LETTER_GRADE = "LetterGrade"
FEE_TYPE = "DiplomaExamFeeType"


@dataclass(frozen=True)
class CodeValue:
    table: str
    code: str
    short_description: str
    sequence: int = 0
    attributes: Mapping[str, Any] = field(default_factory=dict)
    """Loaded from JSON: numbers, strings and lists, as the code table's own columns."""


@dataclass(frozen=True)
class CodeTables:
    tables: Mapping[str, Mapping[str, CodeValue]]

    def has(self, table: str, code: str) -> bool:
        return code in self.tables.get(table, {})

    def get(self, table: str, code: str) -> CodeValue | None:
        return self.tables.get(table, {}).get(code)

    def short_description(self, table: str, code: str) -> str:
        value = self.get(table, code)
        return value.short_description if value else code

    def sequence(self, table: str, code: str) -> int:
        value = self.get(table, code)
        return value.sequence if value else 0

    def attribute(self, table: str, code: str, name: str, default: Any = None) -> Any:
        value = self.get(table, code)
        return value.attributes.get(name, default) if value else default

    def codes(self, table: str) -> Mapping[str, CodeValue]:
        return self.tables.get(table, {})
