"""Concurrent clients against two gunicorn workers sharing one database.

On PostgreSQL the batch locks its students (``SELECT … FOR UPDATE``) before
reading; on SQLite ``BEGIN IMMEDIATE`` serializes writers.  Either way two
updates of one mark sent with the same version must end with exactly one
winner and one rule 3004.
"""
from __future__ import annotations

import os
import threading

import pytest
import zeep

from persistence import models as t
from tests.support import province as p
from tests.support import store
from tests.support.servers import serving
from tests.support.soap import caller_info, outcomes, result


@pytest.fixture
def gunicorn_two_workers(db, database_url, tmp_path):
    env = dict(os.environ, PASI_DATABASE_URL=database_url, PASI_LOG_LEVEL="WARNING")
    with serving(["--dev-auth", "--workers", "2"], env=env, log_path=tmp_path / "serve.log",
                 workers=2) as server:
        yield server.base_url


def test_two_concurrent_updates_with_the_same_version_have_exactly_one_winner(db, gunicorn_two_workers):
    clients = [zeep.Client(f"{gunicorn_two_workers}/PASIService?wsdl") for _ in range(2)]
    for round_number in range(8):
        name = f"mark:contended-{round_number}"
        ref_id = p.ref(name)
        store.load(db, {"DiplomaExamMarks": [{
            "RefId": ref_id, "StateProvinceId": p.S1, "ExamRefId": p.CLOSED_ELA, "ExamMarkStatus": "RG",
            "MarkValue": "50", "ComponentMarks": p.components_for(
                p.CLOSED_ELA, status="RG", MarkValue="50", MarkFormat="PCT")}]})
        version = store.mark(db, ref_id)["version"]
        answers = [None, None]
        barrier = threading.Barrier(2)

        def update(index: int) -> None:
            record = result(ref_id, asn=p.S1, value=str(60 + index), version=version)
            barrier.wait()
            response = clients[index].service.SubmitDiplomaExamMark(request={
                "CallerInfo": caller_info("O.1"), "ExamMarks": {"ExamMarkInfo": [record]}})
            answers[index] = outcomes(response)[0]

        threads = [threading.Thread(target=update, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        winners = [a for a in answers if a.accepted]
        losers = [a for a in answers if not a.accepted]
        assert len(winners) == 1 and len(losers) == 1, answers
        assert losers[0].rules == [3004]
        stored = store.mark(db, ref_id)
        assert stored["version"] == winners[0].version
        assert stored["mark_value"] == str(60 + answers.index(winners[0]))


def test_the_same_message_sent_twice_at_once_is_applied_once(db, gunicorn_two_workers):
    """Replay-safe resubmission under two workers: one copy applies, the other replays it."""
    clients = [zeep.Client(f"{gunicorn_two_workers}/PASIService?wsdl") for _ in range(2)]
    for round_number in range(6):
        records = [result(asn=asn, value=str(50 + round_number), centre=centre)
                   for asn, centre in ((p.S1, "S.0001"), (p.S2, "S.0002"))]
        info = caller_info("O.1", f"twice-{round_number}")
        answers = [None, None]
        barrier = threading.Barrier(2)

        def send(index: int) -> None:
            barrier.wait()
            answers[index] = clients[index].service.SubmitDiplomaExamMark(
                request={"CallerInfo": info, "ExamMarks": {"ExamMarkInfo": records}})

        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert answers[0].MessageID == answers[1].MessageID
        assert outcomes(answers[0]) == outcomes(answers[1])
        assert all(o.accepted for o in outcomes(answers[0]))
        for record in records:
            assert store.count(db, t.TranscriptTrigger, source_ref_id=record["RefId"]) == 1


def test_concurrent_awards_of_one_student_award_once(db, gunicorn_two_workers):
    clients = [zeep.Client(f"{gunicorn_two_workers}/PASISystem?wsdl") for _ in range(4)]
    answers = [None] * len(clients)
    barrier = threading.Barrier(len(clients))

    def award(index: int) -> None:
        barrier.wait()
        answers[index] = clients[index].service.SubmitCredentialAwardingMultiple(request={
            "CallerInfo": caller_info("O.1"), "StateProvinceIds": {"StateProvinceId": [p.C_READY, p.C_GED]}})

    threads = [threading.Thread(target=award, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    results = [r for answer in answers for r in answer.SubmitCredentialResponses.SubmitCredentialResponse]
    for asn in (p.C_READY, p.C_GED):
        mine = [r for r in results if r.StateProvinceId == asn]
        winners = [r for r in mine if r.CredentialNumber != "0"]
        assert len(winners) == 1, [(r.CredentialNumber, r.Rejections) for r in mine]
        assert all(r.Rejections.Rejection[0].RuleId == 44010 for r in mine if r.CredentialNumber == "0")
        assert store.count(db, t.StudentCredential, asn=asn) == 1
