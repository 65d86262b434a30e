"""Load generator: N clients in a closed loop sending SubmitDiplomaExamMark to a running server.

    pasi-core serve --dev-auth --workers 2          # in another shell, on PASI_DATABASE_URL
    python benchmarks/load.py http://127.0.0.1:8000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        --clients 4 --seconds 20 --records-per-request 10

First it loads reference data of its own into the server's database (students enrolled at a
school, an exam open for registration and one already written, sittings, one of them with no
room left); each run uses fresh course codes and ASNs, so runs never collide.  Then each client
thread sends a request, waits for the answer, and sends the next, until the time is up.  A
client works on its own students, so the only contention between clients is the one real
schools cause: registrations on the same sittings.

The records exercise the rules: registrations created, moved between sittings, deleted and
restored; results posted and re-marked (Ministry callers only: schools may not post results,
rule 40536); and about one record in ten deliberately refused: a stale version (3004), an
update that changes nothing (9023), an unknown ASN (9059), a second registration for the same
sitting (40540), a registration on a full sitting (40552).  Printed: requests/s, records/s,
latency p50/p95/max over the measured period (after --warmup seconds), rejections by rule
(intended and unexpected), SOAP faults and transport errors.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import requests
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

import pasi_core  # noqa: E402,F401  (makes spyne importable first)
from pasi_core.kernel.school_years import school_year_of  # noqa: E402
from persistence import models as t  # noqa: E402
from persistence.database import create_database_engine, session_factory  # noqa: E402
from persistence.reference_loader import load_document  # noqa: E402

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "urn:pasi-core-mirror:pasi-service:2026"
COMMON_NS = "urn:pasi-core-mirror:common:2026"
_C = f"{{{COMMON_NS}}}"
_ENV = f"{{{SOAP_ENV}}}"
BENCH_AUTHORITY = "A.9901"
BENCH_SCHOOL = "S.9901"


# --- reference data -----------------------------------------------------------------------
@dataclass
class Exam:
    ref_id: str
    sittings: dict[str, list[str]]
    """Sitting RefIds per room: one per component (WR, MS), in component order."""


@dataclass
class Province:
    school: str
    students: list[str]
    unknown_asn: str
    open_exam: Exam
    written_exam: Exam


def iso(moment: datetime) -> str:
    return moment.isoformat() + "Z"


def load_reference_data(database_url: str, organization: str, students: int, seed: int) -> Province:
    engine = create_database_engine(database_url)
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None)
    year = school_year_of(now)
    tag = uuid.UUID(int=rng.getrandbits(128)).hex[:8].upper()
    with engine.connect() as connection:
        known_orgs = {row.code: row.authority_code for row in connection.execute(
            select(t.Organization.code, t.Organization.authority_code))}
        base = 0
        while not base:
            candidate = 500_000_000 + rng.randrange(0, 49_000) * 10_000
            taken = connection.execute(select(t.Student.asn).where(
                t.Student.asn.between(f"{candidate - 1:09d}", f"{candidate + students:09d}"))).first()
            base = candidate if taken is None else 0
    organizations = []
    if BENCH_AUTHORITY not in known_orgs:
        organizations.append({"OrganizationCode": BENCH_AUTHORITY, "Name": "Load Test Division"})
    code = organization.upper()
    if code.startswith("S."):
        school = code
        if school not in known_orgs:
            organizations.append({"OrganizationCode": school, "Name": "Load Test School",
                                  "AuthorityCode": BENCH_AUTHORITY})
    elif code.startswith("A."):
        schools = sorted(c for c, authority in known_orgs.items() if authority == code)
        if not schools:
            raise SystemExit(f"authority {code} has no school in the database to enrol students at")
        school = schools[0]
    else:
        school = BENCH_SCHOOL
        if code not in known_orgs:
            organizations.append({"OrganizationCode": code, "Name": "Load Test Ministry Client"})
    if school == BENCH_SCHOOL and school not in known_orgs:
        organizations.append({"OrganizationCode": school, "Name": "Load Test School",
                              "AuthorityCode": BENCH_AUTHORITY})

    asns = [f"{base + i:09d}" for i in range(students)]

    def exam(key: str, deadline: datetime, writes: datetime) -> tuple[Exam, dict, list[dict]]:
        ref_id = str(uuid.uuid4())
        rooms = {"Gymnasium": None, "Library": None, "Full Room": 0}
        sittings = {room: [str(uuid.uuid4()), str(uuid.uuid4())] for room in rooms}
        document = {"RefId": ref_id, "CourseCode": f"LD{tag}{key}", "CourseName": f"Load {key}",
                    "SchoolYear": school_year_of(writes), "ExamPeriod": "JUN", "ExamLanguage": "E",
                    "ExamType": "DPE", "MarkFormat": "PCT", "RegistrationDeadlineUtc": iso(deadline),
                    "Components": [{"ComponentCode": c, "NameEnglish": c, "IsMarkReportable": True,
                                    "ScheduledDtoTime": iso(writes + timedelta(days=i))}
                                   for i, c in enumerate(("WR", "MS"))]}
        sitting_rows = [{"RefId": sittings[room][i], "ExamRefId": ref_id, "ComponentCode": c,
                         "OrganizationCode": school, "LocationName": room,
                         "ScheduledDtoTime": iso(writes + timedelta(days=i)),
                         "StudentCapacity": capacity}
                        for room, capacity in rooms.items() for i, c in enumerate(("WR", "MS"))]
        return Exam(ref_id, sittings), document, sitting_rows

    open_exam, open_doc, open_sittings = exam("R", now + timedelta(days=30), now + timedelta(days=90))
    written_exam, written_doc, written_sittings = exam("S", now - timedelta(days=90),
                                                       now - timedelta(days=40))
    load_document(session_factory(engine), {
        "FormatVersion": 1, "Organizations": organizations,
        "Students": [{"StateProvinceId": a, "LegalLastName": "Load", "LegalFirstName": "Test"}
                     for a in asns],
        "SchoolEnrolments": [{"StateProvinceId": a, "OrganizationCode": school, "SchoolYear": y}
                             for a in asns for y in (year - 1, year)],
        "DiplomaExams": [open_doc, written_doc], "ExamSittings": open_sittings + written_sittings})
    refresh_statistics(engine)
    engine.dispose()
    return Province(school, asns, f"{base - 1:09d}", open_exam, written_exam)


def refresh_statistics(engine) -> None:
    """Fresh planner statistics on PostgreSQL, as autovacuum would keep them (where it is off,
    a table loaded from empty keeps its empty-table estimates and plans degrade badly)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        if connection.exec_driver_sql("SHOW autovacuum").scalar() != "on":
            print("note: autovacuum is off on this server; statistics are as of this ANALYZE")


# --- the requests -------------------------------------------------------------------------
@dataclass
class Registration:
    ref_id: str
    version: int
    room: str
    deleted: bool = False


@dataclass
class Result:
    ref_id: str
    version: int
    value: int


@dataclass
class Planned:
    xml: str
    intended: int | None
    """The rule the record is meant to break, or None for a record that should be accepted."""
    apply: callable = None
    """Called with the new version when the record is accepted."""


def exam_mark_xml(ref_id: str, asn: str, exam: Exam, status: str, version: int, room: str,
                  value: int | None = None, deleted: bool = False) -> str:
    mark_value = f"<p:MarkValue>{value}</p:MarkValue>" if value is not None else ""
    parts = "".join(
        f"<p:ComponentMarkInfo><p:ComponentMarkStatus>{status}</p:ComponentMarkStatus>"
        f"<p:ExamSittingRefId>{sitting}</p:ExamSittingRefId>"
        + (f"<p:MarkValue>{value}</p:MarkValue><p:MarkFormat>PCT</p:MarkFormat>" if value is not None else "")
        + "</p:ComponentMarkInfo>" for sitting in exam.sittings[room])
    return (f"<p:ExamMarkInfo><p:RefId>{ref_id}</p:RefId><p:StateProvinceId>{escape(asn)}</p:StateProvinceId>"
            f"<p:ExamRefId>{exam.ref_id}</p:ExamRefId><p:ExamMarkStatus>{status}</p:ExamMarkStatus>"
            f"{mark_value}<p:IsRescored>false</p:IsRescored>"
            f"<p:IsDeleted>{'true' if deleted else 'false'}</p:IsDeleted>"
            f"<p:PASICoreVersion>{version}</p:PASICoreVersion><p:ComponentMarks>{parts}</p:ComponentMarks>"
            "</p:ExamMarkInfo>")


def envelope(records: list[str], organization: str) -> bytes:
    sent = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return (f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:p="{SERVICE_NS}" xmlns:c="{COMMON_NS}"><s:Body>'
            "<p:SubmitDiplomaExamMark><p:request><p:CallerInfo>"
            f"<c:ClientMessageID>load-{uuid.uuid4().hex[:20]}</c:ClientMessageID>"
            f"<c:SentUtcTime>{sent}</c:SentUtcTime><c:Software><c:Manufacturer>Load</c:Manufacturer>"
            "<c:Product>benchmarks/load.py</c:Product><c:Version>1</c:Version><c:BuildNumber>1"
            f"</c:BuildNumber></c:Software><c:OrganizationCode>{escape(organization)}</c:OrganizationCode>"
            f"</p:CallerInfo><p:ExamMarks>{''.join(records)}</p:ExamMarks></p:request>"
            "</p:SubmitDiplomaExamMark></s:Body></s:Envelope>").encode()


class Client:
    """One SIS: its own students, what it knows of their marks, a closed loop of requests."""

    def __init__(self, index: int, province: Province, students: list[str], args, stats: Stats):
        self.rng = random.Random(args.seed * 1000 + index)
        self.province = province
        self.students = list(students)
        self.organization = args.organization
        self.per_request = args.records_per_request
        self.may_post_results = args.organization.upper().startswith("O.")
        self.url = args.base_url.rstrip("/") + "/PASIService"
        self.stats = stats
        self.registrations: dict[str, Registration] = {}
        self.results: dict[str, Result] = {}
        self.session = requests.Session()

    def run(self, measure_from: float, stop_at: float) -> None:
        while time.monotonic() < stop_at and len(self.students) >= self.per_request:
            chosen = self.rng.sample(self.students, self.per_request)
            plans = [self.plan(asn) for asn in chosen]
            payload = envelope([plan.xml for plan in plans], self.organization)
            started = time.monotonic()
            try:
                response = self.session.post(self.url, data=payload, timeout=600,
                                             headers={"Content-Type": "text/xml; charset=utf-8"})
                answer = read_answer(response)
            except (requests.RequestException, etree.XMLSyntaxError, ValueError) as error:
                answer = ("error", type(error).__name__)
            elapsed = time.monotonic() - started
            measured = started >= measure_from
            if isinstance(answer, tuple):  # a fault or an error: what was saved is unknown
                for asn in chosen:
                    self.students.remove(asn)
                self.stats.add_failure(answer, elapsed, len(plans), measured)
                continue
            outcomes = []
            for plan, (version, rules) in zip(plans, answer):
                if not rules and plan.apply is not None:
                    plan.apply(version)
                outcomes.append((plan.intended, rules))
            self.stats.add(elapsed, outcomes, measured)

    def plan(self, asn: str) -> Planned:
        rng, exam = self.rng, self.province.open_exam
        registration = self.registrations.get(asn)
        result = self.results.get(asn)
        if rng.random() < 0.1:
            refused = self.plan_refusal(asn, registration, result)
            if refused is not None:
                return refused
        if self.may_post_results and rng.random() < 0.5:
            written = self.province.written_exam
            if result is None:
                value, ref_id = rng.randint(0, 100), str(uuid.uuid4())
                return Planned(exam_mark_xml(ref_id, asn, written, "RG", 0, "Gymnasium", value), None,
                               lambda v: self.results.__setitem__(asn, Result(ref_id, v, value)))
            value = rng.choice([v for v in range(101) if v != result.value])
            return Planned(exam_mark_xml(result.ref_id, asn, written, "RG", result.version, "Gymnasium",
                                         value), None, lambda v: self._remark(result, v, value))
        if registration is None:
            ref_id = str(uuid.uuid4())
            return Planned(exam_mark_xml(ref_id, asn, exam, "RE", 0, "Gymnasium"), None, lambda v: (
                self.registrations.__setitem__(asn, Registration(ref_id, v, "Gymnasium"))))
        if registration.deleted:  # restore
            return Planned(exam_mark_xml(registration.ref_id, asn, exam, "RE", registration.version,
                                         registration.room), None,
                           lambda v: self._registered(registration, v, registration.room, False))
        if rng.random() < 0.2:  # delete
            return Planned(exam_mark_xml(registration.ref_id, asn, exam, "RE", registration.version,
                                         registration.room, deleted=True), None,
                           lambda v: self._registered(registration, v, registration.room, True))
        room = "Library" if registration.room == "Gymnasium" else "Gymnasium"  # move
        return Planned(exam_mark_xml(registration.ref_id, asn, exam, "RE", registration.version, room),
                       None, lambda v: self._registered(registration, v, room, False))

    def plan_refusal(self, asn, registration, result) -> Planned | None:
        exam = self.province.open_exam
        kind = self.rng.choice(["3004", "9023", "9059", "40540", "40552"])
        if kind == "3004" and registration is not None and not registration.deleted:
            return Planned(exam_mark_xml(registration.ref_id, asn, exam, "RE", registration.version - 1,
                                         "Library" if registration.room == "Gymnasium" else "Gymnasium"),
                           3004)
        if kind == "9023" and registration is not None and not registration.deleted:
            return Planned(exam_mark_xml(registration.ref_id, asn, exam, "RE", registration.version,
                                         registration.room), 9023)
        if kind == "9059":
            return Planned(exam_mark_xml(str(uuid.uuid4()), self.province.unknown_asn, exam, "RE", 0,
                                         "Gymnasium"), 9059)
        if kind == "40540" and registration is not None and not registration.deleted:
            return Planned(exam_mark_xml(str(uuid.uuid4()), asn, exam, "RE", 0, registration.room), 40540)
        if kind == "40552" and registration is None:
            return Planned(exam_mark_xml(str(uuid.uuid4()), asn, exam, "RE", 0, "Full Room"), 40552)
        return None

    @staticmethod
    def _remark(result: Result, version: int, value: int) -> None:
        result.version, result.value = version, value

    @staticmethod
    def _registered(registration: Registration, version: int, room: str, deleted: bool) -> None:
        registration.version, registration.room, registration.deleted = version, room, deleted


def read_answer(response: requests.Response):
    """Per-record (version, rules) in request order, or ("fault", code, rule) / ("http", status)."""
    if not response.headers.get("Content-Type", "").startswith("text/xml"):
        return ("http", response.status_code)
    root = etree.fromstring(response.content)
    payload = root.find(_ENV + "Body")[0]
    if payload.tag == _ENV + "Fault":
        detail = payload.find("detail")
        rule = detail[0].findtext(_C + "RuleId") if detail is not None and len(detail) else "?"
        return ("fault", payload.findtext("faultcode"), rule)
    return [(int(item.findtext(_C + "PASICoreVersion")),
             [int(r.findtext(_C + "RuleId")) for r in item.iter(_C + "Rejection")])
            for item in payload.iter(_C + "SubmitResponse")]


# --- the figures --------------------------------------------------------------------------
@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: list[float] = field(default_factory=list)
    records: int = 0
    accepted: int = 0
    rejected: int = 0
    rejections: Counter = field(default_factory=Counter)
    intended: Counter = field(default_factory=Counter)
    unexpected: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)
    failed_latencies: list[float] = field(default_factory=list)

    def add(self, elapsed: float, outcomes: list[tuple[int | None, list[int]]], measured: bool) -> None:
        if not measured:
            return
        with self.lock:
            self.latencies.append(elapsed)
            self.records += len(outcomes)
            for intended, rules in outcomes:
                if not rules:
                    self.accepted += 1
                    if intended is not None:
                        self.unexpected[f"accepted, meant to break {intended}"] += 1
                    continue
                self.rejected += 1
                for rule in set(rules):
                    self.rejections[rule] += 1
                if intended is not None and intended in rules:
                    self.intended[intended] += 1
                else:
                    self.unexpected[tuple(sorted(set(rules)))] += 1

    def add_failure(self, failure: tuple, elapsed: float, records: int, measured: bool) -> None:
        if not measured:
            return
        with self.lock:
            self.failures[failure] += 1
            self.failed_latencies.append(elapsed)
            self.records += records


def run_clients(clients: list[Client], warmup: float, seconds: float) -> float:
    """Each client on a thread of its own until the time is up; returns the seconds measured."""
    begin = time.monotonic()
    measure_from, stop_at = begin + warmup, begin + warmup + seconds
    threads = [threading.Thread(target=c.run, args=(measure_from, stop_at)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return max(time.monotonic(), stop_at) - measure_from


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def report(stats: Stats, seconds: float, args) -> None:
    requests_done = len(stats.latencies) + sum(stats.failures.values())
    everything = stats.latencies + stats.failed_latencies
    print(f"requests      {requests_done:>8}   {requests_done / seconds:>9.1f}/s")
    print(f"records       {stats.records:>8}   {stats.records / seconds:>9.1f}/s   "
          f"(accepted {stats.accepted}, {stats.accepted / seconds:.1f}/s; rejected {stats.rejected})")
    if everything:
        print(f"latency ms    p50 {percentile(everything, 0.50) * 1000:.1f}   "
              f"p95 {percentile(everything, 0.95) * 1000:.1f}   max {max(everything) * 1000:.1f}   "
              f"(mean {statistics.mean(everything) * 1000:.1f})")
    print("rejections by rule (records): " + (", ".join(
        f"{rule}: {count}" for rule, count in sorted(stats.rejections.items())) or "none"))
    print("  meant to be refused and refused: " + (", ".join(
        f"{rule}: {count}" for rule, count in sorted(stats.intended.items())) or "none"))
    print("  unexpected: " + (", ".join(
        f"{key}: {count}" for key, count in stats.unexpected.most_common()) or "none"))
    print("SOAP faults / errors (requests): " + (", ".join(
        f"{' '.join(map(str, key))}: {count}" for key, count in stats.failures.most_common()) or "none"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--records-per-request", type=int, default=10)
    parser.add_argument("--organization", default="O.1",
                        help="CallerInfo.OrganizationCode (O.n: registrations and results; "
                             "S.nnnn or A.nnnn: registrations)")
    parser.add_argument("--database-url", required=True,
                        help="the server's database, to load this run's reference data into")
    parser.add_argument("--students", type=int,
                        help="students to load (default: enough for 8 requests per client)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds not measured at the start")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()

    per_client = max(50, args.records_per_request * 8)
    students = args.students or per_client * args.clients
    started = time.monotonic()
    province = load_reference_data(args.database_url, args.organization, students, args.seed)
    print(f"loaded {len(province.students)} students, 2 exams, 12 sittings at {province.school} "
          f"in {time.monotonic() - started:.1f} s")
    requests.get(args.base_url.rstrip("/") + "/health", timeout=10).raise_for_status()

    stats = Stats()
    slices = [province.students[i::args.clients] for i in range(args.clients)]
    clients = [Client(i, province, slices[i], args, stats) for i in range(args.clients)]
    measured = run_clients(clients, args.warmup, args.seconds)
    print(f"{args.base_url}: {args.clients} clients, {args.records_per_request} records per request, "
          f"organization {args.organization}, {measured:.1f} s measured after {args.warmup:.0f} s warm-up")
    report(stats, measured, args)


if __name__ == "__main__":
    main()
