"""Award and Order Credentials in Bulk, on a generated province of a few thousand students."""
from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from operations.bulk_award_and_order import job
from operations.bulk_award_and_order.selection import Criteria
from pasi_core.app import demo
from persistence import models as t
from persistence.database import session_factory
from persistence.unit_of_work import SqlUnitOfWorkFactory
from tests.support import store
from tests.support.servers import PROJECT_ROOT

TODAY = date(2026, 7, 20)
NOW = datetime(2026, 7, 20, 15, 0)


@pytest.fixture
def province(db):
    """A demo province of 2,500 students instead of the small fixture one."""
    store.truncate_all(db)
    document = demo.generate(students=2500, seed=11, today=TODAY)
    store.load(db, {k: v for k, v in document.items() if k != "FormatVersion"})
    return db


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def counts(engine) -> tuple[int, int, int]:
    return (store.count(engine, t.StudentCredential), store.count(engine, t.DocumentOrder),
            store.count(engine, t.BulkAwardRun))


def test_a_search_without_a_run_changes_nothing(province, tmp_path):
    before = counts(province)
    result = job.search(SqlUnitOfWorkFactory(session_factory(province)), Criteria(), out_dir=tmp_path, now=NOW)
    assert counts(province) == before
    rows = read_csv(result.pre_processing_csv)
    assert len(rows) == len(result.selected) > 500
    assert {row["Credential Progress Status"] for row in rows} == {"Achieved, Not Awarded"}
    assert rows[0]["ASN"][4] == "-" and len(rows[0]["ASN"]) == 11, "####-####-#"
    assert Counter(row["Credential Type Code"] for row in rows)["AHSD"] > len(rows) // 2
    assert not any(row["Credential Type Code"] == "HHSD" for row in rows)


def test_a_run_accounts_for_every_selected_student(province, tmp_path):
    # Make one credential type's orders fail (its document type is unknown): awarded, not ordered.
    store.load(province, {"CodeTables": [{"CodeTable": "CredentialType", "Code": "CHSA", "Sequence": 6,
                                          "ShortDescription": "Certificate of High School Achievement",
                                          "Attributes": {"AwardingOrder": 6, "AllowedAfter": ["AHSD", "HSED"],
                                                         "DocumentType": "NO-SUCH-DOCUMENT"}}]})
    sessions = SqlUnitOfWorkFactory(session_factory(province))
    run_id, selection = job.start_run(sessions, Criteria(), "manual", now=NOW, out_dir=tmp_path)
    summary = job.resume_run(sessions, run_id, clock=lambda: NOW, out_dir=tmp_path)
    successful, unsuccessful = (read_csv(path) for path in summary.files)
    selected = {s.asn for s in selection.selected}
    reported = [row["ASN"].replace("-", "") for row in successful + unsuccessful]
    assert sorted(reported) == sorted(selected), "every student exactly once"

    ordered = [row for row in successful if row["Outcome"] == "Awarded and ordered"]
    not_ordered = [row for row in successful if row["Outcome"] == "Awarded, not ordered"]
    assert {row["Credential Type Code"] for row in not_ordered} == {"CHSA"}
    assert all("99030" in row["Order Rule Numbers"].split("; ") for row in not_ordered)
    assert summary.awarded_and_ordered == len(ordered) and summary.awarded_not_ordered == len(not_ordered)
    assert {row["Delivery Method"] for row in ordered} == {"ManualMail"}
    with province.connect() as connection:
        awarded = Counter(connection.execute(select(t.StudentCredential.asn).where(
            t.StudentCredential.awarded_on_date == TODAY)).scalars())
        items = connection.execute(select(t.DocumentOrderItem.credential_number,
                                          t.DocumentOrderItem.status)).all()
    assert set(awarded.values()) == {1} and len(awarded) == len(successful)
    assert len(items) == len(ordered) and {status for _, status in items} == {"Ordered"}
    assert {row["Credential Number"].replace("-", "") for row in ordered} == {number for number, _ in items}

    assert summary.not_awarded == len(unsuccessful) > 0
    assert {row["Failed Step"] for row in unsuccessful} == {"Award"}
    assert {row["Rule Numbers"] for row in unsuccessful} <= {"44013", "44008"}
    assert all(row["Rule Messages"].startswith(("Invalid Alberta Student Number", "Credential was not"))
               for row in unsuccessful)

    # A new search finds only the students whose award failed (they still need follow-up).
    again = {s.asn for s in job.search(sessions, Criteria(), now=NOW).selected}
    assert again == {row["ASN"].replace("-", "") for row in unsuccessful}


def test_criteria_limit_the_selection(province):
    sessions = SqlUnitOfWorkFactory(session_factory(province))
    everyone = job.search(sessions, Criteria(), now=NOW).selected
    school = job.search(sessions, Criteria(school="S.0101"), now=NOW).selected
    authority = job.search(sessions, Criteria(authority="A.0001"), now=NOW).selected
    certificates = job.search(sessions, Criteria(credential_types=("CHSA",)), now=NOW).selected
    assert 0 < len(school) < len(authority) < len(everyone)
    assert {s.asn for s in school} <= {s.asn for s in authority}
    assert certificates and {s.credential_type for s in certificates} == {"CHSA"}
    with pytest.raises(job.BulkAwardError, match="awarded singly only"):
        job.search(sessions, Criteria(credential_types=("HHSD",)), now=NOW)
    with pytest.raises(job.BulkAwardError, match="not in authority"):
        job.search(sessions, Criteria(authority="A.0002", school="S.0101"), now=NOW)


def test_a_killed_run_resumes_and_never_awards_a_student_twice(province, database_url, tmp_path):
    env = dict(os.environ, PASI_DATABASE_URL=database_url, PASI_BULK_CHUNK_SIZE="15",
               PASI_LOG_LEVEL="WARNING")
    cli = [sys.executable, "-m", "pasi_core.app.cli", "bulk-award"]
    run = subprocess.Popen(cli + ["run", "--out-dir", str(tmp_path)], cwd=PROJECT_ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # Our SQLite engines begin every transaction with BEGIN IMMEDIATE, so a watcher on
    # them would queue for the write lock behind the run and might see it only after it
    # ended; a plain engine reads the WAL snapshot without waiting.
    watcher = create_engine(province.url) if province.dialect.name == "sqlite" else province
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and store.count(watcher, t.DocumentOrder) < 30:
        time.sleep(0.02)
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    with province.connect() as connection:
        run_id = connection.execute(select(func.max(t.BulkAwardRun.id))).scalar_one()
        states = Counter(connection.execute(select(t.BulkAwardRunStudent.state).where(
            t.BulkAwardRunStudent.run_id == run_id)).scalars())
    assert states["Selected"] > 0, f"the run finished before it was killed: {states}"

    resumed = subprocess.run(cli + ["resume", str(run_id), "--out-dir", str(tmp_path)], cwd=PROJECT_ROOT,
                             env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "Awarding and Ordering Summary" in resumed.stdout
    with province.connect() as connection:
        per_student = Counter(connection.execute(select(t.StudentCredential.asn).where(
            t.StudentCredential.is_deleted.is_(False))).scalars())
        final = Counter(connection.execute(select(t.BulkAwardRunStudent.state).where(
            t.BulkAwardRunStudent.run_id == run_id)).scalars())
        orders_per_credential = Counter(connection.execute(select(t.DocumentOrderItem.credential_number)).scalars())
    assert max(per_student.values()) == 1, "no student holds two credentials from the run"
    assert set(final) <= {"Ordered", "AwardFailed"} and final["Ordered"] > 0
    assert max(orders_per_credential.values()) == 1
    successful = [p for p in tmp_path.iterdir() if p.name.endswith("Successful.csv")
                  and "Un-successful" not in p.name]
    rows = read_csv(successful[0])
    assert len(rows) == final["Ordered"]
