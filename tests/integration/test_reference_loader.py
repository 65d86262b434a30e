"""``pasi-core load``: reference data in, all or nothing, idempotent.

Every test starts from the fixture province (the ``db`` fixture) and loads a
further document on top of it, then reads the tables back.
"""
from __future__ import annotations

import copy
import json
import re

import pytest
from sqlalchemy import select

from pasi_core.kernel.errors import ReferenceDataError
from persistence import models as t
from persistence.database import session_factory
from persistence.reference_loader import load_file
from tests.support import province as p
from tests.support import store

NEW_ASN = "200000001"
OTHER_NEW_ASN = "200000002"
UNKNOWN_SITTING = p.ref("sitting:nowhere")


# --- reading the whole database back ---------------------------------------------------
def table_rows(engine) -> dict[str, list[dict]]:
    """Every row of every table, in primary-key order (versions included)."""
    rows = {}
    with engine.connect() as connection:
        for table in t.Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [dict(r) for r in connection.execute(
                select(table).order_by(*order)).mappings()]
    return rows


def row_counts(engine) -> dict[str, int]:
    return {name: len(rows) for name, rows in table_rows(engine).items()}


def changed_rows(before: dict, after: dict, *, ignore=("version_counter",)) -> dict:
    """Per table, the rows that appeared or disappeared (an update is one of each)."""
    changes = {}
    for name in before:
        if name in ignore:
            continue
        old = [r for r in before[name] if r not in after[name]]
        new = [r for r in after[name] if r not in before[name]]
        if old or new:
            changes[name] = (old, new)
    return changes


def nonzero(counter) -> dict:
    return {name: n for name, n in counter.items() if n}


def highest_version(engine) -> int:
    rows = table_rows(engine)
    return max(r["version"] for table in rows.values() for r in table if "version" in r)


# --- document pieces ----------------------------------------------------------------------
def student(asn: str = NEW_ASN, **extra) -> dict:
    return {"StateProvinceId": asn, "LegalLastName": "Newcomer", "LegalFirstName": "Pat", **extra}


def enrolment(asn: str = NEW_ASN, school: str = "S.0001", year: int = 2026) -> dict:
    return {"StateProvinceId": asn, "OrganizationCode": school, "SchoolYear": year}


def exam_mark(ref_id: str, *, asn: str = p.S1, exam: str = p.OPEN_ELA, status: str = "RE",
              components: list[dict] | None = None, **extra) -> dict:
    return {"RefId": ref_id, "StateProvinceId": asn, "ExamRefId": exam, "ExamMarkStatus": status,
            "ComponentMarks": p.components_for(exam) if components is None else components,
            **extra}


def rescore_request(ref_id: str, mark_ref_id: str, payment: str = "Payment Received",
                    consent: str = "Received", **extra) -> dict:
    return {"RefId": ref_id, "ExamMarkRefId": mark_ref_id, "PaymentStatus": payment,
            "ConsentStatus": consent, **extra}


def sitting_entry(ref_id: str, exam: str, component: str, centre: str | None = "S.0001") -> dict:
    return {"RefId": ref_id, "ExamRefId": exam, "ComponentCode": component,
            "OrganizationCode": centre, "LocationName": "Portable 3", "StudentCapacity": 30}


def load_refused(engine, document: dict) -> ReferenceDataError:
    """Loads ``document``, expecting a refusal that leaves every table as it was."""
    before = table_rows(engine)
    with pytest.raises(ReferenceDataError) as refused:
        store.load(engine, document)
    assert table_rows(engine) == before, "a refused load must change nothing"
    return refused.value


def assert_names(error: ReferenceDataError, entry: str, field: str | None, *reason_words: str):
    assert error.entry == entry, str(error)
    assert error.field == field, str(error)
    location = f"{entry}.{field}" if field else entry
    assert f"{location}: " in str(error), str(error)
    for word in reason_words:
        assert word in error.reason, error.reason
        assert word in str(error), str(error)


# --- refusals: JSON Schema ------------------------------------------------------------------
SCHEMA_VIOLATIONS = {
    "bad ASN format": (
        {"Students": [student(), student("12345678X")]},
        "Students[1]", "StateProvinceId", ["'12345678X' does not match"]),
    "ASN with ten digits": (
        {"Students": [student(), student(OTHER_NEW_ASN), student("2000000033")]},
        "Students[2]", "StateProvinceId", ["does not match"]),
    "missing required key": (
        {"Students": [student(), {"StateProvinceId": OTHER_NEW_ASN}]},
        "Students[1]", None, ["'LegalLastName' is a required property"]),
    "unknown key": (
        {"Students": [student(), student(OTHER_NEW_ASN, Nickname="Jo")]},
        "Students[1]", None, ["'Nickname' was unexpected"]),
    "number given as text": (
        {"Students": [student()], "SchoolEnrolments": [enrolment(year="2026")]},
        "SchoolEnrolments[0]", "SchoolYear", ["'2026' is not of type 'integer'"]),
    "boolean given as text": (
        {"Students": [student(IsDeactivated="no")]},
        "Students[0]", "IsDeactivated", ["'no' is not of type 'boolean'"]),
    "nested field of an exam mark": (
        {"DiplomaExamMarks": [exam_mark(p.ref("mark:new"), components=[
            {"ComponentMarkStatus": "RE", "ExamSittingRefId": "not-a-guid"}])]},
        "DiplomaExamMarks[0]", "ComponentMarks[0].ExamSittingRefId", ["'not-a-guid' does not match"]),
    "unknown rescore payment status": (
        {"RescoreRequests": [rescore_request(p.ref("rescore:x"), p.ref("mark:rewriter-prior"),
                                             payment="Paid")]},
        "RescoreRequests[0]", "PaymentStatus", ["'Paid' is not one of"]),
    "section that is not a list": (
        {"Students": student()},
        "Students", None, ["is not of type 'array'"]),
    "unknown section": (
        {"Students": [student()], "Pupils": []},
        "(file)", None, ["'Pupils' was unexpected"]),
    "wrong format version": (
        {"FormatVersion": 2, "Students": [student()]},
        "FormatVersion", None, ["1 was expected"]),
}


@pytest.mark.parametrize("document, entry, field, reason", SCHEMA_VIOLATIONS.values(),
                         ids=SCHEMA_VIOLATIONS.keys())
def test_a_file_that_breaks_the_json_schema_loads_nothing_and_names_the_entry_and_field(
        db, document, entry, field, reason):
    counts = row_counts(db)

    error = load_refused(db, document)

    assert_names(error, entry, field, *reason)
    assert row_counts(db) == counts
    assert store.row(db, t.Student, asn=NEW_ASN) is None


def test_every_schema_problem_is_listed_not_only_the_first(db):
    error = load_refused(db, {"Students": [student("1"), student(OTHER_NEW_ASN), student("3")]})

    assert "(2 problem(s))" in str(error)
    assert "Students[0].StateProvinceId: '1' does not match" in str(error)
    assert "Students[2].StateProvinceId: '3' does not match" in str(error)
    assert [entry for entry, _, _ in error.problems] == ["Students[0]", "Students[2]"]


def test_a_long_list_of_problems_is_cut_short_with_a_count_of_the_rest(db):
    error = load_refused(db, {"Students": [student(f"{i}") for i in range(30)]})

    assert "(30 problem(s))" in str(error)
    assert "... and 5 more" in str(error)
    assert len(error.problems) == 30


def test_schema_problems_are_reported_in_file_order(db):
    """An operator fixes a file from the top: Students[2] comes before Students[10]."""
    students = [student(f"2000000{i:02d}") for i in range(12)]
    students[2]["StateProvinceId"] = "bad-2"
    students[10]["StateProvinceId"] = "bad-10"

    error = load_refused(db, {"Students": students})

    assert [entry for entry, _, _ in error.problems] == ["Students[2]", "Students[10]"]
    assert error.entry == "Students[2]"
    assert str(error).index("Students[2].") < str(error).index("Students[10].")


# --- refusals: references -----------------------------------------------------------------
UNRESOLVED_REFERENCES = {
    "enrolment of an unknown student": (
        {"Students": [student()], "SchoolEnrolments": [enrolment(), enrolment(OTHER_NEW_ASN)]},
        "SchoolEnrolments[1]", "StateProvinceId", [f"student {OTHER_NEW_ASN} does not exist"]),
    "enrolment at an authority rather than a school": (
        {"Students": [student()], "SchoolEnrolments": [enrolment(school="A.0001")]},
        "SchoolEnrolments[0]", "OrganizationCode", ["A.0001 is not a school"]),
    "sitting for a component the exam lacks": (
        {"ExamSittings": [sitting_entry(p.ref("sitting:new-ms"), p.OPEN_MATH, "MS"),
                          sitting_entry(p.ref("sitting:new-wr"), p.OPEN_MATH, "WR")]},
        "ExamSittings[1]", "ComponentCode", [f"exam {p.OPEN_MATH} has no component WR"]),
    "sitting for an exam that does not exist": (
        {"ExamSittings": [sitting_entry(p.ref("sitting:new"), p.ref("exam:none"), "MS")]},
        "ExamSittings[0]", "ComponentCode", ["has no component MS"]),
    "sitting at an unknown writing centre": (
        {"ExamSittings": [sitting_entry(p.ref("sitting:new"), p.OPEN_MATH, "MS", centre="S.0999")]},
        "ExamSittings[0]", "OrganizationCode", ["organization S.0999 does not exist"]),
    "exam mark with an unknown sitting": (
        {"DiplomaExamMarks": [exam_mark(p.ref("mark:new"), components=[
            p.components_for(p.OPEN_ELA)[0],
            {"ComponentMarkStatus": "RE", "ExamSittingRefId": UNKNOWN_SITTING}])]},
        "DiplomaExamMarks[0]", "ComponentMarks[1].ExamSittingRefId",
        [f"sitting {UNKNOWN_SITTING} does not exist"]),
    "exam mark for an unknown exam": (
        {"DiplomaExamMarks": [exam_mark(p.ref("mark:new"), exam=p.OPEN_ELA) | {
            "ExamRefId": p.ref("exam:none")}]},
        "DiplomaExamMarks[0]", "ExamRefId", ["does not exist"]),
    "exam mark of an unknown student": (
        {"DiplomaExamMarks": [exam_mark(p.ref("mark:new"), asn=OTHER_NEW_ASN)]},
        "DiplomaExamMarks[0]", "StateProvinceId", [f"student {OTHER_NEW_ASN} does not exist"]),
    "exam mark with an unknown status code": (
        {"DiplomaExamMarks": [exam_mark(p.ref("mark:new"), status="ZZ")]},
        "DiplomaExamMarks[0]", "ExamMarkStatus", ["'ZZ' is not a ExamMarkStatus code"]),
    "exam mark paid by an unknown waived fee": (
        {"DiplomaExamMarks": [exam_mark(p.ref("mark:new"), WaivedFeeRefId=p.ref("fee:none"))]},
        "DiplomaExamMarks[0]", "WaivedFeeRefId", ["waived fee does not exist"]),
    "rescore request for an unknown exam mark": (
        {"RescoreRequests": [rescore_request(p.ref("rescore:x"), p.ref("mark:none"))]},
        "RescoreRequests[0]", "ExamMarkRefId", ["does not exist"]),
    "school whose authority is a school": (
        {"Organizations": [{"OrganizationCode": "S.0009", "Name": "Dogwood High School",
                            "AuthorityCode": "S.0001"}]},
        "Organizations[0]", "AuthorityCode", ["S.0001 is not a school authority"]),
    "school whose authority does not exist": (
        {"Organizations": [{"OrganizationCode": "S.0009", "Name": "Dogwood High School",
                            "AuthorityCode": "A.0099"}]},
        "Organizations[0]", "AuthorityCode", ["A.0099 is not a school authority"]),
    "authority that claims an authority": (
        {"Organizations": [{"OrganizationCode": "A.0009", "Name": "Odd Division",
                            "AuthorityCode": "A.0001"}]},
        "Organizations[0]", "AuthorityCode", ["only a school has an authority"]),
    "secondary ASN pointing to a secondary": (
        {"Students": [student(PrimaryStateProvinceId=p.SECONDARY)]},
        "Students[0]", "PrimaryStateProvinceId", [f"{p.SECONDARY} is itself a Secondary ASN"]),
    "secondary ASN pointing to a secondary in the same file": (
        {"Students": [student(), student(OTHER_NEW_ASN, PrimaryStateProvinceId=p.S2),
                      student("200000003", PrimaryStateProvinceId=OTHER_NEW_ASN)]},
        "Students[2]", "PrimaryStateProvinceId", [f"{OTHER_NEW_ASN} is itself a Secondary ASN"]),
    "secondary ASN pointing to itself": (
        {"Students": [student(PrimaryStateProvinceId=NEW_ASN)]},
        "Students[0]", "PrimaryStateProvinceId", ["cannot be its own Primary"]),
    "secondary ASN pointing to nobody": (
        {"Students": [student(PrimaryStateProvinceId=OTHER_NEW_ASN)]},
        "Students[0]", "PrimaryStateProvinceId", [f"student {OTHER_NEW_ASN} does not exist"]),
    "waived fee with an unknown expiry period": (
        {"WaivedFees": [{"RefId": p.ref("fee:new"), "StateProvinceId": p.S1, "CourseCode": "ELA30-1",
                         "ExpiryExamPeriod": "DEC", "ExpirySchoolYear": 2026}]},
        "WaivedFees[0]", "ExpiryExamPeriod", ["'DEC' is not a ExamPeriod code"]),
}


@pytest.mark.parametrize("document, entry, field, reason", UNRESOLVED_REFERENCES.values(),
                         ids=UNRESOLVED_REFERENCES.keys())
def test_a_file_with_an_unresolved_reference_loads_nothing_and_names_the_entry_and_field(
        db, document, entry, field, reason):
    counts = row_counts(db)

    error = load_refused(db, document)

    assert_names(error, entry, field, *reason)
    assert row_counts(db) == counts


def test_references_resolve_within_the_file_whatever_the_section_order(db):
    document = {  # dependants first: the loader must not care
        "DiplomaExamMarks": [exam_mark(p.ref("mark:new"), asn=NEW_ASN, exam=p.ref("exam:new"),
                                       components=[{"ComponentMarkStatus": "RE",
                                                    "ExamSittingRefId": p.ref("sitting:new")}])],
        "ExamSittings": [sitting_entry(p.ref("sitting:new"), p.ref("exam:new"), "MS",
                                       centre="S.0009")],
        "SchoolEnrolments": [enrolment(school="S.0009")],
        "Students": [student(OTHER_NEW_ASN, PrimaryStateProvinceId=NEW_ASN), student()],
        "Organizations": [{"OrganizationCode": "S.0009", "Name": "Dogwood High School",
                           "AuthorityCode": "A.0009"},
                          {"OrganizationCode": "A.0009", "Name": "Dogwood Division"}],
        "DiplomaExams": [{**copy.deepcopy(p.EXAMS[2]), "RefId": p.ref("exam:new"),
                          "CourseCode": "MAT30-2"}],
    }

    report = store.load(db, document)

    assert report.inserted["DiplomaExamMarks"] == 1 and report.inserted["Students"] == 2
    assert store.row(db, t.Organization, code="S.0009")["authority_code"] == "A.0009"
    assert store.row(db, t.Student, asn=OTHER_NEW_ASN)["primary_asn"] == NEW_ASN
    assert [c["sitting_ref_id"] for c in store.components(db, p.ref("mark:new"))] == [
        p.ref("sitting:new")]


# --- refusals: duplicates ----------------------------------------------------------------
DUPLICATES = {
    "student": (
        {"Students": [student(), student(OTHER_NEW_ASN), student(LegalLastName="Again")]},
        "Students[2]", "StateProvinceId", ["repeats Students[0]"]),
    "organization": (
        {"Organizations": [{"OrganizationCode": "A.0009", "Name": "One"},
                           {"OrganizationCode": "A.0009", "Name": "Two"}]},
        "Organizations[1]", "OrganizationCode", ["repeats Organizations[0]"]),
    "exam mark RefId differing only in letter case": (
        {"DiplomaExamMarks": [exam_mark(p.ref("mark:new")),
                              exam_mark(p.ref("mark:new").upper(), asn=p.S2)]},
        "DiplomaExamMarks[1]", "RefId", ["repeats DiplomaExamMarks[0]"]),
    "exam component": (
        {"DiplomaExams": [{**copy.deepcopy(p.EXAMS[2]), "Components": copy.deepcopy(
            p.EXAMS[2]["Components"]) * 2}]},
        "DiplomaExams[0]", "Components", ["component MS is listed twice"]),
    "school enrolment": (
        {"Students": [student()], "SchoolEnrolments": [enrolment(), enrolment(year=2025),
                                                      enrolment()]},
        "SchoolEnrolments[2]", None, ["SchoolEnrolments[0]"]),
    "code value": (
        {"CodeTables": [{"CodeTable": "ExamPeriod", "Code": "DEC", "ShortDescription": "December"},
                        {"CodeTable": "ExamPeriod", "Code": "DEC", "ShortDescription": "Dec."}]},
        "CodeTables[1]", None, ["CodeTables[0]"]),
}


@pytest.mark.parametrize("document, entry, field, reason", DUPLICATES.values(),
                         ids=DUPLICATES.keys())
def test_an_entry_listed_twice_in_a_section_is_refused_and_names_both_entries(
        db, document, entry, field, reason):
    counts = row_counts(db)

    error = load_refused(db, document)

    assert error.entry == entry, str(error)
    if field is not None:
        assert error.field == field, str(error)
    for word in reason:
        assert word in str(error), str(error)
    assert row_counts(db) == counts


# --- refusals: the file itself -------------------------------------------------------------
def test_a_file_that_is_not_json_is_refused_with_its_line_and_column(db, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "FormatVersion": 1,\n  "Students": [\n'
                    '    {"StateProvinceId": "200000001",}\n  ]\n}\n')
    counts = row_counts(db)

    with pytest.raises(ReferenceDataError) as refused:
        load_file(session_factory(db), path)

    # The column of a trailing comma differs between Python versions (36 or 37).
    assert re.search(r"not valid JSON at line 4, column 3[67]", str(refused.value))
    assert re.search(r"Expecting property name|Illegal trailing comma", str(refused.value))
    assert row_counts(db) == counts


def test_an_empty_file_is_refused_as_not_json(db, tmp_path):
    path = tmp_path / "empty.json"
    path.write_text("")

    with pytest.raises(ReferenceDataError, match="not valid JSON at line 1, column 1"):
        load_file(session_factory(db), path)


def test_a_missing_file_is_refused_with_its_path(db, tmp_path):
    path = tmp_path / "absent.json"

    with pytest.raises(ReferenceDataError) as refused:
        load_file(session_factory(db), path)

    assert str(refused.value) == f"file not found: {path}"


def test_a_json_array_instead_of_an_object_is_refused(db, tmp_path):
    path = tmp_path / "array.json"
    path.write_text("[]")

    with pytest.raises(ReferenceDataError) as refused:
        load_file(session_factory(db), path)

    assert refused.value.entry == "(file)"
    assert "is not of type 'object'" in str(refused.value)


def test_a_good_file_loads_from_disk(db, tmp_path):
    path = tmp_path / "more.json"
    path.write_text(json.dumps({"FormatVersion": 1, "Students": [student()],
                                "SchoolEnrolments": [enrolment()]}))

    report = load_file(session_factory(db), path)

    assert report.inserted["Students"] == 1 and report.inserted["SchoolEnrolments"] == 1
    assert store.row(db, t.Student, asn=NEW_ASN)["legal_last_name"] == "Newcomer"
    assert store.count(db, t.SchoolEnrolment, asn=NEW_ASN, school_code="S.0001",
                       school_year=2026) == 1


# --- all or nothing ------------------------------------------------------------------------
def test_a_file_whose_last_entry_is_bad_leaves_the_database_exactly_as_before(db):
    document = p.document()
    document["Students"][0]["LegalFirstName"] = "Changed"                 # an update
    document["Students"].append(student())                               # an insert
    document["ExamSittings"][0]["StudentCapacity"] = 7                    # a versioned update
    document["DiplomaExamMarks"].append(exam_mark(p.ref("mark:new")))     # a new mark
    document["RescoreRequests"] = [
        rescore_request(p.ref("rescore:good"), p.ref("mark:rewriter-prior")),
        rescore_request(p.ref("rescore:bad"), p.ref("mark:none"))]       # the last entry: bad
    before = table_rows(db)

    with pytest.raises(ReferenceDataError) as refused:
        store.load(db, document)

    assert refused.value.entry == "RescoreRequests[1]"
    assert table_rows(db) == before


def test_a_file_whose_last_entry_fails_while_writing_leaves_the_database_exactly_as_before(db):
    """The duplicate enrolment is only caught by the database, after the other rows were written."""
    document = p.document()
    document["Students"][0]["LegalFirstName"] = "Changed"
    document["Students"].append(student())
    document["SchoolEnrolments"] += [enrolment(), enrolment()]
    before = table_rows(db)

    with pytest.raises(Exception):  # noqa: B017 - which error is the subject of another test
        store.load(db, document)

    assert table_rows(db) == before


# --- idempotence ---------------------------------------------------------------------------
def test_loading_the_same_file_twice_changes_nothing_the_second_time(db):
    store.truncate_all(db)
    first = store.load(db, p.document())
    after_first = table_rows(db)

    second = store.load(db, p.document())

    assert sum(second.inserted.values()) == 0, second.summary()
    assert sum(second.updated.values()) == 0, second.summary()
    assert second.unchanged == first.inserted, second.summary()
    assert second.unchanged["Students"] == len(p.document()["Students"])
    assert second.unchanged["ExamSittings"] == len(p.document()["ExamSittings"])
    assert table_rows(db) == after_first


def test_reloading_marks_with_components_fee_links_and_rescore_requests_changes_nothing(db):
    document = marks_document()
    store.load(db, document)
    before = table_rows(db)

    report = store.load(db, marks_document())

    assert sum(report.inserted.values()) == 0 and sum(report.updated.values()) == 0, report.summary()
    assert report.unchanged["DiplomaExamMarks"] == 2
    assert report.unchanged["RescoreRequests"] == len(document["RescoreRequests"])
    assert table_rows(db) == before


def test_summary_says_what_was_inserted_updated_and_left_unchanged(db):
    document = {"Students": [
        student(),
        {"StateProvinceId": p.S1, "LegalLastName": "One", "LegalFirstName": "Test"},
        {"StateProvinceId": p.S2, "LegalLastName": "Renamed", "LegalFirstName": "Test"}]}

    report = store.load(db, document)

    assert "Students: 1 inserted, 1 updated, 1 unchanged" in report.summary()


# --- updates -------------------------------------------------------------------------------
def test_changing_one_field_updates_exactly_that_row_with_a_new_higher_version(db):
    document = p.document()
    target = document["ExamSittings"][5]
    target["StudentCapacity"] = 55
    before = table_rows(db)
    highest_before = highest_version(db)

    report = store.load(db, document)

    assert nonzero(report.updated) == {"ExamSittings": 1}, report.summary()
    changes = changed_rows(before, table_rows(db))
    assert list(changes) == ["exam_sitting"]
    ((old,), (new,)) = changes["exam_sitting"]
    assert new["ref_id"] == target["RefId"]
    assert {k for k in new if new[k] != old[k]} == {"student_capacity", "version"}
    assert new["student_capacity"] == 55
    assert new["version"] > old["version"]
    assert new["version"] > highest_before


def test_changing_a_student_name_updates_only_that_student(db):
    document = p.document()
    document["Students"][1]["LegalMiddleName"] = "Quinn"
    before = table_rows(db)

    report = store.load(db, document)

    assert nonzero(report.updated) == {"Students": 1}, report.summary()
    changes = changed_rows(before, table_rows(db))
    assert list(changes) == ["student"]
    ((old,), (new,)) = changes["student"]
    assert new["asn"] == p.S2 and new["legal_middle_name"] == "Quinn"
    assert {k for k in new if new[k] != old[k]} == {"legal_middle_name"}


def test_changing_a_component_mark_gives_the_exam_mark_a_new_version(db):
    document = p.document()
    mark_doc = document["DiplomaExamMarks"][0]
    mark_doc["ComponentMarks"][1]["MarkValue"] = "51"
    old_mark = store.mark(db, mark_doc["RefId"])
    highest_before = highest_version(db)

    report = store.load(db, document)

    assert nonzero(report.updated) == {"DiplomaExamMarks": 1}, report.summary()
    new_mark = store.mark(db, mark_doc["RefId"])
    assert new_mark["version"] > highest_before >= old_mark["version"]
    assert [c["mark_value"] for c in store.components(db, mark_doc["RefId"])] == ["48", "51"]
    other = document["DiplomaExamMarks"][1]["RefId"]
    assert store.mark(db, other)["version"] <= highest_before


# --- exam marks, fees and rescore requests -------------------------------------------------
NEW_MARK = p.ref("mark:coupon-registration")
RESULT_MARK = p.ref("mark:s1-result")
REQUEST = p.ref("registration-request:coupon")
RESCORE_CASES = [
    # (name, payment, consent, cancelled, expected status)
    ("pending", "Payment Pending", "Received", False, "Incomplete"),
    ("not-paid", "Payment Not Received", "Received", False, "Incomplete"),
    ("no-consent", "Payment Received", "Not Received", False, "Incomplete"),
    ("requested", "Payment Received", "Received", False, "Requested"),
    ("waived", "Payment Waived", "Not Required", False, "Requested"),
    ("cancelled", "Payment Received", "Received", True, "Cancelled"),
]


def marks_document() -> dict:
    registration = exam_mark(NEW_MARK.upper(), asn=p.COUPON, exam=p.OPEN_ELA,
                             WaivedFeeRefId=p.ref("fee:coupon").upper(),
                             RegistrationRequestRefId=REQUEST)
    registration["ComponentMarks"][0]["FormId"] = "F-17"
    result = exam_mark(RESULT_MARK, asn=p.S1, exam=p.CLOSED_ELA, status="RG", MarkValue="75",
                       components=p.components_for(p.CLOSED_ELA, status="RG", MarkValue="75",
                                                   MarkFormat="PCT", MaximumMark="100"))
    return {
        "RegistrationRequests": [{"RefId": REQUEST, "StateProvinceId": p.COUPON,
                                  "Status": "Registered"}],
        "DiplomaExamMarks": [registration, result],
        "RescoreRequests": [
            rescore_request(p.ref(f"rescore:{name}"), RESULT_MARK, payment, consent,
                            IsCancelled=cancelled)
            for name, payment, consent, cancelled, _ in RESCORE_CASES],
    }


def test_exam_marks_load_with_their_components_in_order(db):
    highest_before = highest_version(db)

    report = store.load(db, marks_document())

    assert report.inserted["DiplomaExamMarks"] == 2
    stored = store.mark(db, NEW_MARK)
    assert stored["ref_id"] == NEW_MARK  # GUIDs are stored in lower case
    assert (stored["asn"], stored["exam_ref_id"], stored["status"]) == (p.COUPON, p.OPEN_ELA, "RE")
    assert stored["registration_request_ref_id"] == REQUEST
    assert stored["version"] > highest_before
    components = store.components(db, NEW_MARK)
    assert [(c["position"], c["sitting_ref_id"], c["status"], c["form_id"]) for c in components] == [
        (0, p.sitting(p.OPEN_ELA, "WR", "S.0001", ""), "RE", "F-17"),
        (1, p.sitting(p.OPEN_ELA, "MS", "S.0001", ""), "RE", None)]
    result = store.mark(db, RESULT_MARK)
    assert (result["status"], result["mark_value"]) == ("RG", "75")
    assert [(c["mark_value"], c["mark_format"], c["maximum_mark"])
            for c in store.components(db, RESULT_MARK)] == [("75", "PCT", "100")] * 2


def test_an_exam_mark_paid_by_a_waived_fee_is_linked_to_it(db):
    store.load(db, marks_document())

    fee = store.row(db, t.RegistrationFee, exam_mark_ref_id=NEW_MARK)
    assert fee == {"exam_mark_ref_id": NEW_MARK, "waived_fee_ref_id": p.ref("fee:coupon"),
                   "fee_type": "RW"}
    assert store.row(db, t.RegistrationFee, exam_mark_ref_id=RESULT_MARK) is None


def test_removing_the_waived_fee_from_a_mark_removes_the_link(db):
    store.load(db, marks_document())
    document = marks_document()
    del document["DiplomaExamMarks"][0]["WaivedFeeRefId"]

    report = store.load(db, document)

    assert report.updated["DiplomaExamMarks"] == 1
    assert store.row(db, t.RegistrationFee, exam_mark_ref_id=NEW_MARK) is None


@pytest.mark.parametrize("name, payment, consent, cancelled, expected", RESCORE_CASES,
                         ids=[case[0] for case in RESCORE_CASES])
def test_a_loaded_rescore_request_gets_its_computed_status(db, name, payment, consent,
                                                           cancelled, expected):
    store.load(db, marks_document())

    stored = store.row(db, t.RescoreRequest, ref_id=p.ref(f"rescore:{name}"))
    assert (stored["exam_mark_ref_id"], stored["payment_status"], stored["consent_status"],
            stored["is_cancelled"]) == (RESULT_MARK, payment, consent, cancelled)
    assert stored["status"] == expected
    assert stored["version"] > 0


def test_a_rescore_request_of_a_rescored_mark_is_rescored_unless_cancelled(db):
    document = marks_document()
    document["DiplomaExamMarks"][1]["IsRescored"] = True

    store.load(db, document)

    statuses = {name: store.row(db, t.RescoreRequest, ref_id=p.ref(f"rescore:{name}"))["status"]
                for name, *_ in RESCORE_CASES}
    assert statuses == {name: "Rescored" for name, *_ in RESCORE_CASES} | {"cancelled": "Cancelled"}


def test_marking_a_mark_rescored_in_a_later_load_recomputes_its_rescore_requests(db):
    """The stored status is computed from the request and its mark: when a later file
    changes only the mark, the requests it already has must follow."""
    store.load(db, marks_document())
    assert store.row(db, t.RescoreRequest, ref_id=p.ref("rescore:requested"))["status"] == "Requested"
    result = marks_document()["DiplomaExamMarks"][1]

    report = store.load(db, {"DiplomaExamMarks": [{**result, "IsRescored": True}]})

    assert report.updated["DiplomaExamMarks"] == 1
    assert store.row(db, t.RescoreRequest, ref_id=p.ref("rescore:requested"))["status"] == "Rescored"
    assert store.row(db, t.RescoreRequest, ref_id=p.ref("rescore:cancelled"))["status"] == "Cancelled"


def test_an_updated_rescore_request_gets_a_new_status_and_version(db):
    store.load(db, marks_document())
    old = store.row(db, t.RescoreRequest, ref_id=p.ref("rescore:pending"))
    document = marks_document()
    document["RescoreRequests"][0]["PaymentStatus"] = "Payment Received"

    report = store.load(db, document)

    assert nonzero(report.updated) == {"RescoreRequests": 1}, report.summary()
    new = store.row(db, t.RescoreRequest, ref_id=p.ref("rescore:pending"))
    assert (old["status"], new["status"]) == ("Incomplete", "Requested")
    assert new["version"] > old["version"]
