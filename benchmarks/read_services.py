"""Benchmark: the read side (issue 13): GetDiplomaExamMark for 1,000 RefIds, and an
IsDataAvailable sync of 100,000 changes paged to the end.

One ``pasi-core serve --dev-auth --workers 1`` (the front and one gunicorn worker, as in
production) on the database given, which is emptied first.  The province: N students (default 100,000) of one school,
each with one diploma exam result written through SubmitDiplomaExamMark (10,000 records a request,
as the Ministry posts results), so the database holds N changes of one school year.

Measured, each over HTTP as a client sees it:
  1. GetDiplomaExamMark with 1,000 random RefIds: as the Ministry (no access check) and as the
     school (every mark's access decided), median and p95 of 30 requests each;
  2. IsDataAvailable from version 0 to the end (PASI_SYNC_MAX_PER_TYPE a page, default 10,000),
     as the Ministry and as the school: the pages, the time, and the worker's resident memory
     before and after (and its peak, VmHWM): flat, whatever the number of changes.

    python benchmarks/read_services.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import requests  # noqa: E402
from load import envelope, exam_mark_xml, load_reference_data, percentile  # noqa: E402
from lxml import etree  # noqa: E402
from sqlalchemy import select  # noqa: E402
from submit_exam_marks import free_port  # noqa: E402

from pasi_core.contract import namespaces  # noqa: E402
from pasi_core.kernel.school_years import school_year_of  # noqa: E402
from persistence import models as t  # noqa: E402
from persistence import schema  # noqa: E402
from persistence.database import create_database_engine, session_factory  # noqa: E402
from persistence.reference_loader import STANDARD_CODE_TABLES, load_document  # noqa: E402

_S = f"{{{namespaces.PASI_SERVICE}}}"
HEADERS = {"Content-Type": "text/xml; charset=utf-8"}
WRITE_BATCH = 10_000
GET_SIZE = 1_000
GET_REPEATS = 30


def start_server(database_url: str):
    port = free_port()
    env = dict(os.environ, PASI_DATABASE_URL=database_url, PASI_LOG_LEVEL="WARNING",
               PASI_MAX_REQUEST_BYTES=str(64 * 1024 * 1024), PASI_DOCUMENTS_INTERVAL="0")
    process = subprocess.Popen([sys.executable, "-m", "pasi_core.app.cli", "serve", "--dev-auth",
                                "--port", str(port), "--workers", "1"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start")


def memory_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def worker_pid(session_id: int) -> int:
    """The gunicorn worker, once it has served requests: the largest process of the server's
    session (the front, the gunicorn master and the job runner stay small)."""
    members = [int(stat.parent.name) for stat in Path("/proc").glob("[0-9]*/stat")
               if _session_of(stat) == session_id]
    return max(members, key=lambda pid: memory_kb(pid).get("VmRSS", 0))


def _session_of(stat: Path) -> int | None:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[3])
    except (OSError, IndexError, ValueError):
        return None


def server_times_ms(engine, message_ids: list[str]) -> list[float]:
    """What the audit rows say each request took inside the service."""
    with engine.connect() as connection:
        return [float(ms) for ms in connection.execute(select(t.RequestAudit.duration_ms).where(
            t.RequestAudit.message_id.in_(message_ids))).scalars()]


def caller(organization: str) -> str:
    return ("<p:CallerInfo><c:ClientMessageID>bench-" + uuid.uuid4().hex[:12] + "</c:ClientMessageID>"
            "<c:SentUtcTime>2026-12-02T00:00:00Z</c:SentUtcTime><c:Software><c:Manufacturer>bench"
            "</c:Manufacturer><c:Product>reads</c:Product><c:Version>1</c:Version><c:BuildNumber>1"
            f"</c:BuildNumber></c:Software><c:OrganizationCode>{organization}</c:OrganizationCode>"
            "</p:CallerInfo>")


def soap(body: str) -> bytes:
    return (f'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            f'xmlns:p="{namespaces.PASI_SERVICE}" xmlns:c="{namespaces.COMMON}"><soapenv:Body>'
            f"{body}</soapenv:Body></soapenv:Envelope>").encode()


def post(session: requests.Session, url: str, body: bytes) -> etree._Element:
    response = session.post(url, data=body, headers=HEADERS, timeout=600)
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:1000]}")
    return etree.fromstring(response.content)


def write_results(session, url: str, province, count: int) -> list[str]:
    refs = []
    for start in range(0, count, WRITE_BATCH):
        records, batch = [], province.students[start:start + WRITE_BATCH]
        for asn in batch:
            ref = str(uuid.uuid4())
            refs.append(ref)
            records.append(exam_mark_xml(ref, asn, province.written_exam, "RG", 0, "Gymnasium", 70))
        answer = post(session, url, envelope(records, "O.1"))
        rejected = len(answer.findall(f".//{{{namespaces.COMMON}}}Rejection"))
        if rejected:
            raise RuntimeError(f"{rejected} results were rejected")
        print(f"  wrote {start + len(batch)} results", flush=True)
    return refs


def get_marks(session, url: str, refs: list[str], organization: str) -> tuple[int, str, float]:
    """(RefIds answered Normal, the message id, milliseconds from sending the request to having
    the whole answer: the client's own building and parsing are not counted)."""
    items = "".join(f"<p:DiplomaExamMarkRequestItem><p:RefId>{r}</p:RefId></p:DiplomaExamMarkRequestItem>"
                    for r in refs)
    body = soap(f"<p:GetDiplomaExamMark><p:request>{caller(organization)}"
                f"<p:ExamMarks>{items}</p:ExamMarks></p:request></p:GetDiplomaExamMark>")
    started = time.perf_counter()
    response = session.post(url, data=body, headers=HEADERS, timeout=600)
    content = response.content
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:1000]}")
    answer = etree.fromstring(content)
    normal = [e.text for e in answer.iter(_S + "AvailabilityStatus") if e.text == "Normal"]
    return len(normal), answer.findtext(f".//{_S}MessageID"), elapsed


def sync_page(session, url: str, notification_type: str, since: int, organization: str):
    answer = post(session, url, soap(
        f"<p:IsDataAvailable><p:request>{caller(organization)}<p:WaitTimeInMinutes>0</p:WaitTimeInMinutes>"
        f"<p:NotificationTypes><p:DataNotificationRequestTypeInfo><p:NotificationType>{notification_type}"
        f"</p:NotificationType><p:MaxPASICoreVersion>{since}</p:MaxPASICoreVersion>"
        "</p:DataNotificationRequestTypeInfo></p:NotificationTypes></p:request></p:IsDataAvailable>"))
    info = next(answer.iter(_S + "DataNotificationResultTypeInfo"))
    return (len(info.findall(f"{_S}Changes/{_S}DataNotificationIdVersion")),
            int(info.findtext(_S + "MaxPASICoreVersion")), info.findtext(_S + "MoreAvailable") == "true")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--changes", type=int, default=100_000, help="results written, then synced")
    args = parser.parse_args()
    engine = create_database_engine(args.database_url)
    schema.drop_everything(engine)
    schema.upgrade(engine)
    codes = json.loads(STANDARD_CODE_TABLES.read_text())["CodeTables"]
    load_document(session_factory(engine), {"FormatVersion": 1, "CodeTables": codes})
    print(f"database: {engine.dialect.name}; {args.changes} students; {os.cpu_count()} CPUs", flush=True)
    province = load_reference_data(args.database_url, "S.9903", args.changes, seed=13)
    process, url = start_server(args.database_url)
    service = f"{url}/PASIService"
    session = requests.Session()
    try:
        refs = write_results(session, service, province, args.changes)
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:  # what autovacuum would do after the load
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        rng = random.Random(5)
        print(f"GetDiplomaExamMark, {GET_SIZE} RefIds a request, {GET_REPEATS} requests each:")
        for organization in ("O.1", province.school):
            get_marks(session, service, rng.sample(refs, GET_SIZE), organization)  # warm-up
            times, message_ids = [], []
            for _ in range(GET_REPEATS):
                asked = rng.sample(refs, GET_SIZE)
                normal, message_id, elapsed = get_marks(session, service, asked, organization)
                times.append(elapsed)
                message_ids.append(message_id)
                assert normal == GET_SIZE, f"{normal} of {GET_SIZE} answered Normal"
            served = server_times_ms(engine, message_ids)
            print(f"  as {organization:<7} round trip median {statistics.median(times):6.1f} ms, "
                  f"p95 {percentile(times, 0.95):6.1f} ms; in the service (parse to rendered "
                  f"answer) median {statistics.median(served):5.1f} ms, p95 {percentile(served, 0.95):5.1f} ms")
        written_year = school_year_of(datetime.now(UTC) - timedelta(days=40))  # load.py's written exam
        notification_type = f"DiplomaExamMark.{written_year}"
        print(f"IsDataAvailable {notification_type} from 0 to the end:")
        worker = worker_pid(process.pid)
        for organization in ("O.1", province.school):
            before = memory_kb(worker)
            started = time.perf_counter()
            pages, total, since, more = 0, 0, 0, True
            while more:
                count, since, more = sync_page(session, service, notification_type, since, organization)
                pages += 1
                total += count
            seconds = time.perf_counter() - started
            after = memory_kb(worker)
            assert total == args.changes, f"{total} changes synced, {args.changes} written"
            print(f"  as {organization:<7} {total} changes in {pages} pages, {seconds:.1f} s "
                  f"({total / seconds:,.0f} a second); worker RSS {before['VmRSS'] // 1024} MB -> "
                  f"{after['VmRSS'] // 1024} MB, peak {before['VmHWM'] // 1024} MB -> "
                  f"{after['VmHWM'] // 1024} MB")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(60)


if __name__ == "__main__":
    main()
