"""Plain data for SubmitDiplomaExamMark: what is submitted, what is stored,
and the reference objects the rules read.  No spyne, no SQLAlchemy."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property

# Exam Mark Status codes that rules name.  RE, RG, NW, WH, IN and IC are
# PASI's; FE, PE, SC and SW are ours for statuses PASI names without a public
# code (spec §5).  Whether a code is valid is decided by the ExamMarkStatus
# code table, not by this list.
REGISTERED = "RE"
REGULAR = "RG"
NOT_WRITTEN = "NW"
WITHHELD = "WH"
INVALID = "IN"
INCOMPLETE = "IC"
FULL_EXEMPTION = "FE"
PARTIAL_EXEMPTION = "PE"
SPECIAL_CASES = "SC"
SPLIT_WRITING = "SW"

DIPLOMA_EXAM_TYPES = frozenset({"DPE", "PDE"})

# Rescore request statuses (computed, reference §2.7).
RESCORE_INCOMPLETE = "Incomplete"
RESCORE_REQUESTED = "Requested"
RESCORE_CANCELLED = "Cancelled"
RESCORE_RESCORED = "Rescored"

PAYMENT_NOT_RECEIVED = "Payment Not Received"
PAYMENT_PENDING = "Payment Pending"
CONSENT_NOT_RECEIVED = "Not Received"

# Registration request statuses in which only myPass may change its marks (40555).
OPEN_REGISTRATION_REQUEST_STATUSES = frozenset(
    {"Under Construction", "Payment Pending", "Payment Not Received"})


@dataclass(frozen=True)
class ComponentMark:
    status: str
    sitting_ref_id: str
    mark_value: str | None = None
    mark_format: str | None = None
    maximum_mark: str | None = None
    form_id: str | None = None
    supplied_contact_name: str | None = None


@dataclass(frozen=True)
class ExamMark:
    """The client-controlled fields of an exam mark (what 9023/9067 compare)."""

    ref_id: str
    asn: str
    exam_ref_id: str
    status: str
    mark_value: str | None
    is_rescored: bool
    is_deleted: bool
    components: tuple[ComponentMark, ...]

    @property
    def is_active_registration(self) -> bool:
        return not self.is_deleted and self.status == REGISTERED

    def same_fields_as(self, other: ExamMark) -> bool:
        """Equal in everything but the delete flag."""
        return replace(self, is_deleted=other.is_deleted) == other


@dataclass(frozen=True)
class SubmittedExamMark:
    index: int
    mark: ExamMark
    client_version: int


@dataclass(frozen=True)
class StoredExamMark:
    mark: ExamMark
    version: int
    registration_request_ref_id: str | None = None
    asn_set_by_linking: bool = False
    """True when ASN linking moved this mark to its ASN (rule 9063)."""


@dataclass(frozen=True)
class ExamComponent:
    code: str
    name: str
    is_mark_reportable: bool
    is_deleted: bool = False
    scheduled_utc: datetime | None = None


@dataclass(frozen=True)
class Exam:
    ref_id: str
    course_code: str
    course_name: str
    school_year: int
    exam_period: str
    exam_type: str
    mark_format: str
    registration_deadline_utc: datetime
    components: Mapping[str, ExamComponent] = field(default_factory=dict)
    is_deleted: bool = False

    @property
    def session_key(self) -> tuple[int, str, str]:
        """School year, exam period and course code: what 40501, 40540 and 40554 compare."""
        return (self.school_year, self.exam_period, self.course_code)

    @property
    def is_diploma_exam(self) -> bool:
        return self.exam_type in DIPLOMA_EXAM_TYPES

    @cached_property
    def active_components(self) -> Mapping[str, ExamComponent]:
        # Cached: an exam is immutable and several rules of every record ask.
        return {code: c for code, c in self.components.items() if not c.is_deleted}

    @cached_property
    def first_scheduled_utc(self) -> datetime | None:
        times = [c.scheduled_utc for c in self.active_components.values() if c.scheduled_utc]
        return min(times) if times else None


@dataclass(frozen=True)
class ExamSitting:
    ref_id: str
    exam_ref_id: str
    component_code: str
    writing_centre_code: str | None
    writing_centre_name: str
    location_name: str
    scheduled_utc: datetime | None
    student_capacity: int | None
    is_special: bool = False
    is_deleted: bool = False
    writing_centre_authority: str | None = None
    """The authority of the writing centre when it is a school (the access model, rule 99008)."""


@dataclass(frozen=True)
class RescoreRequest:
    ref_id: str
    exam_mark_ref_id: str
    payment_status: str
    consent_status: str
    is_cancelled: bool = False
    version: int = 0


def rescore_request_status(request: RescoreRequest, mark_is_rescored: bool) -> str:
    """Reference §2.7: the status is computed, in this priority order."""
    if request.is_cancelled:
        return RESCORE_CANCELLED
    if mark_is_rescored:
        return RESCORE_RESCORED
    if request.payment_status in (PAYMENT_NOT_RECEIVED, PAYMENT_PENDING):
        return RESCORE_INCOMPLETE
    if request.consent_status == CONSENT_NOT_RECEIVED:
        return RESCORE_INCOMPLETE
    return RESCORE_REQUESTED


@dataclass(frozen=True)
class RegistrationRequest:
    ref_id: str
    status: str
    is_deleted: bool = False

    @property
    def is_open(self) -> bool:
        return not self.is_deleted and self.status in OPEN_REGISTRATION_REQUEST_STATUSES


@dataclass(frozen=True)
class WaivedFee:
    ref_id: str
    asn: str
    course_code: str
    expiry_school_year: int
    expiry_exam_period: str
    is_used: bool = False
    is_deleted: bool = False
    version: int = 0


@dataclass(frozen=True)
class Limits:
    max_exam_marks_per_student: int = 100
