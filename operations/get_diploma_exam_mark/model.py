"""Plain data for GetDiplomaExamMark.  No spyne, no SQLAlchemy."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from operations.submit_diploma_exam_mark.model import ExamSitting, StoredExamMark

# Availability Status, as PASI's Get services spell it.
UNKNOWN = "Unknown"
NO_ACCESS = "No Access"
NORMAL = "Normal"


@dataclass(frozen=True)
class RequestedMark:
    ref_id: str
    """As the client sent it (echoed back); looked up in lower case."""
    expected_version: int = 0
    """0 (or absent): whatever version PASI holds."""


@dataclass(frozen=True)
class ReadMark:
    stored: StoredExamMark
    effective_utc: datetime
    """When this version was written (EffectiveUtc)."""


@dataclass(frozen=True)
class MarkPlacement:
    """Whose mark it is and where its components are written: the facts about the mark
    itself that access starts from."""

    asn: str
    sitting_ref_ids: tuple[str, ...]

    @classmethod
    def of(cls, read: ReadMark) -> MarkPlacement:
        mark = read.stored.mark
        return cls(mark.asn, tuple(part.sitting_ref_id for part in mark.components))


@dataclass(frozen=True)
class MarkAccessFacts:
    """What decides whether a caller may read one mark: its student's associations and where
    its components are written (operations.submit_diploma_exam_mark.access)."""

    enrolments: tuple[tuple[str, int], ...]
    """(school code, school year) of every ASN of the mark's student."""
    authority_of_school: Mapping[str, str | None]
    registrations: tuple[ExamSitting, ...]
    """The sittings of the student's undeleted Registered marks (any ASN of the person)."""
    sittings: tuple[ExamSitting | None, ...]
    """The sittings of this mark's components."""


@dataclass(frozen=True)
class MarkAnswer:
    ref_id: str
    availability: str
    mark: ReadMark | None = None
