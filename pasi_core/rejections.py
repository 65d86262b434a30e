"""A rule a record failed, as every operation reports it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from pasi_core.rule_catalogue import render


@dataclass(frozen=True)
class Rejection:
    rule_id: int
    message: str
    path: str | None = None
    """Where in the record, e.g. ``ComponentMarks[1].MarkValue``; None for the whole record."""


def reject(rule_id: int, params: Mapping[str, object], path: str | None = None,
           template: str | None = None) -> Rejection:
    """The rejection of ``rule_id`` with its message rendered from the catalogue."""
    return Rejection(rule_id, render(rule_id, params, template=template), path)
