"""Benchmark: SubmitDiplomaExamMark batches of 1, 100, 1,000 and 10,000 records
against a live server (``pasi-core serve --workers 0`` in a subprocess).

For each batch size a fresh server process is started, warmed up, and sent
the batch several times (the stored marks are removed between runs, outside
the timing).  Every record is accepted, so every rule runs *and* every
write happens: half are new registrations (school caller rules, sitting
capacity, duplicates, fees), half are new results (mark formats, values).

Printed per size: server time (the request's audit duration: parse,
validate, rules, writes, response), end-to-end time, records per second
(server time) and the server's peak extra memory (VmHWM - VmRSS before).

    python benchmarks/submit_exam_marks.py                       # SQLite (temp file)
    python benchmarks/submit_exam_marks.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""
from __future__ import annotations

import argparse
import io
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import delete, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pasi_core  # noqa: E402,F401
from persistence import models as t  # noqa: E402
from persistence import schema  # noqa: E402
from persistence.database import create_database_engine, session_factory  # noqa: E402
from persistence.reference_loader import STANDARD_CODE_TABLES, load_document  # noqa: E402

SERVICE_NS = "urn:pasi-core-mirror:pasi-service:2026"
COMMON_NS = "urn:pasi-core-mirror:common:2026"


def guid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench:{name}"))


def province(students: int, now: datetime) -> dict:
    import json
    codes = json.loads(STANDARD_CODE_TABLES.read_text())["CodeTables"]
    exams, sittings = [], []
    for key, deadline, writes in (("open", now + timedelta(days=30), now + timedelta(days=90)),
                                  ("closed", now - timedelta(days=90), now - timedelta(days=40))):
        exams.append({"RefId": guid(f"exam:{key}"), "CourseCode": "ELA30-1",
                      "CourseName": "English Language Arts 30-1",
                      "SchoolYear": 2026 if key == "open" else 2025,
                      "ExamPeriod": "JUN", "ExamLanguage": "E", "ExamType": "DPE", "MarkFormat": "PCT",
                      "RegistrationDeadlineUtc": deadline.isoformat() + "Z",
                      "Components": [{"ComponentCode": c, "NameEnglish": c, "IsMarkReportable": True,
                                      "ScheduledDtoTime": (writes + timedelta(days=i)).isoformat() + "Z"}
                                     for i, c in enumerate(("WR", "MS"))]})
        for c in ("WR", "MS"):
            sittings.append({"RefId": guid(f"sitting:{key}:{c}"), "ExamRefId": guid(f"exam:{key}"),
                             "ComponentCode": c, "OrganizationCode": "S.0001", "LocationName": "Gym",
                             "StudentCapacity": 1_000_000})
    asns = [f"{200000000 + i:09d}" for i in range(students)]
    return {"FormatVersion": 1, "CodeTables": codes,
            "Organizations": [{"OrganizationCode": "O.1", "Name": "Alberta Education"},
                              {"OrganizationCode": "A.0001", "Name": "Division"},
                              {"OrganizationCode": "S.0001", "Name": "School", "AuthorityCode": "A.0001"}],
            "Students": [{"StateProvinceId": a, "LegalLastName": "Bench"} for a in asns],
            "SchoolEnrolments": [{"StateProvinceId": a, "OrganizationCode": "S.0001", "SchoolYear": 2026}
                                 for a in asns],
            "DiplomaExams": exams, "ExamSittings": sittings}


def envelope(size: int, run: int) -> bytes:
    records = []
    for i in range(size):
        asn = f"{200000000 + i:09d}"
        if i % 2 == 0:
            exam, status, value, component_status, extra = "open", "RE", "", "RE", ""
        else:
            exam, status, value, component_status = "closed", "RG", "<p:MarkValue>71</p:MarkValue>", "RG"
            extra = "<p:MarkValue>70</p:MarkValue><p:MarkFormat>PCT</p:MarkFormat>"
        components = "".join(
            f"<p:ComponentMarkInfo><p:ComponentMarkStatus>{component_status}</p:ComponentMarkStatus>"
            f"<p:ExamSittingRefId>{guid(f'sitting:{exam}:{c}')}</p:ExamSittingRefId>{extra}"
            "</p:ComponentMarkInfo>" for c in ("WR", "MS"))
        records.append(
            f"<p:ExamMarkInfo><p:RefId>{uuid.uuid4()}</p:RefId><p:StateProvinceId>{asn}</p:StateProvinceId>"
            f"<p:ExamRefId>{guid(f'exam:{exam}')}</p:ExamRefId><p:ExamMarkStatus>{status}</p:ExamMarkStatus>"
            f"{value}<p:IsRescored>false</p:IsRescored><p:IsDeleted>false</p:IsDeleted>"
            f"<p:PASICoreVersion>0</p:PASICoreVersion><p:ComponentMarks>{components}</p:ComponentMarks>"
            "</p:ExamMarkInfo>")
    return (f'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:p="{SERVICE_NS}" '
            f'xmlns:c="{COMMON_NS}"><s:Body><p:SubmitDiplomaExamMark><p:request><p:CallerInfo>'
            f"<c:ClientMessageID>bench-{size}-{run}-{uuid.uuid4().hex[:8]}</c:ClientMessageID>"
            "<c:SentUtcTime>2026-11-23T00:00:00Z</c:SentUtcTime><c:Software><c:Manufacturer>Bench"
            "</c:Manufacturer><c:Product>Bench</c:Product><c:Version>1</c:Version><c:BuildNumber>1"
            "</c:BuildNumber></c:Software><c:OrganizationCode>O.1</c:OrganizationCode></p:CallerInfo>"
            f"<p:ExamMarks>{''.join(records)}</p:ExamMarks></p:request></p:SubmitDiplomaExamMark>"
            "</s:Body></s:Envelope>").encode()


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid: int) -> None:
    """Start the process's peak (VmHWM) again from its resident memory now (Linux 4.0+): the
    peak of start-up (schemas compiled, then freed) is not the requests' to answer for."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(database_url: str):
    port = free_port()
    env = dict(os.environ, PASI_DATABASE_URL=database_url, PASI_LOG_LEVEL="WARNING",
               PASI_MAX_REQUEST_BYTES=str(64 * 1024 * 1024))
    process = subprocess.Popen([sys.executable, "-m", "pasi_core.app.cli", "serve", "--dev-auth",
                                "--port", str(port), "--workers", "0"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    if wait_until_healthy(url, 60):
        return process, url
    process.kill()
    raise RuntimeError("server did not start")


def wait_until_healthy(url: str, seconds: float) -> bool:
    """Whether the server at ``url`` answered /health with 200 within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False


def province_engine(database_url: str | None, students: int, prefix: str):
    """An engine on a fresh benchmark province (SQLite in a temporary file when no URL)."""
    url = database_url or f"sqlite:///{tempfile.mkdtemp(prefix=prefix)}/province.sqlite3"
    engine = create_database_engine(url)
    schema.drop_everything(engine)
    schema.upgrade(engine)
    load_document(session_factory(engine), province(students, datetime.now(UTC).replace(tzinfo=None)))
    return engine


def in_process_caller(app):
    """Send a SOAP body to the WSGI application in this process (no HTTP); return the answer."""
    def call(payload: bytes) -> bytes:
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/PASIService", "QUERY_STRING": "",
                   "CONTENT_TYPE": "text/xml", "CONTENT_LENGTH": str(len(payload)),
                   "wsgi.input": io.BytesIO(payload), "REMOTE_ADDR": "127.0.0.1",
                   "SERVER_NAME": "localhost", "SERVER_PORT": "80", "wsgi.url_scheme": "http"}
        return b"".join(app(environ, lambda status, headers, exc_info=None: None))
    return call


def clear_marks(engine) -> None:
    """Remove the marks a run wrote, outside the timing.  Student activity rows
    stay, as they would in production (students are already active this year),
    and so does the append-only audit log."""
    with engine.begin() as connection:
        for model in (t.ExamMarkComponent, t.RegistrationFee, t.TranscriptTrigger, t.ExamMark,
                      t.ProcessedRequest):
            connection.execute(delete(model))


def message_id_of(response_text: str) -> str:
    """The MessageID of a response, whatever prefix and namespace declaration it carries."""
    found = re.search(r"MessageID[^>]*>([^<]+)<", response_text)
    if found is None:
        raise RuntimeError("the response has no MessageID")
    return found.group(1)


def server_time_ms(engine, message_id: str) -> int:
    with engine.connect() as connection:
        return connection.execute(select(t.RequestAudit.duration_ms).where(
            t.RequestAudit.message_id == message_id)).scalar_one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--sizes", default="1,100,1000,10000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    workdir = tempfile.mkdtemp(prefix="pasi-bench-")
    url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    engine = create_database_engine(url)
    schema.drop_everything(engine)
    schema.upgrade(engine)
    now = datetime.now(UTC).replace(tzinfo=None)
    load_document(session_factory(engine), province(max(sizes), now))
    print(f"database: {engine.dialect.name}; python {sys.version.split()[0]}; "
          f"{os.cpu_count()} CPUs; runs per size: {args.runs} (10,000: {max(2, args.runs // 2)})")
    print(f"{'records':>8} {'server ms (median)':>19} {'end-to-end ms':>14} {'records/s':>10} "
          f"{'peak extra MB':>14} {'accepted':>9}")
    for size in sizes:
        clear_marks(engine)
        process, base = start_server(url)
        try:
            service = f"{base}/PASIService"
            headers = {"Content-Type": "text/xml; charset=utf-8"}
            requests.post(service, data=envelope(1, -1), headers=headers, timeout=600)  # warm up
            clear_marks(engine)
            baseline = memory_kib(process.pid, "VmRSS")
            reset_peak(process.pid)
            server, wall, accepted = [], [], 0
            runs = args.runs if size < 10_000 else max(2, args.runs // 2)
            for run in range(runs):
                payload = envelope(size, run)
                started = time.perf_counter()
                response = requests.post(service, data=payload, headers=headers, timeout=600)
                wall.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
                body = response.text
                message_id = message_id_of(body)
                accepted = body.count(":PASICoreVersion>") // 2 - body.count(":PASICoreVersion>0<")
                server.append(server_time_ms(engine, message_id))
                clear_marks(engine)
            peak = memory_kib(process.pid, "VmHWM")
        finally:
            process.terminate()
            process.wait(timeout=30)
        median = statistics.median(server)
        print(f"{size:>8} {median:>19.0f} {statistics.median(wall):>14.0f} "
              f"{size / (median / 1000) if median else float('inf'):>10.0f} "
              f"{(peak - baseline) / 1024:>14.1f} {accepted:>9}")


if __name__ == "__main__":
    main()
