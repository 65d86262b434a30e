"""IsDataAvailable's request rules (3005, 3006, 3008) and the exam-mark read access model, as
plain functions."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from operations.get_diploma_exam_mark.model import MarkAccessFacts
from operations.get_diploma_exam_mark.service import may_read_mark
from operations.is_data_available.model import NotificationType
from operations.is_data_available.rules import check_notification_types, parse
from operations.submit_diploma_exam_mark.model import ExamSitting
from pasi_core.kernel.caller import Caller


@pytest.mark.parametrize(("text", "parsed"), [
    ("DiplomaExamMark.2024", NotificationType("DiplomaExamMark", 2024)),
    ("DiplomaExamMark", NotificationType("DiplomaExamMark", None)),
    ("Student", NotificationType("Student", None)),
    ("DiplomaExamMark.1905", NotificationType("DiplomaExamMark", 1905)),
    ("DiplomaExamMark.2100", NotificationType("DiplomaExamMark", 2100)),
    ("DiplomaExamMark.1904", None), ("DiplomaExamMark.2101", None),
    ("diplomaexammark.2024", None), ("DiplomaExamMark.", None), ("DiplomaExamMark.20232024", None),
    ("DiplomaExamMark 2024", None), ("ExamMarks.2024", None), ("", None),
])
def test_a_notification_type_is_a_case_sensitive_type_with_an_optional_school_year(text, parsed):
    assert parse(text) == parsed


def rules_of(*requested: str) -> dict[int, str]:
    return {v.rule_id: v.params["SyncTypes"] for v in check_notification_types(list(requested))}


def test_a_served_type_with_its_school_year_passes():
    assert rules_of("DiplomaExamMark.2024", "DiplomaExamMark.2025") == {}


def test_each_rule_lists_every_type_it_failed():
    assert rules_of("DiplomaExamMark", "CourseEnrolment", "DiplomaExamMark.2024") == {
        3008: "DiplomaExamMark, CourseEnrolment", 3005: "CourseEnrolment"}
    assert rules_of("Student.2024", "School.2020")[3006] == "Student.2024, School.2020"
    assert rules_of("Bogus", "DiplomaExamMark.3000") == {3005: "Bogus, DiplomaExamMark.3000"}


def test_types_pasi_has_but_this_service_does_not_serve_are_refused_as_invalid():
    assert rules_of("Student") == {3005: "Student"}
    assert rules_of("SchoolCalendarYear") == {3005: "SchoolCalendarYear"}  # year optional: no 3008


NOW = datetime(2026, 3, 2, 12, 0)
TODAY = date(2026, 3, 2)


def sitting(centre: str | None, authority: str | None = None, *, scheduled: datetime | None = None):
    return ExamSitting("s", "e", "A", centre, centre or "", "gym", scheduled, None,
                       writing_centre_authority=authority)


def facts(enrolments=(), registrations=(), sittings=(), authorities=None) -> MarkAccessFacts:
    return MarkAccessFacts(tuple(enrolments), authorities or {"S.0001": "A.0001"},
                           tuple(registrations), tuple(sittings))


SCHOOL, AUTHORITY, MINISTRY = (Caller("S.0001", frozenset()), Caller("A.0001", frozenset()),
                               Caller("O.1", frozenset()))


@pytest.mark.parametrize(("caller", "mark_facts", "readable"), [
    (MINISTRY, facts(), True),
    (SCHOOL, facts([("S.0001", 2026)]), True),
    (SCHOOL, facts([("S.0001", 2025)]), True),          # last school year still counts
    (SCHOOL, facts([("S.0001", 2024)]), False),         # not any more
    (SCHOOL, facts([("S.0002", 2026)]), False),
    (AUTHORITY, facts([("S.0001", 2026)]), True),
    (AUTHORITY, facts([("S.0009", 2026)], authorities={"S.0009": "A.0002"}), False),
    (SCHOOL, facts(sittings=[sitting("S.0001", "A.0001")]), True),      # written here
    (AUTHORITY, facts(sittings=[sitting("S.0001", "A.0001")]), True),
    (SCHOOL, facts(registrations=[sitting("S.0001", scheduled=datetime(2026, 6, 1))]), True),
    (SCHOOL, facts(registrations=[sitting("S.0001", scheduled=datetime(2026, 1, 1))]), False),
    (AUTHORITY, facts(registrations=[sitting("S.0001", scheduled=datetime(2026, 6, 1))]), False),
])
def test_who_may_read_a_mark(caller, mark_facts, readable):
    assert may_read_mark(caller, mark_facts, today=TODAY, now=NOW) is readable
