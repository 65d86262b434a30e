"""Rules as plain functions over plain data: no server, no database."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from operations.submit_diploma_exam_mark import rules
from operations.submit_diploma_exam_mark.book import Enrolments, MarkBook
from operations.submit_diploma_exam_mark.fees import assess_registration_fee, should_release_fee
from operations.submit_diploma_exam_mark.model import (
    ComponentMark,
    Exam,
    ExamComponent,
    ExamMark,
    ExamSitting,
    RescoreRequest,
    StoredExamMark,
    SubmittedExamMark,
    WaivedFee,
    rescore_request_status,
)
from pasi_core.kernel.caller import MINISTRY_CLIENT_USER, SUBMIT_ACADEMIC_RECORD_USER, Caller
from pasi_core.kernel.code_tables import CodeTables, CodeValue
from pasi_core.kernel.school_years import display_school_year, school_year_of
from pasi_core.kernel.students import Student, display_asn

NOW = datetime(2026, 3, 2, 12)
SCHOOL = Caller("S.0001", frozenset({SUBMIT_ACADEMIC_RECORD_USER}))
AUTHORITY = Caller("A.0001", frozenset({SUBMIT_ACADEMIC_RECORD_USER}))
MINISTRY = Caller("O.1", frozenset({SUBMIT_ACADEMIC_RECORD_USER, MINISTRY_CLIENT_USER}))

EXAM = Exam("exam", "ELA30-1", "English 30-1", 2026, "JUN", "DPE", "PCT", NOW + timedelta(days=30),
            {"WR": ExamComponent("WR", "Written Response", True),
             "MS": ExamComponent("MS", "Machine Scored", True)})
OLD_EXAM = Exam("old", "ELA30-1", "English 30-1", 2025, "JUN", "DPE", "PCT", NOW - timedelta(days=300),
                dict(EXAM.components))
SITTINGS = {
    "wr1": ExamSitting("wr1", "exam", "WR", "S.0001", "Aspen", "Gym", NOW + timedelta(days=90), 2),
    "ms1": ExamSitting("ms1", "exam", "MS", "S.0001", "Aspen", "Gym", NOW + timedelta(days=97), 2),
    "wr2": ExamSitting("wr2", "exam", "WR", "S.0002", "Birch", "Hall", NOW + timedelta(days=90), None),
    "ms2": ExamSitting("ms2", "exam", "MS", "S.0002", "Birch", "Hall", NOW + timedelta(days=97), None),
    "owr": ExamSitting("owr", "old", "WR", "S.0001", "Aspen", "Gym", NOW - timedelta(days=250), None),
    "oms": ExamSitting("oms", "old", "MS", "S.0001", "Aspen", "Gym", NOW - timedelta(days=250), None),
}
CODES = CodeTables({
    "ExamMarkStatus": {c: CodeValue("ExamMarkStatus", c, c) for c in ("RE", "RG", "NW", "WH", "IN", "IC")},
    "ComponentMarkStatus": {c: CodeValue("ComponentMarkStatus", c, c) for c in ("RE", "RG", "NW")},
    "MarkFormat": {"PCT": CodeValue("MarkFormat", "PCT", "Percentage", attributes={"Kind": "Percentage"})},
    "ExamPeriod": {"JUN": CodeValue("ExamPeriod", "JUN", "June", 4),
                   "AUG": CodeValue("ExamPeriod", "AUG", "August", 5)},
    "LetterGrade": {"A": CodeValue("LetterGrade", "A", "A", attributes={"ExpirySchoolYear": 2025})},
    "DiplomaExamFeeType": {"RW": CodeValue("DiplomaExamFeeType", "RW", "Rewrite")},
})


def mark(ref="m1", asn="111111111", exam="exam", status="RE", value=None, sittings=("wr1", "ms1"),
         rescored=False, deleted=False, component_status=None, component_value=None) -> ExamMark:
    components = tuple(ComponentMark(component_status or status, s, component_value,
                                     "PCT" if component_value else None) for s in sittings)
    return ExamMark(ref, asn, exam, status, value, rescored, deleted, components)


def book(*stored: StoredExamMark, registrations=None, enrolments=None, fees=(), requests=(), students=None):
    return MarkBook(
        marks=stored, exams={"exam": EXAM, "old": OLD_EXAM}, sittings=SITTINGS,
        students=students or {"111111111": Student("111111111"), "222222222": Student("222222222"),
                              "333333333": Student("333333333", primary_asn="111111111")},
        registrations_by_sitting=registrations or {}, rescore_requests=requests, waived_fees=fees,
        enrolments=enrolments or Enrolments({"111111111": {("S.0001", 2026)}}, {"S.0001": "A.0001"}),
        codes=CODES)


def check(record: ExamMark, the_book: MarkBook, caller=SCHOOL, version=0, **kw) -> rules.MarkCheck:
    return rules.MarkCheck(SubmittedExamMark(0, record, version), caller, NOW, the_book, **kw)


def rule_ids(a_check: rules.MarkCheck) -> list[int]:
    return [v.rule_id for v in rules.check_record(a_check)]


def test_a_valid_registration_passes_every_rule():
    assert rule_ids(check(mark(), book())) == []


def test_3004_a_deleted_record_accepts_its_version_or_zero():
    stored = StoredExamMark(mark(deleted=True), version=7)
    restore = mark()
    assert 3004 not in rule_ids(check(restore, book(stored), version=7))
    assert 3004 not in rule_ids(check(restore, book(stored), version=0))
    assert 3004 in rule_ids(check(restore, book(stored), version=6))


def test_9023_compares_components_in_any_order():
    stored = StoredExamMark(mark(), version=3)
    reordered = mark(sittings=("ms1", "wr1"))
    assert rule_ids(check(reordered, book(stored), version=3)) == [9023]


@pytest.mark.parametrize("caller,enrolled,expected", [
    (SCHOOL, {("S.0001", 2026)}, True), (SCHOOL, {("S.0001", 2025)}, True),
    (SCHOOL, {("S.0001", 2024)}, False), (SCHOOL, {("S.0002", 2026)}, False),
    (AUTHORITY, {("S.0001", 2026)}, True), (AUTHORITY, {("S.0002", 2026)}, False),
    (MINISTRY, set(), True)])
def test_9059_student_association(caller, enrolled, expected):
    enrolments = Enrolments({"111111111": enrolled}, {"S.0001": "A.0001", "S.0002": "A.0009"})
    assert (9059 not in rule_ids(check(mark(), book(enrolments=enrolments), caller))) is expected


def test_9059_a_secondary_asn_shares_its_primarys_enrolments():
    assert 9059 not in rule_ids(check(mark(asn="333333333"), book()))


def test_40552_counts_registrations_already_on_the_sitting():
    assert 40552 not in rule_ids(check(mark(), book(registrations={"wr1": 1, "ms1": 1})))
    assert rule_ids(check(mark(), book(registrations={"wr1": 2, "ms1": 1}))) == [40552]


def test_40552_does_not_apply_once_the_sitting_has_started():
    later = rules.MarkCheck(SubmittedExamMark(0, mark(), 0), SCHOOL, NOW + timedelta(days=98),
                            book(registrations={"wr1": 2, "ms1": 2}))
    assert 40552 not in [v.rule_id for v in rules.rule_40552_sitting_capacity_exceeded(later)]


def test_40534_names_what_is_wrong():
    (violation,) = rules.rule_40534_components_do_not_match_exam(check(mark(sittings=("wr1", "wr2")), book()))
    assert violation.params["Problem"] == "missing component(s) MS; more than one mark for component(s) WR"


def test_40540_looks_at_the_same_asn_component_and_centre_only():
    other = StoredExamMark(mark(ref="m0"), version=1)
    assert 40540 in rule_ids(check(mark(), book(other)))
    assert 40540 not in rule_ids(check(mark(sittings=("wr2", "ms2")), book(other)))
    deleted = StoredExamMark(mark(ref="m0", deleted=True), version=1)
    assert 40540 not in rule_ids(check(mark(), book(deleted)))


def test_the_book_sees_records_accepted_earlier_in_the_batch():
    the_book = book()
    the_book.record(StoredExamMark(mark(ref="m0"), version=5))
    assert 40540 in rule_ids(check(mark(), the_book))
    assert the_book.registrations_on("wr1") == 1


def test_9024_leading_zeros():
    result = mark(status="RG", value="07", sittings=("owr", "oms"), exam="old",
                  component_status="RG", component_value="70")
    assert [v.path for v in rules.rule_9024_leading_zeros(check(result, book(), MINISTRY))] == ["MarkValue"]


def test_9024_names_every_field_with_a_leading_zero_in_record_order():
    record = ExamMark("m1", "111111111", "old", "RG", "07", False, False, (
        ComponentMark("RG", "owr", "08", "PCT", "090"), ComponentMark("RG", "oms", "80", "PCT", "100")))
    assert [(v.path, v.params["MarkValue"]) for v in rules.rule_9024_leading_zeros(
        check(record, book(), MINISTRY))] == [
        ("MarkValue", "07"), ("ComponentMarks[0].MarkValue", "08"),
        ("ComponentMarks[0].MaximumMark", "090")]


def test_40534_one_mark_for_each_component_in_any_order_passes():
    for sittings in (("wr1", "ms1"), ("ms1", "wr1"), ("ms2", "wr1")):
        assert list(rules.rule_40534_components_do_not_match_exam(check(mark(sittings=sittings), book()))) == []
    (violation,) = rules.rule_40534_components_do_not_match_exam(
        check(mark(sittings=("wr1", "ms1", "ms2")), book()))
    assert violation.params["Problem"] == "more than one mark for component(s) MS"


def test_9017_a_letter_grade_past_its_expiry_school_year_is_refused():
    letter_exam = Exam("ltr", "L30", "Letters", 2026, "JUN", "DPE", "LTR", NOW - timedelta(days=1),
                       {"MS": ExamComponent("MS", "Machine Scored", True)})
    the_book = book()
    the_book.exams["ltr"] = letter_exam
    the_book.codes.tables["MarkFormat"]["LTR"] = CodeValue("MarkFormat", "LTR", "Letter",
                                                           attributes={"Kind": "LetterGrade"})
    the_book.sittings["lms"] = ExamSitting("lms", "ltr", "MS", "S.0001", "Aspen", "Gym", None, None)
    record = ExamMark("m9", "111111111", "ltr", "RG", "A", False, False,
                      (ComponentMark("RG", "lms", "A", "LTR"),))
    assert [v.rule_id for v in rules.rule_9017_invalid_letter_grade(check(record, the_book, MINISTRY))] == [9017, 9017]


def test_a_first_attempt_is_free_and_a_rewrite_needs_a_fee():
    assert assess_registration_fee(mark(), EXAM, book()).fee_type is None
    written = StoredExamMark(mark(ref="m0", exam="old", status="RG", value="40", sittings=("owr", "oms")), 1)
    assert assess_registration_fee(mark(), EXAM, book(written)).fee_type == "RW"
    not_written = StoredExamMark(mark(ref="m0", exam="old", status="NW", sittings=("owr", "oms")), 1)
    assert assess_registration_fee(mark(), EXAM, book(not_written)).fee_type is None


def test_an_expired_or_used_waived_fee_cannot_pay():
    written = StoredExamMark(mark(ref="m0", exam="old", status="RG", value="40", sittings=("owr", "oms")), 1)
    expired = WaivedFee("f1", "111111111", "ELA30-1", 2026, "JUN")
    assert assess_registration_fee(mark(), EXAM, book(written, fees=[expired])).available_fee == expired
    too_early = WaivedFee("f1", "111111111", "ELA30-1", 2025, "AUG")
    assert assess_registration_fee(mark(), EXAM, book(written, fees=[too_early])).available_fee is None
    used = WaivedFee("f1", "111111111", "ELA30-1", 2027, "JUN", is_used=True)
    assert assess_registration_fee(mark(), EXAM, book(written, fees=[used])).available_fee is None


def test_a_fee_is_not_released_while_another_registration_in_the_session_is_active():
    other = StoredExamMark(mark(ref="m0", sittings=("wr2", "ms2")), 1)
    assert should_release_fee(mark(), EXAM, book()) is True
    assert should_release_fee(mark(), EXAM, book(other)) is False


@pytest.mark.parametrize("payment,consent,cancelled,rescored,expected", [
    ("Payment Received", "Received", True, True, "Cancelled"),
    ("Payment Pending", "Received", False, True, "Rescored"),
    ("Payment Not Received", "Received", False, False, "Incomplete"),
    ("Payment Pending", "Received", False, False, "Incomplete"),
    ("Payment Waived", "Not Received", False, False, "Incomplete"),
    ("Payment Waived", "Not Required", False, False, "Requested"),
    ("Payment Received", "Received", False, False, "Requested")])
def test_rescore_request_status_priority(payment, consent, cancelled, rescored, expected):
    request = RescoreRequest("r", "m", payment, consent, cancelled)
    assert rescore_request_status(request, rescored) == expected


def test_school_years_and_display_formats():
    assert school_year_of(datetime(2025, 9, 1)) == 2026
    assert school_year_of(datetime(2026, 8, 31)) == 2026
    assert display_school_year(2026) == "2025/2026"
    assert display_asn("123456789") == "1234-5678-9"
