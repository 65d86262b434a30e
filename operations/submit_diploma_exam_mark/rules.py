"""The validation rules of SubmitDiplomaExamMark, one function per rule number.

Each rule is a pure function of a :class:`MarkCheck` (the submitted
record, what is stored, the caller, the clock and the batch's view of the
store) that yields :class:`Violation` values.  :data:`RULES` lists them in
evaluation order (reference §3.5) and :func:`check_record` runs them all:
every failing rule of a record is reported, not only the first.

Messages live in :mod:`pasi_core.kernel.rule_catalogue`; a rule only supplies
the placeholder values.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from pasi_core.kernel.caller import MINISTRY_CLIENT_USER, Caller
from pasi_core.kernel.code_tables import (
    COMPONENT_MARK_STATUS,
    EXAM_MARK_STATUS,
    EXAM_PERIOD,
    FEE_TYPE,
    LETTER_GRADE,
    MARK_FORMAT,
)
from pasi_core.kernel.rejections import Violation
from pasi_core.kernel.rule_catalogue import RULE_40500_MINISTRY_TEMPLATE
from pasi_core.kernel.school_years import display_school_year
from pasi_core.kernel.students import Student, is_well_formed_asn

from .access import is_written_at_callers_schools, may_access_student
from .book import MarkBook
from .fees import FeeAssessment, assess_registration_fee
from .model import (
    INCOMPLETE,
    INVALID,
    NOT_WRITTEN,
    REGISTERED,
    REGULAR,
    RESCORE_INCOMPLETE,
    RESCORE_REQUESTED,
    RESCORE_RESCORED,
    WITHHELD,
    ComponentMark,
    Exam,
    ExamMark,
    ExamSitting,
    Limits,
    StoredExamMark,
    SubmittedExamMark,
    rescore_request_status,
)

# Mark format kinds (the ``Kind`` attribute of a MarkFormat code): the
# format codes are data, the way each kind is checked is a rule.
PERCENTAGE = "Percentage"
NUMERICAL_SCORE = "NumericalScore"
LETTER_GRADE_KIND = "LetterGrade"
PASS_FAIL = "PassFail"

STATUSES_WITHOUT_MARK_VALUE = frozenset({NOT_WRITTEN, WITHHELD, INVALID, INCOMPLETE, REGISTERED})
WHOLE_NUMBER = re.compile(r"^[0-9]+$")
LEADING_ZERO = re.compile(r"^0[0-9]")


@dataclass
class MarkCheck:
    """Everything one record's rules may read.

    What several rules need (the stored record, the exam, each component's
    sitting) is looked up once when the check is built.
    """

    submitted: SubmittedExamMark
    caller: Caller
    now: datetime
    book: MarkBook
    limits: Limits = field(default_factory=Limits)
    remove_repeat_registration_marks: bool = False
    province_date: date | None = None
    """PASI's "current date", the province's (defaults to the UTC date of ``now``)."""

    record: ExamMark = field(init=False, repr=False)
    stored: StoredExamMark | None = field(init=False, repr=False)
    student: Student | None = field(init=False, repr=False)
    exam: Exam | None = field(init=False, repr=False)
    """The record's exam when it is an undeleted diploma exam, else None (rule 99005)."""
    stored_exam: Exam | None = field(init=False, repr=False)
    component_rows: tuple[tuple[str, ComponentMark, ExamSitting | None], ...] = field(
        init=False, repr=False)

    def __post_init__(self) -> None:
        book, record = self.book, self.submitted.mark
        self.record = record
        self.stored = book.stored(record.ref_id)
        self.student = book.student(record.asn)
        exam = book.exam(record.exam_ref_id)
        self.exam = exam if exam is not None and exam.is_diploma_exam and not exam.is_deleted else None
        self.stored_exam = book.exam(self.stored.mark.exam_ref_id) if self.stored else None
        self.component_rows = tuple(
            (f"ComponentMarks[{position}]", component, book.sitting(component.sitting_ref_id))
            for position, component in enumerate(record.components))

    @property
    def today(self) -> date:
        return self.province_date or self.now.date()

    @property
    def is_create(self) -> bool:
        return self.stored is None

    @property
    def is_delete(self) -> bool:
        return self.record.is_deleted and self.stored is not None and not self.stored.mark.is_deleted

    @property
    def is_restore(self) -> bool:
        return self.stored is not None and self.stored.mark.is_deleted and not self.record.is_deleted

    @property
    def marks_of_asn(self) -> list[StoredExamMark]:
        """The stored marks of the record's ASN (asked once: three rules need them, and no
        rule changes the book)."""
        marks = self.__dict__.get("_marks_of_asn")
        if marks is None:
            marks = self.__dict__["_marks_of_asn"] = self.book.marks_of_asn(self.record.asn)
        return marks

    @property
    def registration_fee(self) -> FeeAssessment:
        """The fee this record's registration needs for its exam (asked once: rule 40500
        and the planned change)."""
        assessment = self.__dict__.get("_registration_fee")
        if assessment is None:
            if self.exam is None:
                raise ValueError("a registration fee is assessed only for a known diploma exam")
            assessment = assess_registration_fee(self.record, self.exam, self.book)
            self.__dict__["_registration_fee"] = assessment
        return assessment

    def sitting_of(self, component: ComponentMark) -> ExamSitting | None:
        return self.book.sitting(component.sitting_ref_id)

    def components(self) -> tuple[tuple[str, ComponentMark, ExamSitting | None], ...]:
        return self.component_rows


Rule = Callable[[MarkCheck], Iterable[Violation]]


# --- concurrency and the shape of an update --------------------------------------------
def rule_3004_version_mismatch(check: MarkCheck) -> Iterator[Violation]:
    """0 on create; the stored version on update; a deleted record also accepts 0."""
    stored, sent = check.stored, check.submitted.client_version
    if stored is None:
        ok, core = sent == 0, 0
    elif stored.mark.is_deleted:
        # rule_3004.html: the core version "will be 0 if the record ... is flagged as deleted"
        ok, core = sent in (stored.version, 0), 0
    else:
        ok, core = sent == stored.version, stored.version
    if not ok:
        yield Violation(3004, {"PASICoreVersion_core": core, "PASICoreVersion_client": sent},
                        "PASICoreVersion")


def rule_99006_cannot_create_deleted_mark(check: MarkCheck) -> Iterator[Violation]:
    if check.is_create and check.record.is_deleted:
        yield Violation(99006, {}, "IsDeleted")


def rule_9068_update_of_deleted_record(check: MarkCheck) -> Iterator[Violation]:
    stored = check.stored
    if stored is not None and stored.mark.is_deleted and check.record.is_deleted:
        yield Violation(9068, {})


def rule_9067_delete_combined_with_changes(check: MarkCheck) -> Iterator[Violation]:
    stored = check.stored
    if (stored is not None and stored.mark.is_deleted != check.record.is_deleted
            and not _canonical(check.record).same_fields_as(_canonical(stored.mark))):
        yield Violation(9067, {}, "IsDeleted")


def rule_9023_empty_update(check: MarkCheck) -> Iterator[Violation]:
    stored = check.stored
    if (stored is not None and not stored.mark.is_deleted and not check.record.is_deleted
            and _canonical(check.record) == _canonical(stored.mark)):
        yield Violation(9023, {})


# --- the student ----------------------------------------------------------------------
def rule_9059_invalid_or_inaccessible_asn(check: MarkCheck) -> Iterator[Violation]:
    asn = check.record.asn
    student = check.student if is_well_formed_asn(asn) else None
    if student is None or (check.is_create and not _may_access_student(check, student)):
        yield Violation(9059, {"StateProvinceId": asn}, "StateProvinceId")


def rule_99008_no_access_to_change_mark(check: MarkCheck) -> Iterator[Violation]:
    """A school or authority changes or deletes only marks of students it can access, or
    written at its own schools (docs/decisions.md, "Who may change a mark")."""
    caller, stored = check.caller, check.stored
    if stored is None or caller.is_ministry:
        return
    owner = check.book.student(stored.mark.asn)
    if owner is not None and _may_access_student(check, owner):
        return
    if _written_at_callers_schools(check, stored.mark):
        return
    yield Violation(99008, {"RefId": check.record.ref_id, "OrganizationCode": caller.organization_code})


def rule_9009_deactivated_asn(check: MarkCheck) -> Iterator[Violation]:
    student = check.student
    if student is not None and student.is_deactivated and not check.caller.is_ministry:
        yield Violation(9009, {"StateProvinceId": student.asn}, "StateProvinceId")


def rule_9011_secondary_asn(check: MarkCheck) -> Iterator[Violation]:
    student = check.student
    if student is not None and student.is_secondary and not check.caller.is_ministry:
        yield Violation(9011, {"SecondaryASN": student.asn, "PrimaryASN": student.primary_asn},
                        "StateProvinceId")


def rule_40544_secondary_asn_on_exam_mark(check: MarkCheck) -> Iterator[Violation]:
    """Registrations are created on the Primary ASN; updates on a Secondary need Ministry Client User."""
    student = check.student
    if student is None or not student.is_secondary:
        return
    creating_registration = check.is_create and check.record.status == REGISTERED
    updating_without_role = (not check.is_create
                             and not check.caller.has_role(MINISTRY_CLIENT_USER))
    if creating_registration or updating_without_role:
        yield Violation(40544, {"SecondaryASN": student.asn, "PrimaryASN": student.primary_asn},
                        "StateProvinceId")


def rule_9063_asn_set_by_linking(check: MarkCheck) -> Iterator[Violation]:
    stored = check.stored
    if stored is not None and stored.asn_set_by_linking and check.record.asn != stored.mark.asn:
        yield Violation(9063, {"ASN": stored.mark.asn}, "StateProvinceId")


def rule_40558_asn_changed_to_another_student(check: MarkCheck) -> Iterator[Violation]:
    stored = check.stored
    if stored is None or check.record.asn == stored.mark.asn:
        return
    new_student, old_student = check.student, check.book.student(stored.mark.asn)
    if new_student is not None and old_student is not None and (
            new_student.logical_asn != old_student.logical_asn):
        yield Violation(40558, {}, "StateProvinceId")


# --- exam, codes, sittings and components -----------------------------------------------
def rule_99005_unknown_diploma_exam(check: MarkCheck) -> Iterator[Violation]:
    """Not on a delete: a registration for an exam withdrawn afterwards must stay deletable
    (and its waived fee is then given back)."""
    if check.exam is None and not check.is_delete:
        yield Violation(99005, {"ExamRefId": check.record.exam_ref_id}, "ExamRefId")


def rule_99002_unknown_exam_mark_status(check: MarkCheck) -> Iterator[Violation]:
    if not check.book.codes.has(EXAM_MARK_STATUS, check.record.status):
        yield Violation(99002, {"ExamMarkStatus": check.record.status}, "ExamMarkStatus")


def rule_99003_unknown_component_mark_status(check: MarkCheck) -> Iterator[Violation]:
    for path, component, _ in check.components():
        if not check.book.codes.has(COMPONENT_MARK_STATUS, component.status):
            yield Violation(99003, {"ComponentMarkStatus": component.status},
                            f"{path}.ComponentMarkStatus")


def rule_99004_unknown_mark_format(check: MarkCheck) -> Iterator[Violation]:
    for path, component, _ in check.components():
        if component.mark_format is not None and not check.book.codes.has(
                MARK_FORMAT, component.mark_format):
            yield Violation(99004, {"MarkFormat": component.mark_format}, f"{path}.MarkFormat")


def rule_40531_exam_sitting_not_found(check: MarkCheck) -> Iterator[Violation]:
    for path, component, sitting in check.components():
        if sitting is None:
            yield Violation(40531, {"ExamMark.ExamSittingID": component.sitting_ref_id},
                            f"{path}.ExamSittingRefId")


def rule_40532_exam_sitting_deleted(check: MarkCheck) -> Iterator[Violation]:
    if check.record.is_deleted:
        return  # a registration on a withdrawn sitting must stay deletable
    for path, _component, sitting in check.components():
        if sitting is not None and sitting.is_deleted:
            yield Violation(40532, {"ExamMark:ExamSitting": sitting.ref_id},
                            f"{path}.ExamSittingRefId")


def rule_40530_sitting_of_another_exam(check: MarkCheck) -> Iterator[Violation]:
    for path, _, sitting in check.components():
        if sitting is not None and sitting.exam_ref_id != check.record.exam_ref_id:
            yield Violation(40530, {"ExamMark.ExamReferenceID": check.record.exam_ref_id},
                            f"{path}.ExamSittingRefId")


def rule_40534_components_do_not_match_exam(check: MarkCheck) -> Iterator[Violation]:
    """Exactly one component mark per (undeleted) component of the exam."""
    exam = check.exam
    if exam is None or check.record.is_deleted:
        return
    codes = []
    for _, _, sitting in check.components():
        if sitting is None or sitting.exam_ref_id != exam.ref_id:
            return  # already reported by 40531 / 40530
        codes.append(sitting.component_code)
    expected = exam.active_components.keys()
    if len(codes) == len(expected) and expected == set(codes):
        return  # one mark for each component: the usual record
    problems = []
    missing = sorted(expected - set(codes))
    duplicated = sorted({code for code in codes if codes.count(code) > 1})
    foreign = sorted(set(codes) - expected)
    if missing:
        problems.append("missing component(s) " + ", ".join(missing))
    if duplicated:
        problems.append("more than one mark for component(s) " + ", ".join(duplicated))
    if foreign:
        problems.append("component(s) " + ", ".join(foreign) + " not part of the exam")
    if problems:
        yield Violation(40534, {"ExamMarkReferenceID": check.record.ref_id,
                                "Problem": "; ".join(problems)}, "ComponentMarks")


def rule_40501_exam_session_changed(check: MarkCheck) -> Iterator[Violation]:
    exam, stored_exam = check.exam, check.stored_exam
    if exam is not None and stored_exam is not None and exam.session_key != stored_exam.session_key:
        yield Violation(40501, {"OriginalExamSession": _describe_session(check, stored_exam),
                                "NewExamSession": _describe_session(check, exam)}, "ExamRefId")


def rule_99001_no_return_to_registered(check: MarkCheck) -> Iterator[Violation]:
    stored = check.stored
    if stored is not None and stored.mark.status != REGISTERED and check.record.status == REGISTERED:
        yield Violation(99001, {"CurrentStatus": stored.mark.status}, "ExamMarkStatus")


# --- authorization that depends on the caller --------------------------------------------
def rule_40536_result_needs_ministry_client_user(check: MarkCheck) -> Iterator[Violation]:
    exam = check.exam
    if exam is None or check.caller.has_role(MINISTRY_CLIENT_USER):
        return
    past_deadline = check.now >= exam.registration_deadline_utc
    if check.record.status != REGISTERED or past_deadline:
        yield Violation(40536, {}, "ExamMarkStatus")


def rule_40541_special_sitting_needs_alberta_education(check: MarkCheck) -> Iterator[Violation]:
    if check.caller.is_alberta_education:
        return
    components = list(check.record.components)
    if check.stored is not None:
        components += list(check.stored.mark.components)
    if any((sitting := check.sitting_of(c)) is not None and sitting.is_special for c in components):
        yield Violation(40541, {}, "ComponentMarks")


def rule_40559_special_registration_in_same_session(check: MarkCheck) -> Iterator[Violation]:
    if check.caller.is_alberta_education:
        return
    sessions = {exam.session_key: exam for exam in (check.exam, check.stored_exam) if exam}
    for other in check.book.marks_of_person(check.record.asn):
        if other.mark.ref_id == check.record.ref_id or not other.mark.is_active_registration:
            continue
        session = check.book.session_of(other)
        exam = sessions.get(session) if session is not None else None
        if exam is not None and any(
                (sitting := check.book.sitting(c.sitting_ref_id)) and sitting.is_special
                for c in other.mark.components):
            yield Violation(40559, {
                "course code": exam.course_code,
                "course description": exam.course_name,
                "Exam Period": check.book.codes.short_description(EXAM_PERIOD, exam.exam_period),
                "School Year": display_school_year(exam.school_year)})
            return


def rule_62024_rescored_needs_alberta_education(check: MarkCheck) -> Iterator[Violation]:
    stored = check.stored
    touches_rescored = check.record.is_rescored or (stored is not None and stored.mark.is_rescored)
    if touches_rescored and not check.caller.is_alberta_education:
        yield Violation(62024, {}, "IsRescored")


def rule_40555_part_of_open_registration_request(check: MarkCheck) -> Iterator[Violation]:
    stored = check.stored
    if stored is None or stored.registration_request_ref_id is None:
        return
    request = check.book.registration_requests.get(stored.registration_request_ref_id)
    if request is not None and request.is_open:
        yield Violation(40555, {})


# --- mark values and formats ------------------------------------------------------------
class _MarkValueSlot(NamedTuple):
    path: str
    value: str
    format_kind: str | None


def _mark_value_slots(check: MarkCheck) -> list[_MarkValueSlot]:
    """Every mark value whose format is known: the exam's, and each component's
    (found once per record; four rules read them)."""
    slots = check.__dict__.get("_value_slots")
    if slots is None:
        record = check.record
        has_values = record.mark_value is not None or any(
            c.mark_value is not None for c in record.components)
        slots = list(_find_mark_value_slots(check)) if has_values else []
        check.__dict__["_value_slots"] = slots
    return slots


def _find_mark_value_slots(check: MarkCheck) -> Iterator[_MarkValueSlot]:
    record, exam, codes = check.record, check.exam, check.book.codes
    if (record.mark_value is not None and exam is not None
            and record.status not in STATUSES_WITHOUT_MARK_VALUE):
        yield _MarkValueSlot("MarkValue", record.mark_value,
                             codes.attribute(MARK_FORMAT, exam.mark_format, "Kind"))
    for path, component, _ in check.components():
        if component.mark_value is not None and component.mark_format is not None:
            kind = codes.attribute(MARK_FORMAT, component.mark_format, "Kind")
            if kind is not None:
                yield _MarkValueSlot(f"{path}.MarkValue", component.mark_value, kind)


def _whole_number_in(value: str, low: int, high: int) -> bool:
    return bool(WHOLE_NUMBER.match(value)) and low <= int(value) <= high


def rule_9016_invalid_percentage(check: MarkCheck) -> Iterator[Violation]:
    for slot in _mark_value_slots(check):
        if slot.format_kind == PERCENTAGE and not _whole_number_in(slot.value, 0, 100):
            yield Violation(9016, {"MarkValue": slot.value}, slot.path)


def rule_9032_invalid_numerical_score(check: MarkCheck) -> Iterator[Violation]:
    for slot in _mark_value_slots(check):
        if slot.format_kind == NUMERICAL_SCORE and not _whole_number_in(slot.value, 0, 999):
            yield Violation(9032, {"Mark Value": slot.value}, slot.path)


def rule_9017_invalid_letter_grade(check: MarkCheck) -> Iterator[Violation]:
    exam = check.exam
    if exam is None:
        return
    for slot in _mark_value_slots(check):
        if slot.format_kind == LETTER_GRADE_KIND and not _is_letter_grade(
                check, slot.value, exam.school_year):
            yield Violation(9017, {"MarkValue": slot.value,
                                   "SchoolYear": display_school_year(exam.school_year)}, slot.path)


def rule_9018_invalid_pass_fail(check: MarkCheck) -> Iterator[Violation]:
    for slot in _mark_value_slots(check):
        if slot.format_kind == PASS_FAIL and slot.value not in ("P", "F"):
            yield Violation(9018, {"MarkValue": slot.value}, slot.path)


def rule_99007_component_values_need_ministry_client_user(check: MarkCheck) -> Iterator[Violation]:
    """Schools cannot submit mark values (seed 004): not on components either.  40536 and
    40504 keep them from exam-level values and results."""
    if check.caller.has_role(MINISTRY_CLIENT_USER) or check.record.is_deleted:
        return
    for path, component, sitting in check.components():
        code = sitting.component_code if sitting else component.sitting_ref_id
        if component.mark_value is not None:
            yield Violation(99007, {"ComponentCode": code, "What": "a Mark Value"}, f"{path}.MarkValue")
        elif component.status != REGISTERED:
            yield Violation(99007, {"ComponentCode": code,
                                    "What": f"the result status {component.status}"},
                            f"{path}.ComponentMarkStatus")


def rule_9024_leading_zeros(check: MarkCheck) -> Iterator[Violation]:
    value = check.record.mark_value
    if value is not None and LEADING_ZERO.match(value):
        yield Violation(9024, {"MarkValue": value}, "MarkValue")
    for path, component, _ in check.components():
        for field_name, value in (("MarkValue", component.mark_value),
                                  ("MaximumMark", component.maximum_mark)):
            if value is not None and LEADING_ZERO.match(value):
                yield Violation(9024, {"MarkValue": value}, f"{path}.{field_name}")


def rule_40504_unexpected_exam_mark_value(check: MarkCheck) -> Iterator[Violation]:
    if check.record.mark_value is not None and check.record.status in STATUSES_WITHOUT_MARK_VALUE:
        yield Violation(40504, {"ExamMarkStatus": check.record.status}, "MarkValue")


def rule_40509_missing_component_mark_value(check: MarkCheck) -> Iterator[Violation]:
    if check.record.is_deleted:
        return
    for path, component, exam_component in _components_with_exam_component(check):
        if (component.status == REGULAR and exam_component.is_mark_reportable
                and component.mark_value is None):
            yield Violation(40509, {"ComponentCode": exam_component.code,
                                    "ExamMarkReferenceID": check.record.ref_id,
                                    "ComponentMarkStatus": component.status,
                                    "IsMarkReportable": "Yes"}, f"{path}.MarkValue")


def rule_40513_unexpected_component_mark_value(check: MarkCheck) -> Iterator[Violation]:
    if check.record.is_deleted:
        return
    for path, component, exam_component in _components_with_exam_component(check):
        if component.mark_value is not None and not exam_component.is_mark_reportable:
            yield Violation(40513, {"ComponentCode": exam_component.code,
                                    "ExamMarkReferenceID": check.record.ref_id,
                                    "IsMarkReportable": "No"}, f"{path}.MarkValue")


def rule_40547_missing_component_mark_format(check: MarkCheck) -> Iterator[Violation]:
    for path, component, sitting in check.components():
        if component.mark_value is not None and component.mark_format is None:
            code = sitting.component_code if sitting else component.sitting_ref_id
            yield Violation(40547, {"ExamMarkReferenceID": check.record.ref_id,
                                    "ComponentCode": code}, f"{path}.MarkFormat")


def rule_40567_delete_with_mark_value(check: MarkCheck) -> Iterator[Violation]:
    stored = check.stored
    if check.is_delete and stored is not None and (check.record.mark_value is not None
                                                   or stored.mark.mark_value is not None):
        yield Violation(40567, {}, "MarkValue")


# --- registration timing ----------------------------------------------------------------
def rule_40542_registration_after_deadline(check: MarkCheck) -> Iterator[Violation]:
    exam = check.exam
    if (exam is not None and check.is_create and check.record.is_active_registration
            and check.now >= exam.registration_deadline_utc):
        yield Violation(40542, {}, "ExamMarkStatus")


def rule_40557_result_before_deadline(check: MarkCheck) -> Iterator[Violation]:
    exam = check.exam
    if (exam is not None and not check.record.is_deleted and check.record.status != REGISTERED
            and check.now < exam.registration_deadline_utc):
        yield Violation(40557, {}, "ExamMarkStatus")


# --- uniqueness, capacity and volume ------------------------------------------------------
def rule_40540_duplicate_component_registration(check: MarkCheck) -> Iterator[Violation]:
    exam = check.exam
    if (exam is None or not check.record.is_active_registration
            or check.remove_repeat_registration_marks):
        return
    mine: set[tuple[str, str | None]] | None = None  # found only when there is another registration
    for other in _other_registrations_in_session(check, exam, check.marks_of_asn):
        if mine is None:
            mine = _component_centres(check.book, check.record)
        if mine & _component_centres(check.book, other.mark):
            yield Violation(40540, {"ASN": check.record.asn}, "ComponentMarks")
            return


def rule_40554_repeated_registration(check: MarkCheck) -> Iterator[Violation]:
    exam = check.exam
    if (exam is None or not check.caller.is_alberta_education or not check.is_create
            or not check.record.is_active_registration or check.remove_repeat_registration_marks):
        return
    starts = exam.first_scheduled_utc
    if starts is not None and check.now >= starts:
        return  # late registrations are exempt
    if any(_other_registrations_in_session(check, exam, check.marks_of_asn)):
        yield Violation(40554, {"ASN": check.record.asn})


def rule_40552_sitting_capacity_exceeded(check: MarkCheck) -> Iterator[Violation]:
    exam = check.exam
    if exam is None or not check.record.is_active_registration:
        return
    stored = check.stored
    already_counted = ({c.sitting_ref_id for c in stored.mark.components}
                       if stored is not None and stored.mark.is_active_registration else set())
    for path, _component, sitting in check.components():
        if (sitting is None or sitting.student_capacity is None
                or sitting.ref_id in already_counted
                or (sitting.scheduled_utc is not None and check.now >= sitting.scheduled_utc)):
            continue
        registered = check.book.registrations_on(sitting.ref_id)
        if registered + 1 > sitting.student_capacity:
            exam_component = exam.components.get(sitting.component_code)
            yield Violation(40552, {
                "exam component name": exam_component.name if exam_component else sitting.component_code,
                "writing center name": sitting.writing_centre_name,
                "location name": sitting.location_name,
                "count of exam registrations": registered}, f"{path}.ExamSittingRefId")


def rule_40553_too_many_exam_marks(check: MarkCheck) -> Iterator[Violation]:
    if check.is_create and len(check.marks_of_asn) >= (
            check.limits.max_exam_marks_per_student):
        yield Violation(40553, {"ASN": check.record.asn}, "StateProvinceId")


# --- rescores ---------------------------------------------------------------------------
def rule_62023_duplicate_rescored_mark(check: MarkCheck) -> Iterator[Violation]:
    exam, stored = check.exam, check.stored
    becoming_rescored = check.record.is_rescored and (stored is None or not stored.mark.is_rescored)
    if exam is None or check.record.is_deleted or not becoming_rescored:
        return
    for other in check.book.marks_of_person(check.record.asn):
        if (other.mark.ref_id != check.record.ref_id and not other.mark.is_deleted
                and other.mark.is_rescored and check.book.session_of(other) == exam.session_key):
            yield Violation(62023, {}, "IsRescored")
            return


def rule_62020_rescore_without_requested_request(check: MarkCheck) -> Iterator[Violation]:
    stored = check.stored
    if stored is None or not check.record.is_rescored or stored.mark.is_rescored:
        return
    requests = check.book.rescore_requests_for(stored.mark.ref_id)
    if requests and not any(rescore_request_status(r, False) == RESCORE_REQUESTED
                            for r in requests):
        yield Violation(62020, {}, "IsRescored")


def rule_62022_delete_with_live_rescore_request(check: MarkCheck) -> Iterator[Violation]:
    marks_to_delete = [check.stored] if check.is_delete and check.stored is not None else []
    if check.remove_repeat_registration_marks and check.record.is_active_registration:
        marks_to_delete += repeat_registrations(check)
    for stored in marks_to_delete:
        live = {RESCORE_INCOMPLETE, RESCORE_REQUESTED, RESCORE_RESCORED}
        if any(rescore_request_status(r, stored.mark.is_rescored) in live
               for r in check.book.rescore_requests_for(stored.mark.ref_id)):
            yield Violation(62022, {}, "IsDeleted")
            return


# --- fees -------------------------------------------------------------------------------
def rule_40500_registration_requires_fee(check: MarkCheck) -> Iterator[Violation]:
    exam = check.exam
    if exam is None or not check.record.is_active_registration:
        return
    if not (check.is_create or check.is_restore):
        return  # the fee was settled when the registration was made
    assessment = check.registration_fee
    if assessment.fee_type is not None and assessment.available_fee is None:
        fee_name = check.book.codes.short_description(FEE_TYPE, assessment.fee_type)
        template = RULE_40500_MINISTRY_TEMPLATE if check.caller.is_ministry else None
        yield Violation(40500, {"fee type short description": fee_name}, "ExamMarkStatus", template)


RULES: tuple[Rule, ...] = (
    rule_3004_version_mismatch,
    rule_99006_cannot_create_deleted_mark,
    rule_9068_update_of_deleted_record,
    rule_9067_delete_combined_with_changes,
    rule_9059_invalid_or_inaccessible_asn,
    rule_99008_no_access_to_change_mark,
    rule_9009_deactivated_asn,
    rule_9011_secondary_asn,
    rule_40544_secondary_asn_on_exam_mark,
    rule_9063_asn_set_by_linking,
    rule_40558_asn_changed_to_another_student,
    rule_99005_unknown_diploma_exam,
    rule_99002_unknown_exam_mark_status,
    rule_99003_unknown_component_mark_status,
    rule_99004_unknown_mark_format,
    rule_40531_exam_sitting_not_found,
    rule_40532_exam_sitting_deleted,
    rule_40530_sitting_of_another_exam,
    rule_40534_components_do_not_match_exam,
    rule_40501_exam_session_changed,
    rule_99001_no_return_to_registered,
    rule_40536_result_needs_ministry_client_user,
    rule_99007_component_values_need_ministry_client_user,
    rule_40541_special_sitting_needs_alberta_education,
    rule_40559_special_registration_in_same_session,
    rule_62024_rescored_needs_alberta_education,
    rule_40555_part_of_open_registration_request,
    rule_9016_invalid_percentage,
    rule_9032_invalid_numerical_score,
    rule_9017_invalid_letter_grade,
    rule_9018_invalid_pass_fail,
    rule_9024_leading_zeros,
    rule_40504_unexpected_exam_mark_value,
    rule_40509_missing_component_mark_value,
    rule_40513_unexpected_component_mark_value,
    rule_40547_missing_component_mark_format,
    rule_40567_delete_with_mark_value,
    rule_40542_registration_after_deadline,
    rule_40557_result_before_deadline,
    rule_40540_duplicate_component_registration,
    rule_40554_repeated_registration,
    rule_40552_sitting_capacity_exceeded,
    rule_40553_too_many_exam_marks,
    rule_62023_duplicate_rescored_mark,
    rule_62020_rescore_without_requested_request,
    rule_62022_delete_with_live_rescore_request,
    rule_40500_registration_requires_fee,
    rule_9023_empty_update,
)


def check_record(check: MarkCheck) -> list[Violation]:
    """Run every rule; a record passes only when the list is empty."""
    return [violation for rule in RULES for violation in rule(check)]


# --- helpers ----------------------------------------------------------------------------
def repeat_registrations(check: MarkCheck) -> list[StoredExamMark]:
    """Other undeleted registrations of this ASN for the same course and session
    (what the internal RemoveRepeatRegistrationMarks flag deletes)."""
    exam = check.exam
    if exam is None:
        return []
    return list(_other_registrations_in_session(check, exam, check.marks_of_asn))


def _other_registrations_in_session(check: MarkCheck, exam: Exam,
                                    marks: Iterable[StoredExamMark]) -> Iterator[StoredExamMark]:
    for other in marks:
        if (other.mark.ref_id != check.record.ref_id and other.mark.is_active_registration
                and check.book.session_of(other) == exam.session_key):
            yield other


def _component_centres(book: MarkBook, mark: ExamMark) -> set[tuple[str, str | None]]:
    centres = set()
    for component in mark.components:
        sitting = book.sitting(component.sitting_ref_id)
        if sitting is not None:
            centres.add((sitting.component_code, sitting.writing_centre_code))
    return centres


def _components_with_exam_component(check: MarkCheck):
    exam = check.exam
    if exam is None:
        return
    for path, component, sitting in check.components():
        if sitting is None or sitting.exam_ref_id != exam.ref_id:
            continue
        exam_component = exam.components.get(sitting.component_code)
        if exam_component is not None:
            yield path, component, exam_component


def _is_letter_grade(check: MarkCheck, value: str, school_year: int) -> bool:
    grade = check.book.codes.get(LETTER_GRADE, value)  # case-sensitive, as 9017 requires
    if grade is None:
        return False
    effective = grade.attributes.get("EffectiveSchoolYear")
    expiry = grade.attributes.get("ExpirySchoolYear")
    return ((effective is None or school_year >= int(effective))
            and (expiry is None or school_year <= int(expiry)))


def _may_access_student(check: MarkCheck, student: Student) -> bool:
    """Student association (rule 9059): :func:`.access.may_access_student` over the batch's book."""
    if check.caller.is_ministry:
        return True  # as may_access_student decides, without gathering the enrolments
    book = check.book
    schools_by_student = book.enrolments.schools_by_student
    enrolments = [pair for asn in book.linked_asns(student.asn)
                  for pair in schools_by_student.get(asn, ())]
    return may_access_student(check.caller, check.today, enrolments,
                              book.enrolments.authority_of_school,
                              lambda: book.registered_writing_centres(student.asn, check.now))


def _written_at_callers_schools(check: MarkCheck, mark: ExamMark) -> bool:
    return is_written_at_callers_schools(
        check.caller, (check.book.sitting(component.sitting_ref_id) for component in mark.components))


def _canonical(mark: ExamMark) -> ExamMark:
    """Component order carries no meaning: compare marks with components sorted."""
    ordered = tuple(sorted(mark.components, key=lambda c: (c.sitting_ref_id, c.status,
                                                           c.mark_value or "")))
    return ExamMark(mark.ref_id, mark.asn, mark.exam_ref_id, mark.status, mark.mark_value,
                    mark.is_rescored, mark.is_deleted, ordered)


def _describe_session(check: MarkCheck, exam: Exam) -> str:
    period = check.book.codes.short_description(EXAM_PERIOD, exam.exam_period)
    return f"{exam.course_code} {period} {display_school_year(exam.school_year)}"
