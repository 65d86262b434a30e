"""Benchmark: SubmitDiplomaExamMark against its floor, the irreducible work of the same request.

The floor of a request is what any implementation must do with it: parse the body with a
hardened parser, validate it against the published XSD (one call on the whole request), write
the very rows the live service wrote for it (one bulk write per table: COPY on PostgreSQL,
executemany on SQLite) and commit.  No rules, no lookups, no response.

For each size, one live server (``pasi-core serve --workers 0 --dev-auth``, as
benchmarks/submit_exam_marks.py runs it) and the floor alternate in one run: the request goes to
the live service (its time is the audit row's, parse to commit), the rows it wrote are read back
and removed, the floor writes the same rows in this process from the same body (timed), and they
are removed again.  Every record is accepted (half registrations, half results, as the Ministry).

Printed per size: live and floor medians and p95 (ms), the ratio of the medians and of the p95s,
and for 1 record the difference in ms.

    python benchmarks/submit_floor.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python benchmarks/submit_floor.py                      # SQLite (temporary file)
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from load import percentile, refresh_statistics  # noqa: E402
from lxml import etree  # noqa: E402
from submit_exam_marks import (  # noqa: E402
    clear_marks,
    envelope,
    message_id_of,
    province,
    server_time_ms,
    start_server,
)

from pasi_core.soap.envelope import secure_parser  # noqa: E402
from pasi_core.soap.publish import publish  # noqa: E402
from persistence import models as t  # noqa: E402
from persistence import schema  # noqa: E402
from persistence.bulk import bulk_insert  # noqa: E402
from persistence.database import create_database_engine, session_factory  # noqa: E402
from persistence.reference_loader import load_document  # noqa: E402

WRITTEN = (t.ExamMark, t.ExamMarkComponent, t.RegistrationFee, t.TranscriptTrigger, t.ProcessedRequest)
"""The tables a SubmitDiplomaExamMark request writes and clear_marks empties (in insert order;
the audit row is the service's own bookkeeping and not part of the floor)."""


def written_rows(engine) -> list[tuple[object, list[dict]]]:
    with engine.connect() as connection:
        return [(t.table(model), [dict(row) for row in connection.execute(
            select(t.table(model))).mappings()]) for model in WRITTEN]


def floor_ms(sessions, xml_schema: etree.XMLSchema, body: bytes, rows) -> float:
    started = time.perf_counter()
    document = etree.fromstring(body, secure_parser())
    operation = document[0][0]  # Envelope / Body / SubmitDiplomaExamMark
    xml_schema.assertValid(operation)
    with sessions() as session:
        for table, table_rows in rows:
            bulk_insert(session, table, table_rows)
        session.commit()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--sizes", default="1,100,1000,10000")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='pasi-floor-')}/bench.sqlite3"
    engine = create_database_engine(url)
    schema.drop_everything(engine)
    schema.upgrade(engine)
    load_document(session_factory(engine), province(max(sizes), datetime.now(UTC).replace(tzinfo=None)))
    refresh_statistics(engine)
    sessions = session_factory(engine)
    xml_schema = publish("PASIService", "http://localhost").schema.xml_schema
    print(f"database: {engine.dialect.name}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs")
    print(f"{'records':>8} {'runs':>5} {'live ms med/p95':>16} {'floor ms med/p95':>17} "
          f"{'ratio med':>10} {'ratio p95':>10} {'live-floor med':>15}")
    for size in sizes:
        clear_marks(engine)
        process, base = start_server(url)
        live, floor = [], []
        try:
            service, headers = f"{base}/PASIService", {"Content-Type": "text/xml; charset=utf-8"}
            for warm in range(2):
                requests.post(service, data=envelope(min(size, 100), -1 - warm), headers=headers, timeout=600)
                floor_ms(sessions, xml_schema, envelope(1, -9), [])
            clear_marks(engine)
            runs = args.runs if size < 10_000 else max(3, args.runs // 3)
            for run in range(runs):
                body = envelope(size, run)
                response = requests.post(service, data=body, headers=headers, timeout=600)
                response.raise_for_status()
                text = response.text
                if ":PASICoreVersion>0<" in text or ":Rejection>" in text:
                    raise RuntimeError("a record was rejected: the floor would not write the same rows")
                live.append(server_time_ms(engine, message_id_of(text)))
                rows = written_rows(engine)
                if run == 0:
                    # Statistics of tables holding a batch (as autovacuum keeps them in
                    # production, where they are never empty): ANALYZEd on empty tables, the
                    # foreign-key checks of either side were planned as scans.
                    refresh_statistics(engine)
                clear_marks(engine)
                floor.append(floor_ms(sessions, xml_schema, body, rows))
                clear_marks(engine)
        finally:
            process.terminate()
            process.wait(timeout=30)
        live_median, floor_median = statistics.median(live), statistics.median(floor)
        live_p95, floor_p95 = percentile(live, 0.95), percentile(floor, 0.95)
        print(f"{size:>8} {len(live):>5} {live_median:>7.0f} / {live_p95:>6.0f} "
              f"{floor_median:>8.1f} / {floor_p95:>6.1f} {live_median / floor_median:>9.2f}x "
              f"{live_p95 / floor_p95:>9.2f}x {live_median - floor_median:>12.1f} ms", flush=True)


if __name__ == "__main__":
    main()
