"""Benchmark: does a 33,000-student bulk run slow SubmitDiplomaExamMark for schools more than a
1,000-record batch does?  (Issue 11: it must not.)

One ``pasi-core serve --dev-auth --workers 2`` (the front, two gunicorn workers, the job runner)
on the database given.  A probe client (a school's SIS) sends 10-record SubmitDiplomaExamMark
requests in a closed loop, and its latencies are measured in three phases:

  A. alone;
  B. while a second client (the Ministry) sends 1,000-record batches back to back;
  C. while the job runner processes a bulk run of N students (default 33,000), from its start to
     its end.

Printed: the probe's median and p95 in each phase, and C against B.

    python benchmarks/bulk_interference.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bulk_award import province as bulk_province  # noqa: E402
from load import Client, Stats, load_reference_data, percentile  # noqa: E402
from sqlalchemy import text  # noqa: E402
from submit_exam_marks import free_port, wait_until_healthy  # noqa: E402

from operations.bulk_award_and_order import service  # noqa: E402
from operations.bulk_award_and_order.selection import Criteria  # noqa: E402
from persistence import models as t  # noqa: E402
from persistence import schema  # noqa: E402
from persistence.database import create_database_engine, session_factory  # noqa: E402
from persistence.reference_loader import load_document  # noqa: E402
from persistence.unit_of_work import SqlUnitOfWorkFactory  # noqa: E402

PROBE_RECORDS, BATCH_RECORDS = 10, 1000
ANALYZE_SECONDS = 15.0
"""How often the benchmark refreshes the planner statistics (autovacuum is off on its machine)."""
PROBE_STUDENTS = 600
"""Each phase's probe works on students, an exam and sittings of its own, all starting without
marks: the phases compare like with like."""


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def start_server(database_url: str, workdir: Path):
    port = free_port()
    env = dict(os.environ, PASI_DATABASE_URL=database_url, PASI_LOG_LEVEL="WARNING", PASI_DOCUMENTS_INTERVAL="0",
               PASI_SECRET_KEY="benchmark-" + "k" * 40, PASI_DOCUMENTS_DIR=str(workdir / "documents"))
    process = subprocess.Popen([sys.executable, "-m", "pasi_core.app.cli", "serve", "--dev-auth", "--port",
                                str(port), "--workers", "2"], cwd=workdir, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    if wait_until_healthy(url, 180):
        return process, url
    os.killpg(process.pid, signal.SIGKILL)
    raise RuntimeError("the server did not start")


def analyze_every(engine, seconds: float, stop: threading.Event) -> None:
    """What autovacuum's analyze does in production (autovacuum is off on the benchmark machine):
    fresh planner statistics while tables grow, the same for every phase.  Without it the phases
    late in the run are planned with statistics of much smaller tables."""
    while not stop.wait(seconds):
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()


def probe_until(client: Client, done) -> None:
    while not done():
        client.run(0, time.monotonic() + 2)


def summary(stats: Stats) -> tuple[float, float, int]:
    values = sorted(stats.latencies)
    return percentile(values, 0.5) * 1000, percentile(values, 0.95) * 1000, len(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--students", type=int, default=33_000, help="students of the bulk run")
    parser.add_argument("--seconds", type=float, default=30, help="length of phases A and B")
    args = parser.parse_args()
    workdir = Path(f"/tmp/pasi-interference-{os.getpid()}")
    workdir.mkdir(parents=True, exist_ok=True)
    engine = create_database_engine(args.database_url)
    schema.drop_everything(engine)
    schema.upgrade(engine)
    load_document(session_factory(engine), bulk_province(args.students))
    phases = ("A", "B", "C", "A2", "B2")
    # Each phase's probe has students, an exam and sittings of its own (the cost of a registration
    # grows with the sitting's registrations).
    schools = {phase: load_reference_data(args.database_url, "S.9902", PROBE_STUDENTS, seed=10 + i)
               for i, phase in enumerate(("warm-up", *phases))}
    # B and B2 each have Ministry students of their own, so both phases' batches do the same work.
    ministry = {phase: load_reference_data(args.database_url, "O.1", 3 * BATCH_RECORDS, seed=2 + i)
                for i, phase in enumerate(("B", "B2"))}
    print(f"database: {engine.dialect.name}; {args.students} students for the bulk run; {os.cpu_count()} CPUs")
    process, url = start_server(args.database_url, workdir)
    analyzing = threading.Event()
    analyzer = threading.Thread(target=analyze_every, args=(engine, ANALYZE_SECONDS, analyzing),
                                daemon=True)
    analyzer.start()
    try:
        settings = dict(seed=7, base_url=url)
        probe_stats = {phase: Stats() for phase in phases}
        def probe(phase: str) -> Client:
            return Client(0, schools[phase], schools[phase].students, SimpleNamespace(
                organization="S.9902", records_per_request=PROBE_RECORDS, **settings),
                probe_stats.get(phase, Stats()))

        probe("warm-up").run(0, time.monotonic() + 3)
        probe("A").run(0, time.monotonic() + args.seconds)

        batch_stats = {"B": Stats(), "B2": Stats()}

        def with_batches(phase: str) -> None:
            # A client of its own per phase: one that met a fault drops the students it sent.
            batch = Client(1, ministry[phase], ministry[phase].students, SimpleNamespace(
                organization="O.1", records_per_request=BATCH_RECORDS, **settings), batch_stats[phase])
            stop_b = time.monotonic() + args.seconds
            batch_thread = threading.Thread(target=batch.run, args=(0, stop_b))
            batch_thread.start()
            probe(phase).run(0, stop_b)
            batch_thread.join()

        with_batches("B")

        units = SqlUnitOfWorkFactory(session_factory(engine))
        found = service.search(units, Criteria(), operator="benchmark", now=now())
        started = time.monotonic()
        service.start_run(units, found.run_id, "automated", operator="benchmark", now=now(),
                          queue_job=True)

        def finished() -> bool:
            with engine.connect() as connection:
                status = connection.execute(t.BulkAwardRun.__table__.select().where(
                    t.BulkAwardRun.id == found.run_id)).mappings().one()["status"]
            return status == "Finished"

        probe_until(probe("C"), finished)
        run_seconds = time.monotonic() - started
        # Again after the run (the tables have grown): C is compared with the phases on both sides.
        probe("A2").run(0, time.monotonic() + args.seconds)
        with_batches("B2")
    finally:
        analyzing.set()
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(60)
    figures = {p: summary(probe_stats[p]) for p in probe_stats}
    labels = {"A": "A  alone", "B": "B  with 1,000-record batches",
              "C": f"C  during the bulk run ({run_seconds:.0f} s)", "A2": "A2 alone, after",
              "B2": "B2 with 1,000-record batches, after"}
    print(f"probe: {PROBE_RECORDS}-record SubmitDiplomaExamMark from a school, closed loop; "
          f"bulk run of {found.count} students")
    for phase in ("A", "B", "C", "A2", "B2"):
        median, p95, count = figures[phase]
        print(f"{labels[phase]:<42} median {median:6.0f} ms  p95 {p95:6.0f} ms  ({count} requests)")
    for phase, stats in batch_stats.items():
        median, p95, count = summary(stats)
        print(f"   the 1,000-record batches of {phase}: {count} requests, median {median:.0f} ms, "
              f"{stats.accepted} records accepted, {stats.rejected} rejected, "
              f"{sum(stats.failures.values())} faults or errors")
    batches = [max(figures["B"][i], figures["B2"][i]) for i in (0, 1)]
    print(f"C / the slower of B and B2: median {figures['C'][0] / batches[0]:.2f}, p95 "
          f"{figures['C'][1] / batches[1]:.2f} (target: at most 1)")


if __name__ == "__main__":
    main()
