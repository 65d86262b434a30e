"""Which students a bulk run selects, and the credential each would be awarded.

Per student: the credential SubmitCredentialAwardingMultiple would award
(achieved, not awarded, the highest in the awarding order, not blocked by an
awarded higher-order or equivalent credential), kept when its type is among
the chosen types.  Students whose award will then fail for another reason
(a deactivated or secondary ASN, no determinable school year) are selected
and reported in the Un-successful CSV, as PASI's screen would.
"""
from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType

from operations.submit_credential_awarding_multiple.model import AwardingOrder, StudentRecord
from operations.submit_credential_awarding_multiple.rules import (
    awarded_school_year,
    choose_credential,
    rule_44011_credential_awarded_singly_only,
)


@dataclass(frozen=True)
class Criteria:
    authority: str | None = None
    school: str | None = None
    credential_types: tuple[str, ...] = ()
    """Empty: every type in the awarding order."""

    def describe(self, order: AwardingOrder) -> list[tuple[str, str]]:
        types = ", ".join(f"{code} ({order.description(code)})" for code in self.credential_types)
        return [("Authority", self.authority or "(all)"),
                ("School", self.school or ("(all schools of the authority)" if self.authority else "(all)")),
                ("Credential Type", types or "-All Credential Types-")]


@dataclass(frozen=True)
class Selected:
    asn: str
    credential_type: str
    requirement_set: str | None
    expected_school_year: int | None


def select(record: StudentRecord, order: AwardingOrder, types: frozenset[str]) -> Selected | None:
    if rule_44011_credential_awarded_singly_only(record, order):
        return None
    chosen, violations = choose_credential(record, order)
    if violations or chosen not in types:
        return None
    sets = record.achieved.get(chosen, ())
    return Selected(record.asn, chosen, sets[0] if sets else None, awarded_school_year(record, chosen))


class SelectionSpool:
    """Selected students kept in a temporary file between the search's read and its write, so
    that neither holds the whole selection in memory (one JSON line a student; the file is gone
    when the block ends)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed by __exit__)
        self.count = 0

    def __enter__(self) -> SelectionSpool:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._file.close()

    def add(self, selected: Sequence[Selected]) -> None:
        self._file.writelines(json.dumps([s.asn, s.credential_type, s.requirement_set,
                                          s.expected_school_year]) + "\n" for s in selected)
        self.count += len(selected)

    def chunks(self, size: int) -> Iterator[list[Selected]]:
        """Everything added, in order, ``size`` students at a time."""
        self._file.seek(0)
        chunk: list[Selected] = []
        for line in self._file:
            chunk.append(Selected(*json.loads(line)))
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
