"""The request rules of IsDataAvailable: 3005, 3006 and 3008.

PASI returns them inside a rule 3001 fault ("This message should never be seen by an end
user"), each listing every notification type that failed.  A notification type is
``{Type}`` or ``{Type}.{SchoolYear}``, case-sensitive, the school year between 1905 and 2100.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from pasi_core.kernel.rejections import Violation

from .model import NotificationType

# PASI's notification types (DataNotificationRequestTypeInfo.NotificationType).
PASI_TYPES = frozenset({
    "ClassroomAccommodation", "ClassroomAccommodationStatus", "Course", "CourseEnrolment",
    "CourseEnrolmentStatus", "DiplomaExam", "DiplomaExamMark", "DiplomaExamRescoreRequest",
    "DiplomaExamSitting", "EducationAccountConnection", "EvaluatedMark", "EvaluatedMarkStatus",
    "ProvincialAchievementTest", "ProvincialAchievementTestResult", "ResponsibleSchool",
    "ResponsibleSchoolStatus", "School", "SchoolAuthority", "SchoolCalendarYear", "Section",
    "SectionStatus", "Student", "StudentRecordDocument", "StudentSchoolEnrolment",
    "StudentSchoolEnrolmentStatus", "StudentStatus", "StudentTranscriptDetail"})
WITHOUT_SCHOOL_YEAR = frozenset({"School", "SchoolAuthority", "Student", "StudentStatus"})
"""Rule 3006: a school year must not be given."""
SCHOOL_YEAR_OPTIONAL = frozenset({"ClassroomAccommodation", "Course", "EducationAccountConnection",
                                  "DiplomaExamRescoreRequest", "SchoolCalendarYear",
                                  "StudentTranscriptDetail"})
"""Every other type needs a school year (rule 3008)."""
SERVED = frozenset({"DiplomaExamMark"})
"""The types this service synchronizes; the others are PASI's but have no data here."""
FIRST_SCHOOL_YEAR, LAST_SCHOOL_YEAR = 1905, 2100

_FORMAT = re.compile(r"^(?P<name>[A-Za-z]+)(?:\.(?P<year>[0-9]{1,9}))?$")


def parse(text: str) -> NotificationType | None:
    """``DiplomaExamMark.2024`` -> (DiplomaExamMark, 2024); None when it is no notification type
    this service serves in a valid form."""
    match = _FORMAT.match(text)
    if match is None or match.group("name") not in PASI_TYPES:
        return None
    year = match.group("year")
    if year is not None and not FIRST_SCHOOL_YEAR <= int(year) <= LAST_SCHOOL_YEAR:
        return None
    return NotificationType(match.group("name"), int(year) if year is not None else None)


def rule_3005_invalid_notification_type(requested: Sequence[str]) -> Iterator[Violation]:
    """Unknown, misspelled (the type is case-sensitive) or with a school year out of range; a type
    PASI has but this service does not serve is refused the same way (the fault says which are)."""
    failed = [text for text in requested
              if (parsed := parse(text)) is None or parsed.name not in SERVED]
    if failed:
        yield Violation(3005, {"SyncTypes": ", ".join(failed)})


def rule_3006_unexpected_school_year(requested: Sequence[str]) -> Iterator[Violation]:
    failed = [text for text in requested if (parsed := parse(text)) is not None
              and parsed.name in WITHOUT_SCHOOL_YEAR and parsed.school_year is not None]
    if failed:
        yield Violation(3006, {"SyncTypes": ", ".join(failed)})


def rule_3008_missing_school_year(requested: Sequence[str]) -> Iterator[Violation]:
    failed = [text for text in requested if (parsed := parse(text)) is not None
              and parsed.school_year is None and parsed.name not in WITHOUT_SCHOOL_YEAR
              and parsed.name not in SCHOOL_YEAR_OPTIONAL]
    if failed:
        yield Violation(3008, {"SyncTypes": ", ".join(failed)})


RULES = (rule_3005_invalid_notification_type, rule_3006_unexpected_school_year,
         rule_3008_missing_school_year)


def check_notification_types(requested: Sequence[str]) -> list[Violation]:
    return [violation for rule in RULES for violation in rule(requested)]
