"""The happy path end to end: a school registers a student through zeep."""
from persistence import models as t
from tests.support import province as p
from tests.support import store
from tests.support.soap import registration


def test_a_school_registers_its_student_and_the_mark_is_stored(pasi):
    record = registration(asn=p.S1)
    outcome = pasi.submit_one(record)

    assert outcome.accepted, outcome.messages
    assert outcome.id == record["RefId"]
    assert outcome.version > 0
    stored = store.mark(pasi.engine, record["RefId"])
    assert stored["status"] == "RE" and stored["asn"] == p.S1 and stored["version"] == outcome.version
    assert [c["sitting_ref_id"] for c in store.components(pasi.engine, record["RefId"])] == [
        c["ExamSittingRefId"] for c in record["ComponentMarks"]["ComponentMarkInfo"]]
    assert store.count(pasi.engine, t.TranscriptTrigger, source_ref_id=record["RefId"]) == 1
