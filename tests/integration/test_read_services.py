"""The read side on the database: IsDataAvailable's paging and caps, and its horizon (no change
skipped when writers commit out of order, on PostgreSQL)."""
from __future__ import annotations

import threading
from itertools import product

import pytest
from sqlalchemy import select, text, update

from operations.get_diploma_exam_mark.model import RequestedMark
from operations.get_diploma_exam_mark.service import (
    certainly_readable,
    get_diploma_exam_marks,
    may_read_mark,
    readable,
)
from operations.is_data_available.model import RegisteredType, SyncLimits, SyncRequest
from operations.is_data_available.service import is_data_available
from operations.submit_diploma_exam_mark.model import ComponentMark, ExamMark, SubmittedExamMark
from operations.submit_diploma_exam_mark.service import submit_diploma_exam_marks
from pasi_core.kernel.caller import (
    MINISTRY_CLIENT_USER,
    SUBMIT_ACADEMIC_RECORD_USER,
    VIEW_TRANSCRIPT_USER,
    Caller,
)
from persistence import models as t
from persistence.database import session_factory
from persistence.unit_of_work import SqlUnitOfWorkFactory
from persistence.versions import allocate_versions, sync_horizon
from tests.support import province as p

MINISTRY = Caller("O.1", frozenset({SUBMIT_ACADEMIC_RECORD_USER, MINISTRY_CLIENT_USER,
                                    VIEW_TRANSCRIPT_USER}))
DEM = "DiplomaExamMark.2026"
STUDENTS = [p.S1, p.S2, p.S3, p.CAPACITY_1, p.CAPACITY_2, p.BUSY]


def registrations(db, asns: list[str]) -> list[tuple[str, int]]:
    """One registration per student, committed; (RefId, version) in request order."""
    units = SqlUnitOfWorkFactory(session_factory(db))
    submitted = []
    for index, asn in enumerate(asns):
        components = tuple(ComponentMark("RE", c["ExamSittingRefId"])
                           for c in p.components_for(p.OPEN_ELA))
        ref = p.ref(f"read-test:{asn}")
        submitted.append(SubmittedExamMark(index, ExamMark(ref, asn, p.OPEN_ELA, "RE", None, False,
                                                           False, components), 0))
    with units() as uow:
        outcomes = submit_diploma_exam_marks(uow, MINISTRY, submitted, now=p.NOW)
        uow.commit()
    assert all(o.accepted for o in outcomes), [o.rejections for o in outcomes]
    return [(s.mark.ref_id, o.version) for s, o in zip(submitted, outcomes, strict=True)]


def sync_once(db, since: int, limits: SyncLimits, *types: str):
    units = SqlUnitOfWorkFactory(session_factory(db))
    with units(read_only=True) as uow:
        return is_data_available(uow, MINISTRY, SyncRequest(0, tuple(
            RegisteredType(name, since) for name in (types or (DEM,)))),
            today=p.NOW.date(), now=p.NOW, limits=limits)


def test_a_sync_pages_at_its_cap_and_the_pages_together_hold_every_change(db):
    written = registrations(db, STUDENTS)
    limits = SyncLimits(per_type=4, total=100, chunk=3)
    pages, since = [], 0
    while True:
        (page,) = sync_once(db, since, limits)
        pages.append(page)
        assert page.max_version >= since
        since = page.max_version
        if not page.more_available:
            break
    assert [len(page.changes) for page in pages][:2] == [4, 2]
    everything = [(c.ref_id, c.version) for page in pages for c in page.changes]
    assert [change for change in everything if change in written] == written
    assert [v for _, v in everything] == sorted(v for _, v in everything)


def test_the_overall_cap_is_shared_by_the_types_in_order(db):
    registrations(db, STUDENTS)
    first, second = sync_once(db, 0, SyncLimits(per_type=4, total=5, chunk=2), DEM, DEM)
    assert (len(first.changes), first.more_available) == (4, True)
    assert (len(second.changes), second.more_available) == (1, True)
    assert second.max_version == second.changes[0].version


def test_the_watermark_of_a_complete_answer_is_the_horizon(db):
    written = registrations(db, STUDENTS[:2])
    (page,) = sync_once(db, written[-1][1], SyncLimits())
    units = SqlUnitOfWorkFactory(session_factory(db))
    with units(read_only=True) as uow:
        horizon = sync_horizon(uow.session)
    assert page.changes == () and page.more_available is False
    assert page.max_version == horizon - 1 >= written[-1][1]


def test_get_answers_a_thousand_refids_in_order(db):
    written = registrations(db, STUDENTS)
    asked = [RequestedMark(ref.upper() if i % 2 else ref) for i, (ref, _) in enumerate(written * 170)]
    units = SqlUnitOfWorkFactory(session_factory(db))
    with units(read_only=True) as uow:
        answers = get_diploma_exam_marks(uow, MINISTRY, asked, today=p.NOW.date(), now=p.NOW)
    assert len(answers) == len(asked) == 1020
    assert [a.ref_id for a in answers] == [item.ref_id for item in asked]
    assert {a.mark.stored.version for a in answers if a.mark} == {v for _, v in written}


@pytest.mark.postgres_only
def test_a_change_committed_before_an_earlier_version_is_held_back_until_that_one_commits(db):
    """Writer A takes a version and keeps its transaction open; writer B takes a later one and
    commits.  A reader must not be told of B's version yet (it would then ask from past A's), and
    is told of both, in order, once A commits."""
    (a_ref, _), (b_ref, _) = registrations(db, [p.S1, p.S2])
    (start,) = sync_once(db, 0, SyncLimits())
    sessions = session_factory(db)
    writer_a, writer_b = sessions(), sessions()
    try:
        (version_a,) = allocate_versions(writer_a, 1)
        writer_a.execute(update(t.ExamMark).where(t.ExamMark.ref_id == a_ref).values(version=version_a))
        (version_b,) = allocate_versions(writer_b, 1)
        assert version_b > version_a
        writer_b.execute(update(t.ExamMark).where(t.ExamMark.ref_id == b_ref).values(version=version_b))
        writer_b.commit()

        (held,) = sync_once(db, start.max_version, SyncLimits())
        assert (b_ref, version_b) not in [(c.ref_id, c.version) for c in held.changes]
        assert held.max_version < version_a

        writer_a.commit()
        (both,) = sync_once(db, held.max_version, SyncLimits())
        assert [(c.ref_id, c.version) for c in both.changes] == [(a_ref, version_a), (b_ref, version_b)]
    finally:
        writer_a.close()
        writer_b.close()


@pytest.mark.postgres_only
def test_a_rolled_back_version_stops_holding_the_horizon(db):
    registrations(db, [p.S1])
    sessions = session_factory(db)
    writer = sessions()
    (version,) = allocate_versions(writer, 1)
    reader = sessions()
    try:
        assert sync_horizon(reader) <= version
        writer.rollback()
        reader.rollback()
        assert sync_horizon(reader) > version
    finally:
        writer.close()
        reader.close()


@pytest.mark.postgres_only
def test_concurrent_writers_and_a_follower_agree_on_every_version(db):
    """Many writers commit in whatever order; a follower paging from its watermark sees every
    version each writer got."""
    sessions = session_factory(db)
    refs = [ref for ref, _ in registrations(db, STUDENTS)]
    (start,) = sync_once(db, 0, SyncLimits())
    given: list[tuple[str, int]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(refs))

    def write(ref: str) -> None:
        session = sessions()
        try:
            barrier.wait(timeout=120)
            for _ in range(5):
                (version,) = allocate_versions(session, 1)
                session.execute(update(t.ExamMark).where(t.ExamMark.ref_id == ref).values(
                    version=version))
                session.execute(text("SELECT pg_sleep(0.001 * (random() * 5))"))
                session.commit()
                with lock:
                    given.append((ref, version))
        finally:
            session.close()

    threads = [threading.Thread(target=write, args=(ref,)) for ref in refs]
    for thread in threads:
        thread.start()
    seen: dict[str, int] = {}
    watermark = start.max_version
    while True:
        alive = any(thread.is_alive() for thread in threads)
        (page,) = sync_once(db, watermark, SyncLimits(chunk=2, per_type=3))
        for change in page.changes:
            seen[change.ref_id] = max(seen.get(change.ref_id, 0), change.version)
        watermark = page.max_version
        if not alive and not page.more_available:
            break
    for thread in threads:
        thread.join()
    final = {ref: max(v for r, v in given if r == ref) for ref in refs}
    assert seen == final


def test_the_first_access_pass_never_allows_more_than_access_py(db):
    """certainly_readable decides the common cases from the mark alone, partly in SQL; it must
    stay a subset of may_read_mark's decision (operations/submit_diploma_exam_mark/access.py),
    and the passes together must give exactly that decision, for schools and authorities."""
    students = [p.S1, p.S2, p.S3, p.SECONDARY, p.DEACTIVATED, p.FORMER, p.S7, p.REWRITER, p.OTHER_PERSON]
    places = [("S.0001", ""), ("S.0002", ""), ("O.1", "special"), ("S.0001", "deleted")]
    with session_factory(db)() as session:
        for index, (asn, exam, (centre, kind), status) in enumerate(product(
                students, (p.OPEN_ELA, p.CLOSED_ELA), places, ("RE", "WR"))):
            ref = p.ref(f"parity:{index}")
            session.add(t.ExamMark(ref_id=ref, asn=asn, exam_ref_id=exam, status=status,
                                   is_deleted=index % 7 == 0, version=10_000 + index,
                                   created_utc=p.NOW, updated_utc=p.NOW, updated_by="O.1"))
            session.flush()
            for position, component in enumerate(p.components_for(exam, centre, kind)):
                session.add(t.ExamMarkComponent(exam_mark_ref_id=ref, position=position,
                                                sitting_ref_id=component["ExamSittingRefId"],
                                                status="RE"))
        session.commit()
        everything = list(session.scalars(select(t.ExamMark.ref_id)))
    units = SqlUnitOfWorkFactory(session_factory(db))
    today = p.NOW.date()
    outcomes = {}
    with units(read_only=True) as uow:
        facts = uow.exam_mark_reads.access_facts(everything)
        for organization in ("S.0001", "S.0002", "S.0003", "S.0009", "A.0001", "A.0002"):
            caller = Caller(organization, frozenset({VIEW_TRANSCRIPT_USER}))
            exact = {ref for ref, fact in facts.items()
                     if may_read_mark(caller, fact, today=today, now=p.NOW)}
            certain = certainly_readable(uow.exam_mark_reads, caller,
                                         uow.exam_mark_reads.placements(everything), today=today)
            assert certain <= exact, (organization, sorted(certain - exact))
            assert readable(uow, caller, everything, today=today, now=p.NOW) == exact, organization
            outcomes[organization] = (len(certain), len(exact))
    # The data exercises both the shortcut and the passes after it.
    assert outcomes["S.0001"][0] > 0 and outcomes["A.0001"][0] > 0
    assert any(certain < exact for certain, exact in outcomes.values()), outcomes
