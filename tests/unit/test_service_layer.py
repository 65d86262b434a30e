"""The service layer against fakes of its ports: batch semantics, versions, replay and
retries, with no database and no server."""
from __future__ import annotations

import pytest

from operations.replay import ReplayKey, request_hash, stored_answer
from operations.submit_credential_awarding_multiple.model import StudentRecord
from operations.submit_credential_awarding_multiple.service import award_credentials
from operations.submit_diploma_exam_mark.model import StoredExamMark, SubmittedExamMark
from operations.submit_diploma_exam_mark.service import submit_diploma_exam_marks
from operations.unit_of_work import run_retrying
from pasi_core.kernel.code_tables import CodeTables, CodeValue
from pasi_core.kernel.errors import ConcurrentUpdateDetected, RequestRejected
from pasi_core.kernel.students import Student
from tests.support.fakes import FakeCodeTables, FakeUnitOfWork
from tests.unit.test_submit_diploma_exam_mark_rules import CODES, NOW, SCHOOL, book, mark
from tests.unit.test_submit_diploma_exam_mark_rules import MINISTRY as MINISTRY_CLIENT

PINNED_HASH = "bbb0c7ec25aab8d24179dc2b6427d1759f1a3496b8eb7d5f04b6ba06983f93fb"
"""The replay hash of one fixed registration as release 0.2 computes it."""


class FakeExamMarks:
    def __init__(self, the_book):
        self.book = the_book
        self.saved: list = []

    def load_book(self, submitted, codes):
        return self.book

    def save_changes(self, changes, **kwargs):
        self.saved.extend(changes)


def submitted(*records):
    return [SubmittedExamMark(i, record, version) for i, (record, version) in enumerate(records)]


def test_a_batch_partly_succeeds_and_each_accepted_record_gets_a_new_increasing_version():
    marks = FakeExamMarks(book())
    uow = FakeUnitOfWork(exam_marks=marks, code_tables=FakeCodeTables(CODES))
    outcomes = submit_diploma_exam_marks(uow, MINISTRY_CLIENT, submitted(
        (mark("a"), 0), (mark("b", asn="999999999"), 0), (mark("c", asn="222222222",
                                                               sittings=("wr2", "ms2")), 0)), now=NOW)

    assert [o.id for o in outcomes] == ["a", "b", "c"]
    assert outcomes[0].accepted and not outcomes[1].accepted and outcomes[2].accepted
    assert [r.rule_id for r in outcomes[1].rejections] == [9059] and outcomes[1].version == 0
    assert outcomes[0].version < outcomes[2].version
    assert [change.saved.mark.ref_id for change in marks.saved] == ["a", "c"]
    assert uow.committed == 0, "the service layer never commits: its caller does"


def test_a_record_is_checked_against_the_records_accepted_before_it_in_the_batch():
    marks = FakeExamMarks(book())
    uow = FakeUnitOfWork(exam_marks=marks, code_tables=FakeCodeTables(CODES))
    first, again = submit_diploma_exam_marks(uow, SCHOOL, submitted((mark("a"), 0), (mark("a"), 0)),
                                             now=NOW)
    assert first.accepted and [r.rule_id for r in again.rejections] == [3004, 9023]  # now stored, same


def test_an_update_of_a_stored_mark_carries_its_version():
    stored = StoredExamMark(mark("a"), version=5)
    marks = FakeExamMarks(book(stored))
    uow = FakeUnitOfWork(exam_marks=marks, code_tables=FakeCodeTables(CODES))
    (stale,) = submit_diploma_exam_marks(uow, MINISTRY_CLIENT, submitted(
        (mark("a", sittings=("wr2", "ms2")), 4)), now=NOW)
    assert [r.rule_id for r in stale.rejections] == [3004]
    (fresh,) = submit_diploma_exam_marks(uow, MINISTRY_CLIENT, submitted(
        (mark("a", sittings=("wr2", "ms2")), 5)), now=NOW)
    assert fresh.accepted and fresh.version > 5


class FakeCredentials:
    def __init__(self, records):
        self.records = records
        self.saved: list = []

    def load_student_records(self, asns, *, for_update=True):
        return {asn: self.records[asn] for asn in asns if asn in self.records}

    def save_awards(self, awards, **kwargs):
        self.saved.extend(awards)


AWARDING_CODES = CodeTables({"CredentialType": {
    "AHSD": CodeValue("CredentialType", "AHSD", "Alberta High School Diploma",
                      attributes={"AwardingOrder": 1, "AllowedAfter": []})}})


def test_one_student_is_awarded_once_per_request_with_a_fresh_credential_number():
    from datetime import date

    from operations.submit_credential_awarding_multiple.model import OfficialMark
    record = StudentRecord(Student("111111111"), "Lee", "Ava", None, date(2008, 1, 1),
                           achieved={"AHSD": ("AHSD-2010",)},
                           official_marks=(OfficialMark("ELA30-1", 2026, "80", 5),))
    credentials = FakeCredentials({"111111111": record})
    uow = FakeUnitOfWork(credentials=credentials, code_tables=FakeCodeTables(AWARDING_CODES))
    first, twice = award_credentials(uow, MINISTRY_CLIENT, ["111111111", "111111111"], now=NOW,
                                     today=NOW.date())
    assert first.awarded and first.credential_type == "AHSD" and first.credential_number != "0"
    assert [r.rule_id for r in twice.rejections] == [99020]
    assert len(credentials.saved) == 1


def test_a_resubmitted_message_id_replays_and_a_reused_one_is_99010():
    uow = FakeUnitOfWork()
    key = ReplayKey("client", "message-1", "SubmitDiplomaExamMark", request_hash(
        "SubmitDiplomaExamMark", "S.0001", [["a"]]))
    assert stored_answer(uow.replays, key) is None
    uow.replays.remember(key, "m-1", b"<answer/>", NOW)
    assert stored_answer(uow.replays, key).response_body == b"<answer/>"
    other = ReplayKey("client", "message-1", "SubmitDiplomaExamMark", request_hash(
        "SubmitDiplomaExamMark", "S.0001", [["b"]]))
    with pytest.raises(RequestRejected) as reused:
        stored_answer(uow.replays, other)
    assert reused.value.rule_id == 99010 and "m-1" in reused.value.message


def test_the_replay_hash_is_a_stable_stored_format():
    """A resubmission after a deploy must still match: this value may never change (a new
    canonical form needs a new CANONICAL_FORM, knowing stored keys stop matching)."""
    from operations.submit_diploma_exam_mark import codec
    canonical = codec.canonical(submitted((mark("a", value=None), 0)))
    assert request_hash("SubmitDiplomaExamMark", "S.0001", canonical) == PINNED_HASH


def test_a_collision_runs_the_whole_unit_of_work_again_and_then_gives_up():
    attempts = []

    def work(uow):
        attempts.append(uow)
        if len(attempts) < 3:
            raise ConcurrentUpdateDetected("deadlock")
        uow.commit()
        return "done"

    assert run_retrying(lambda read_only=False: FakeUnitOfWork(), work) == "done"
    assert len(attempts) == 3 and [u.committed for u in attempts] == [0, 0, 1]
    assert all(u.rolled_back == 1 for u in attempts)

    def always(uow):
        raise ConcurrentUpdateDetected("deadlock")

    with pytest.raises(ConcurrentUpdateDetected):
        run_retrying(lambda read_only=False: FakeUnitOfWork(), always, attempts=2)
