"""Every SubmitDiplomaExamMark rule, tripped and nearly tripped, through zeep.

Each test sends what a client would send to the live server, checks the
per-record answer (rule number, message, field path) and then the stored
rows: a rejected record changes nothing, an accepted one is stored with
the version the client was given.
"""
from __future__ import annotations

import uuid

import pytest

from persistence import models as t
from tests.support import province as p
from tests.support import store
from tests.support.soap import exam_mark, registration, result


def assert_rejected_by(pasi, record, rule, organization="S.0001", path=None):
    before = store.mark(pasi.engine, record["RefId"])
    outcome = pasi.submit_one(record, organization)
    assert rule in outcome.rules, (outcome.rules, outcome.messages)
    assert outcome.version == 0 and outcome.id == record["RefId"]
    if path is not None:
        assert outcome.paths[outcome.rules.index(rule)] == path
    assert store.mark(pasi.engine, record["RefId"]) == before, "a rejected record must change nothing"
    return outcome


def assert_accepted(pasi, record, organization="S.0001"):
    outcome = pasi.submit_one(record, organization)
    assert outcome.accepted, (outcome.rules, outcome.messages)
    stored = store.mark(pasi.engine, record["RefId"])
    assert stored is not None and stored["version"] == outcome.version
    return outcome


def load_result_mark(engine, name, asn=p.S1, exam=p.CLOSED_ELA, status="RG", value="70", **extra):
    """A stored result (as Assessment would have posted it), loaded as reference data."""
    ref_id = p.ref(name)
    components = p.components_for(exam, status=status if status != "IC" else "RG",
                                  **({"MarkValue": value, "MarkFormat": "PCT"} if value else {}))
    mark = {"RefId": ref_id, "StateProvinceId": asn, "ExamRefId": exam, "ExamMarkStatus": status,
            "ComponentMarks": components, **extra}
    if value:
        mark["MarkValue"] = value
    store.load(engine, {"DiplomaExamMarks": [mark]})
    return ref_id, store.mark(engine, ref_id)["version"]


# --- 3004 version mismatch ---------------------------------------------------------------
def test_3004_create_must_send_version_zero(pasi):
    outcome = assert_rejected_by(pasi, registration(version=5), 3004, path="PASICoreVersion")
    assert "Core (0) and Client (5) versions are not equal." in outcome.messages[0]


def test_3004_update_with_a_stale_version_is_rejected_and_the_current_one_accepted(pasi):
    record = registration()
    first = assert_accepted(pasi, record)
    stale = dict(record, PASICoreVersion=first.version - 1, ComponentMarks={
        "ComponentMarkInfo": p.components_for(p.OPEN_ELA, "S.0002")})
    outcome = assert_rejected_by(pasi, stale, 3004)
    assert f"Core ({first.version}) and Client ({first.version - 1})" in outcome.messages[0]
    second = assert_accepted(pasi, dict(stale, PASICoreVersion=first.version))
    assert second.version > first.version


def test_3004_a_deleted_record_also_accepts_version_zero(pasi):
    record = registration()
    first = assert_accepted(pasi, record)
    deleted = assert_accepted(pasi, dict(record, IsDeleted=True, PASICoreVersion=first.version))
    restored = assert_accepted(pasi, dict(record, IsDeleted=False, PASICoreVersion=0))
    assert restored.version > deleted.version
    assert store.mark(pasi.engine, record["RefId"])["is_deleted"] is False


# --- 9068, 9067, 9023: the shape of an update ---------------------------------------------
def test_9068_a_deleted_record_can_only_be_undeleted(pasi):
    record = registration()
    first = assert_accepted(pasi, record)
    deleted = assert_accepted(pasi, dict(record, IsDeleted=True, PASICoreVersion=first.version))
    changed_while_deleted = dict(record, IsDeleted=True, PASICoreVersion=deleted.version,
                                 ComponentMarks={"ComponentMarkInfo": p.components_for(p.OPEN_ELA, "S.0002")})
    assert_rejected_by(pasi, changed_while_deleted, 9068)
    assert_accepted(pasi, dict(record, IsDeleted=False, PASICoreVersion=deleted.version))


def test_9067_delete_cannot_be_combined_with_other_changes(pasi):
    record = registration()
    first = assert_accepted(pasi, record)
    delete_and_move = dict(record, IsDeleted=True, PASICoreVersion=first.version,
                           ComponentMarks={"ComponentMarkInfo": p.components_for(p.OPEN_ELA, "S.0002")})
    assert_rejected_by(pasi, delete_and_move, 9067, path="IsDeleted")
    assert_accepted(pasi, dict(record, IsDeleted=True, PASICoreVersion=first.version))
    assert store.mark(pasi.engine, record["RefId"])["is_deleted"] is True


def test_9023_an_update_identical_to_the_stored_record_is_rejected(pasi):
    record = registration()
    first = assert_accepted(pasi, record)
    same = dict(record, PASICoreVersion=first.version)
    outcome = assert_rejected_by(pasi, same, 9023)
    assert outcome.messages == ["Invalid Update. The record being updated already matches the data "
                                "being submitted. No update was performed."]
    reordered = dict(same, ComponentMarks={"ComponentMarkInfo": list(reversed(
        record["ComponentMarks"]["ComponentMarkInfo"]))})
    assert 9023 in pasi.submit_one(reordered).rules, "component order carries no meaning"
    moved = dict(same, ComponentMarks={"ComponentMarkInfo": p.components_for(p.OPEN_ELA, "S.0002")})
    assert_accepted(pasi, moved)


def test_99006_a_new_record_cannot_be_created_deleted(pasi):
    assert_rejected_by(pasi, registration(deleted=True), 99006, path="IsDeleted")


# --- the student ------------------------------------------------------------------------
@pytest.mark.parametrize("asn", [p.UNKNOWN, "12345", "10000000A", "1000000011"])
def test_9059_an_unknown_or_malformed_asn_is_rejected(pasi, asn):
    outcome = assert_rejected_by(pasi, registration(asn=asn), 9059, path="StateProvinceId")
    assert f"The ASN provided ({asn}) either does not exist or is not accessible." in outcome.messages[
        outcome.rules.index(9059)]


def test_9059_a_school_cannot_create_for_a_student_it_cannot_access(pasi):
    assert_rejected_by(pasi, registration(asn=p.S3), 9059)          # enrolled elsewhere
    assert_rejected_by(pasi, registration(asn=p.FORMER), 9059)      # enrolled three years ago
    assert_accepted(pasi, registration(asn=p.S1))                   # enrolled here this year
    assert_accepted(pasi, registration(asn=p.S3, centre="S.0002"), organization="S.0002")


def test_9059_an_authority_reaches_students_of_its_schools_only(pasi):
    assert_rejected_by(pasi, registration(asn=p.S7), 9059, organization="A.0001")
    assert_accepted(pasi, registration(asn=p.S1), organization="A.0001")
    assert_accepted(pasi, registration(asn=p.S7, centre="S.0002"), organization="A.0002")


def test_9059_a_school_reaches_students_registered_to_write_with_it(pasi):
    assert_accepted(pasi, registration(asn=p.S3, exam=p.OPEN_MATH, centre="S.0001"), organization="O.1")
    assert_accepted(pasi, registration(asn=p.S3, exam=p.OPEN_ELA, centre="S.0001"), organization="S.0001")


def test_9059_only_checks_access_on_create(pasi):
    record = registration(asn=p.S3, centre="S.0002")
    first = assert_accepted(pasi, record, organization="O.1")
    # S.0002 (the student's school) may update; existence is all 9059 asks of an update.
    assert_accepted(pasi, dict(record, PASICoreVersion=first.version, ComponentMarks={
        "ComponentMarkInfo": p.components_for(p.OPEN_ELA, "S.0001")}), organization="S.0002")


def test_9009_a_deactivated_asn_cannot_be_used_except_by_alberta_education(pasi):
    outcome = assert_rejected_by(pasi, registration(asn=p.DEACTIVATED), 9009)
    assert f"The ASN ({p.DEACTIVATED}) has been deactivated within PASI." in outcome.messages[0]
    assert_accepted(pasi, registration(asn=p.DEACTIVATED), organization="O.1")


def test_9011_a_secondary_asn_should_not_be_used(pasi):
    outcome = assert_rejected_by(pasi, registration(asn=p.SECONDARY), 9011)
    assert outcome.messages[outcome.rules.index(9011)] == (
        f"Invalid Alberta Student Number. The Alberta Student Number Provided ({p.SECONDARY}) "
        f"should not be used. Use {p.S1} instead.")
    assert_accepted(pasi, registration(asn=p.S1))


def test_40544_a_registration_is_created_on_the_primary_asn(pasi):
    outcome = assert_rejected_by(pasi, registration(asn=p.SECONDARY), 40544, organization="O.1")
    assert outcome.rules == [40544], "Alberta Education is exempt from 9011 but not from 40544"
    assert_accepted(pasi, registration(asn=p.S1), organization="O.1")


def test_40544_updating_a_mark_on_a_secondary_asn_needs_ministry_client_user(pasi, db):
    ref_id, version = load_result_mark(db, "mark:on-secondary", asn=p.SECONDARY, exam=p.OPEN_ELA,
                                       status="RE", value=None)
    record = registration(ref_id, asn=p.SECONDARY, centre="S.0002", version=version)
    assert 40544 in assert_rejected_by(pasi, record, 40544).rules
    assert_accepted(pasi, record, organization="O.1")


def test_9063_an_asn_set_by_linking_cannot_be_changed(pasi, db):
    ref_id, version = load_result_mark(db, "mark:linked", asn=p.S1, AsnSetByLinking=True)
    moved = result(asn=p.SECONDARY, value="70", version=version)
    moved["RefId"] = ref_id
    assert_rejected_by(pasi, moved, 9063, organization="O.1")
    kept = result(asn=p.S1, value="71", version=version)
    kept["RefId"] = ref_id
    assert_accepted(pasi, kept, organization="O.1")


def test_40558_an_exam_mark_cannot_move_to_another_student(pasi, db):
    ref_id, version = load_result_mark(db, "mark:movable", asn=p.S1)
    to_other = result(asn=p.S2, value="70", version=version)
    to_other["RefId"] = ref_id
    assert_rejected_by(pasi, to_other, 40558, organization="O.1")
    to_linked = dict(to_other, StateProvinceId=p.SECONDARY)
    assert_accepted(pasi, to_linked, organization="O.1")
    assert store.mark(db, ref_id)["asn"] == p.SECONDARY


# --- exam, codes, sittings and components -----------------------------------------------
def test_99005_the_exam_must_be_a_known_diploma_exam(pasi):
    assert_rejected_by(pasi, registration(exam=str(uuid.uuid4()),
                                          components=p.components_for(p.OPEN_ELA)), 99005, path="ExamRefId")
    assert_rejected_by(pasi, result(exam=p.GED_EXAM), 99005, organization="O.1")


def test_99002_the_exam_mark_status_must_be_a_known_code(pasi):
    assert_rejected_by(pasi, registration(status="ZZ"), 99002, path="ExamMarkStatus")


def test_99003_and_99004_component_codes_must_be_known(pasi):
    components = p.components_for(p.CLOSED_ELA, status="QQ", MarkValue="70", MarkFormat="XYZ")
    outcome = pasi.submit_one(exam_mark(exam=p.CLOSED_ELA, status="RG", value="70",
                                        components=components), "O.1")
    assert outcome.rules.count(99003) == 2 and outcome.rules.count(99004) == 2
    assert "ComponentMarks[1].MarkFormat" in outcome.paths


def test_40531_an_unknown_sitting_is_rejected(pasi):
    unknown = str(uuid.uuid4())
    components = [{"ComponentMarkStatus": "RE", "ExamSittingRefId": unknown},
                  p.components_for(p.OPEN_ELA)[1]]
    outcome = assert_rejected_by(pasi, registration(components=components), 40531,
                                 path="ComponentMarks[0].ExamSittingRefId")
    assert unknown in outcome.messages[outcome.rules.index(40531)]


def test_40532_a_deleted_sitting_is_rejected(pasi):
    assert_rejected_by(pasi, registration(centre="S.0001", components=p.components_for(
        p.OPEN_ELA, "S.0001", "deleted")), 40532)
    assert_accepted(pasi, registration(centre="S.0001"))


def test_40530_a_sitting_must_belong_to_the_exam(pasi):
    components = [p.components_for(p.OPEN_ELA)[0],
                  {"ComponentMarkStatus": "RE",
                   "ExamSittingRefId": p.sitting(p.OPEN_ELA_FRENCH, "MS", "S.0001")}]
    outcome = assert_rejected_by(pasi, registration(components=components), 40530,
                                 path="ComponentMarks[1].ExamSittingRefId")
    assert f"The Exam ({p.OPEN_ELA}) submitted does not match" in outcome.messages[0]


def test_40534_one_component_mark_per_exam_component(pasi):
    only_one = registration(components=p.components_for(p.OPEN_ELA)[:1])
    outcome = assert_rejected_by(pasi, only_one, 40534)
    assert "missing component(s) MS" in outcome.messages[0]
    twice = registration(components=p.components_for(p.OPEN_ELA) + p.components_for(p.OPEN_ELA, "S.0002")[1:])
    assert "more than one mark for component(s) MS" in assert_rejected_by(pasi, twice, 40534).messages[0]
    assert_accepted(pasi, registration())


def test_40501_exam_period_school_year_and_course_cannot_change(pasi):
    record = registration()
    first = assert_accepted(pasi, record)
    other_course = dict(record, ExamRefId=p.OPEN_MATH, PASICoreVersion=first.version,
                        ComponentMarks={"ComponentMarkInfo": p.components_for(p.OPEN_MATH)})
    outcome = assert_rejected_by(pasi, other_course, 40501, path="ExamRefId")
    assert "from ELA30-1 June 2025/2026 to MAT30-1 June 2025/2026" in outcome.messages[0]
    other_language = dict(record, ExamRefId=p.OPEN_ELA_FRENCH, PASICoreVersion=first.version,
                          ComponentMarks={"ComponentMarkInfo": p.components_for(p.OPEN_ELA_FRENCH)})
    assert_accepted(pasi, other_language)


def test_99001_a_mark_that_left_registered_never_returns_to_it(pasi, db):
    ref_id, version = load_result_mark(db, "mark:result", status="RG")
    back = registration(ref_id, exam=p.CLOSED_ELA, version=version)
    back["RefId"] = ref_id
    assert_rejected_by(pasi, back, 99001, organization="O.1", path="ExamMarkStatus")
    rescored_value = result(value="72", version=version)
    rescored_value["RefId"] = ref_id
    assert_accepted(pasi, rescored_value, organization="O.1")


# --- who may do what ----------------------------------------------------------------------
def test_40536_a_school_cannot_submit_results(pasi):
    outcome = assert_rejected_by(pasi, result(value="80"), 40536)
    assert 40504 not in outcome.rules
    assert_accepted(pasi, result(value="80"), organization="O.1")


def test_40536_and_40504_keep_a_school_from_sending_any_mark_value(pasi):
    outcome = pasi.submit_one(registration(value="80"))
    assert 40504 in outcome.rules
    outcome = pasi.submit_one(result(value="80"))
    assert 40536 in outcome.rules


def test_40536_a_school_cannot_change_a_registration_after_the_deadline(pasi, clock):
    record = registration()
    first = assert_accepted(pasi, record)
    clock.now = p.OPEN_DEADLINE
    moved = dict(record, PASICoreVersion=first.version,
                 ComponentMarks={"ComponentMarkInfo": p.components_for(p.OPEN_ELA, "S.0002")})
    assert_rejected_by(pasi, moved, 40536)
    assert_accepted(pasi, moved, organization="O.1")


def test_40541_only_alberta_education_touches_special_sittings(pasi):
    special = registration(components=p.components_for(p.OPEN_ELA, "O.1", "special"))
    assert_rejected_by(pasi, special, 40541)
    assert_rejected_by(pasi, special, 40541, organization="O.2")
    assert_accepted(pasi, special, organization="O.1")


def test_40559_a_special_registration_locks_the_course_session_for_everyone_but_alberta_education(pasi):
    special = registration(asn=p.S1, components=p.components_for(p.OPEN_ELA, "O.1", "special"))
    assert_accepted(pasi, special, organization="O.1")
    french = registration(asn=p.S1, exam=p.OPEN_ELA_FRENCH, centre="S.0001")
    outcome = assert_rejected_by(pasi, french, 40559)
    assert ("Special” Writing Centre for ELA30-1 - English Language Arts 30-1 in June 2025/2026."
            in outcome.messages[outcome.rules.index(40559)])
    assert_accepted(pasi, registration(asn=p.S1, exam=p.OPEN_MATH))


def test_62024_only_alberta_education_sets_is_rescored(pasi):
    assert_rejected_by(pasi, result(rescored=True), 62024, organization="O.2", path="IsRescored")
    assert_accepted(pasi, result(rescored=True), organization="O.1")


def test_62024_nobody_else_may_update_a_rescored_mark(pasi, db):
    ref_id, version = load_result_mark(db, "mark:rescored", IsRescored=True)
    update = result(value="71", rescored=True, version=version)
    update["RefId"] = ref_id
    assert_rejected_by(pasi, update, 62024, organization="O.2")
    assert_accepted(pasi, update, organization="O.1")


def test_40555_a_mark_in_an_open_registration_request_is_only_changed_through_mypass(pasi, db):
    store.load(db, {"RegistrationRequests": [
        {"RefId": p.ref("request:open"), "StateProvinceId": p.S1, "Status": "Payment Pending"},
        {"RefId": p.ref("request:done"), "StateProvinceId": p.S2, "Status": "Registered"}]})
    open_ref, open_version = load_result_mark(db, "mark:in-open-request", asn=p.S1, exam=p.OPEN_ELA,
                                              status="RE", value=None,
                                              RegistrationRequestRefId=p.ref("request:open"))
    done_ref, done_version = load_result_mark(db, "mark:in-done-request", asn=p.S2, exam=p.OPEN_ELA,
                                              status="RE", value=None,
                                              RegistrationRequestRefId=p.ref("request:done"))
    assert_rejected_by(pasi, registration(open_ref, asn=p.S1, centre="S.0002", version=open_version), 40555)
    assert_accepted(pasi, registration(done_ref, asn=p.S2, centre="S.0002", version=done_version))


# --- mark values and formats --------------------------------------------------------------
@pytest.mark.parametrize("value,ok", [("101", False), ("-1", False), ("7.5", False), ("abc", False),
                                      ("100", True), ("0", True)])
def test_9016_percentage_is_a_whole_number_from_0_to_100(pasi, value, ok):
    record = result(value=value)
    if ok:
        assert_accepted(pasi, record, organization="O.1")
    else:
        outcome = assert_rejected_by(pasi, record, 9016, organization="O.1", path="MarkValue")
        assert f"The Mark Value ({value}) must be a whole number between 0 and 100" in outcome.messages[
            outcome.rules.index(9016)]


def test_9016_applies_to_component_values_too(pasi):
    record = result(value="70")
    record["ComponentMarks"]["ComponentMarkInfo"][1]["MarkValue"] = "170"
    assert_rejected_by(pasi, record, 9016, organization="O.1", path="ComponentMarks[1].MarkValue")


def test_9032_numerical_score_is_a_whole_number_from_0_to_999(pasi):
    outcome = assert_rejected_by(pasi, result(exam=p.CLOSED_SCORE, value="1000"), 9032, organization="O.1")
    assert "The Mark Value supplied (1000) is invalid." in outcome.messages[0]
    assert_accepted(pasi, result(exam=p.CLOSED_SCORE, value="999"), organization="O.1")


def test_9017_letter_grades_are_case_sensitive_and_known(pasi):
    for value in ("a", "Z"):
        outcome = assert_rejected_by(pasi, result(exam=p.CLOSED_LETTER, value=value), 9017, organization="O.1")
        assert outcome.messages[outcome.rules.index(9017)] == (
            f"Invalid Letter Grade Mark Value. A Mark Value of '{value}' is not an accepted Letter "
            "Grade for the School Year 2025/2026.")
    assert_accepted(pasi, result(exam=p.CLOSED_LETTER, value="A"), organization="O.1")


def test_9018_pass_fail_is_p_or_f(pasi):
    assert_rejected_by(pasi, result(exam=p.CLOSED_PASS_FAIL, value="p"), 9018, organization="O.1")
    assert_accepted(pasi, result(exam=p.CLOSED_PASS_FAIL, value="P"), organization="O.1")


def test_9024_mark_values_and_maximum_marks_have_no_leading_zeros(pasi):
    assert_rejected_by(pasi, result(value="07"), 9024, organization="O.1", path="MarkValue")
    record = result(value="7")
    record["ComponentMarks"]["ComponentMarkInfo"][0]["MaximumMark"] = "050"
    assert_rejected_by(pasi, record, 9024, organization="O.1", path="ComponentMarks[0].MaximumMark")
    record["ComponentMarks"]["ComponentMarkInfo"][0]["MaximumMark"] = "50"
    assert_accepted(pasi, record, organization="O.1")


@pytest.mark.parametrize("status", ["NW", "WH", "IN", "IC"])
def test_40504_no_exam_mark_value_for_statuses_without_one(pasi, status):
    record = result(status=status)
    record["MarkValue"] = "50"
    outcome = assert_rejected_by(pasi, record, 40504, organization="O.1", path="MarkValue")
    assert f"when the Exam Mark Status is {status}" in outcome.messages[0]
    del record["MarkValue"]
    assert_accepted(pasi, record, organization="O.1")


def test_40509_a_regular_reportable_component_needs_a_value(pasi):
    record = result(exam=p.CLOSED_BIO, value="70")
    components = record["ComponentMarks"]["ComponentMarkInfo"]
    components[0].pop("MarkValue"); components[0].pop("MarkFormat")   # WR: not reportable
    components[1].pop("MarkValue"); components[1].pop("MarkFormat")   # MS: reportable
    outcome = assert_rejected_by(pasi, record, 40509, organization="O.1", path="ComponentMarks[1].MarkValue")
    assert outcome.messages[0] == (
        f"Missing Component Mark Value. A mark value is required for component (MS) of exam "
        f"({record['RefId']}) because the component mark status is (RG) and the associated exam "
        "component has a IsMarkReportable value of Yes.")
    components[1].update(MarkValue="70", MarkFormat="PCT")
    assert_accepted(pasi, record, organization="O.1")


def test_40513_no_value_on_a_component_that_is_not_reportable(pasi):
    record = result(exam=p.CLOSED_BIO, value="70")
    assert_rejected_by(pasi, record, 40513, organization="O.1", path="ComponentMarks[0].MarkValue")
    components = record["ComponentMarks"]["ComponentMarkInfo"]
    components[0].pop("MarkValue"); components[0].pop("MarkFormat")
    assert_accepted(pasi, record, organization="O.1")


def test_40547_a_component_value_needs_a_mark_format(pasi):
    record = result(value="70")
    record["ComponentMarks"]["ComponentMarkInfo"][0].pop("MarkFormat")
    outcome = assert_rejected_by(pasi, record, 40547, organization="O.1", path="ComponentMarks[0].MarkFormat")
    assert "and Component Code (WR), a Component Mark Format must be provided" in outcome.messages[0]


def test_40567_a_mark_with_a_value_cannot_be_deleted(pasi, db):
    ref_id, version = load_result_mark(db, "mark:valued", value="66")
    record = result(value="66", deleted=True, version=version)
    record["RefId"] = ref_id
    assert_rejected_by(pasi, record, 40567, organization="O.1")
    cleared = result(status="WH", version=version)
    cleared["RefId"] = ref_id
    second = assert_accepted(pasi, cleared, organization="O.1")
    assert_accepted(pasi, dict(cleared, IsDeleted=True, PASICoreVersion=second.version), organization="O.1")


# --- timing ---------------------------------------------------------------------------------
def test_40542_no_new_registration_after_the_deadline(pasi, clock):
    assert_rejected_by(pasi, registration(exam=p.CLOSED_ELA), 40542, organization="O.1")
    clock.now = p.OPEN_DEADLINE - p.timedelta(seconds=1)
    assert_accepted(pasi, registration(exam=p.OPEN_ELA))
    clock.now = p.OPEN_DEADLINE
    assert_rejected_by(pasi, registration(asn=p.S2, exam=p.OPEN_ELA), 40542)


def test_40557_no_result_before_the_registration_deadline(pasi):
    outcome = assert_rejected_by(pasi, result(exam=p.OPEN_ELA, value="70"), 40557, organization="O.1")
    assert outcome.rules == [40557]
    assert_accepted(pasi, result(exam=p.CLOSED_ELA, value="70"), organization="O.1")


# --- uniqueness, capacity and volume ----------------------------------------------------------
def test_40540_one_registration_per_component_and_writing_centre(pasi):
    assert_accepted(pasi, registration(asn=p.S1))
    outcome = assert_rejected_by(pasi, registration(asn=p.S1), 40540)
    assert f"(ASN{p.S1})" in outcome.messages[0]
    assert_accepted(pasi, registration(asn=p.S1, centre="S.0002"))   # another writing centre


def test_40540_catches_a_conflict_between_two_records_of_one_batch(pasi):
    first, second = registration(asn=p.S2), registration(asn=p.S2)
    outcomes = pasi.submit([first, second])
    assert outcomes[0].accepted and 40540 in outcomes[1].rules
    assert store.mark(pasi.engine, first["RefId"]) is not None
    assert store.mark(pasi.engine, second["RefId"]) is None


def test_40554_alberta_education_cannot_repeat_a_registration(pasi):
    assert_accepted(pasi, registration(asn=p.S1), organization="O.1")
    outcome = assert_rejected_by(pasi, registration(asn=p.S1, centre="S.0002"), 40554, organization="O.1")
    assert outcome.rules == [40554]
    assert_accepted(pasi, registration(asn=p.S1, centre="S.0002"))   # schools are exempt


def test_40552_a_sitting_cannot_be_filled_beyond_capacity(pasi):
    assert_accepted(pasi, registration(asn=p.CAPACITY_1, centre="S.0002"))
    outcome = assert_rejected_by(pasi, registration(asn=p.CAPACITY_2, centre="S.0002"), 40552,
                                 path="ComponentMarks[0].ExamSittingRefId")
    assert outcome.messages[0] == (
        "Capacity exceeded for Exam Sitting. The Diploma Exam Registration cannot be created for "
        "Component Written Response as the Exam Sitting Birch High School - Gymnasium is currently "
        "at capacity with 1 exam registrations.")
    assert outcome.rules.count(40552) == 2, "both components' sittings are full"


def test_40552_updating_an_existing_registration_does_not_count_it_twice(pasi):
    record = registration(asn=p.CAPACITY_1, centre="S.0002")
    first = assert_accepted(pasi, record)
    components = p.components_for(p.OPEN_ELA, "S.0002")
    components[0]["FormId"] = "Form A"
    assert_accepted(pasi, dict(record, PASICoreVersion=first.version,
                               ComponentMarks={"ComponentMarkInfo": components}))


def test_40553_a_student_holds_a_limited_number_of_exam_marks(pasi):
    from tests.conftest import MAX_MARKS_PER_STUDENT
    exams = [p.OPEN_ELA, p.OPEN_MATH, p.OPEN_ELA_FRENCH]
    made = 0
    for exam in exams:
        for centre in ("S.0001", "S.0002"):
            if made == MAX_MARKS_PER_STUDENT:
                break
            record = registration(asn=p.BUSY, exam=exam, centre=centre)
            first = assert_accepted(pasi, record, organization="S.0001")
            made += 1
            # deleted marks still count
            assert_accepted(pasi, dict(record, IsDeleted=True, PASICoreVersion=first.version))
    outcome = assert_rejected_by(pasi, registration(asn=p.BUSY, exam=p.OPEN_MATH, centre="S.0001"), 40553)
    assert f"as the ASN {p.BUSY} has exceeded" in outcome.messages[0]


# --- rescores -------------------------------------------------------------------------------
def test_62023_one_rescored_mark_per_student_course_and_session(pasi, db):
    load_result_mark(db, "mark:already-rescored", asn=p.S1, IsRescored=True)
    assert_rejected_by(pasi, result(asn=p.S1, rescored=True, centre="S.0002"), 62023, organization="O.1")
    assert_accepted(pasi, result(asn=p.S2, rescored=True), organization="O.1")


def test_62023_counts_the_records_earlier_in_the_batch(pasi):
    outcomes = pasi.submit([result(asn=p.S2, rescored=True), result(asn=p.S2, rescored=True, centre="S.0002")],
                           organization="O.1")
    assert outcomes[0].accepted and 62023 in outcomes[1].rules


def test_62020_a_rescore_needs_a_requested_rescore_request(pasi, db):
    ref_id, version = load_result_mark(db, "mark:rescore-incomplete", asn=p.S1)
    store.load(db, {"RescoreRequests": [{"RefId": p.ref("rescore:incomplete"), "ExamMarkRefId": ref_id,
                                         "PaymentStatus": "Payment Pending", "ConsentStatus": "Received"}]})
    update = result(asn=p.S1, value="74", rescored=True, version=version)
    update["RefId"] = ref_id
    assert_rejected_by(pasi, update, 62020, organization="O.1", path="IsRescored")

    ok_ref, ok_version = load_result_mark(db, "mark:rescore-requested", asn=p.S2)
    store.load(db, {"RescoreRequests": [{"RefId": p.ref("rescore:requested"), "ExamMarkRefId": ok_ref,
                                         "PaymentStatus": "Payment Received", "ConsentStatus": "Received"}]})
    assert store.row(db, t.RescoreRequest, ref_id=p.ref("rescore:requested"))["status"] == "Requested"
    ok = result(asn=p.S2, value="74", rescored=True, version=ok_version)
    ok["RefId"] = ok_ref
    outcome = assert_accepted(pasi, ok, organization="O.1")
    request = store.row(db, t.RescoreRequest, ref_id=p.ref("rescore:requested"))
    assert request["status"] == "Rescored" and request["version"] == outcome.version


def test_62020_no_rescore_request_means_no_further_update(pasi, db):
    ref_id, version = load_result_mark(db, "mark:no-request", asn=p.S1)
    update = result(asn=p.S1, value="74", rescored=True, version=version)
    update["RefId"] = ref_id
    assert_accepted(pasi, update, organization="O.1")


def test_62022_a_mark_with_a_live_rescore_request_cannot_be_deleted(pasi, db):
    ref_id, version = load_result_mark(db, "mark:withheld", asn=p.S1, status="WH", value=None)
    store.load(db, {"RescoreRequests": [{"RefId": p.ref("rescore:live"), "ExamMarkRefId": ref_id,
                                         "PaymentStatus": "Payment Received", "ConsentStatus": "Received"}]})
    delete = result(asn=p.S1, status="WH", deleted=True, version=version)
    delete["RefId"] = ref_id
    assert_rejected_by(pasi, delete, 62022, organization="O.1")
    store.load(db, {"RescoreRequests": [{"RefId": p.ref("rescore:live"), "ExamMarkRefId": ref_id,
                                         "PaymentStatus": "Payment Received", "ConsentStatus": "Received",
                                         "IsCancelled": True}]})
    assert_accepted(pasi, delete, organization="O.1")


# --- fees -------------------------------------------------------------------------------------
def test_40500_a_rewrite_needs_a_fee_paid_through_mypass(pasi):
    outcome = assert_rejected_by(pasi, registration(asn=p.REWRITER), 40500)
    assert outcome.messages[0] == (
        "Cannot submit or manage a diploma exam registration when a fee is required. This "
        "registration requires a fee of type ”(Rewrite)” and it must be managed through myPass.")
    ministry = assert_rejected_by(pasi, registration(asn=p.REWRITER), 40500, organization="O.1")
    assert ministry.messages[0] == ("This registration requires a fee(Rewrite) and must be managed "
                                    "through a Diploma Exam Registration Request.")
    assert_accepted(pasi, registration(asn=p.S1))   # a first attempt is free


def test_40500_an_available_waived_fee_pays_for_the_rewrite(pasi, db):
    record = registration(asn=p.COUPON)
    outcome = assert_accepted(pasi, record)
    fee = store.row(db, t.WaivedFee, ref_id=p.ref("fee:coupon"))
    assert fee["is_used"] is True and fee["version"] == outcome.version
    link = store.row(db, t.RegistrationFee, exam_mark_ref_id=record["RefId"])
    assert link["waived_fee_ref_id"] == p.ref("fee:coupon")
    # The coupon is spent: it cannot pay for a second registration.
    second = registration(asn=p.COUPON, exam=p.OPEN_ELA_FRENCH, centre="S.0002")
    assert 40500 in assert_rejected_by(pasi, second, 40500).rules
