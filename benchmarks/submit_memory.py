"""Benchmark: the memory of a server answering large SubmitDiplomaExamMark requests, one after another.

Starts ``pasi-core serve --workers 0`` (one process: what it uses is what a worker uses), warms
it up with a 1-record request, then sends the same-sized large request (default 10,000 records,
every record accepted: half registrations, half results) several times, the rows removed
between requests.  Printed after each: the process's resident memory (VmRSS) and its peak so
far (VmHWM), both as MB above the resident memory before the first large request.  The target
(issue 10) is a peak of at most 120 MB above that, and a resident memory that does not grow from
one large request to the next.

    python benchmarks/submit_memory.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python benchmarks/submit_memory.py            # SQLite in a temporary file
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from submit_exam_marks import clear_marks, envelope, memory_kib, province, reset_peak, start_server

from persistence import schema
from persistence.database import create_database_engine, session_factory
from persistence.reference_loader import load_document

HEADERS = {"Content-Type": "text/xml; charset=utf-8"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=6)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='pasi-memory-')}/m.sqlite3"
    engine = create_database_engine(url)
    schema.drop_everything(engine)
    schema.upgrade(engine)
    load_document(session_factory(engine), province(args.records, datetime.now(UTC).replace(tzinfo=None)))
    process, base = start_server(url)
    try:
        service = f"{base}/PASIService"
        requests.post(service, data=envelope(1, -1), headers=HEADERS, timeout=600).raise_for_status()
        clear_marks(engine)
        baseline = memory_kib(process.pid, "VmRSS")
        reset_peak(process.pid)
        print(f"{engine.dialect.name}, {args.records} records a request; resident before: "
              f"{baseline / 1024:.0f} MB; MB above it after each request:")
        for number in range(args.requests):
            response = requests.post(service, data=envelope(args.records, number), headers=HEADERS,
                                     timeout=900)
            response.raise_for_status()
            refused = response.text.count(":PASICoreVersion>0<")
            clear_marks(engine)
            rss, peak = memory_kib(process.pid, "VmRSS"), memory_kib(process.pid, "VmHWM")
            print(f"request {number + 1}: resident {(rss - baseline) / 1024:6.1f}   "
                  f"peak {(peak - baseline) / 1024:6.1f}   refused records {refused}", flush=True)
    finally:
        process.terminate()
        process.wait(timeout=60)


if __name__ == "__main__":
    main()
