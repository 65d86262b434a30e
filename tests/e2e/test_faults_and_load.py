"""Faults and load against two gunicorn workers sharing the configured database.

The server runs on the real clock, so every test loads its own exams and
sittings with deadlines relative to the real current time (besides the
fixture province the ``db`` fixture loads).  Requests are raw SOAP
envelopes (a 3,000-record batch is too slow to build with zeep) and every
answer is parsed and validated against the committed XSD.

a. A worker killed with SIGKILL in the middle of a large batch leaves
   nothing half-applied, and the batch can be resubmitted.
b. The database connection cut mid-request (PostgreSQL: ``pg_terminate_backend``
   on the server's backends; SQLite: see the test's docstring).
c. Concurrent registrations never overfill a sitting (40552) nor duplicate a
   registration (40540).
d. Concurrent updates of the same marks with the same versions: one winner
   per mark and version, every loser gets 3004.
"""
from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import requests
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.engine import Engine, make_url

from pasi_core.kernel.school_years import school_year_of
from persistence import models as t
from tests.support import store
from tests.support.servers import ServedProcess, serving
from tests.support.soap import (
    COMMON_NS,
    SERVICE_NS,
    SOAP_ENV,
    Outcome,
    committed_schema,
    exam_marks_envelope,
    validate_response_envelope,
)

SERVER_APPLICATION_NAME = "pasi-faults-and-load"
"""The server's PostgreSQL application_name (PGAPPNAME), to find its backends."""

SCHEMA = committed_schema()
_P = f"{{{SERVICE_NS}}}"
_C = f"{{{COMMON_NS}}}"
_ENV = f"{{{SOAP_ENV}}}"

BATCH_STUDENTS = 1_500
"""A registration and a result per student: 3,000 records per batch."""
ALREADY_EXISTS_RULES = {3004, 9023, 40540}


class WorkerEnded(Exception):
    """The front's 502: the worker ended before it answered (what a dropped connection is
    when ``serve``'s front stands before the workers)."""


DROPPED = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, WorkerEnded)
"""What the client sees when the worker dies before answering in full."""


# --- the server -----------------------------------------------------------------------------
Gunicorn = ServedProcess


@pytest.fixture
def gunicorn(db, database_url, tmp_path):
    """``pasi-core serve --dev-auth --workers 2`` on the test database, through the one harness."""
    env = dict(os.environ, PASI_DATABASE_URL=database_url, PASI_LOG_LEVEL="WARNING",
               PGAPPNAME=SERVER_APPLICATION_NAME)
    with serving(["--dev-auth", "--workers", "2"], env=env, log_path=tmp_path / "serve.log",
                 workers=2) as server:
        yield server


def _established_socket_inodes(port: int) -> set[int]:
    """Inodes of the sockets a gunicorn worker serves a request on: the accepted end of a
    connection to the front's private Unix socket (or, without the front, of a TCP
    connection to ``port``)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], int(fields[9])
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
            fields = line.split()
            # Num RefCount Protocol Flags Type St Inode Path; St 03 is connected.
            if len(fields) == 8 and fields[5] == "03" and fields[7].endswith("/backend.sock"):
                inodes.add(int(fields[6]))
    return inodes


def _worker_serving(server: Gunicorn) -> int | None:
    """The worker holding the (only) request in progress, found through /proc."""
    inodes = _established_socket_inodes(server.port)
    for pid in server.workers():
        try:
            descriptors = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
            except OSError:
                continue
            if target.startswith("socket:[") and int(target[8:-1]) in inodes:
                return pid
    return None


# --- what the server is doing, seen from the database ---------------------------------------
class DatabaseProbe:
    """Is a server worker inside a database transaction right now?

    PostgreSQL: a backend with the server's application_name has an open
    transaction (``pg_stat_activity.xact_start``).  SQLite: the write lock is
    taken (every transaction here is ``BEGIN IMMEDIATE``), so our own
    ``BEGIN IMMEDIATE`` without a busy timeout fails."""

    def __init__(self, database_url: str):
        url = make_url(database_url)
        self.postgresql = url.get_backend_name() == "postgresql"
        if self.postgresql:
            conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._pg = psycopg.connect(conninfo, autocommit=True)
        else:
            self._path = url.database

    def close(self) -> None:
        if self.postgresql:
            self._pg.close()

    def server_in_transaction(self) -> bool:
        if self.postgresql:
            return self._pg.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = %s AND xact_start IS NOT NULL",
                (SERVER_APPLICATION_NAME,)).fetchone()[0] > 0
        connection = sqlite3.connect(self._path, timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            assert "locked" in str(error) or "busy" in str(error), error
            return True
        finally:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            connection.close()
        return False

    def wait_for_transaction(self, timeout: float = 60) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server_in_transaction():
                return time.monotonic()
            time.sleep(0.002)
        raise AssertionError("the server never opened a transaction")

    def wait_until_quiet(self, timeout: float = 60) -> None:
        """No server transaction left open (a killed worker's backend has rolled back)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.server_in_transaction():
                return
            time.sleep(0.02)
        raise AssertionError("a server transaction is still open")

    def terminate_server_backends(self) -> int:
        """pg_terminate_backend on every backend of the server's connections."""
        assert self.postgresql
        rows = self._pg.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = %s AND pid <> pg_backend_pid()",
            (SERVER_APPLICATION_NAME,)).fetchall()
        return sum(1 for (terminated,) in rows if terminated)


@pytest.fixture
def probe(database_url):
    probe = DatabaseProbe(database_url)
    yield probe
    probe.close()


# --- reference data on the real clock -------------------------------------------------------
def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def iso(moment: datetime) -> str:
    return moment.isoformat() + "Z"


def new_ref() -> str:
    return str(uuid.uuid4())


@dataclass
class Exam:
    ref_id: str
    course: str
    sittings: list[str]
    """One sitting per component, at S.0001."""

    def document(self, *, deadline: datetime, writes: datetime, capacity: int | None) -> dict:
        components = ("WR", "MS") if len(self.sittings) == 2 else ("MS",)
        return {
            "DiplomaExams": [{
                "RefId": self.ref_id, "CourseCode": self.course, "CourseName": f"Course {self.course}",
                "SchoolYear": school_year_of(writes), "ExamPeriod": "JUN", "ExamLanguage": "E",
                "ExamType": "DPE", "MarkFormat": "PCT", "RegistrationDeadlineUtc": iso(deadline),
                "Components": [{"ComponentCode": code, "NameEnglish": code, "IsMarkReportable": True,
                                "ScheduledDtoTime": iso(writes + timedelta(days=i))}
                               for i, code in enumerate(components)]}],
            "ExamSittings": [{
                "RefId": sitting, "ExamRefId": self.ref_id, "ComponentCode": code,
                "OrganizationCode": "S.0001", "LocationName": "Gymnasium",
                "ScheduledDtoTime": iso(writes + timedelta(days=i)), "StudentCapacity": capacity}
                for i, (code, sitting) in enumerate(zip(components, self.sittings))]}


def load_exam(engine: Engine, course: str, *, is_open: bool, components: int = 2,
              capacity: int | None = None) -> Exam:
    """An exam open for registration (deadline in 30 days) or closed (results may be posted)."""
    now = utc_now()
    exam = Exam(new_ref(), course, [new_ref() for _ in range(components)])
    if is_open:
        document = exam.document(deadline=now + timedelta(days=30), writes=now + timedelta(days=90),
                                 capacity=capacity)
    else:
        document = exam.document(deadline=now - timedelta(days=90), writes=now - timedelta(days=40),
                                 capacity=capacity)
    store.load(engine, document)
    return exam


def load_students(engine: Engine, first: int, count: int) -> list[str]:
    """Students enrolled at S.0001 this school year and the previous one (rule 9059)."""
    year = school_year_of(utc_now())
    asns = [f"{first + i:09d}" for i in range(count)]
    store.load(engine, {
        "Students": [{"StateProvinceId": asn, "LegalLastName": "Load", "LegalFirstName": "Fault"}
                     for asn in asns],
        "SchoolEnrolments": [{"StateProvinceId": asn, "OrganizationCode": "S.0001", "SchoolYear": y}
                             for asn in asns for y in (year - 1, year)]})
    return asns


def registration(asn: str, exam: Exam, ref_id: str | None = None) -> dict:
    return {"RefId": ref_id or new_ref(), "StateProvinceId": asn, "ExamRefId": exam.ref_id,
            "ExamMarkStatus": "RE", "IsRescored": False, "IsDeleted": False, "PASICoreVersion": 0,
            "ComponentMarks": [{"ComponentMarkStatus": "RE", "ExamSittingRefId": s}
                               for s in exam.sittings]}


def result(asn: str, exam: Exam, value: str, *, ref_id: str | None = None, version: int = 0) -> dict:
    return {"RefId": ref_id or new_ref(), "StateProvinceId": asn, "ExamRefId": exam.ref_id,
            "ExamMarkStatus": "RG", "MarkValue": value, "IsRescored": False, "IsDeleted": False,
            "PASICoreVersion": version,
            "ComponentMarks": [{"ComponentMarkStatus": "RG", "ExamSittingRefId": s,
                                "MarkValue": value, "MarkFormat": "PCT"} for s in exam.sittings]}


# --- raw SOAP ---------------------------------------------------------------------------------
def envelope(records: list[dict], organization: str, message_id: str | None = None) -> bytes:
    return exam_marks_envelope({
        "ClientMessageID": message_id or f"faults-{uuid.uuid4().hex[:16]}", "SentUtcTime": iso(utc_now()),
        "Software": {"Manufacturer": "Fault Tests", "Product": "Fault SIS", "Version": "1",
                     "BuildNumber": "1"},
        "OrganizationCode": organization}, records)


@dataclass
class Answer:
    http_status: int
    message_id: str
    outcomes: list[Outcome] | None = None
    fault_code: str | None = None
    rule_id: int | None = None

    @property
    def is_fault(self) -> bool:
        return self.fault_code is not None


def read_answer(response: requests.Response) -> Answer:
    """A complete SOAP answer matching the committed XSD, or an AssertionError."""
    content_type = response.headers.get("Content-Type", "")
    assert content_type.startswith("text/xml"), (response.status_code, content_type, response.text[:500])
    root = etree.fromstring(response.content)
    validate_response_envelope(root, SCHEMA)
    payload = root.find(_ENV + "Body")[0]
    if payload.tag == _ENV + "Fault":
        detail = payload.find("detail")[0]
        return Answer(response.status_code, detail.findtext(_C + "MessageID"),
                      fault_code=payload.findtext("faultcode").split(":", 1)[-1],
                      rule_id=int(detail.findtext(_C + "RuleId")))
    assert response.status_code == 200, response.status_code
    result_element = payload.find(_P + "SubmitDiplomaExamMarkResult")
    outcomes = []
    for item in result_element.find(_C + "SubmitResponses").findall(_C + "SubmitResponse"):
        rejections = item.find(_C + "Rejections").findall(_C + "Rejection")
        outcomes.append(Outcome(item.findtext(_C + "Id"), int(item.findtext(_C + "PASICoreVersion")),
                                [int(r.findtext(_C + "RuleId")) for r in rejections],
                                [r.findtext(_C + "Message") for r in rejections],
                                [r.findtext(_C + "FieldPath") for r in rejections]))
    return Answer(response.status_code, result_element.findtext(_C + "MessageID"), outcomes)


def submit(server: Gunicorn, records: list[dict], organization: str = "O.1",
           message_id: str | None = None, payload: bytes | None = None) -> Answer:
    response = requests.post(server.service_url, data=payload or envelope(records, organization, message_id),
                             headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=300)
    answer = read_answer(response)
    assert not answer.is_fault, (answer.fault_code, answer.rule_id, server.log_tail())
    assert [o.id for o in answer.outcomes] == [r["RefId"].lower() for r in records]
    return answer


# --- the state of a batch in the database ---------------------------------------------------
@dataclass
class Batch:
    """A batch whose records are all on exams of its own (so its rows are easy to find)."""

    exams: list[Exam]
    records: list[dict]
    message_id: str = field(default_factory=lambda: f"batch-{uuid.uuid4().hex[:16]}")

    @property
    def refs(self) -> set[str]:
        return {r["RefId"].lower() for r in self.records}

    def payload(self, message_id: str | None = None) -> bytes:
        return envelope(self.records, "O.1", message_id or self.message_id)


def large_batch(engine: Engine, students: list[str], label: str) -> Batch:
    """A registration (open exam) and a result (closed exam) per student, as O.1."""
    open_exam = load_exam(engine, f"RG{label}", is_open=True)
    closed_exam = load_exam(engine, f"RS{label}", is_open=False)
    records = [record for asn in students for record in (
        registration(asn, open_exam), result(asn, closed_exam, str(40 + int(asn) % 60)))]
    return Batch([open_exam, closed_exam], records)


def applied_state(engine: Engine, batch: Batch) -> bool:
    """Assert that the batch is stored entirely, with its side effects, or not at all;
    return which."""
    exam_ids = [e.ref_id for e in batch.exams]
    courses = [e.course for e in batch.exams]
    sittings = [s for e in batch.exams for s in e.sittings]
    mark, component, trigger = t.ExamMark, t.ExamMarkComponent, t.TranscriptTrigger
    with engine.connect() as connection:
        marks = {row.ref_id: row for row in connection.execute(
            select(mark.ref_id, mark.version, mark.status, mark.is_deleted).where(
                mark.exam_ref_id.in_(exam_ids)))}
        parts = Counter(row.exam_mark_ref_id for row in connection.execute(
            select(component.exam_mark_ref_id).where(component.sitting_ref_id.in_(sittings))))
        triggers = Counter((row.source_ref_id, row.version) for row in connection.execute(
            select(trigger.source_ref_id, trigger.version).where(trigger.course_code.in_(courses))))
        remembered = connection.execute(select(func.count()).select_from(t.ProcessedRequest).where(
            t.ProcessedRequest.client_message_id == batch.message_id)).scalar_one()
    if not marks:
        assert not parts, f"{sum(parts.values())} component rows without their marks"
        assert not triggers, f"{sum(triggers.values())} transcript triggers without their marks"
        assert remembered == 0, "the ClientMessageID is remembered but nothing was saved"
        return False
    assert set(marks) == batch.refs, (
        f"half-applied: {len(marks)} of {len(batch.records)} marks stored")
    expected_status = {r["RefId"].lower(): r["ExamMarkStatus"] for r in batch.records}
    for ref_id, row in marks.items():
        assert row.status == expected_status[ref_id] and not row.is_deleted
        assert parts[ref_id] == 2, f"mark {ref_id} has {parts[ref_id]} components"
        assert triggers[(ref_id, row.version)] == 1, f"mark {ref_id}: no single trigger for its version"
    assert sum(triggers.values()) == len(marks), "transcript triggers not matching the saved marks"
    assert sum(parts.values()) == 2 * len(marks)
    return True


@dataclass
class Attempt:
    response: requests.Response | None = None
    error: Exception | None = None
    sent_at: float = 0.0
    answered_at: float = 0.0


def send_in_background(server: Gunicorn, payload: bytes) -> tuple[threading.Thread, Attempt]:
    attempt = Attempt()

    def send() -> None:
        attempt.sent_at = time.monotonic()
        try:
            response = requests.post(server.service_url, data=payload, timeout=300,
                                     headers={"Content-Type": "text/xml; charset=utf-8"})
            if response.status_code == 502 and "ended before it answered" in response.text:
                attempt.error = WorkerEnded(response.text)
            else:
                attempt.response = response
        except requests.RequestException as error:
            attempt.error = error
        attempt.answered_at = time.monotonic()

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread, attempt


def send_whole(server: Gunicorn, probe: DatabaseProbe, payload: bytes) -> tuple[Answer, float]:
    """Send a batch and let it finish; returns the answer and how long the server's
    transaction took (from its opening to the answer)."""
    thread, attempt = send_in_background(server, payload)
    began = probe.wait_for_transaction()
    thread.join(timeout=300)
    assert attempt.response is not None, attempt.error
    answer = read_answer(attempt.response)
    assert not answer.is_fault, (answer.fault_code, answer.rule_id, server.log_tail())
    return answer, max(attempt.answered_at - began, 0.05)


def calibrate(server: Gunicorn, probe: DatabaseProbe, engine: Engine, students: list[str]) -> float:
    """Send one large batch in full: every record must be accepted (so a batch found
    empty after an interruption was really rolled back); returns its transaction time."""
    batch = large_batch(engine, students, "CAL")
    answer, duration = send_whole(server, probe, batch.payload())
    assert all(o.accepted for o in answer.outcomes), Counter(
        rule for o in answer.outcomes for rule in o.rules)
    assert applied_state(engine, batch)
    return duration


def resubmit_and_check(server: Gunicorn, probe: DatabaseProbe, engine: Engine, batch: Batch,
                       was_applied: bool, message_id: str) -> float:
    """The batch sent again under a new ClientMessageID: per-record answers, then the
    whole batch is stored.  Returns the transaction time (the students' marks grow
    from round to round, and so does the time a batch takes)."""
    answer, duration = send_whole(server, probe, batch.payload(message_id))
    assert [o.id for o in answer.outcomes] == [r["RefId"].lower() for r in batch.records]
    for outcome in answer.outcomes:
        if was_applied:
            assert outcome.rules and set(outcome.rules) <= ALREADY_EXISTS_RULES, outcome
            assert outcome.version == 0
        else:
            assert outcome.accepted, outcome
            assert outcome.version > 0
    assert applied_state(engine, Batch(batch.exams, batch.records, message_id))
    return duration


# --- a. a worker killed mid-batch -----------------------------------------------------------
@pytest.mark.slow
def test_a_worker_killed_mid_batch_leaves_nothing_half_applied(db, gunicorn, probe):
    students = load_students(db, 300_000_000, BATCH_STUDENTS)
    duration = calibrate(gunicorn, probe, db, students)
    # Kill moments after the server opened the batch's transaction, as fractions of how
    # long that transaction took unhindered: early, middle, during the writes, around
    # the commit, after it.
    fractions = (0.0, 0.3, 0.6, 0.85, 0.97, 1.5)
    outcomes = []
    for index, fraction in enumerate(fractions):
        batch = large_batch(db, students, f"K{index}")
        workers_before = gunicorn.workers()
        thread, attempt = send_in_background(gunicorn, batch.payload())
        began = probe.wait_for_transaction()
        time.sleep(max(0.0, began + fraction * duration - time.monotonic()))
        victim = _worker_serving(gunicorn)
        victims = [victim] if victim is not None else workers_before
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        thread.join(timeout=300)
        assert not thread.is_alive()
        probe.wait_until_quiet()

        applied = applied_state(db, batch)
        if attempt.response is not None:
            # The worker answered before it died: a complete answer, and all of it stored.
            answer = read_answer(attempt.response)
            assert not answer.is_fault, (answer.fault_code, answer.rule_id)
            assert all(o.accepted for o in answer.outcomes)
            assert applied, "the client was told its batch was saved, but nothing is stored"
        else:
            assert isinstance(attempt.error, DROPPED), attempt.error
        outcomes.append((fraction, applied, attempt.response is not None))

        gunicorn.wait_until_healthy(workers=2)
        assert set(gunicorn.workers()) != set(workers_before), "no worker was killed"
        measured = resubmit_and_check(gunicorn, probe, db, batch, applied,
                                      f"again-{uuid.uuid4().hex[:16]}")
        duration = max(duration, measured) if applied else measured

    # At least the kill right after the transaction opened must have found it uncommitted.
    assert any(not applied and not answered for _, applied, answered in outcomes), outcomes


# --- b. the database connection cut mid-request ---------------------------------------------
@pytest.mark.slow
def test_b_database_connection_cut_mid_request(db, gunicorn, probe):
    """PostgreSQL: ``pg_terminate_backend`` on the server's backends while a large
    batch runs.  The client gets a Server fault (rule 9001), or its complete
    answer when the commit won the race; never a half answer; nothing is
    half-applied; resubmitting with the same ClientMessageID then succeeds.

    SQLite has no connection to cut: the database is a file that the worker
    itself opens, so its "connection" ends only when the worker process dies.
    There the interruption is SIGKILL of the worker at the moment it holds
    the write lock (the analogue of the backend going away mid-transaction),
    and two SQLite-specific behaviours are asserted: the dead worker's lock
    does not block the next request (no 30 s busy timeout), and another
    writer holding the lock only delays a batch, which is then stored whole.
    """
    students = load_students(db, 301_000_000, BATCH_STUDENTS)
    duration = calibrate(gunicorn, probe, db, students)
    fractions = (0.0, 0.2, 0.5, 0.8, 0.95)
    cut_before_commit = 0
    for index, fraction in enumerate(fractions):
        batch = large_batch(db, students, f"C{index}")
        workers_before = gunicorn.workers()
        thread, attempt = send_in_background(gunicorn, batch.payload())
        began = probe.wait_for_transaction()
        time.sleep(max(0.0, began + fraction * duration - time.monotonic()))
        if probe.postgresql:
            assert probe.terminate_server_backends() >= 1
        else:
            victim = _worker_serving(gunicorn)
            for pid in ([victim] if victim is not None else workers_before):
                os.kill(pid, signal.SIGKILL)
        thread.join(timeout=300)
        assert not thread.is_alive()
        probe.wait_until_quiet()
        applied = applied_state(db, batch)

        if attempt.response is None:
            # Only a killed worker drops the connection; a cut database connection is a fault.
            assert not probe.postgresql, f"connection dropped: {attempt.error!r}"
            assert isinstance(attempt.error, DROPPED), attempt.error
        else:
            answer = read_answer(attempt.response)
            if answer.is_fault:
                # (Stored anyway only if the connection died after the COMMIT reached the
                # server: the request is then remembered, and the resubmission replays it.)
                assert (answer.http_status, answer.fault_code, answer.rule_id) == (500, "Server", 9001)
                audit = store.row(db, t.RequestAudit, message_id=answer.message_id)
                assert audit is not None, "no audit row for the request answered with 9001"
                assert (audit["outcome"], audit["rule_id"]) == ("Server", 9001), audit
            else:
                assert all(o.accepted for o in answer.outcomes)
                assert applied
        cut_before_commit += not applied
        if not probe.postgresql:
            gunicorn.wait_until_healthy(workers=2)

        # The next request: the same batch with the same ClientMessageID (a client retrying
        # after 9001 or a dropped connection).  Applied before: the stored answer is replayed;
        # rolled back: processed now.  Either way every record comes back accepted.
        started = time.monotonic()
        answer, measured = send_whole(gunicorn, probe, batch.payload())
        assert time.monotonic() - started < 20, "the next request waited for a dead lock holder"
        assert [o.id for o in answer.outcomes] == [r["RefId"].lower() for r in batch.records]
        assert all(o.accepted and o.version > 0 for o in answer.outcomes), Counter(
            rule for o in answer.outcomes for rule in o.rules)
        duration = max(duration, measured) if applied else measured
        assert applied_state(db, batch)
        stored_versions = {r["RefId"].lower(): store.mark(db, r["RefId"])["version"]
                           for r in batch.records[:50]}
        assert all(stored_versions[o.id] == o.version for o in answer.outcomes[:50])
        # Both workers answer again (a terminated pooled connection is replaced).
        for _ in range(4):
            small = submit(gunicorn, [registration("999999999", batch.exams[0])])
            assert small.outcomes[0].rules == [9059]
            assert requests.get(f"{gunicorn.base_url}/health", timeout=10).status_code == 200
    assert cut_before_commit >= 1, "no interruption landed before the commit"

    if not probe.postgresql:
        _sqlite_lock_held_by_another_writer(db, gunicorn, students, probe)


def _sqlite_lock_held_by_another_writer(db, gunicorn, students, probe) -> None:
    batch = large_batch(db, students, "LCK")
    holder = sqlite3.connect(probe._path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        thread, attempt = send_in_background(gunicorn, batch.payload())
        time.sleep(1.5)
        assert thread.is_alive(), "the batch finished while another writer held the lock"
        exams = [e.ref_id for e in batch.exams]
        assert holder.execute("SELECT count(*) FROM exam_mark WHERE exam_ref_id IN (?, ?)",
                              exams).fetchone() == (0,)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    thread.join(timeout=300)
    assert attempt.response is not None, attempt.error
    answer = read_answer(attempt.response)
    assert not answer.is_fault and all(o.accepted for o in answer.outcomes)
    assert applied_state(db, batch)


# --- c. concurrent registrations and sitting capacity ---------------------------------------
def _concurrently(calls: list) -> list:
    """Run the calls on their own threads, released together; results in call order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except BaseException as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    return results


def _registered_on(engine: Engine, sitting: str) -> set[str]:
    mark, component = t.ExamMark, t.ExamMarkComponent
    with engine.connect() as connection:
        return set(connection.execute(select(mark.ref_id).join(
            component, component.exam_mark_ref_id == mark.ref_id).where(
            component.sitting_ref_id == sitting, mark.is_deleted.is_(False),
            mark.status == "RE")).scalars())


def test_c_concurrent_registrations_never_overfill_a_sitting(db, gunicorn):
    threads, capacity = 10, 5
    students = load_students(db, 302_000_000, threads * 2)
    for round_number in range(4):
        exam = load_exam(db, f"CAP{round_number}", is_open=True, components=1, capacity=capacity)
        per_request = 1 if round_number % 2 == 0 else 2   # one student per request, or two
        batches = [[registration(asn, exam) for asn in students[i * per_request:(i + 1) * per_request]]
                   for i in range(threads)]
        answers = _concurrently([lambda b=b: submit(gunicorn, b, "S.0001") for b in batches])
        outcomes = [o for a in answers for o in a.outcomes]
        accepted = [o for o in outcomes if o.accepted]
        assert len(accepted) == capacity, Counter(tuple(o.rules) for o in outcomes)
        assert all(o.rules == [40552] for o in outcomes if not o.accepted), [
            o.rules for o in outcomes if not o.accepted]
        stored = _registered_on(db, exam.sittings[0])
        assert len(stored) == capacity
        assert stored == {o.id for o in accepted}


def test_c_the_same_student_registered_concurrently_is_registered_once(db, gunicorn):
    threads = 8
    students = load_students(db, 303_000_000, 3)
    exam = load_exam(db, "DUP30", is_open=True, components=1, capacity=None)
    for asn in students:
        records = [registration(asn, exam) for _ in range(threads)]
        answers = _concurrently([lambda r=r: submit(gunicorn, [r], "S.0001") for r in records])
        outcomes = [a.outcomes[0] for a in answers]
        assert sum(o.accepted for o in outcomes) == 1, [o.rules for o in outcomes]
        assert all(o.rules == [40540] for o in outcomes if not o.accepted), [o.rules for o in outcomes]
        with db.connect() as connection:
            stored = connection.execute(select(func.count()).select_from(t.ExamMark).where(
                t.ExamMark.asn == asn, t.ExamMark.exam_ref_id == exam.ref_id,
                t.ExamMark.is_deleted.is_(False))).scalar_one()
        assert stored == 1


# --- d. concurrent updates of the same marks ------------------------------------------------
def test_d_concurrent_updates_of_the_same_marks_have_one_winner_per_mark_and_version(db, gunicorn):
    threads, marks_count, rounds = 8, 6, 4
    students = load_students(db, 304_000_000, marks_count)
    exam = load_exam(db, "UPD30", is_open=False)
    refs = [new_ref() for _ in students]
    store.load(db, {"DiplomaExamMarks": [
        {"RefId": ref, "StateProvinceId": asn, "ExamRefId": exam.ref_id, "ExamMarkStatus": "RG",
         "MarkValue": "50", "ComponentMarks": [
             {"ComponentMarkStatus": "RG", "ExamSittingRefId": s, "MarkValue": "50", "MarkFormat": "PCT"}
             for s in exam.sittings]} for ref, asn in zip(refs, students)]})
    rng = random.Random(20261123)
    for round_number in range(rounds):
        versions = {ref: store.mark(db, ref)["version"] for ref in refs}
        value_of = {i: str(10 * (round_number + 1) + i) for i in range(threads)}  # never 50, never repeated
        plans = []
        for i in range(threads):
            chosen = set(rng.sample(range(marks_count), rng.randint(1, marks_count))) | {i % marks_count}
            order = rng.sample(sorted(chosen), len(chosen))
            plans.append([result(students[m], exam, value_of[i], ref_id=refs[m], version=versions[refs[m]])
                          for m in order])
        answers = _concurrently([lambda plan=plan: submit(gunicorn, plan) for plan in plans])

        winners: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, answer in enumerate(answers):
            for outcome in answer.outcomes:
                if outcome.accepted:
                    winners[outcome.id].append((i, outcome.version))
                else:
                    assert outcome.rules == [3004], (round_number, outcome)
        for ref in refs:
            assert len(winners[ref]) == 1, (round_number, ref, winners[ref])
            (winner, version), = winners[ref]
            stored = store.mark(db, ref)
            assert stored["version"] == version > versions[ref]
            assert stored["mark_value"] == value_of[winner]
            assert [c["mark_value"] for c in store.components(db, ref)] == [value_of[winner]] * 2
            assert store.count(db, t.TranscriptTrigger, source_ref_id=ref, version=version) == 1
