"""persistence/exam_mark_repository.py on PostgreSQL: which rows a SubmitDiplomaExamMark batch
locks while its unit of work is open.  Its students always; of the sittings, only those with a
capacity that an active registration of the batch names (rule 40552).  So a results batch and a
registrations batch for the same writing centre never wait for each other.  And a mark that
moves to another student while a batch waits for its locks makes the batch a collision to retry.

Each test keeps one batch's unit of work open (validated and written, not committed) and probes
from a second connection with ``FOR NO KEY UPDATE NOWAIT`` (the lock a competing batch takes),
which fails at once on a locked row: no test here waits on a timer.  SQLite has no row locks
(``BEGIN IMMEDIATE`` serializes writers)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from operations.submit_diploma_exam_mark.model import ComponentMark, ExamMark, SubmittedExamMark
from operations.submit_diploma_exam_mark.service import submit_diploma_exam_marks
from pasi_core.kernel.caller import MINISTRY_CLIENT_USER, SUBMIT_ACADEMIC_RECORD_USER, Caller
from persistence.database import session_factory
from persistence.unit_of_work import SqlUnitOfWork
from tests.conftest import is_postgresql
from tests.support import province as p
from tests.support import store

pytestmark = pytest.mark.skipif(not is_postgresql(), reason="row locks are PostgreSQL's")

MINISTRY = Caller("O.1", frozenset({SUBMIT_ACADEMIC_RECORD_USER, MINISTRY_CLIENT_USER}))
CAPPED = p.sitting(p.OPEN_MATH, "MS", "S.0001")
"""Capacity 100, at S.0001, for an exam open for registration."""
UNCAPPED = p.ref("sitting:MAT30-1:MS:S.0001:no capacity")
WRITTEN = p.sitting(p.CLOSED_SCORE, "MS", "S.0001")
"""Capacity 100, at S.0001, for an exam already written (results)."""


@pytest.fixture
def province(db):
    math = next(e for e in p.EXAMS if e["RefId"] == p.OPEN_MATH)
    store.load(db, {"ExamSittings": [{
        "RefId": UNCAPPED, "ExamRefId": p.OPEN_MATH, "ComponentCode": "MS",
        "OrganizationCode": "S.0001", "LocationName": "Library",
        "ScheduledDtoTime": math["Components"][0]["ScheduledDtoTime"], "StudentCapacity": None}]})
    return db


def registration(asn: str, sitting: str) -> SubmittedExamMark:
    return SubmittedExamMark(0, ExamMark(p.ref(f"lock-test:{asn}:{sitting}"), asn, p.OPEN_MATH, "RE",
                                         None, False, False, (ComponentMark("RE", sitting),)), 0)


def result(asn: str) -> SubmittedExamMark:
    return SubmittedExamMark(0, ExamMark(p.ref(f"lock-test:{asn}:result"), asn, p.CLOSED_SCORE, "RG",
                                         "72", False, False,
                                         (ComponentMark("RG", WRITTEN, "72", "NUM", "100"),)), 0)


@contextmanager
def open_batch(engine, *records: SubmittedExamMark) -> Iterator[None]:
    """The batch validated and written in a unit of work held open (its locks held) until the
    block ends; then rolled back."""
    with SqlUnitOfWork(session_factory(engine)) as uow:
        outcomes = submit_diploma_exam_marks(uow, MINISTRY, records, now=p.NOW)
        assert all(o.accepted for o in outcomes), [o.rejections for o in outcomes]
        yield


def is_locked(engine, table: str, key: str, value: str, strength: str = "NO KEY UPDATE") -> bool:
    """Whether ``FOR <strength> NOWAIT`` on the row would have to wait.  NO KEY UPDATE is what a
    competing batch takes; KEY SHARE is what inserting a row that references it takes."""
    with engine.connect() as connection:
        try:
            connection.execute(text(f"SELECT 1 FROM {table} WHERE {key} = :value "
                                    f"FOR {strength} NOWAIT"), {"value": value})
        except OperationalError as error:
            assert "lock" in str(error.orig).lower(), error
            return True
        finally:
            connection.rollback()
        return False


def sitting_is_locked(engine, ref_id: str) -> bool:
    return is_locked(engine, "exam_sitting", "ref_id", ref_id)


def commits_without_waiting(engine, *records: SubmittedExamMark) -> bool:
    """Runs a second batch to its commit; a lock it would wait for fails it at once instead."""
    with SqlUnitOfWork(session_factory(engine)) as uow:
        uow.session.execute(text("SET LOCAL lock_timeout = '1ms'"))
        outcomes = submit_diploma_exam_marks(uow, MINISTRY, records, now=p.NOW)
        assert all(o.accepted for o in outcomes), [o.rejections for o in outcomes]
        uow.commit()
    return True


def test_a_registration_on_a_sitting_with_a_capacity_locks_that_sitting(province):
    with open_batch(province, registration(p.S1, CAPPED)):
        assert sitting_is_locked(province, CAPPED)
    assert not sitting_is_locked(province, CAPPED)


def test_a_registration_on_a_sitting_without_a_capacity_locks_no_sitting(province):
    with open_batch(province, registration(p.S1, UNCAPPED)):
        assert not sitting_is_locked(province, UNCAPPED)
        assert commits_without_waiting(province, registration(p.S2, UNCAPPED))


def test_a_results_batch_locks_no_sitting_even_one_with_a_capacity(province):
    with open_batch(province, result(p.S1)):
        assert not sitting_is_locked(province, WRITTEN)


def test_results_and_registrations_for_one_writing_centre_do_not_wait_for_each_other(province):
    with open_batch(province, registration(p.S1, CAPPED)):
        assert commits_without_waiting(province, result(p.S2))
    with open_batch(province, result(p.S3)):
        assert commits_without_waiting(province, registration(p.CAPACITY_1, CAPPED))


def test_two_results_batches_on_one_sitting_do_not_wait_for_each_other(province):
    with open_batch(province, result(p.S1)):
        assert commits_without_waiting(province, result(p.S2))


def test_the_locks_a_batch_holds_do_not_block_rows_that_reference_the_locked_ones(province):
    """Its students and sittings are locked FOR NO KEY UPDATE: a competing batch waits, but an
    insert referencing them (the KEY SHARE lock of a foreign key check: a result on that sitting,
    an award for that student) does not."""
    with open_batch(province, registration(p.S1, CAPPED)):
        assert is_locked(province, "student", "asn", p.S1)
        assert not is_locked(province, "student", "asn", p.S1, "KEY SHARE")
        assert not is_locked(province, "exam_sitting", "ref_id", CAPPED, "KEY SHARE")


def stored_then_deleted(engine, record: SubmittedExamMark) -> SubmittedExamMark:
    """Commits ``record``; returns the update that deletes it (its stored version)."""
    with SqlUnitOfWork(session_factory(engine)) as uow:
        submit_diploma_exam_marks(uow, MINISTRY, [record], now=p.NOW)
        uow.commit()
    version = store.mark(engine, record.mark.ref_id)["version"]
    return SubmittedExamMark(0, ExamMark(**{**record.mark.__dict__, "is_deleted": True}), version)


def test_a_deleted_registration_locks_no_sitting(province):
    deletion = stored_then_deleted(province, registration(p.S1, CAPPED))
    with open_batch(province, deletion):
        assert not sitting_is_locked(province, CAPPED)


def test_two_registrations_for_one_capped_sitting_still_serialize(province):
    with open_batch(province, registration(p.S1, CAPPED)), pytest.raises(OperationalError, match="lock"):
        commits_without_waiting(province, registration(p.S2, CAPPED))


def test_a_mark_moved_to_another_student_while_the_batch_waits_for_its_lock_is_a_collision(
        province, monkeypatch):
    """The marks a batch names are found by RefId before its students are locked, then read by
    student under the lock.  One that moved to another student in between (ASN linking in another
    transaction) is read again and refused as a collision, so the whole batch is retried."""
    from pasi_core.kernel.errors import ConcurrentUpdateDetected
    from persistence import exam_mark_repository

    record = registration(p.S1, CAPPED)
    update = stored_then_deleted(province, record)
    real_load_people = exam_mark_repository.load_people

    def load_people_while_the_mark_moves(session, asns):
        with province.begin() as other:
            other.execute(text("UPDATE exam_mark SET asn = :to WHERE ref_id = :ref"),
                          {"to": p.S2, "ref": record.mark.ref_id})
        return real_load_people(session, asns)

    monkeypatch.setattr(exam_mark_repository, "load_people", load_people_while_the_mark_moves)
    with pytest.raises(ConcurrentUpdateDetected), SqlUnitOfWork(session_factory(province)) as uow:
        submit_diploma_exam_marks(uow, MINISTRY, [update], now=p.NOW)


def test_a_refid_taken_for_another_student_while_the_batch_waits_for_its_lock_is_a_collision(
        province, monkeypatch):
    """The same RefId registered for another student, committed between the batch's first read
    and its lock: the batch's COPY meets the other's key, and that is a collision to retry (the
    retry then finds the mark and refuses it by the rules), not a server error."""
    from pasi_core.kernel.errors import ConcurrentUpdateDetected
    from persistence import exam_mark_repository

    mine = registration(p.S2, UNCAPPED)
    theirs = SubmittedExamMark(0, ExamMark(**{**registration(p.S1, UNCAPPED).mark.__dict__,
                                              "ref_id": mine.mark.ref_id}), 0)
    real_load_people = exam_mark_repository.load_people
    raced: list[bool] = []

    def load_people_while_another_batch_commits(session, asns):
        if not raced:
            raced.append(True)
            with SqlUnitOfWork(session_factory(province)) as other:
                assert all(o.accepted for o in submit_diploma_exam_marks(other, MINISTRY, [theirs],
                                                                         now=p.NOW))
                other.commit()
        return real_load_people(session, asns)

    monkeypatch.setattr(exam_mark_repository, "load_people", load_people_while_another_batch_commits)
    with pytest.raises(ConcurrentUpdateDetected), SqlUnitOfWork(session_factory(province)) as uow:
        submit_diploma_exam_marks(uow, MINISTRY, [mine], now=p.NOW)
        uow.commit()
    assert store.mark(province, mine.mark.ref_id)["asn"] == p.S1
