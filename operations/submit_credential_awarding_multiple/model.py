"""Plain data for credential awarding: the awarding order, a student's
achievements, awards, enrolments and official marks."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from pasi_core.kernel.code_tables import CodeTables
from pasi_core.kernel.students import Student

CREDENTIAL_TYPE = "CredentialType"
ACHIEVED = "Achieved"
COSC = "COSC"
HSED_ALTERNATIVE_2 = "HSED-ALT2"
"""The requirement set "High School Equivalency Diploma: Alternative 2" (GED route)."""
GED_PASSING_VALUES = frozenset({"A", "B", "C"})


@dataclass(frozen=True)
class CredentialType:
    code: str
    description: str
    awarding_order: int | None
    """Position in PASI's Credential Awarding Order (1 = highest); None = awarded singly only."""
    allowed_after: frozenset[str]
    """Types that may still be awarded once this one is (reference §4.2, second column)."""
    document_type: str | None


@dataclass(frozen=True)
class AwardingOrder:
    types: Mapping[str, CredentialType]

    @classmethod
    def from_code_tables(cls, codes: CodeTables) -> AwardingOrder:
        types = {}
        for code, value in codes.codes(CREDENTIAL_TYPE).items():
            attributes = value.attributes
            types[code] = CredentialType(code, value.short_description, attributes.get("AwardingOrder"),
                                         frozenset(attributes.get("AllowedAfter", ())),
                                         attributes.get("DocumentType"))
        return cls(types)

    def in_order(self, code: str) -> bool:
        kind = self.types.get(code)
        return kind is not None and kind.awarding_order is not None

    def rank(self, code: str) -> int:
        """Position in the awarding order (1 = highest); only for types in the order."""
        order = self.types[code].awarding_order
        if order is None:
            raise ValueError(f"{code} is awarded singly only")
        return order

    def blocks(self, awarded: str, candidate: str) -> bool:
        """Does holding ``awarded`` prevent bulk-awarding ``candidate`` (rule 44012)?"""
        kind = self.types.get(awarded)
        if kind is None or kind.awarding_order is None:
            return False
        return candidate not in kind.allowed_after

    def description(self, code: str) -> str:
        kind = self.types.get(code)
        return kind.description if kind else code


@dataclass(frozen=True)
class OfficialMark:
    course_code: str
    school_year: int
    mark_value: str | None
    credits_awarded: int
    is_ged: bool = False


@dataclass(frozen=True)
class StudentRecord:
    """Everything awarding needs to know about one student."""

    student: Student
    legal_last_name: str
    legal_first_name: str | None
    legal_middle_name: str | None
    birth_date: date | None
    achieved: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Credential type -> the requirement sets achieved for it."""
    active_awards: Mapping[str, str] = field(default_factory=dict)
    """Credential type -> its active (most recent undeleted) credential number."""
    enrolment_school_years: tuple[int, ...] = ()
    official_marks: tuple[OfficialMark, ...] = ()

    @property
    def asn(self) -> str:
        return self.student.asn

    def achieved_not_awarded(self) -> list[str]:
        return sorted(code for code in self.achieved if code not in self.active_awards)


@dataclass(frozen=True)
class Award:
    asn: str
    credential_type: str
    requirement_set: str | None
    school_year: int
    awarded_on: date
    last_name: str
    first_name: str | None
    middle_name: str | None
