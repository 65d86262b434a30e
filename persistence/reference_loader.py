"""``pasi-core load FILE.json``: reference data in, all or nothing.

1. The file is checked against the JSON Schema (every problem listed with
   its entry and field, e.g. ``Students[3].StateProvinceId``).
2. Every reference must resolve, in the file or in the database.
3. Rows are upserted by natural key in one transaction: a second load of
   the same file changes nothing (``unchanged`` counts say so).
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, overload

import jsonschema
from sqlalchemy import delete, insert, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from operations.submit_diploma_exam_mark.model import RescoreRequest as RescoreFacts
from operations.submit_diploma_exam_mark.model import rescore_request_status
from pasi_core.kernel.errors import ReferenceDataError
from persistence import models as t
from persistence.bulk import chunked
from persistence.reference_schema import REFERENCE_DATA_SCHEMA
from persistence.unit_of_work import SqlUnitOfWork
from persistence.versions import allocate_versions

MAX_REPORTED_PROBLEMS = 25

NATURAL_KEYS = {
    "CodeTables": ("CodeTable", "Code"),
    "Organizations": ("OrganizationCode",),
    "Students": ("StateProvinceId",),
    "SchoolEnrolments": ("StateProvinceId", "OrganizationCode", "SchoolYear"),
    "DiplomaExams": ("RefId",),
    "ExamSittings": ("RefId",),
    "WaivedFees": ("RefId",),
    "RegistrationRequests": ("RefId",),
    "DiplomaExamMarks": ("RefId",),
    "RescoreRequests": ("RefId",),
    "StudentAddresses": ("StateProvinceId", "EffectiveDate"),
    "OfficialMarks": ("StateProvinceId", "CourseCode", "SchoolYear"),
    "CredentialAchievements": ("StateProvinceId", "CredentialType", "RequirementSet"),
    "StudentCredentials": ("CredentialNumber",),
}
"""The key an entry is upserted by; two entries of one file may not share it."""
STANDARD_CODE_TABLES = Path(__file__).with_name("data") / "standard-code-tables.json"


@dataclass
class LoadReport:
    inserted: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        sections = sorted(set(self.inserted) | set(self.updated) | set(self.unchanged))
        return "\n".join(f"{name}: {self.inserted[name]} inserted, {self.updated[name]} updated, "
                         f"{self.unchanged[name]} unchanged" for name in sections) or "nothing to load"


class Problems:
    def __init__(self) -> None:
        self.items: list[tuple[str, str | None, str]] = []

    def add(self, entry: str, field_name: str | None, reason: str) -> None:
        self.items.append((entry, field_name, reason))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        lines = [f"{entry}{'.' + name if name else ''}: {reason}"
                 for entry, name, reason in self.items[:MAX_REPORTED_PROBLEMS]]
        if len(self.items) > MAX_REPORTED_PROBLEMS:
            lines.append(f"... and {len(self.items) - MAX_REPORTED_PROBLEMS} more")
        entry, name, reason = self.items[0]
        error = ReferenceDataError(reason, entry=entry, field=name)
        error.message = (f"the reference data was not loaded ({len(self.items)} problem(s)):\n  "
                         + "\n  ".join(lines))
        error.args = (error.message,)
        error.problems = list(self.items)
        raise error


def read_file(path: str | Path) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise ReferenceDataError(f"file not found: {path}") from None
    except json.JSONDecodeError as error:
        raise ReferenceDataError(
            f"not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None


def validate_document(document: Any) -> None:
    problems = Problems()
    validator = jsonschema.Draft202012Validator(REFERENCE_DATA_SCHEMA)
    def file_order(error):
        return [(0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in error.path]

    for error in sorted(validator.iter_errors(document), key=file_order):
        path = list(error.absolute_path)
        entry = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p))
                        for i, p in enumerate(path[:2])) or "(file)"
        field_name = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in path[2:])
        problems.add(entry, field_name.replace(".[", "[") or None, error.message)
    problems.raise_if_any()


def load_file(session_factory: sessionmaker[Session], path: str | Path) -> LoadReport:
    return load_document(session_factory, read_file(path))


def load_document(session_factory: sessionmaker[Session], document: dict) -> LoadReport:
    validate_document(document)
    with SqlUnitOfWork(session_factory) as uow:
        loader = _Loader(uow.session, document)
        loader.check_references()
        loader.write()
        uow.commit()
    written = sum(loader.report.inserted.values()) + sum(loader.report.updated.values())
    if written >= ANALYZE_AFTER_ROWS:
        _refresh_statistics(session_factory)
    return loader.report


ANALYZE_AFTER_ROWS = 2000


def _refresh_statistics(session_factory) -> None:
    """After a large load PostgreSQL's planner must see the new row counts: with
    autovacuum off (or not yet run) it keeps empty-table statistics and picks nested
    loops that turn milliseconds into seconds."""
    engine = session_factory.kw["bind"]
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")


def utc(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(UTC).replace(tzinfo=None)


def day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@overload
def lower(value: str) -> str: ...


@overload
def lower(value: str | None) -> str | None: ...


def lower(value: str | None) -> str | None:
    return value.lower() if value else value


class _Loader:
    def __init__(self, session: Session, document: dict):
        self.session = session
        sections: Iterable[str] = REFERENCE_DATA_SCHEMA["properties"]  # type: ignore[assignment]
        self.doc = {name: document.get(name, []) for name in sections if name != "FormatVersion"}
        self.report = LoadReport()

    # --- references -------------------------------------------------------------------
    def _existing(self, column, values: Iterable) -> set:
        found = set()
        for chunk in chunked(sorted({v for v in values if v is not None})):
            found |= set(self.session.execute(select(column).where(column.in_(chunk))).scalars())
        return found

    def check_references(self) -> None:
        """Every reference a file makes must resolve in the file or the database;
        every problem is collected (entry, field, why) before anything is written."""
        _ReferenceCheck(self).run()

    # --- writing ----------------------------------------------------------------------
    def write(self) -> None:
        doc = self.doc
        self._upsert("CodeTables", t.CodeValueRow, ("code_table", "code"), [
            {"code_table": c["CodeTable"], "code": c["Code"], "short_description": c["ShortDescription"],
             "description": c.get("Description"), "sequence": c.get("Sequence", 0),
             "attributes": json.dumps(c.get("Attributes", {}), sort_keys=True)}
            for c in doc["CodeTables"]])
        kinds = {"S": "School", "A": "Authority", "O": "Ministry"}
        organizations = sorted(doc["Organizations"], key=lambda o: o["OrganizationCode"][0] != "A")
        self._upsert("Organizations", t.Organization, ("code",), [
            {"code": o["OrganizationCode"], "name": o["Name"], "kind": kinds[o["OrganizationCode"][0]],
             "authority_code": o.get("AuthorityCode"), "is_francophone": o.get("IsFrancophone", False)}
            for o in organizations])
        students = sorted(doc["Students"], key=lambda s: s.get("PrimaryStateProvinceId") is not None)
        self._upsert("Students", t.Student, ("asn",), [
            {"asn": s["StateProvinceId"], "primary_asn": s.get("PrimaryStateProvinceId"),
             "is_deactivated": s.get("IsDeactivated", False), "legal_last_name": s["LegalLastName"],
             "legal_first_name": s.get("LegalFirstName"), "legal_middle_name": s.get("LegalMiddleName"),
             "birth_date": day(s.get("BirthDate"))} for s in students])
        self._upsert("SchoolEnrolments", t.SchoolEnrolment, ("asn", "school_code", "school_year"), [
            {"asn": e["StateProvinceId"], "school_code": e["OrganizationCode"],
             "school_year": e["SchoolYear"], "grade": e.get("Grade")} for e in doc["SchoolEnrolments"]])
        self._upsert("DiplomaExams", t.DiplomaExam, ("ref_id",), [
            {"ref_id": lower(e["RefId"]), "course_code": e["CourseCode"], "course_name": e["CourseName"],
             "school_year": e["SchoolYear"], "exam_period": e["ExamPeriod"],
             "exam_language": e["ExamLanguage"], "exam_type": e["ExamType"],
             "mark_format": e["MarkFormat"], "registration_deadline_utc": utc(e["RegistrationDeadlineUtc"]),
             "rescore_deadline_date": day(e.get("RescoreDeadlineDate")),
             "is_deleted": e.get("IsDeleted", False)} for e in doc["DiplomaExams"]], versioned=True)
        self._upsert("DiplomaExamComponents", t.DiplomaExamComponent, ("exam_ref_id", "component_code"), [
            {"exam_ref_id": lower(e["RefId"]), "component_code": c["ComponentCode"],
             "name_english": c["NameEnglish"], "name_french": c.get("NameFrench"),
             "weight": c.get("Weight"), "is_mark_reportable": c["IsMarkReportable"],
             "is_deleted": c.get("IsDeleted", False), "scheduled_utc": utc(c.get("ScheduledDtoTime"))}
            for e in doc["DiplomaExams"] for c in e["Components"]])
        self._upsert("ExamSittings", t.ExamSitting, ("ref_id",), [
            {"ref_id": lower(s["RefId"]), "exam_ref_id": lower(s["ExamRefId"]),
             "component_code": s["ComponentCode"], "writing_centre_code": s.get("OrganizationCode"),
             "location_name": s["LocationName"], "scheduled_utc": utc(s.get("ScheduledDtoTime")),
             "student_capacity": s.get("StudentCapacity"), "is_special": s.get("IsSpecial", False),
             "is_deleted": s.get("IsDeleted", False)} for s in doc["ExamSittings"]], versioned=True)
        self._upsert("WaivedFees", t.WaivedFee, ("ref_id",), [
            {"ref_id": lower(f["RefId"]), "asn": f["StateProvinceId"], "course_code": f["CourseCode"],
             "expiry_school_year": f["ExpirySchoolYear"], "expiry_exam_period": f["ExpiryExamPeriod"],
             "reason": f.get("Reason"), "is_used": f.get("IsUsed", False),
             "is_deleted": f.get("IsDeleted", False)} for f in doc["WaivedFees"]], versioned=True)
        self._upsert("RegistrationRequests", t.RegistrationRequest, ("ref_id",), [
            {"ref_id": lower(r["RefId"]), "asn": r["StateProvinceId"], "status": r["Status"],
             "is_deleted": r.get("IsDeleted", False)} for r in doc["RegistrationRequests"]], versioned=True)
        self._write_marks()
        self._write_rescore_requests()
        self._upsert("StudentAddresses", t.StudentAddress, ("asn", "effective_date"), [
            {"asn": a["StateProvinceId"], "effective_date": day(a["EffectiveDate"]),
             "address_lines": "\n".join(a["AddressLines"]), "city": a.get("City"),
             "province_state": a.get("ProvinceState"), "postal_code": a.get("PostalCode"),
             "country": a["Country"], "expiry_date": day(a.get("ExpiryDate"))}
            for a in doc["StudentAddresses"]])
        self._upsert("OfficialMarks", t.OfficialMark, ("asn", "course_code", "school_year"), [
            {"asn": m["StateProvinceId"], "course_code": m["CourseCode"], "school_year": m["SchoolYear"],
             "mark_value": m.get("MarkValue"), "credits_awarded": m.get("CreditsAwarded", 0),
             "is_ged": m.get("IsGed", False), "is_deleted": m.get("IsDeleted", False)}
            for m in doc["OfficialMarks"]])
        self._upsert("CredentialAchievements", t.CredentialAchievement,
                     ("asn", "credential_type", "requirement_set"), [
            {"asn": a["StateProvinceId"], "credential_type": a["CredentialType"],
             "requirement_set": a["RequirementSet"], "status": a["Status"]}
            for a in doc["CredentialAchievements"]])
        now = datetime.now(UTC).replace(tzinfo=None)
        self._upsert("StudentCredentials", t.StudentCredential, ("credential_number",), [
            {"credential_number": c["CredentialNumber"].replace("-", ""), "asn": c["StateProvinceId"],
             "credential_type": c["CredentialType"], "requirement_set": c.get("RequirementSet"),
             "awarded_on_date": day(c["AwardedOnDate"]), "school_year": c["SchoolYear"],
             "awarded_last_name": c.get("AwardedLastName") or "", "awarded_first_name": c.get("AwardedFirstName"),
             "awarded_middle_name": c.get("AwardedMiddleName"), "is_deleted": c.get("IsDeleted", False),
             "delete_reason": c.get("DeleteReason"), "legacy_credential_number": c.get("LegacyCredentialNumber"),
             "created_utc": now, "updated_by": "O.1"}
            for c in doc["StudentCredentials"]], versioned=True, ignore=("created_utc", "updated_by"))

    def _write_marks(self) -> None:
        marks = self.doc["DiplomaExamMarks"]
        if not marks:
            return
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = [{"ref_id": lower(m["RefId"]), "asn": m["StateProvinceId"],
                 "exam_ref_id": lower(m["ExamRefId"]), "status": m["ExamMarkStatus"],
                 "mark_value": m.get("MarkValue"), "is_rescored": m.get("IsRescored", False),
                 "is_deleted": m.get("IsDeleted", False),
                 "registration_request_ref_id": lower(m.get("RegistrationRequestRefId")),
                 "asn_set_by_linking": m.get("AsnSetByLinking", False),
                 "created_utc": now, "updated_utc": now, "updated_by": "O.1"} for m in marks]
        by_ref = {lower(m["RefId"]): m for m in marks}
        changed = self._upsert("DiplomaExamMarks", t.ExamMark, ("ref_id",), rows, versioned=True,
                               ignore=("created_utc", "updated_utc", "updated_by"),
                               children=lambda ref: _file_children(by_ref[ref]))
        if changed:
            self.session.execute(delete(t.ExamMarkComponent).where(
                t.ExamMarkComponent.exam_mark_ref_id.in_(sorted(changed))))
            self.session.execute(delete(t.RegistrationFee).where(
                t.RegistrationFee.exam_mark_ref_id.in_(sorted(changed))))
            components = [
                {"exam_mark_ref_id": ref, "position": j,
                 "sitting_ref_id": lower(c["ExamSittingRefId"]), "status": c["ComponentMarkStatus"],
                 "mark_value": c.get("MarkValue"), "mark_format": c.get("MarkFormat"),
                 "maximum_mark": c.get("MaximumMark"), "form_id": c.get("FormId"),
                 "supplied_contact_name": c.get("SuppliedContactName")}
                for ref in sorted(changed) for j, c in enumerate(by_ref[ref]["ComponentMarks"])]
            if components:
                self.session.execute(insert(t.ExamMarkComponent), components)
            links = [{"exam_mark_ref_id": ref, "waived_fee_ref_id": lower(by_ref[ref]["WaivedFeeRefId"]),
                      "fee_type": "RW"} for ref in sorted(changed) if by_ref[ref].get("WaivedFeeRefId")]
            if links:
                self.session.execute(insert(t.RegistrationFee), links)
            self._recompute_rescore_statuses(changed)

    def _stored_components_of(self, refs: list[str]) -> dict:
        stored: dict[str, list] = {ref: [] for ref in refs}
        for chunk in chunked(refs):
            for c in self.session.execute(select(t.ExamMarkComponent).where(
                    t.ExamMarkComponent.exam_mark_ref_id.in_(chunk)).order_by(
                    t.ExamMarkComponent.exam_mark_ref_id, t.ExamMarkComponent.position)).scalars():
                stored[c.exam_mark_ref_id].append((c.sitting_ref_id, c.status, c.mark_value,
                                                   c.mark_format, c.maximum_mark, c.form_id,
                                                   c.supplied_contact_name))
        links = {}
        for chunk in chunked(refs):
            links.update(dict(self.session.execute(select(
                t.RegistrationFee.exam_mark_ref_id, t.RegistrationFee.waived_fee_ref_id).where(
                t.RegistrationFee.exam_mark_ref_id.in_(chunk))).all()))
        return {ref: (tuple(stored[ref]), links.get(ref)) for ref in refs}

    def _recompute_rescore_statuses(self, mark_refs: set[str]) -> None:
        """A loaded mark that changed may change its stored requests' computed status."""
        in_file = {lower(r["RefId"]) for r in self.doc["RescoreRequests"]}
        stored: list = []
        for chunk in chunked(sorted(mark_refs)):
            stored += self.session.execute(select(t.RescoreRequest, t.ExamMark.is_rescored).join(
                t.ExamMark, t.ExamMark.ref_id == t.RescoreRequest.exam_mark_ref_id).where(
                t.RescoreRequest.exam_mark_ref_id.in_(chunk))).all()
        changed = []
        for request, is_rescored in stored:
            if request.ref_id in in_file:
                continue
            facts = RescoreFacts(request.ref_id, request.exam_mark_ref_id, request.payment_status,
                                 request.consent_status, request.is_cancelled)
            status = rescore_request_status(facts, is_rescored)
            if status != request.status:
                changed.append((request.ref_id, status))
        versions = iter(allocate_versions(self.session, len(changed)))
        for ref_id, status in changed:
            self.session.execute(update(t.table(t.RescoreRequest)).where(
                t.RescoreRequest.ref_id == ref_id).values(status=status, version=next(versions)))
        if changed:
            self.report.updated["RescoreRequests"] += len(changed)

    def _write_rescore_requests(self) -> None:
        requests = self.doc["RescoreRequests"]
        if not requests:
            return
        mark_refs = sorted({lower(r["ExamMarkRefId"]) for r in requests})
        rescored: dict[str, bool] = {}
        for chunk in chunked(mark_refs):
            rescored.update(dict(self.session.execute(select(t.ExamMark.ref_id, t.ExamMark.is_rescored)
                                                      .where(t.ExamMark.ref_id.in_(chunk))).all()))
        rows = []
        for r in requests:
            facts = RescoreFacts(lower(r["RefId"]), lower(r["ExamMarkRefId"]), r["PaymentStatus"],
                                 r["ConsentStatus"], r.get("IsCancelled", False))
            rows.append({"ref_id": facts.ref_id, "exam_mark_ref_id": facts.exam_mark_ref_id,
                         "payment_status": facts.payment_status,
                         "consent_status": facts.consent_status, "is_cancelled": facts.is_cancelled,
                         "status": rescore_request_status(facts, rescored[facts.exam_mark_ref_id])})
        self._upsert("RescoreRequests", t.RescoreRequest, ("ref_id",), rows, versioned=True)

    def _upsert(self, section: str, model, keys: tuple[str, ...], rows: list[dict], *,
                versioned: bool = False, ignore: tuple[str, ...] = (), children=None) -> set:
        """Insert new rows, update changed ones; returns the keys written (single-column keys)."""
        if not rows:
            return set()
        table = t.table(model)
        def key_of(row) -> Any:
            return row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)

        key_columns = [table.c[k] for k in keys]
        existing: dict = {}
        all_keys = [key_of(row) for row in rows]
        for chunk in chunked(all_keys):
            condition = (key_columns[0].in_(chunk) if len(keys) == 1
                         else tuple_(*key_columns).in_(chunk))
            for found in self.session.execute(select(table).where(condition)).mappings():
                existing[key_of(found)] = dict(found)
        stored_children = children and self._stored_components_of(
            [key_of(row) for row in rows if key_of(row) in existing])
        compare = [name for name in rows[0] if name not in ignore]
        inserts, updates = [], []
        for row in rows:
            key = key_of(row)
            old = existing.get(key)
            if old is None:
                inserts.append(row)
            elif any(old.get(name) != row[name] for name in compare) or (
                    children and stored_children[key] != children(key)):
                updates.append(row)
            else:
                self.report.unchanged[section] += 1
        if versioned:
            versions = iter(allocate_versions(self.session, len(inserts) + len(updates)))
            for row in inserts + updates:
                row["version"] = next(versions)
        if inserts:
            self.session.execute(insert(table), inserts)
        for row in updates:
            values = {name: value for name, value in row.items()
                      if name not in keys and name != "created_utc"}
            self.session.execute(update(table).where(*[table.c[k] == row[k] for k in keys])
                                 .values(**values))
        self.report.inserted[section] += len(inserts)
        self.report.updated[section] += len(updates)
        return {key_of(row) for row in inserts + updates}


def _file_children(mark: dict):
    """A file mark's components and fee link, in the form stored ones are compared in."""
    return (tuple((lower(c["ExamSittingRefId"]), c["ComponentMarkStatus"], c.get("MarkValue"),
                   c.get("MarkFormat"), c.get("MaximumMark"), c.get("FormId"),
                   c.get("SuppliedContactName")) for c in mark["ComponentMarks"]),
            lower(mark.get("WaivedFeeRefId")))


STUDENT_SECTIONS = ("SchoolEnrolments", "WaivedFees", "RegistrationRequests", "DiplomaExamMarks",
                    "StudentAddresses", "OfficialMarks", "CredentialAchievements", "StudentCredentials")
"""Sections whose entries name a student by StateProvinceId."""


class _ReferenceCheck:
    """The reference checks of one file, one method per section."""

    def __init__(self, loader: _Loader):
        self.loader = loader
        self.doc = loader.doc
        self.problems = Problems()
        self.codes: set[tuple[str, str]] = {(c["CodeTable"], c["Code"]) for c in self.doc["CodeTables"]}
        self.codes |= {(row.code_table, row.code) for row in loader.session.execute(
            select(t.CodeValueRow.code_table, t.CodeValueRow.code)).all()}
        self.org_kinds: dict[str, str] = {}
        self.students: dict[str, str | None] = {}
        self.sittings: dict[str, str] = {}

    def run(self) -> None:
        for check in (self.organizations, self.students_and_links, self.student_references,
                      self.exams, self.exam_sittings, self.fees, self.exam_marks, self.credentials,
                      self.rescore_requests, self.repeated_keys):
            check()
        self.problems.raise_if_any()

    def need_code(self, entry: str, name: str, table: str, code: str | None) -> None:
        if code is not None and (table, code) not in self.codes:
            self.problems.add(entry, name, f"{code!r} is not a {table} code")

    def need_student(self, section: str, index: int, asn: str) -> None:
        if asn not in self.students:
            self.problems.add(f"{section}[{index}]", "StateProvinceId", f"student {asn} does not exist")

    def organizations(self) -> None:
        doc = self.doc
        self.org_kinds = {o["OrganizationCode"]: o["OrganizationCode"][0] for o in doc["Organizations"]}
        referenced = ({o.get("AuthorityCode") for o in doc["Organizations"]}
                      | {e["OrganizationCode"] for e in doc["SchoolEnrolments"]}
                      | {s.get("OrganizationCode") for s in doc["ExamSittings"]})
        self.org_kinds.update({code: code[0] for code in self.loader._existing(
            t.Organization.code, referenced - set(self.org_kinds))})
        for i, org in enumerate(doc["Organizations"]):
            authority = org.get("AuthorityCode")
            if authority is None:
                continue
            if org["OrganizationCode"][0] != "S":
                self.problems.add(f"Organizations[{i}]", "AuthorityCode", "only a school has an authority")
            elif self.org_kinds.get(authority) != "A":
                self.problems.add(f"Organizations[{i}]", "AuthorityCode",
                                  f"{authority} is not a school authority in the file or the database")

    def students_and_links(self) -> None:
        doc = self.doc
        self.students = {s["StateProvinceId"]: s.get("PrimaryStateProvinceId") for s in doc["Students"]}
        referenced = ({s.get("PrimaryStateProvinceId") for s in doc["Students"]}
                      | {e["StateProvinceId"] for section in STUDENT_SECTIONS for e in doc[section]})
        missing = referenced - set(self.students) - {None}
        if missing:
            for row in self.loader.session.execute(select(t.Student.asn, t.Student.primary_asn).where(
                    t.Student.asn.in_(sorted(missing)))).all():
                self.students[row.asn] = row.primary_asn
        for i, student in enumerate(doc["Students"]):
            primary = student.get("PrimaryStateProvinceId")
            if primary is None:
                continue
            field = (f"Students[{i}]", "PrimaryStateProvinceId")
            if primary == student["StateProvinceId"]:
                self.problems.add(*field, "an ASN cannot be its own Primary")
            elif primary not in self.students:
                self.problems.add(*field, f"student {primary} does not exist")
            elif self.students[primary] is not None:
                self.problems.add(*field, f"{primary} is itself a Secondary ASN; link to its Primary")

    def student_references(self) -> None:
        for section in STUDENT_SECTIONS:
            for i, entry in enumerate(self.doc[section]):
                self.need_student(section, i, entry["StateProvinceId"])
        for i, enrolment in enumerate(self.doc["SchoolEnrolments"]):
            if self.org_kinds.get(enrolment["OrganizationCode"]) != "S":
                self.problems.add(f"SchoolEnrolments[{i}]", "OrganizationCode",
                                  f"{enrolment['OrganizationCode']} is not a school in the file or the database")

    def exams(self) -> None:
        for i, exam in enumerate(self.doc["DiplomaExams"]):
            entry = f"DiplomaExams[{i}]"
            for name in ("ExamPeriod", "ExamType", "MarkFormat", "ExamLanguage"):
                self.need_code(entry, name, name, exam[name])
            component_codes = [c["ComponentCode"] for c in exam["Components"]]
            for code in {c for c in component_codes if component_codes.count(c) > 1}:
                self.problems.add(entry, "Components", f"component {code} is listed twice")

    def exam_sittings(self) -> None:
        doc = self.doc
        components = {(lower(e["RefId"]), c["ComponentCode"])
                      for e in doc["DiplomaExams"] for c in e["Components"]}
        wanted = {(lower(s["ExamRefId"]), s["ComponentCode"]) for s in doc["ExamSittings"]} - components
        if wanted:
            rows = self.loader.session.execute(select(
                t.DiplomaExamComponent.exam_ref_id, t.DiplomaExamComponent.component_code).where(
                tuple_(t.DiplomaExamComponent.exam_ref_id,
                       t.DiplomaExamComponent.component_code).in_(sorted(wanted)))).all()
            components |= {(r.exam_ref_id, r.component_code) for r in rows}
        self.sittings = {lower(s["RefId"]): lower(s["ExamRefId"]) for s in doc["ExamSittings"]}
        for i, sitting in enumerate(doc["ExamSittings"]):
            entry = f"ExamSittings[{i}]"
            if (lower(sitting["ExamRefId"]), sitting["ComponentCode"]) not in components:
                self.problems.add(entry, "ComponentCode", f"exam {sitting['ExamRefId']} has no component "
                                  f"{sitting['ComponentCode']} in the file or the database")
            centre = sitting.get("OrganizationCode")
            if centre is not None and centre not in self.org_kinds:
                self.problems.add(entry, "OrganizationCode", f"organization {centre} does not exist")

    def fees(self) -> None:
        for i, fee in enumerate(self.doc["WaivedFees"]):
            self.need_code(f"WaivedFees[{i}]", "ExpiryExamPeriod", "ExamPeriod", fee["ExpiryExamPeriod"])

    def exam_marks(self) -> None:
        doc, existing = self.doc, self.loader._existing
        marks = doc["DiplomaExamMarks"]
        exams = {lower(e["RefId"]) for e in doc["DiplomaExams"]}
        exams |= existing(t.DiplomaExam.ref_id, {lower(m["ExamRefId"]) for m in marks})
        sittings = set(self.sittings) | existing(t.ExamSitting.ref_id, {
            lower(c["ExamSittingRefId"]) for m in marks for c in m["ComponentMarks"]})
        requests = {lower(r["RefId"]) for r in doc["RegistrationRequests"]} | existing(
            t.RegistrationRequest.ref_id, {lower(m.get("RegistrationRequestRefId")) for m in marks})
        fees = {lower(f["RefId"]) for f in doc["WaivedFees"]} | existing(
            t.WaivedFee.ref_id, {lower(m.get("WaivedFeeRefId")) for m in marks})
        for i, mark in enumerate(marks):
            entry = f"DiplomaExamMarks[{i}]"
            self.need_code(entry, "ExamMarkStatus", "ExamMarkStatus", mark["ExamMarkStatus"])
            if lower(mark["ExamRefId"]) not in exams:
                self.problems.add(entry, "ExamRefId", f"exam {mark['ExamRefId']} does not exist")
            for j, component in enumerate(mark["ComponentMarks"]):
                if lower(component["ExamSittingRefId"]) not in sittings:
                    self.problems.add(entry, f"ComponentMarks[{j}].ExamSittingRefId",
                                      f"sitting {component['ExamSittingRefId']} does not exist")
                self.need_code(entry, f"ComponentMarks[{j}].ComponentMarkStatus", "ComponentMarkStatus",
                               component["ComponentMarkStatus"])
            for name, known, what in (("RegistrationRequestRefId", requests, "registration request"),
                                      ("WaivedFeeRefId", fees, "waived fee")):
                if mark.get(name) and lower(mark[name]) not in known:
                    self.problems.add(entry, name, f"{what} does not exist")

    def credentials(self) -> None:
        for section in ("CredentialAchievements", "StudentCredentials"):
            for i, entry in enumerate(self.doc[section]):
                self.need_code(f"{section}[{i}]", "CredentialType", "CredentialType", entry["CredentialType"])

    def rescore_requests(self) -> None:
        requests = self.doc["RescoreRequests"]
        marks = {lower(m["RefId"]) for m in self.doc["DiplomaExamMarks"]} | self.loader._existing(
            t.ExamMark.ref_id, {lower(r["ExamMarkRefId"]) for r in requests})
        for i, request in enumerate(requests):
            if lower(request["ExamMarkRefId"]) not in marks:
                self.problems.add(f"RescoreRequests[{i}]", "ExamMarkRefId",
                                  f"exam mark {request['ExamMarkRefId']} does not exist")

    def repeated_keys(self) -> None:
        for section, keys in NATURAL_KEYS.items():
            seen: dict[tuple, int] = {}
            for i, entry in enumerate(self.doc[section]):
                value = tuple(str(entry[key]).lower() for key in keys)
                if value in seen:
                    self.problems.add(f"{section}[{i}]", keys[-1] if len(keys) == 1 else None,
                                      f"repeats {section}[{seen[value]}] (same {' + '.join(keys)})")
                seen.setdefault(value, i)
