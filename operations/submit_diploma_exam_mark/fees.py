"""Diploma exam fees: when a registration needs one, and which waived fee pays it.

PASI's Diploma Exam Fee Calculator is not public.  Our documented rule
(docs/decisions.md): a first attempt is free; a registration is a
*rewrite*, and needs the rewrite fee, when the same person already holds
an undeleted mark for the same course code in another exam session with a
status that means the exam was written (anything but Registered and Not
Written).  Rule 40500 applies from school year 2015 (2014/2015) on.
"""
from __future__ import annotations

from dataclasses import dataclass

from pasi_core.kernel.code_tables import EXAM_PERIOD, CodeTables

from .book import MarkBook
from .model import (
    FULL_EXEMPTION,
    INCOMPLETE,
    NOT_WRITTEN,
    PARTIAL_EXEMPTION,
    REGISTERED,
    REGULAR,
    SPECIAL_CASES,
    SPLIT_WRITING,
    WITHHELD,
    Exam,
    ExamMark,
    WaivedFee,
)

REWRITE_FEE_TYPE = "RW"
FEES_EFFECTIVE_FROM_SCHOOL_YEAR = 2015

NOT_WRITTEN_STATUSES = frozenset({REGISTERED, NOT_WRITTEN})

# Statuses of the service page's first list: a mark in one of them keeps the
# waived fee that paid for it.  Incomplete is also in the release list, and
# the release list wins (reference §4.2).
FEE_KEEPING_STATUSES = frozenset({REGISTERED, REGULAR, FULL_EXEMPTION, PARTIAL_EXEMPTION,
                                  WITHHELD, SPECIAL_CASES, SPLIT_WRITING})
FEE_RELEASING_STATUSES = frozenset({NOT_WRITTEN, INCOMPLETE})
ACTIVE_SESSION_STATUSES = FEE_KEEPING_STATUSES | {INCOMPLETE}


@dataclass(frozen=True)
class FeeAssessment:
    fee_type: str | None
    """None when no fee is due."""
    available_fee: WaivedFee | None = None


def session_order(codes: CodeTables, school_year: int, exam_period: str) -> tuple[int, int]:
    return (school_year, codes.sequence(EXAM_PERIOD, exam_period))


def is_available(fee: WaivedFee, exam: Exam, codes: CodeTables) -> bool:
    """Not deleted, not used, and the exam session is not after the fee's expiry session."""
    if fee.is_deleted or fee.is_used or fee.course_code != exam.course_code:
        return False
    return (session_order(codes, exam.school_year, exam.exam_period)
            <= session_order(codes, fee.expiry_school_year, fee.expiry_exam_period))


def assess_registration_fee(mark: ExamMark, exam: Exam, book: MarkBook) -> FeeAssessment:
    """Does this registration need a fee, and which available waived fee could pay it?"""
    if not exam.is_diploma_exam or exam.school_year < FEES_EFFECTIVE_FROM_SCHOOL_YEAR:
        return FeeAssessment(None)
    is_rewrite = False
    for other in book.marks_of_person(mark.asn):
        if other.mark.ref_id == mark.ref_id or other.mark.is_deleted:
            continue
        other_exam = book.exam(other.mark.exam_ref_id)
        if (other_exam is not None and other_exam.course_code == exam.course_code
                and other_exam.session_key != exam.session_key
                and other.mark.status not in NOT_WRITTEN_STATUSES):
            is_rewrite = True
            break
    if not is_rewrite:
        return FeeAssessment(None)
    available = next((fee for fee in book.waived_fees_of_person(mark.asn)
                      if is_available(fee, exam, book.codes)), None)
    return FeeAssessment(REWRITE_FEE_TYPE, available)


def should_release_fee(mark: ExamMark, exam: Exam, book: MarkBook) -> bool:
    """The service page's condition for giving a linked waived fee back.

    True when the person has no other Available waived fee for the course
    and no other undeleted mark for the same course and exam session in an
    active status.
    """
    if any(is_available(fee, exam, book.codes) for fee in book.waived_fees_of_person(mark.asn)):
        return False
    for other in book.marks_of_person(mark.asn):
        if other.mark.ref_id == mark.ref_id or other.mark.is_deleted:
            continue
        other_exam = book.exam(other.mark.exam_ref_id)
        if (other_exam is not None and other_exam.session_key == exam.session_key
                and other.mark.status in ACTIVE_SESSION_STATUSES):
            return False
    return True
