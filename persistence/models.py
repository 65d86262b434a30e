"""SQLAlchemy tables.

Natural keys are used where PASI has them (ASN, organization code, RefId
GUIDs as lower-case strings), so bulk loads need no id round trips.
Times are naive UTC.  Schema changes go through Alembic migrations
(``persistence/migrations``); a test checks that the migrations and these
models agree.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

GUID = String(36)
ASN = String(9)
ORG = String(6)
CODE = String(20)
SYSTEM_CODE = String(40)
"""The PASISystem contract's SystemCode (at most 40 characters)."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table(model: type[Base]) -> Table:
    """The Core table of a mapped class, typed as the Table it is (for bulk statements)."""
    return cast(Table, model.__table__)


# --- reference data -------------------------------------------------------------------
class CodeValueRow(Base):
    __tablename__ = "code_value"
    code_table: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    short_description: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(400))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    attributes: Mapped[str] = mapped_column(Text, default="{}")
    """JSON object of table-specific attributes (e.g. a mark format's Kind)."""


class Organization(Base):
    __tablename__ = "organization"
    code: Mapped[str] = mapped_column(ORG, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    """School, Authority or Ministry (from the code's S./A./O. prefix)."""
    authority_code: Mapped[str | None] = mapped_column(ORG, ForeignKey("organization.code"))
    is_francophone: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """A Francophone school: its students' credentials print in French (docs/decisions.md)."""


class Student(Base):
    __tablename__ = "student"
    asn: Mapped[str] = mapped_column(ASN, primary_key=True)
    primary_asn: Mapped[str | None] = mapped_column(ASN, ForeignKey("student.asn"), index=True)
    is_deactivated: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_last_name: Mapped[str] = mapped_column(String(100))
    legal_first_name: Mapped[str | None] = mapped_column(String(100))
    legal_middle_name: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date | None] = mapped_column(Date)


class SchoolEnrolment(Base):
    __tablename__ = "school_enrolment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asn: Mapped[str] = mapped_column(ASN, ForeignKey("student.asn"), index=True)
    school_code: Mapped[str] = mapped_column(ORG, ForeignKey("organization.code"))
    school_year: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(String(10))
    __table_args__ = (UniqueConstraint("asn", "school_code", "school_year",
                                       name="uq_school_enrolment_natural_key"),)


class DiplomaExam(Base):
    __tablename__ = "diploma_exam"
    ref_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    course_code: Mapped[str] = mapped_column(String(20))
    course_name: Mapped[str] = mapped_column(String(200))
    school_year: Mapped[int] = mapped_column(Integer)
    exam_period: Mapped[str] = mapped_column(CODE)
    exam_language: Mapped[str] = mapped_column(CODE)
    exam_type: Mapped[str] = mapped_column(CODE)
    mark_format: Mapped[str] = mapped_column(CODE)
    registration_deadline_utc: Mapped[datetime] = mapped_column(DateTime)
    rescore_deadline_date: Mapped[date | None] = mapped_column(Date)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class DiplomaExamComponent(Base):
    __tablename__ = "diploma_exam_component"
    exam_ref_id: Mapped[str] = mapped_column(GUID, ForeignKey("diploma_exam.ref_id"), primary_key=True)
    component_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    name_english: Mapped[str] = mapped_column(String(200))
    name_french: Mapped[str | None] = mapped_column(String(200))
    weight: Mapped[int | None] = mapped_column(Integer)
    is_mark_reportable: Mapped[bool] = mapped_column(Boolean, default=True)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    scheduled_utc: Mapped[datetime | None] = mapped_column(DateTime)


class ExamSitting(Base):
    __tablename__ = "exam_sitting"
    ref_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    exam_ref_id: Mapped[str] = mapped_column(GUID, index=True)
    component_code: Mapped[str] = mapped_column(CODE)
    writing_centre_code: Mapped[str | None] = mapped_column(ORG, ForeignKey("organization.code"))
    location_name: Mapped[str] = mapped_column(String(200))
    scheduled_utc: Mapped[datetime | None] = mapped_column(DateTime)
    student_capacity: Mapped[int | None] = mapped_column(Integer)
    is_special: Mapped[bool] = mapped_column(Boolean, default=False)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    __table_args__ = (ForeignKeyConstraint(
        ["exam_ref_id", "component_code"],
        ["diploma_exam_component.exam_ref_id", "diploma_exam_component.component_code"],
        name="fk_exam_sitting_component"),)


class RegistrationRequest(Base):
    """A myPass Diploma Exam Registration Request (the "shopping cart")."""

    __tablename__ = "registration_request"
    ref_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    asn: Mapped[str] = mapped_column(ASN, ForeignKey("student.asn"), index=True)
    status: Mapped[str] = mapped_column(String(40))
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class WaivedFee(Base):
    """A Diploma Exam Waived Fee (student fee coupon)."""

    __tablename__ = "waived_fee"
    ref_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    asn: Mapped[str] = mapped_column(ASN, ForeignKey("student.asn"), index=True)
    course_code: Mapped[str] = mapped_column(String(20))
    expiry_school_year: Mapped[int] = mapped_column(Integer)
    expiry_exam_period: Mapped[str] = mapped_column(CODE)
    reason: Mapped[str | None] = mapped_column(String(200))
    is_used: Mapped[bool] = mapped_column(Boolean, default=False)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


# --- exam marks -------------------------------------------------------------------------
class ExamMark(Base):
    __tablename__ = "exam_mark"
    ref_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    asn: Mapped[str] = mapped_column(ASN, ForeignKey("student.asn"), index=True)
    exam_ref_id: Mapped[str] = mapped_column(GUID, ForeignKey("diploma_exam.ref_id"), index=True)
    status: Mapped[str] = mapped_column(CODE)
    mark_value: Mapped[str | None] = mapped_column(String(10))
    is_rescored: Mapped[bool] = mapped_column(Boolean, default=False)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(BigInteger, index=True)
    """IsDataAvailable reads marks by version (ix_exam_mark_version)."""
    registration_request_ref_id: Mapped[str | None] = mapped_column(
        GUID, ForeignKey("registration_request.ref_id"))
    asn_set_by_linking: Mapped[bool] = mapped_column(Boolean, default=False)
    created_utc: Mapped[datetime] = mapped_column(DateTime)
    updated_utc: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(ORG)


class ExamMarkComponent(Base):
    __tablename__ = "exam_mark_component"
    exam_mark_ref_id: Mapped[str] = mapped_column(
        GUID, ForeignKey("exam_mark.ref_id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_ref_id: Mapped[str] = mapped_column(GUID, ForeignKey("exam_sitting.ref_id"), index=True)
    status: Mapped[str] = mapped_column(CODE)
    mark_value: Mapped[str | None] = mapped_column(String(10))
    mark_format: Mapped[str | None] = mapped_column(CODE)
    maximum_mark: Mapped[str | None] = mapped_column(String(10))
    form_id: Mapped[str | None] = mapped_column(String(50))
    supplied_contact_name: Mapped[str | None] = mapped_column(String(100))


class RegistrationFee(Base):
    """Diploma Exam Registration Fee: links a mark to the waived fee that paid it."""

    __tablename__ = "registration_fee"
    exam_mark_ref_id: Mapped[str] = mapped_column(GUID, ForeignKey("exam_mark.ref_id"), primary_key=True)
    waived_fee_ref_id: Mapped[str] = mapped_column(GUID, ForeignKey("waived_fee.ref_id"), index=True)
    fee_type: Mapped[str] = mapped_column(CODE)


class RescoreRequest(Base):
    __tablename__ = "rescore_request"
    ref_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    exam_mark_ref_id: Mapped[str] = mapped_column(GUID, ForeignKey("exam_mark.ref_id"), index=True)
    payment_status: Mapped[str] = mapped_column(String(40))
    consent_status: Mapped[str] = mapped_column(String(40))
    is_cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))
    """Computed (reference §2.7) and stored whenever the mark or request changes."""
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class TranscriptTrigger(Base):
    __tablename__ = "transcript_trigger"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    asn: Mapped[str] = mapped_column(ASN, index=True)
    course_code: Mapped[str | None] = mapped_column(String(20))
    """The course a mark change concerns; empty for a credential award."""
    version: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(40))
    source_ref_id: Mapped[str] = mapped_column(GUID)
    created_utc: Mapped[datetime] = mapped_column(DateTime)


class StudentActivity(Base):
    __tablename__ = "student_activity"
    asn: Mapped[str] = mapped_column(ASN, ForeignKey("student.asn"), primary_key=True)
    school_year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    last_updated_utc: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(ORG)


# --- credentials ------------------------------------------------------------------------
class StudentAddress(Base):
    """A student's mailing address; the current one addresses first-run credentials."""

    __tablename__ = "student_address"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asn: Mapped[str] = mapped_column(ASN, ForeignKey("student.asn"), index=True)
    address_lines: Mapped[str] = mapped_column(String(400))
    """Lines separated by a newline."""
    city: Mapped[str | None] = mapped_column(String(100))
    province_state: Mapped[str | None] = mapped_column(String(50))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(100))
    effective_date: Mapped[date] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date)
    __table_args__ = (UniqueConstraint("asn", "effective_date", name="uq_student_address_natural_key"),)


class OfficialMark(Base):
    """An official mark (the Transcript Processor's output); its school year decides
    a credential's awarded school year."""

    __tablename__ = "official_mark"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asn: Mapped[str] = mapped_column(ASN, ForeignKey("student.asn"), index=True)
    course_code: Mapped[str] = mapped_column(String(20))
    school_year: Mapped[int] = mapped_column(Integer)
    mark_value: Mapped[str | None] = mapped_column(String(10))
    credits_awarded: Mapped[int] = mapped_column(Integer, default=0)
    is_ged: Mapped[bool] = mapped_column(Boolean, default=False)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (UniqueConstraint("asn", "course_code", "school_year",
                                       name="uq_official_mark_natural_key"),)


class CredentialAchievement(Base):
    """A student's status for one credential requirement set (the Credential
    Eligibility Calculator's output)."""

    __tablename__ = "credential_achievement"
    asn: Mapped[str] = mapped_column(ASN, ForeignKey("student.asn"), primary_key=True)
    credential_type: Mapped[str] = mapped_column(CODE, primary_key=True)
    requirement_set: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(30))
    """Achieved, CalculationOutstanding, NotAchieved, NotAssessing or ToBeAssessed."""


class StudentCredential(Base):
    """An awarded credential.  The active one per student and type is the most
    recent undeleted; deleting (rescinding) keeps the row with a reason."""

    __tablename__ = "student_credential"
    credential_number: Mapped[str] = mapped_column(String(10), primary_key=True)
    asn: Mapped[str] = mapped_column(ASN, ForeignKey("student.asn"), index=True)
    credential_type: Mapped[str] = mapped_column(CODE)
    requirement_set: Mapped[str | None] = mapped_column(String(40))
    awarded_on_date: Mapped[date] = mapped_column(Date)
    school_year: Mapped[int] = mapped_column(Integer)
    awarded_last_name: Mapped[str] = mapped_column(String(100))
    awarded_first_name: Mapped[str | None] = mapped_column(String(100))
    awarded_middle_name: Mapped[str | None] = mapped_column(String(100))
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    delete_reason: Mapped[str | None] = mapped_column(String(200))
    legacy_credential_number: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(BigInteger)
    created_utc: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(ORG)


class DocumentOrder(Base):
    __tablename__ = "document_order"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    billing_information_id: Mapped[int] = mapped_column(Integer, default=0)
    order_received_method: Mapped[str] = mapped_column(SYSTEM_CODE)
    order_status: Mapped[str] = mapped_column(SYSTEM_CODE)
    requestor_name: Mapped[str | None] = mapped_column(String(200))
    order_placed_utc: Mapped[datetime | None] = mapped_column(DateTime)
    education_account_identifier: Mapped[str | None] = mapped_column(String(50))
    education_account_organization: Mapped[str | None] = mapped_column(ORG)
    payment_method: Mapped[str | None] = mapped_column(String(50))
    payment_transaction_id: Mapped[str | None] = mapped_column(String(100))
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(BigInteger)
    created_utc: Mapped[datetime] = mapped_column(DateTime)
    updated_utc: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(ORG)


class DocumentOrderItem(Base):
    __tablename__ = "document_order_item"
    order_id: Mapped[int] = mapped_column(Integer, ForeignKey("document_order.id", ondelete="CASCADE"),
                                          primary_key=True)
    item_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    asn: Mapped[str] = mapped_column(ASN, ForeignKey("student.asn"), index=True)
    document_type: Mapped[str] = mapped_column(SYSTEM_CODE)
    credential_number: Mapped[str | None] = mapped_column(String(10), index=True)
    delivery_method: Mapped[str] = mapped_column(String(40))
    document_language: Mapped[str] = mapped_column(SYSTEM_CODE)
    process_expectation: Mapped[str | None] = mapped_column(String(50))
    number_of_copies: Mapped[int] = mapped_column(Integer)
    amount_collected: Mapped[str] = mapped_column(String(20))
    """A decimal amount, kept as text to stay exact."""
    recipient_is_student: Mapped[bool] = mapped_column(Boolean)
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    address_lines: Mapped[str | None] = mapped_column(String(410))
    """Up to four lines of 100 characters, joined by newlines."""
    city: Mapped[str | None] = mapped_column(String(100))
    province_state: Mapped[str | None] = mapped_column(String(50))
    postal_code: Mapped[str | None] = mapped_column(String(50))
    country: Mapped[str | None] = mapped_column(String(100))
    fax_number: Mapped[str | None] = mapped_column(String(50))
    control_schedule_id: Mapped[int | None] = mapped_column(Integer)
    provided_consent_for_school_release: Mapped[bool | None] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(30), index=True)
    status_change_reason: Mapped[str | None] = mapped_column(String(100))
    special_handling: Mapped[str | None] = mapped_column(String(20))
    """NotRequired, or Outstanding for what is printed and returned to Student Records."""
    file_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Counts the times the item went back to Ordered; its files of older generations are deleted."""
    processed_utc: Mapped[datetime | None] = mapped_column(DateTime)
    sent_utc: Mapped[datetime | None] = mapped_column(DateTime)
    print_job_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("print_job.id"), index=True)
    mailing_sequence_number: Mapped[int | None] = mapped_column(Integer)


class PrintJob(Base):
    """What the Physical Print Job Processor gathered for the print service provider."""

    __tablename__ = "print_job"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_utc: Mapped[datetime] = mapped_column(DateTime)
    item_count: Mapped[int] = mapped_column(Integer)
    envelopes_canada: Mapped[int] = mapped_column(Integer)
    envelopes_united_states: Mapped[int] = mapped_column(Integer)
    envelopes_international: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_utc: Mapped[datetime | None] = mapped_column(DateTime)
    delivered_utc: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(400))


class PrintJobFile(Base):
    __tablename__ = "print_job_file"
    job_id: Mapped[int] = mapped_column(Integer, ForeignKey("print_job.id", ondelete="CASCADE"), primary_key=True)
    path: Mapped[str] = mapped_column(String(300), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)


class DocumentFile(Base):
    """A Document Order Item File: the credential or its letter, as a PDF in the documents folder."""

    __tablename__ = "document_file"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(Integer)
    item_number: Mapped[int] = mapped_column(Integer)
    generation: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    path: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    created_utc: Mapped[datetime] = mapped_column(DateTime)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        ForeignKeyConstraint(["order_id", "item_number"],
                             ["document_order_item.order_id", "document_order_item.item_number"],
                             ondelete="CASCADE", name="fk_document_file_item"),
        # One file of a kind per item and generation: a re-run can never add a second.
        UniqueConstraint("order_id", "item_number", "generation", "kind", name="uq_document_file_item_kind"),
    )


class DocumentError(Base):
    """Why the Credential Processing Agent put an item on System Hold (the Document Errors table)."""

    __tablename__ = "document_error"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(Integer)
    item_number: Mapped[int] = mapped_column(Integer)
    generation: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(300))
    created_utc: Mapped[datetime] = mapped_column(DateTime)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        ForeignKeyConstraint(["order_id", "item_number"],
                             ["document_order_item.order_id", "document_order_item.item_number"],
                             ondelete="CASCADE", name="fk_document_error_item"),
    )


class DocumentItemStatusChange(Base):
    """Every status an order item went through, who set it and why."""

    __tablename__ = "document_item_status_change"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(Integer)
    item_number: Mapped[int] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(String(100))
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_utc: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (
        ForeignKeyConstraint(["order_id", "item_number"],
                             ["document_order_item.order_id", "document_order_item.item_number"],
                             ondelete="CASCADE", name="fk_document_item_status_change_item"),
    )


class OutboxMessage(Base):
    """A notification written in the transaction of its event, delivered later; ``event_key`` is
    unique, so one event never makes two messages."""

    __tablename__ = "outbox_message"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(60))
    audience: Mapped[str] = mapped_column(String(40))
    event_key: Mapped[str] = mapped_column(String(160), unique=True)
    asn: Mapped[str | None] = mapped_column(ASN)
    payload: Mapped[str] = mapped_column(Text)
    created_utc: Mapped[datetime] = mapped_column(DateTime)
    delivered_utc: Mapped[datetime | None] = mapped_column(DateTime, index=True)


class BulkAwardRun(Base):
    """One Award and Order Credentials in Bulk selection, and the run that processes it.

    The search records the selection (status Searched); Continue starts the run on exactly
    those students (Running), once; it ends Finished.  A cancelled confirmation is Cancelled.
    """

    __tablename__ = "bulk_award_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_utc: Mapped[datetime] = mapped_column(DateTime)
    """When the search made the selection."""
    finished_utc: Mapped[datetime | None] = mapped_column(DateTime)
    criteria: Mapped[str] = mapped_column(Text)
    """JSON: authority, school, credential types (and, for runs before 0005, the delivery method)."""
    status: Mapped[str] = mapped_column(String(20))
    """Searched, Running, Finished, Cancelled."""
    operator: Mapped[str | None] = mapped_column(String(200))
    """The Student Records user who searched (and who started the run, in run_operator)."""
    run_operator: Mapped[str | None] = mapped_column(String(200))
    delivery_method: Mapped[str | None] = mapped_column(String(40))
    processing_started_utc: Mapped[datetime | None] = mapped_column(DateTime)


class BulkAwardRunStudent(Base):
    """A student selected by a run, and how far the run got with them."""

    __tablename__ = "bulk_award_run_student"
    run_id: Mapped[int] = mapped_column(Integer, ForeignKey("bulk_award_run.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    asn: Mapped[str] = mapped_column(ASN)
    credential_type: Mapped[str] = mapped_column(CODE)
    state: Mapped[str] = mapped_column(String(20))
    """Selected, Awarded, Ordered, AwardFailed, OrderFailed."""
    credential_number: Mapped[str | None] = mapped_column(String(10))
    document_order_id: Mapped[int | None] = mapped_column(Integer)
    rejections: Mapped[str | None] = mapped_column(Text)
    """JSON list of [rule, message] when a step failed."""
    requirement_set: Mapped[str | None] = mapped_column(String(40))
    expected_school_year: Mapped[int | None] = mapped_column(Integer)
    """As the search found them (shown in the CSVs whatever happens later)."""
    __table_args__ = (UniqueConstraint("run_id", "asn", name="uq_bulk_award_run_student_asn"),)


# --- operations -------------------------------------------------------------------------
class RequestAudit(Base):
    """One row per request, append-only and chained by hash (``pasi-core audit verify``).

    Holds no student data: identifiers of the caller, a hash of the request,
    and each record's RefId, version and rule numbers; never the payload.
    """

    __tablename__ = "request_audit"
    message_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger, unique=True)
    """Position in the hash chain: 1, 2, 3, ... without gaps."""
    received_utc: Mapped[datetime] = mapped_column(DateTime, index=True)
    endpoint: Mapped[str] = mapped_column(String(40))
    operation: Mapped[str | None] = mapped_column(String(80))
    organization_code: Mapped[str | None] = mapped_column(String(20))
    client_name: Mapped[str | None] = mapped_column(String(200))
    client_message_id: Mapped[str | None] = mapped_column(String(50))
    remote_address: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(40))
    """"ok", or the fault code."""
    rule_id: Mapped[int | None] = mapped_column(Integer)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    accepted_count: Mapped[int] = mapped_column(Integer, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    request_hash: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of the request body as received."""
    record_outcomes: Mapped[str | None] = mapped_column(Text)
    """JSON list of [position, version, [rule numbers]] per record, in request order
    (rows of chain format v1 named the record by its RefId or ASN instead)."""
    operator: Mapped[str | None] = mapped_column(String(200))
    """The Student Records user behind a screen action or job (chain format v2)."""
    chain_format: Mapped[str] = mapped_column(String(4), default="v1", server_default="v1")
    previous_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The last link of the audit chain; appenders lock this one row, so the
    chain stays linear under several workers."""

    __tablename__ = "audit_chain_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_sequence: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


class RequestPayload(Base):
    """Full request and response bodies, kept only when PASI_AUDIT_PAYLOADS is on
    and only for PASI_AUDIT_PAYLOAD_RETENTION_DAYS (they hold student data)."""

    __tablename__ = "request_payload"
    message_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    received_utc: Mapped[datetime] = mapped_column(DateTime, index=True)
    request_body: Mapped[bytes] = mapped_column(LargeBinary)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)


class ProcessedRequest(Base):
    """A client's ClientMessageID, remembered so a resubmission replays the stored
    response instead of applying the request twice."""

    __tablename__ = "processed_request"
    client_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    client_message_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    operation: Mapped[str] = mapped_column(String(80))
    request_hash: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(GUID)
    response_body: Mapped[bytes] = mapped_column(LargeBinary)
    """zlib-compressed response element (it may hold student data: purged with the payloads)."""
    created_utc: Mapped[datetime] = mapped_column(DateTime, index=True)


# --- client registry (PASI's registered client certificates) ----------------------------------
class PasiClient(Base):
    __tablename__ = "pasi_client"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_utc: Mapped[datetime] = mapped_column(DateTime)


class ClientCertificate(Base):
    __tablename__ = "client_certificate"
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the certificate's DER encoding, lower-case hex."""
    client_id: Mapped[int] = mapped_column(Integer, ForeignKey("pasi_client.id"), index=True)
    subject: Mapped[str] = mapped_column(String(400))
    not_valid_after_utc: Mapped[datetime] = mapped_column(DateTime)
    not_valid_before_utc: Mapped[datetime | None] = mapped_column(DateTime)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_utc: Mapped[datetime] = mapped_column(DateTime)


class ClientOrganization(Base):
    """An organization the client may represent (CallerInfo.OrganizationCode, rule 1008)."""

    __tablename__ = "client_organization"
    client_id: Mapped[int] = mapped_column(Integer, ForeignKey("pasi_client.id"), primary_key=True)
    organization_code: Mapped[str] = mapped_column(ORG, ForeignKey("organization.code"), primary_key=True)


class ClientRole(Base):
    """A PASI client system role (rule 1007)."""

    __tablename__ = "client_role"
    client_id: Mapped[int] = mapped_column(Integer, ForeignKey("pasi_client.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(60), primary_key=True)


# --- Student Records users (the browser screens) ---------------------------------------------
class StaffUser(Base):
    """A Student Records user: signs in with a password (argon2 hash) to the screens."""

    __tablename__ = "staff_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_name: Mapped[str] = mapped_column(String(100), unique=True)
    """Lower case; what the user types to sign in and what the audit log names."""
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    """Consecutive failed sign-ins since the last success."""
    locked_until_utc: Mapped[datetime | None] = mapped_column(DateTime)
    created_utc: Mapped[datetime] = mapped_column(DateTime)
    last_sign_in_utc: Mapped[datetime | None] = mapped_column(DateTime)


class StaffPermission(Base):
    """A PASIprep permission of a user, e.g. "Manage Credentials"."""

    __tablename__ = "staff_permission"
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("staff_user.id", ondelete="CASCADE"),
                                         primary_key=True)
    permission: Mapped[str] = mapped_column(String(60), primary_key=True)


class StaffSession(Base):
    """A signed-in browser: the cookie holds only the token's digest's preimage (the token)."""

    __tablename__ = "staff_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the session token: a copy of this table signs no one in."""
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    created_utc: Mapped[datetime] = mapped_column(DateTime)
    last_seen_utc: Mapped[datetime] = mapped_column(DateTime)
    expires_utc: Mapped[datetime] = mapped_column(DateTime, index=True)


# --- background jobs -------------------------------------------------------------------------
class BackgroundJob(Base):
    """Work the job runner does outside any web request (a bulk run's processing, ...)."""

    __tablename__ = "background_job"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Integer)
    """What the job works on, e.g. the bulk run's id."""
    status: Mapped[str] = mapped_column(String(20), index=True)
    """Queued, Running, Done, Failed."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    runner: Mapped[str | None] = mapped_column(String(200))
    """The runner (host and process) holding it while Running."""
    heartbeat_utc: Mapped[datetime | None] = mapped_column(DateTime)
    """Refreshed while it runs; a Running job whose heartbeat is stale is taken over."""
    created_utc: Mapped[datetime] = mapped_column(DateTime)
    started_utc: Mapped[datetime | None] = mapped_column(DateTime)
    finished_utc: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(String(400))
    """Why it failed: the exception's type and where, never data."""
    __table_args__ = (UniqueConstraint("kind", "subject_id", name="uq_background_job_subject"),)


class VersionCounter(Base):
    """The PASICoreVersion counter on SQLite (PostgreSQL uses a sequence)."""

    __tablename__ = "version_counter"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


