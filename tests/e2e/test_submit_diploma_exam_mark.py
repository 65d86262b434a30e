"""Batches, side effects and failure handling of SubmitDiplomaExamMark, through zeep."""
from __future__ import annotations

import pytest
from zeep.exceptions import Fault

from operations.submit_diploma_exam_mark.model import ComponentMark, ExamMark, SubmittedExamMark
from operations.submit_diploma_exam_mark.service import submit_diploma_exam_marks
from persistence import models as t
from persistence.database import session_factory
from persistence.unit_of_work import SqlUnitOfWork
from tests.support import province as p
from tests.support import store
from tests.support.soap import registration, result


def test_a_batch_can_partly_succeed_and_answers_in_request_order(pasi):
    good, bad, also_good = registration(asn=p.S1), registration(asn=p.UNKNOWN), registration(asn=p.S2)
    outcomes = pasi.submit([good, bad, also_good])

    assert [o.id for o in outcomes] == [good["RefId"], bad["RefId"], also_good["RefId"]]
    assert outcomes[0].accepted and outcomes[2].accepted
    assert outcomes[1].rules == [9059] and outcomes[1].version == 0
    assert outcomes[0].version < outcomes[2].version
    assert store.mark(pasi.engine, good["RefId"])["version"] == outcomes[0].version
    assert store.mark(pasi.engine, bad["RefId"]) is None
    assert store.count(pasi.engine, t.TranscriptTrigger) == 2


def test_the_same_record_twice_in_one_batch_gets_3004_the_second_time(pasi):
    record = registration()
    outcomes = pasi.submit([record, record])
    assert outcomes[0].accepted
    assert 3004 in outcomes[1].rules
    assert f"Core ({outcomes[0].version}) and Client (0)" in outcomes[1].messages[0]


def test_every_failing_rule_of_a_record_is_reported(pasi):
    record = result(asn=p.SECONDARY, exam=p.OPEN_ELA, value="107", version=3)
    outcome = pasi.submit_one(record, "S.0001")
    assert {3004, 9011, 40536, 9016, 40557} <= set(outcome.rules), outcome.rules
    assert len(outcome.messages) == len(outcome.rules)


def _fail_inserts_into_exam_mark_component(engine, install: bool) -> None:
    """A real database error: a trigger that aborts every component insert."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            if install:
                connection.exec_driver_sql(
                    "CREATE FUNCTION pasi_test_fail() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql")
                connection.exec_driver_sql(
                    "CREATE TRIGGER pasi_test_fail BEFORE INSERT ON exam_mark_component "
                    "FOR EACH ROW EXECUTE FUNCTION pasi_test_fail()")
            else:
                connection.exec_driver_sql("DROP TRIGGER IF EXISTS pasi_test_fail ON exam_mark_component")
                connection.exec_driver_sql("DROP FUNCTION IF EXISTS pasi_test_fail()")
        elif install:
            connection.exec_driver_sql(
                "CREATE TRIGGER pasi_test_fail BEFORE INSERT ON exam_mark_component "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
        else:
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS pasi_test_fail")


def test_a_database_failure_mid_batch_applies_nothing_and_is_a_server_fault(pasi, live_server):
    before = store.marks_snapshot(pasi.engine)
    records = [registration(asn=p.S1), registration(asn=p.S2)]
    # The marks are written first, then their components fail: mid-batch.
    _fail_inserts_into_exam_mark_component(pasi.engine, install=True)
    try:
        with pytest.raises(Fault) as raised:
            pasi.call(records, message_id="will-fail")
    finally:
        _fail_inserts_into_exam_mark_component(pasi.engine, install=False)

    fault = raised.value
    assert fault.code.endswith("Server")
    assert "nothing was saved" in fault.message
    assert "injected" not in fault.message, "internal details must not reach the client"
    detail = fault.detail[0]
    message_id = detail.findtext("{urn:pasi-core-mirror:common:2026}MessageID")
    assert detail.findtext("{urn:pasi-core-mirror:common:2026}RuleId") == "9001"
    assert store.marks_snapshot(pasi.engine) == before
    audit = store.row(pasi.engine, t.RequestAudit, message_id=message_id)
    assert audit["outcome"] == "Server" and audit["client_message_id"] == "will-fail"
    # and the service keeps working
    assert pasi.submit_one(records[0]).accepted


def test_every_request_leaves_an_audit_row_without_student_data(pasi):
    response = pasi.call([registration(asn=p.S1), registration(asn=p.UNKNOWN)], "S.0001", "audit-me")
    audit = store.row(pasi.engine, t.RequestAudit, message_id=response.MessageID)
    assert audit["operation"] == "SubmitDiplomaExamMark"
    assert audit["organization_code"] == "S.0001" and audit["client_message_id"] == "audit-me"
    assert (audit["record_count"], audit["accepted_count"], audit["rejected_count"]) == (2, 1, 1)
    assert audit["outcome"] == "ok"
    assert p.S1 not in " ".join(str(value) for value in audit.values())


# --- side effects ---------------------------------------------------------------------------
def test_a_transcript_trigger_is_written_per_saved_change(pasi):
    record = registration()
    created = pasi.accepted(record)
    moved = pasi.accepted(dict(record, PASICoreVersion=created.version, ComponentMarks={
        "ComponentMarkInfo": p.components_for(p.OPEN_ELA, "S.0002")}))
    deleted = pasi.accepted(dict(record, PASICoreVersion=moved.version, IsDeleted=True, ComponentMarks={
        "ComponentMarkInfo": p.components_for(p.OPEN_ELA, "S.0002")}))
    with pasi.engine.connect() as connection:
        from sqlalchemy import select
        rows = connection.execute(select(t.TranscriptTrigger.version, t.TranscriptTrigger.course_code,
                                         t.TranscriptTrigger.asn).where(
            t.TranscriptTrigger.source_ref_id == record["RefId"]).order_by(t.TranscriptTrigger.version)).all()
    assert [tuple(r) for r in rows] == [(v, "ELA30-1", p.S1) for v in
                                        (created.version, moved.version, deleted.version)]


def test_student_activity_school_year_only_moves_forward(pasi):
    pasi.accepted(registration(asn=p.S1))
    activity = store.row(pasi.engine, t.StudentActivity, asn=p.S1)
    assert activity["school_year"] == 2026 and activity["updated_by"] == "S.0001"
    pasi.accepted(result(asn=p.S2, exam=p.PRIOR_ELA, value="60"), "O.1")
    assert store.row(pasi.engine, t.StudentActivity, asn=p.S2)["school_year"] == 2025
    pasi.accepted(result(asn=p.S2, exam=p.CLOSED_ELA, value="61"), "O.1")
    assert store.row(pasi.engine, t.StudentActivity, asn=p.S2)["school_year"] == 2026
    pasi.accepted(result(asn=p.S2, exam=p.PRIOR_ELA, value="62", centre="S.0002"), "O.1")
    assert store.row(pasi.engine, t.StudentActivity, asn=p.S2)["school_year"] == 2026


def test_deleting_a_registration_releases_its_waived_fee(pasi):
    record = registration(asn=p.COUPON)
    created = pasi.accepted(record)
    assert store.row(pasi.engine, t.WaivedFee, ref_id=p.ref("fee:coupon"))["is_used"] is True
    deleted = pasi.accepted(dict(record, IsDeleted=True, PASICoreVersion=created.version))
    fee = store.row(pasi.engine, t.WaivedFee, ref_id=p.ref("fee:coupon"))
    assert fee["is_used"] is False and fee["version"] == deleted.version
    assert store.row(pasi.engine, t.RegistrationFee, exam_mark_ref_id=record["RefId"]) is None
    # Restoring the registration takes the fee again.
    pasi.accepted(dict(record, IsDeleted=False, PASICoreVersion=deleted.version))
    assert store.row(pasi.engine, t.WaivedFee, ref_id=p.ref("fee:coupon"))["is_used"] is True


def _registration_paid_by_fee(db, name, asn=p.REWRITER):
    ref_id = p.ref(name)
    store.load(db, {
        "WaivedFees": [{"RefId": p.ref(f"{name}:fee"), "StateProvinceId": asn,
                        "CourseCode": "ELA30-1", "ExpiryExamPeriod": "AUG", "ExpirySchoolYear": 2026,
                        "IsUsed": True}],
        "DiplomaExamMarks": [{"RefId": ref_id, "StateProvinceId": asn, "ExamRefId": p.CLOSED_ELA,
                              "ExamMarkStatus": "RE", "ComponentMarks": p.components_for(p.CLOSED_ELA),
                              "WaivedFeeRefId": p.ref(f"{name}:fee")}]})
    return ref_id, store.mark(db, ref_id)["version"], p.ref(f"{name}:fee")


@pytest.mark.parametrize("status,released", [("NW", True), ("IC", True), ("RG", False), ("WH", False)])
def test_a_waived_fee_is_given_back_when_the_student_did_not_write(pasi, db, status, released):
    ref_id, version, fee_ref = _registration_paid_by_fee(db, f"mark:paid-{status}")
    pasi.accepted(result(ref_id, asn=p.REWRITER, status=status, value="65", version=version), "O.1")
    assert store.row(db, t.WaivedFee, ref_id=fee_ref)["is_used"] is (not released)
    link = store.row(db, t.RegistrationFee, exam_mark_ref_id=ref_id)
    assert (link is None) is released


def test_a_waived_fee_is_kept_when_the_student_already_holds_another_available_one(pasi, db):
    ref_id, version, fee_ref = _registration_paid_by_fee(db, "mark:paid-coupon", asn=p.COUPON)
    pasi.accepted(result(ref_id, asn=p.COUPON, status="NW", version=version), "O.1")
    assert store.row(db, t.WaivedFee, ref_id=fee_ref)["is_used"] is True
    assert store.row(db, t.WaivedFee, ref_id=p.ref("fee:coupon"))["is_used"] is False


def test_restoring_a_mark_unlinks_a_deleted_registration_request(pasi, db):
    store.load(db, {"RegistrationRequests": [
        {"RefId": p.ref("request:gone"), "StateProvinceId": p.S1, "Status": "Registered", "IsDeleted": True},
        {"RefId": p.ref("request:kept"), "StateProvinceId": p.S2, "Status": "Registered"}]})
    store.load(db, {"DiplomaExamMarks": [
        {"RefId": p.ref("mark:deleted-1"), "StateProvinceId": p.S1, "ExamRefId": p.OPEN_ELA,
         "ExamMarkStatus": "RE", "IsDeleted": True, "ComponentMarks": p.components_for(p.OPEN_ELA),
         "RegistrationRequestRefId": p.ref("request:gone")},
        {"RefId": p.ref("mark:deleted-2"), "StateProvinceId": p.S2, "ExamRefId": p.OPEN_ELA,
         "ExamMarkStatus": "RE", "IsDeleted": True, "ComponentMarks": p.components_for(p.OPEN_ELA),
         "RegistrationRequestRefId": p.ref("request:kept")}]})
    pasi.accepted(registration(p.ref("mark:deleted-1"), asn=p.S1))
    pasi.accepted(registration(p.ref("mark:deleted-2"), asn=p.S2))
    assert store.mark(db, p.ref("mark:deleted-1"))["registration_request_ref_id"] is None
    assert store.mark(db, p.ref("mark:deleted-2"))["registration_request_ref_id"] == p.ref("request:kept")


def test_remove_repeat_registration_marks_deletes_the_other_registrations(db):
    """The internal flag of the PASIprep screens: not in the WSDL, a handler parameter."""
    from pasi_core.kernel.caller import MINISTRY_CLIENT_USER, SUBMIT_ACADEMIC_RECORD_USER, Caller
    ministry = Caller("O.1", frozenset({SUBMIT_ACADEMIC_RECORD_USER, MINISTRY_CLIENT_USER}))
    factory = session_factory(db)

    def submit(records, **flags):
        submitted = [_as_submitted(i, r) for i, r in enumerate(records)]
        with SqlUnitOfWork(factory) as uow:
            outcomes = submit_diploma_exam_marks(uow, ministry, submitted, now=p.NOW, **flags)
            uow.commit()
        return outcomes

    first = registration(asn=p.S1, exam=p.OPEN_ELA, centre="S.0001")
    (created,) = submit([first])
    assert created.accepted
    relocated = registration(asn=p.S1, exam=p.OPEN_ELA_FRENCH, centre="S.0001")
    (rejected,) = submit([relocated])
    assert 40540 in [r.rule_id for r in rejected.rejections]
    (moved,) = submit([relocated], remove_repeat_registration_marks=True)
    assert moved.accepted
    old = store.mark(db, first["RefId"])
    assert old["is_deleted"] is True and old["version"] > created.version
    assert store.mark(db, relocated["RefId"])["is_deleted"] is False
    assert store.count(db, t.TranscriptTrigger, source_ref_id=first["RefId"]) == 2


def _as_submitted(index: int, record: dict) -> SubmittedExamMark:
    """A zeep-style record as the plain data the handler receives."""
    components = tuple(ComponentMark(c["ComponentMarkStatus"], c["ExamSittingRefId"], c.get("MarkValue"),
                                     c.get("MarkFormat"), c.get("MaximumMark"))
                       for c in record["ComponentMarks"]["ComponentMarkInfo"])
    mark = ExamMark(record["RefId"], record["StateProvinceId"], record["ExamRefId"],
                    record["ExamMarkStatus"], record.get("MarkValue"), record["IsRescored"],
                    record["IsDeleted"], components)
    return SubmittedExamMark(index, mark, record["PASICoreVersion"])
