"""SubmitDiplomaExamMark where PASI's documentation and independent clients showed gaps:
mark values from schools, deletes after an exam is withdrawn, who may change a mark, 3004 on
deleted records, ``xsi:nil`` and "the current date".  Each case is tripped and nearly tripped
through a real client, with the stored rows checked."""
from __future__ import annotations

from datetime import datetime

from persistence import models as t
from tests.e2e.test_rules_through_zeep import assert_accepted, assert_rejected_by
from tests.support import province as p
from tests.support import store
from tests.support.soap import (
    answered,
    caller_info,
    caller_xml,
    envelope,
    exam_marks_envelope,
    parse_fault,
    post_raw,
    registration,
    result,
)


# --- schools cannot submit mark values (seed 004), on components either -------------------------
def test_a_school_registration_with_component_mark_values_is_refused(pasi):
    record = registration(components=p.components_for(p.OPEN_ELA, MarkValue="88", MarkFormat="PCT"))
    outcome = assert_rejected_by(pasi, record, 99007, path="ComponentMarks[0].MarkValue")
    assert outcome.rules.count(99007) == 2
    assert "Only Alberta Education (Ministry Client User) can submit mark values" in outcome.messages[0]


def test_a_school_registration_with_a_component_result_status_is_refused(pasi):
    record = registration(components=p.components_for(p.OPEN_ELA, status="RG"))
    outcome = assert_rejected_by(pasi, record, 99007, path="ComponentMarks[0].ComponentMarkStatus")
    assert "the result status RG" in outcome.messages[0]


def test_near_miss_registrations_without_values_and_ministry_results_are_stored(pasi):
    assert_accepted(pasi, registration())
    ministry_result = result(asn=p.S2, value="81")
    assert_accepted(pasi, ministry_result, organization="O.1")
    assert [c["mark_value"] for c in store.components(pasi.engine, ministry_result["RefId"])] == ["81", "81"]


# --- deleting a mark whose exam was withdrawn ------------------------------------------------------
def _withdraw_exam(engine, exam_ref_id):
    exam = next(e for e in p.EXAMS if e["RefId"] == exam_ref_id)
    store.load(engine, {"DiplomaExams": [dict(exam, IsDeleted=True)]})


def test_a_mark_whose_exam_was_withdrawn_can_still_be_deleted_and_gives_its_fee_back(pasi):
    record = registration(asn=p.COUPON)  # a rewrite paid by the student's waived fee
    created = assert_accepted(pasi, record)
    assert store.row(pasi.engine, t.WaivedFee, ref_id=p.ref("fee:coupon"))["is_used"] is True
    _withdraw_exam(pasi.engine, p.OPEN_ELA)

    assert_accepted(pasi, dict(record, IsDeleted=True, PASICoreVersion=created.version))
    assert store.mark(pasi.engine, record["RefId"])["is_deleted"] is True
    assert store.row(pasi.engine, t.WaivedFee, ref_id=p.ref("fee:coupon"))["is_used"] is False


def test_near_miss_a_new_registration_for_a_withdrawn_exam_is_refused(pasi):
    _withdraw_exam(pasi.engine, p.OPEN_ELA)
    assert_rejected_by(pasi, registration(), 99005, path="ExamRefId")


# --- who may change a mark -------------------------------------------------------------------------
def test_a_school_cannot_move_or_delete_a_registration_of_a_student_it_cannot_access(pasi):
    record = registration(asn=p.S7, centre="S.0002")  # S7 is enrolled in A.0002's S.0003
    created = assert_accepted(pasi, record, organization="O.1")
    moved = dict(record, PASICoreVersion=created.version,
                 ComponentMarks={"ComponentMarkInfo": p.components_for(p.OPEN_ELA, "S.0001")})
    outcome = assert_rejected_by(pasi, moved, 99008)
    assert "cannot be changed or deleted by S.0001" in outcome.messages[0]
    assert_rejected_by(pasi, dict(record, IsDeleted=True, PASICoreVersion=created.version), 99008)
    assert store.mark(pasi.engine, record["RefId"])["is_deleted"] is False


def test_near_miss_a_school_may_change_a_registration_written_at_its_own_school(pasi):
    record = registration(asn=p.S7, centre="S.0001")  # not S.0001's student, but written there
    created = assert_accepted(pasi, record, organization="O.1")
    assert_accepted(pasi, dict(record, IsDeleted=True, PASICoreVersion=created.version))


def test_near_miss_an_authority_reaches_marks_written_at_its_schools_and_the_ministry_all(pasi):
    record = registration(asn=p.S7, centre="S.0002")
    created = assert_accepted(pasi, record, organization="O.1")
    moved_record = dict(record, ComponentMarks={"ComponentMarkInfo": p.components_for(p.OPEN_ELA, "S.0001")})
    moved = assert_accepted(pasi, dict(moved_record, PASICoreVersion=created.version), organization="A.0001")
    # Now written at S.0001: S.0002 (not S7's school, not the writing centre) may not delete it.
    delete = dict(moved_record, IsDeleted=True, PASICoreVersion=moved.version)
    assert_rejected_by(pasi, delete, 99008, organization="S.0002")
    assert_accepted(pasi, delete, organization="O.1")


# --- 3004 on a deleted record ------------------------------------------------------------------------
def test_3004_reports_a_deleted_records_core_version_as_zero_and_zero_restores_it(pasi):
    record = registration()
    created = assert_accepted(pasi, record)
    deleted = assert_accepted(pasi, dict(record, IsDeleted=True, PASICoreVersion=created.version))
    stale = assert_rejected_by(pasi, dict(record, PASICoreVersion=deleted.version - 1), 3004)
    assert f"Core (0) and Client ({deleted.version - 1}) versions are not equal." in stale.messages[0]
    restored = assert_accepted(pasi, dict(record, PASICoreVersion=0))
    assert restored.version > deleted.version and store.mark(pasi.engine, record["RefId"])["is_deleted"] is False


# --- xsi:nil means "absent" --------------------------------------------------------------------------
def _raw_registration(live_server, ref_id: str, extra_record_xml: str = "", extra_component_xml: str = ""):
    components = "".join(
        f"<p:ComponentMarkInfo><p:ComponentMarkStatus>RE</p:ComponentMarkStatus>"
        f"<p:ExamSittingRefId>{c['ExamSittingRefId']}</p:ExamSittingRefId>{extra_component_xml}"
        f"</p:ComponentMarkInfo>" for c in p.components_for(p.OPEN_ELA))
    body = (f"<p:SubmitDiplomaExamMark><p:request>{caller_xml('S.0001', 'nil-' + ref_id[:8])}<p:ExamMarks>"
            f"<p:ExamMarkInfo><p:RefId>{ref_id}</p:RefId><p:StateProvinceId>{p.S1}</p:StateProvinceId>"
            f"<p:ExamRefId>{p.OPEN_ELA}</p:ExamRefId><p:ExamMarkStatus>RE</p:ExamMarkStatus>"
            f"{extra_record_xml}<p:IsRescored>false</p:IsRescored><p:IsDeleted>false</p:IsDeleted>"
            f"<p:PASICoreVersion>0</p:PASICoreVersion><p:ComponentMarks>{components}</p:ComponentMarks>"
            f"</p:ExamMarkInfo></p:ExamMarks></p:request></p:SubmitDiplomaExamMark>")
    payload = envelope(body).replace(b"<soapenv:Envelope ", b'<soapenv:Envelope xmlns:xsi='
                                     b'"http://www.w3.org/2001/XMLSchema-instance" ', 1)
    return post_raw(live_server.service_url, payload)


def test_xsi_nil_on_optional_elements_is_read_as_absent(pasi, live_server):
    ref_id = "6a1c8f5e-0d61-4f8e-9b55-7f2f0a1b2c3d"
    nil = ' xsi:nil="true"/>'
    response = _raw_registration(live_server, ref_id, extra_record_xml="<p:MarkValue" + nil,
                                 extra_component_xml="<p:MarkValue" + nil + "<p:FormId" + nil)
    [(answer_id, version, rules)] = answered(response)
    assert (answer_id, rules) == (ref_id, []) and version > 0
    stored = store.mark(pasi.engine, ref_id)
    assert stored["mark_value"] is None
    assert [c["mark_value"] for c in store.components(pasi.engine, ref_id)] == [None, None]


def test_near_miss_xsi_nil_on_a_required_element_is_a_missing_element(pasi, live_server):
    payload = envelope(
        f"<p:SubmitDiplomaExamMark><p:request>{caller_xml('S.0001', 'nil-required')}"
        f"<p:ExamMarks xsi:nil=\"true\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"/>"
        f"</p:request></p:SubmitDiplomaExamMark>")
    fault = parse_fault(post_raw(live_server.service_url, payload))
    assert fault.rule_id == 3001
    assert any(path and path.endswith("SubmitDiplomaExamMark/request") and "ExamMarks" in text
               for path, text in fault.errors), fault.errors


# --- "the current date" is Alberta's ----------------------------------------------------------------
def test_student_access_uses_albertas_school_year(pasi, clock):
    """At 2026-09-01 03:30 UTC it is still 31 August (school year 2025/2026) in Edmonton, so a
    student enrolled only in 2024/2025 is "last year's" student and S.0001 may register them."""
    store.load(pasi.engine, {"SchoolEnrolments": [
        {"StateProvinceId": p.FORMER, "OrganizationCode": "S.0001", "SchoolYear": 2025}]})
    late_exam = next(e for e in p.EXAMS if e["RefId"] == p.OPEN_ELA)
    store.load(pasi.engine, {"DiplomaExams": [dict(late_exam, RegistrationDeadlineUtc="2026-12-01T00:00:00Z")]})
    clock.now = datetime(2026, 9, 1, 3, 30)
    assert_accepted(pasi, registration(asn=p.FORMER))
    clock.now = datetime(2026, 9, 1, 6, 30)  # 00:30 on 1 September in Edmonton: 2026/2027
    assert_rejected_by(pasi, registration(asn=p.FORMER), 9059)


# --- free text keeps no control characters --------------------------------------------------------
def _with_contact_name(name: str) -> dict:
    components = p.components_for(p.CLOSED_ELA, status="RG", MarkValue="75", MarkFormat="PCT")
    components[0]["SuppliedContactName"] = name
    return result(asn=p.S2, value="75", components=components)


def _raw_request(record: dict) -> bytes:
    caller = dict(caller_info("O.1"), SentUtcTime="2026-03-02T12:00:00Z")
    plain = dict(record, ComponentMarks=record["ComponentMarks"]["ComponentMarkInfo"])
    return exam_marks_envelope(caller, [plain])


def test_control_and_format_characters_in_a_contact_name_are_schema_faults(pasi, live_server):
    for name in ("Pat\x7fLee", "Pat Lee\x85", "Pat\x9fLee", "Pat \u202eeeL", "Pat\u200bLee"):
        record = _with_contact_name(name)
        response = post_raw(live_server.service_url, _raw_request(record))
        assert parse_fault(response).rule_id == 3001, repr(name)
        assert store.mark(pasi.engine, record["RefId"]) is None, repr(name)


def test_near_miss_names_in_any_script_are_stored(pasi):
    record = _with_contact_name("Zoë Ólafsdóttir-Nakamura 中村")
    assert_accepted(pasi, record, organization="O.1")
    assert store.components(pasi.engine, record["RefId"])[0]["supplied_contact_name"] == (
        "Zoë Ólafsdóttir-Nakamura 中村")
