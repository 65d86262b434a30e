"""A rule a record failed: found by a rule as a :class:`Violation`, reported
to the client as a :class:`Rejection` whose message the catalogue renders."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pasi_core.kernel.rule_catalogue import render


@dataclass(frozen=True)
class Violation:
    """What a rule function yields: the rule, the values of its message's
    placeholders and where in the record it applies."""

    rule_id: int
    params: Mapping[str, object] = field(default_factory=dict)
    path: str | None = None
    """Where in the record, e.g. ``ComponentMarks[1].MarkValue``; None for the whole record."""
    template: str | None = None
    """Set only when a rule has a second documented wording (40500)."""


@dataclass(frozen=True)
class Rejection:
    rule_id: int
    message: str
    path: str | None = None


def reject(violation: Violation) -> Rejection:
    """The rejection a client sees, its message rendered from the catalogue."""
    return Rejection(violation.rule_id,
                     render(violation.rule_id, violation.params, template=violation.template),
                     violation.path)


def reject_all(violations) -> tuple[Rejection, ...]:
    return tuple(reject(violation) for violation in violations)
