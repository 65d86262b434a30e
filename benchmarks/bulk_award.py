"""Benchmark: Award and Order Credentials in Bulk for N students (default 50,000).

Loads a province where every student has achieved the Alberta High School
Diploma (official marks with credits, a mailing address for 95 %), then times
``search`` and ``run`` of the bulk job (the same code ``pasi-core bulk-award``
runs).  Setup is not timed.

    python benchmarks/bulk_award.py                     # SQLite in a temporary file
    python benchmarks/bulk_award.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pasi_core  # noqa: F401
from operations.bulk_award_and_order import service
from operations.bulk_award_and_order.selection import Criteria
from pasi_core.app.memory import freeze_start_up_heap, release_free_memory
from persistence import schema
from persistence.database import create_database_engine, session_factory
from persistence.reference_loader import STANDARD_CODE_TABLES, load_document
from persistence.unit_of_work import SqlUnitOfWorkFactory


def province(students: int) -> dict:
    asns = [f"{400000000 + i:09d}" for i in range(students)]
    schools = [f"S.{1000 + s}" for s in range(50)]
    return {
        "FormatVersion": 1,
        "CodeTables": json.loads(STANDARD_CODE_TABLES.read_text())["CodeTables"],
        "Organizations": [{"OrganizationCode": "O.1", "Name": "Alberta Education"},
                          {"OrganizationCode": "A.0001", "Name": "Bench Division"}]
        + [{"OrganizationCode": s, "Name": f"Bench School {s}", "AuthorityCode": "A.0001"} for s in schools],
        "Students": [{"StateProvinceId": a, "LegalLastName": "Bench", "LegalFirstName": "Student",
                      "BirthDate": "2008-03-01"} for a in asns],
        "SchoolEnrolments": [{"StateProvinceId": a, "OrganizationCode": schools[i % len(schools)],
                              "SchoolYear": 2026} for i, a in enumerate(asns)],
        "StudentAddresses": [{"StateProvinceId": a, "AddressLines": [f"{i} Bench Street"], "City": "Edmonton",
                              "ProvinceState": "AB", "PostalCode": "T5J 0N3", "Country": "Canada",
                              "EffectiveDate": "2024-01-01"} for i, a in enumerate(asns) if i % 20],
        "OfficialMarks": [{"StateProvinceId": a, "CourseCode": course, "SchoolYear": 2026,
                           "MarkValue": "75", "CreditsAwarded": 5}
                          for a in asns for course in ("ELA30-1", "SOC30-1")],
        "CredentialAchievements": [{"StateProvinceId": a, "CredentialType": "AHSD",
                                    "RequirementSet": "AHSD-2010", "Status": "Achieved"} for a in asns],
    }


def status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> float:
    """Start a new peak (VmHWM) from the resident memory now (Linux 4.0 and later); returns it."""
    Path("/proc/self/clear_refs").write_text("5")
    return status_mib("VmRSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--students", type=int, default=50_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pasi-bulk-bench-"))
    url = args.database_url or f"sqlite:///{workdir}/bulk.sqlite3"
    engine = create_database_engine(url)
    schema.drop_everything(engine)
    schema.upgrade(engine)
    started = time.perf_counter()
    load_document(session_factory(engine), province(args.students))
    print(f"database: {engine.dialect.name}; {args.students} students loaded in "
          f"{time.perf_counter() - started:.0f} s (not timed); chunk {service.CHUNK}; {os.cpu_count()} CPUs")
    freeze_start_up_heap()  # as the job runner does once it has started
    release_free_memory()  # the province document is gone: start from what a job runner holds
    units_of_work = SqlUnitOfWorkFactory(session_factory(engine))
    now = lambda: datetime.now(UTC).replace(tzinfo=None)

    before_search = reset_peak()
    started = time.perf_counter()
    found = service.search(units_of_work, Criteria(), operator="benchmark", now=now())
    service.write_pre_processing_csv(units_of_work, found, workdir)
    search_seconds = time.perf_counter() - started
    search_peak = status_mib("VmHWM") - before_search
    release_free_memory()

    before_continue = reset_peak()
    started = time.perf_counter()
    service.start_run(units_of_work, found.run_id, "automated", operator="benchmark", now=now())
    continue_peak = status_mib("VmHWM") - before_continue
    before_run = reset_peak()
    summary = service.process_run(units_of_work, found.run_id, clock=now)
    run_peak = status_mib("VmHWM") - before_run
    before_reports = reset_peak()
    service.write_reports(units_of_work, found.run_id, out_dir=workdir)
    run_seconds = time.perf_counter() - started
    reports_peak = status_mib("VmHWM") - before_reports
    print(f"search: {found.count} students selected in {search_seconds:.1f} s, with the Pre-Processing "
          f"CSV; peak {search_peak:.0f} MB above the {before_search:.0f} MB before it")
    print(f"run: {summary.selected} students, {summary.awarded_and_ordered} awarded and ordered, "
          f"{summary.awarded_not_ordered} awarded not ordered, {summary.not_awarded} not awarded, "
          f"in {run_seconds:.1f} s ({summary.selected / run_seconds:.0f} students/s, including "
          f"Continue and the two Post-Processing CSVs); peak above the memory before each phase: "
          f"Continue (its staleness check) {continue_peak:.0f} MB, awarding and ordering "
          f"{run_peak:.0f} MB (from {before_run:.0f} MB), the two CSVs {reports_peak:.0f} MB")

if __name__ == "__main__":
    main()
