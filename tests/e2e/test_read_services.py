"""The read side through zeep against a live server: GetDiplomaExamMark, IsDataAvailable
(PASIService), GetStudentCredentials and GetDocumentOrders (PASISystem).

Every response is validated against the committed XSD by the zeep plugin (tests/support/soap.py).
"""
from __future__ import annotations

import threading
import uuid

import pytest
from zeep.exceptions import Fault

from persistence import models as t
from tests.support import province as p
from tests.support import store
from tests.support.soap import caller_info, registration, result

YEAR = 2026
"""The school year of the fixture's open June 2026 exams."""
DEM = f"DiplomaExamMark.{YEAR}"


def get_marks(client, items: list[tuple[str, int | None]], organization: str = "S.0001"):
    request_items = [{"RefId": ref, **({"ExpectedVersion": v} if v is not None else {})}
                     for ref, v in items]
    answer = client.service.GetDiplomaExamMark(request={
        "CallerInfo": caller_info(organization), "ExamMarks": {"DiplomaExamMarkRequestItem": request_items}})
    return list(answer.DiplomaExamMarks.DiplomaExamMarkResponse) if answer.DiplomaExamMarks else []


def sync(client, types: list[tuple[str, int]], organization: str = "O.1"):
    answer = client.service.IsDataAvailable(request={
        "CallerInfo": caller_info(organization), "WaitTimeInMinutes": 0,
        "NotificationTypes": {"DataNotificationRequestTypeInfo": [
            {"NotificationType": name, "MaxPASICoreVersion": version} for name, version in types]}})
    return list(answer.Results.DataNotificationResultTypeInfo)


def changes_of(type_result) -> list[tuple[str, int]]:
    items = type_result.Changes.DataNotificationIdVersion if type_result.Changes else []
    return [(item.Id, item.PASICoreVersion) for item in items]


# --- GetDiplomaExamMark ----------------------------------------------------------------------
def test_a_school_that_lost_a_version_reads_the_mark_back_and_updates_it(pasi, zeep_client):
    record = registration(asn=p.S1)
    created = pasi.accepted(record)

    (answer,) = get_marks(zeep_client, [(record["RefId"].upper(), None)])
    assert answer.RefId == record["RefId"].upper()
    assert answer.AvailabilityStatus == "Normal"
    mark = answer.ExamMark
    assert (mark.RefId, mark.StateProvinceId, mark.ExamRefId, mark.ExamMarkStatus) == (
        record["RefId"], p.S1, p.OPEN_ELA, "RE")
    assert mark.PASICoreVersion == created.version and mark.IsDeleted is False
    assert [c.ExamSittingRefId for c in mark.ComponentMarks.ComponentMarkInfo] == [
        c["ExamSittingRefId"] for c in record["ComponentMarks"]["ComponentMarkInfo"]]
    assert mark.EffectiveUtc is not None

    # What came back is what SubmitDiplomaExamMark takes: update it with the version read.
    moved = registration(record["RefId"], asn=p.S1, centre="S.0002", version=mark.PASICoreVersion)
    updated = pasi.accepted(moved)
    assert updated.version > created.version
    (again,) = get_marks(zeep_client, [(record["RefId"], updated.version)])
    assert again.AvailabilityStatus == "Normal" and again.ExamMark.PASICoreVersion == updated.version


def test_each_refid_is_answered_in_the_order_given_with_its_availability(pasi, zeep_client):
    own = pasi.accepted(registration(asn=p.S1)).id
    elsewhere = pasi.accepted(result(asn=p.S7, centre="S.0002"), "O.1").id
    unknown, malformed = str(uuid.uuid4()), "not-a-guid"

    answers = get_marks(zeep_client, [(unknown, None), (own, None), (elsewhere, None), (malformed, 0)])
    assert [(a.RefId, a.AvailabilityStatus) for a in answers] == [
        (unknown, "Unknown"), (own, "Normal"), (elsewhere, "No Access"), (malformed, "Unknown")]
    assert [a.ExamMark is not None for a in answers] == [False, True, False, False]


@pytest.mark.parametrize(("organization", "sees_s1", "sees_s3", "sees_s7"), [
    ("S.0001", True, False, False),   # its own students only
    ("S.0002", False, True, True),    # its student, and a mark written there
    ("A.0001", True, True, True),     # the students of its schools, and what its schools hold
    ("A.0002", False, False, True),   # S7 is enrolled at its school S.0003
    ("O.1", True, True, True),        # the Ministry reads everything
])
def test_who_may_read_a_mark_is_who_may_change_it(pasi, zeep_client, organization, sees_s1, sees_s3,
                                                  sees_s7):
    # S1 registered at its school S.0001; S3 (of S.0002) and S7 (of S.0003) wrote at S.0002.
    marks = [pasi.accepted(registration(asn=p.S1)).id,
             pasi.accepted(result(asn=p.S3, centre="S.0002"), "O.1").id,
             pasi.accepted(result(asn=p.S7, centre="S.0002"), "O.1").id]
    statuses = [a.AvailabilityStatus for a in get_marks(zeep_client, [(m, None) for m in marks],
                                                        organization)]
    assert statuses == ["Normal" if sees else "No Access" for sees in (sees_s1, sees_s3, sees_s7)]


def test_a_mark_written_at_a_school_is_readable_there_though_the_student_is_not_its_own(pasi, zeep_client):
    # S7 (enrolled at S.0003) wrote at S.0001: S.0001 owns the component records.
    mark = pasi.accepted(result(asn=p.S7, centre="S.0001"), "O.1").id
    (answer,) = get_marks(zeep_client, [(mark, None)], "S.0001")
    assert answer.AvailabilityStatus == "Normal"
    (other,) = get_marks(zeep_client, [(mark, None)], "S.0002")
    assert other.AvailabilityStatus == "No Access"


def test_an_expected_version_that_differs_stops_the_answer_there(pasi, zeep_client):
    first = pasi.accepted(registration(asn=p.S1))
    second = pasi.accepted(registration(asn=p.S2))
    third = pasi.accepted(registration(asn=p.CAPACITY_1))
    answers = get_marks(zeep_client, [(first.id, first.version), (second.id, second.version + 7),
                                      (third.id, 0)])
    assert [(a.RefId, a.AvailabilityStatus) for a in answers] == [(first.id, "Normal")]
    equal = get_marks(zeep_client, [(first.id, first.version), (second.id, 0), (third.id, third.version)])
    assert [a.AvailabilityStatus for a in equal] == ["Normal"] * 3


def test_a_deleted_mark_is_returned_as_deleted(pasi, zeep_client):
    record = registration(asn=p.S1)
    created = pasi.accepted(record)
    deleted = pasi.accepted({**record, "IsDeleted": True, "PASICoreVersion": created.version})
    (answer,) = get_marks(zeep_client, [(record["RefId"], deleted.version)])
    assert answer.AvailabilityStatus == "Normal"
    assert answer.ExamMark.IsDeleted is True and answer.ExamMark.PASICoreVersion == deleted.version


def test_a_get_is_audited_and_changes_nothing(pasi, zeep_client):
    mark = pasi.accepted(registration(asn=p.S1))
    audit_rows = store.count(pasi.engine, t.RequestAudit)
    get_marks(zeep_client, [(mark.id, None)])
    assert store.count(pasi.engine, t.RequestAudit) == audit_rows + 1
    assert store.mark(pasi.engine, mark.id)["version"] == mark.version
    with pasi.engine.connect() as connection:
        latest = connection.execute(t.RequestAudit.__table__.select().order_by(
            t.RequestAudit.sequence.desc()).limit(1)).mappings().one()
    assert (latest["operation"], latest["outcome"], latest["record_count"]) == ("GetDiplomaExamMark", "ok", 1)


# --- IsDataAvailable -------------------------------------------------------------------------
def test_a_sync_returns_every_change_since_a_version_in_version_order(pasi, zeep_client):
    (start,) = sync(zeep_client, [(DEM, 0)])
    watermark = start.MaxPASICoreVersion
    written = [pasi.accepted(registration(asn=asn)) for asn in (p.S1, p.S2, p.CAPACITY_1)]
    pasi.accepted(result(asn=p.REWRITER, exam=p.PRIOR_ELA), "O.1")  # 2025: not in DEM.2026

    (answer,) = sync(zeep_client, [(DEM, watermark)])
    assert answer.NotificationType == DEM and answer.MoreAvailable is False
    assert changes_of(answer) == [(o.id, o.version) for o in written]
    assert answer.MaxPASICoreVersion >= written[-1].version

    (caught_up,) = sync(zeep_client, [(DEM, answer.MaxPASICoreVersion)])
    assert changes_of(caught_up) == [] and caught_up.MaxPASICoreVersion == answer.MaxPASICoreVersion


def test_a_record_changed_again_is_reported_once_with_its_latest_version(pasi, zeep_client):
    (start,) = sync(zeep_client, [(DEM, 0)])
    record = registration(asn=p.S1)
    created = pasi.accepted(record)
    updated = pasi.accepted(registration(record["RefId"], asn=p.S1, centre="S.0002",
                                         version=created.version))
    (answer,) = sync(zeep_client, [(DEM, start.MaxPASICoreVersion)])
    assert changes_of(answer) == [(record["RefId"], updated.version)]


def test_a_school_is_told_only_of_marks_it_may_read(pasi, zeep_client):
    (start,) = sync(zeep_client, [(DEM, 0)], "S.0001")
    own = pasi.accepted(registration(asn=p.S1))
    other = pasi.accepted(result(asn=p.S7, centre="S.0002"), "O.1")  # of S.0003, written at S.0002
    (answer,) = sync(zeep_client, [(DEM, start.MaxPASICoreVersion)], "S.0001")
    assert changes_of(answer) == [(own.id, own.version)]
    (theirs,) = sync(zeep_client, [(DEM, start.MaxPASICoreVersion)], "S.0003")
    assert changes_of(theirs) == [(other.id, other.version)]


def test_several_types_are_answered_in_the_order_asked(pasi, zeep_client):
    mark = pasi.accepted(registration(asn=p.S1))
    answers = sync(zeep_client, [(DEM, mark.version - 1), ("DiplomaExamMark.2025", 0)])
    assert [a.NotificationType for a in answers] == [DEM, "DiplomaExamMark.2025"]
    assert changes_of(answers[0]) == [(mark.id, mark.version)]
    assert mark.id not in {ref for ref, _ in changes_of(answers[1])}


@pytest.mark.parametrize(("notification_type", "rule", "message"), [
    ("DiplomaExamMark", 3008, "Missing School Year. The School Year must be provided with the "
                              "following Types: (DiplomaExamMark)"),
    ("Student.2024", 3006, "Unexpected School Year. The School Year must not be provided with the "
                           "following Types: (Student.2024)"),
    ("diplomaExamMark.2024", 3005, "Invalid Type and/or School Year. The Type must be a valid Type "
                                   "and if a School Year is provided it must be between 1905 and "
                                   "2100. (diplomaExamMark.2024)"),
    ("DiplomaExamMark.2101", 3005, "(DiplomaExamMark.2101)"),
    ("DiplomaExamMark.20252026", 3005, "(DiplomaExamMark.20252026)"),
])
def test_notification_type_rules_are_returned_in_a_3001_fault(pasi, zeep_client, notification_type,
                                                              rule, message):
    with pytest.raises(Fault) as raised:
        sync(zeep_client, [(notification_type, 0)])
    detail = raised.value.detail
    texts = [e.findtext("{*}Text") for e in detail.iter("{*}FaultError")]
    assert detail.findtext(".//{*}RuleId") == "3001"
    assert any(text.startswith(f"{rule}: ") and message in text for text in texts), texts


def test_several_bad_types_are_listed_in_one_message(zeep_client, db):
    with pytest.raises(Fault) as raised:
        sync(zeep_client, [("DiplomaExamMark", 0), ("CourseEnrolment", 0), (DEM, 0)])
    texts = [e.findtext("{*}Text") for e in raised.value.detail.iter("{*}FaultError")]
    assert any("(DiplomaExamMark, CourseEnrolment)" in text and text.startswith("3008") for text in texts)


def test_a_second_client_kept_in_sync_ends_with_exactly_the_rows_written_by_concurrent_writers(
        pasi, zeep_client):
    """Two SIS write at once while a third client follows them with IsDataAvailable and
    GetDiplomaExamMark only; at the end its copy is exactly the database's rows."""
    (start,) = sync(zeep_client, [(DEM, 0)])
    students = [p.S1, p.S2, p.CAPACITY_1, p.CAPACITY_2, p.BUSY, p.S3]  # results of January 2026
    errors: list[BaseException] = []

    def writer(asns: list[str], organization: str, rounds: int) -> None:
        try:
            versions: dict[str, tuple[str, int]] = {}
            for round_number in range(rounds):
                for asn in asns:
                    known = versions.get(asn)
                    record = result(known[0] if known else None, asn=asn, value=str(50 + round_number),
                                    version=known[1] if known else 0)
                    outcome = pasi.submit_one(record, organization)
                    assert outcome.accepted, outcome.rules
                    versions[asn] = (record["RefId"], outcome.version)
        except BaseException as error:
            errors.append(error)

    copy: dict[str, tuple[int, str, bool]] = {}
    watermark = start.MaxPASICoreVersion

    def follow() -> None:
        nonlocal watermark
        (answer,) = sync(zeep_client, [(DEM, watermark)])
        changes = changes_of(answer)
        fetched = get_marks(zeep_client, changes, "O.1") if changes else []
        for item in fetched:
            mark = item.ExamMark
            copy[mark.RefId] = (mark.PASICoreVersion, mark.MarkValue, mark.IsDeleted)
        # A Get that stops short met a mark changed since the sync (its expected version differs):
        # as PASI says, try again, from the same watermark.
        if len(fetched) == len(changes):
            watermark = answer.MaxPASICoreVersion

    threads = [threading.Thread(target=writer, args=(students[:3], "O.1", 6)),
               threading.Thread(target=writer, args=(students[3:], "O.1", 6))]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        follow()
    for thread in threads:
        thread.join()
    follow()
    assert not errors, errors

    with pasi.engine.connect() as connection:
        rows = connection.execute(t.ExamMark.__table__.select().where(
            t.ExamMark.asn.in_(students), t.ExamMark.exam_ref_id == p.CLOSED_ELA)).mappings().all()
    expected = {row["ref_id"]: (row["version"], row["mark_value"], row["is_deleted"]) for row in rows}
    assert len(expected) == len(students)
    assert {ref.lower(): value for ref, value in copy.items()} == expected


# --- PASISystem: a student's credentials and document orders ---------------------------------
def get_credentials(pasi_system, asns: list[str]):
    answer = pasi_system.client.service.GetStudentCredentials(request={
        "CallerInfo": caller_info("O.1"), "StateProvinceIds": {"StateProvinceId": asns}})
    return list(answer.Students.StudentCredentialsGetResponseItem)


def get_orders(pasi_system, asns: list[str]):
    answer = pasi_system.client.service.GetDocumentOrders(request={
        "CallerInfo": caller_info("O.1"), "StateProvinceIds": {"StateProvinceId": asns}})
    return list(answer.Students.StudentDocumentOrders)


def rule_ids(item) -> list[int]:
    return [r.RuleId for r in item.Rejections.Rejection] if item.Rejections else []


def listed(holder, name: str) -> list:
    return list(getattr(holder, name)) if holder is not None else []


def test_the_ministry_reads_what_was_awarded_with_each_credentials_status(pasi_system):
    (awarded,) = pasi_system.awards([p.C_READY])
    assert awarded.PASICoreVersion > 0, awarded.Rejections
    ready, secondary, unknown, deactivated, earlier = get_credentials(
        pasi_system, [p.C_READY, p.C_SECONDARY, p.UNKNOWN, p.C_DEACTIVATED, p.C_AWARDED])

    assert ready.StateProvinceId == p.C_READY and rule_ids(ready) == []
    (credential,) = listed(ready.Credentials, "StudentCredentialInfo")
    assert (credential.CredentialNumber, credential.StateProvinceId, credential.CredentialType,
            credential.IsActive, credential.IsDeleted, credential.PASICoreVersion) == (
        awarded.CredentialNumber, p.C_READY, awarded.CredentialType, True, False, awarded.PASICoreVersion)
    # A Secondary ASN answers for the whole person.
    assert [c.CredentialNumber for c in listed(secondary.Credentials, "StudentCredentialInfo")] == [
        awarded.CredentialNumber]
    assert rule_ids(unknown) == [9002] and listed(unknown.Credentials, "StudentCredentialInfo") == []
    assert rule_ids(deactivated) == [9009]
    assert [c.CredentialNumber for c in listed(earlier.Credentials, "StudentCredentialInfo")] == [
        p.AWARDED_NUMBER]


def test_the_ministry_reads_a_students_placed_orders_with_only_that_students_items(pasi_system):
    from tests.e2e.test_document_orders import item, order
    placed = pasi_system.order(**order([item(), item(asn=p.C_READY, document_type="TRANSCRIPT",
                                                    credential=None)]))
    assert placed.DocumentOrderId > 0, placed.Rejections
    pasi_system.order(**order([item(asn=p.C_AWARDED, document_type="TRANSCRIPT", credential=None)],
                              status="UnderConstruction"))

    awarded, ready, nothing = get_orders(pasi_system, [p.C_AWARDED, p.C_READY, p.C_NOTHING])
    (only,) = listed(awarded.DocumentOrders, "DocumentOrdersGetInfo")  # the cart is not placed
    assert (only.DocumentOrderId, only.OrderStatus, only.PASICoreVersion) == (
        placed.DocumentOrderId, "Ordered", placed.PASICoreVersion)
    (line,) = only.DocumentOrderItems.DocumentOrdersGetResponseItem
    assert (line.DocumentOrderItemNumber, line.StateProvinceId, line.CredentialNumber,
            line.OrderItemStatus) == (1, p.C_AWARDED, p.AWARDED_NUMBER, "Ordered")
    (theirs,) = listed(ready.DocumentOrders, "DocumentOrdersGetInfo")
    assert [i.StateProvinceId for i in theirs.DocumentOrderItems.DocumentOrdersGetResponseItem] == [
        p.C_READY]
    assert rule_ids(nothing) == [] and listed(nothing.DocumentOrders, "DocumentOrdersGetInfo") == []


def test_a_school_cannot_use_the_system_reads(pasi_system):
    with pytest.raises(Fault) as raised:
        pasi_system.client.service.GetStudentCredentials(request={
            "CallerInfo": caller_info("S.0001"), "StateProvinceIds": {"StateProvinceId": [p.C_READY]}})
    assert raised.value.detail.findtext(".//{*}RuleId") == "1007"


def test_values_with_markup_characters_come_back_intact(pasi, zeep_client):
    components = [dict(c, SuppliedContactName="Lee & <Park> \"Jr.\"")
                  for c in p.components_for(p.OPEN_ELA)]
    record = registration(asn=p.S1, components=components)
    pasi.accepted(record)
    (answer,) = get_marks(zeep_client, [(record["RefId"], None)])
    assert [c.SuppliedContactName for c in answer.ExamMark.ComponentMarks.ComponentMarkInfo] == [
        "Lee & <Park> \"Jr.\""] * len(components)
    (odd,) = get_marks(zeep_client, [("<&>", None)])
    assert (odd.RefId, odd.AvailabilityStatus) == ("<&>", "Unknown")


def test_a_school_reads_the_other_marks_of_a_student_registered_to_write_there(pasi, zeep_client):
    """The association "By Exam Registration": S7 (of S.0003) wrote at S.0002; once registered to
    write an exam still to come at S.0001, S.0001 reaches the student's marks."""
    earlier = pasi.accepted(result(asn=p.S7, centre="S.0002"), "O.1").id
    (before,) = get_marks(zeep_client, [(earlier, None)], "S.0001")
    assert before.AvailabilityStatus == "No Access"
    pasi.accepted(registration(asn=p.S7, exam=p.OPEN_MATH, centre="S.0001"), "O.1")
    (after,) = get_marks(zeep_client, [(earlier, None)], "S.0001")
    assert after.AvailabilityStatus == "Normal"
    (start,) = sync(zeep_client, [(DEM, 0)], "S.0001")
    assert earlier in {ref for ref, _ in changes_of(start)}
