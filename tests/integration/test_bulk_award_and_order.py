"""Award and Order Credentials in Bulk on a generated province of a few thousand students:
the frozen selection, the run, its audit rows, resume, and the CSV files."""
from __future__ import annotations

import csv
import json
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

from operations.bulk_award_and_order import service
from operations.bulk_award_and_order.selection import Criteria
from persistence import models as t
from persistence.database import session_factory
from persistence.unit_of_work import SqlUnitOfWorkFactory
from tests.support import store
from tests.support.servers import PROJECT_ROOT

TODAY = date(2026, 7, 20)
NOW = datetime(2026, 7, 20, 15, 0)
OPERATOR = "Pat Records"


@pytest.fixture
def province(db):
    """A demo province of 2,500 students instead of the small fixture one."""
    store.load_demo_province(db, students=2500, seed=11, today=TODAY)
    return db


@pytest.fixture
def units(province):
    return SqlUnitOfWorkFactory(session_factory(province))


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def counts(engine) -> tuple[int, int]:
    return store.count(engine, t.StudentCredential), store.count(engine, t.DocumentOrder)


def asns_of(units, chosen) -> set[str]:
    return {s.asn for s in service.students(units, chosen.run_id)}


def run_all(units, criteria: Criteria | None = None, delivery="manual"):
    criteria = criteria or Criteria()
    chosen = service.search(units, criteria, operator=OPERATOR, now=NOW)
    start = service.start_run(units, chosen.run_id, delivery, operator=OPERATOR, now=NOW)
    assert start.started
    service.process_run(units, chosen.run_id, clock=lambda: NOW)
    return chosen


def test_a_search_records_the_selection_and_awards_nothing(province, units, tmp_path):
    before = counts(province)
    chosen = service.search(units, Criteria(), operator=OPERATOR, now=NOW)
    path = service.write_pre_processing_csv(units, chosen, tmp_path)
    assert counts(province) == before
    rows = read_csv(path)
    assert len(rows) == chosen.count > 500
    assert {row["Credential Progress Status"] for row in rows} == {"Achieved, Not Awarded"}
    assert rows[0]["ASN"][4] == "-" and len(rows[0]["ASN"]) == 11, "####-####-#"
    assert Counter(row["Credential Type Code"] for row in rows)["AHSD"] > len(rows) // 2
    assert not any(row["Credential Type Code"] == "HHSD" for row in rows)
    run = store.row(province, t.BulkAwardRun, id=chosen.run_id)
    assert (run["status"], run["operator"]) == ("Searched", OPERATOR)
    assert store.count(province, t.BulkAwardRunStudent, run_id=chosen.run_id) == len(rows)
    # The file is named for the province's time (15:00 UTC is 09:00 in Edmonton in July).
    assert path.name == "2026-07-20 09.00.00 - Bulk Credential Award and Order - Pre-Processing.csv"


def test_a_run_accounts_for_every_selected_student(province, units, tmp_path):
    # Make one credential type's orders fail (its document type is unknown): awarded, not ordered.
    store.load(province, {"CodeTables": [{"CodeTable": "CredentialType", "Code": "CHSA", "Sequence": 6,
                                          "ShortDescription": "Certificate of High School Achievement",
                                          "Attributes": {"AwardingOrder": 6, "AllowedAfter": ["AHSD", "HSED"],
                                                         "DocumentType": "NO-SUCH-DOCUMENT"}}]})
    chosen = run_all(units)
    summary = service.write_reports(units, chosen.run_id, out_dir=tmp_path)
    successful, unsuccessful = (read_csv(path) for path in summary.files)
    selected = asns_of(units, chosen)
    reported = [row["ASN"].replace("-", "") for row in successful + unsuccessful]
    assert sorted(reported) == sorted(selected), "every student exactly once"

    ordered = [row for row in successful if row["Outcome"] == "Awarded and ordered"]
    not_ordered = [row for row in successful if row["Outcome"] == "Awarded, not ordered"]
    assert {row["Credential Type Code"] for row in not_ordered} == {"CHSA"}
    assert all("99030" in row["Order Rule Numbers"].split("; ") for row in not_ordered)
    assert summary.awarded_and_ordered == len(ordered) and summary.awarded_not_ordered == len(not_ordered)
    assert {row["Delivery Method"] for row in ordered} == {"Manual Mail"}
    assert {row["Order Item Status"] for row in ordered} == {"Ordered"}
    assert {row["Credential Status"] for row in successful} == {"Awarded"}
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
    # Un-successful rows keep what the search found.
    failed_44008 = [row for row in unsuccessful if row["Rule Numbers"] == "44008"]
    assert failed_44008 and all(row["Credential Requirement Set"] for row in failed_44008)

    # A new search finds only the students whose award failed (they still need follow-up).
    again = asns_of(units, service.search(units, Criteria(), operator=OPERATOR, now=NOW))
    assert again == {row["ASN"].replace("-", "") for row in unsuccessful}


def test_every_chunk_is_audited_with_its_operator(province, units):
    chosen = run_all(units)
    audit = t.table(t.RequestAudit)
    with province.connect() as connection:
        rows = connection.execute(select(audit).where(audit.c.endpoint == "StudentRecords")).mappings().all()
    operations = Counter(row["operation"] for row in rows)
    assert operations["SubmitCredentialAwardingMultiple"] >= 1 and operations["ConstructDocumentOrder"] >= 1
    assert {row["operator"] for row in rows} == {OPERATOR}
    awarded = sum(row["accepted_count"] for row in rows if row["operation"] == "SubmitCredentialAwardingMultiple")
    assert awarded == store.count(province, t.StudentCredential, awarded_on_date=TODAY)
    assert sum(row["record_count"] for row in rows
               if row["operation"] == "SubmitCredentialAwardingMultiple") == chosen.count
    logged = json.dumps([dict(r) for r in rows], default=str)
    assert not any(asn in logged for asn in sorted(asns_of(units, chosen))[:50])


def test_continue_processes_exactly_the_frozen_selection_and_only_once(province, units):
    chosen = service.search(units, Criteria(school="S.0101"), operator=OPERATOR, now=NOW)
    frozen = asns_of(units, chosen)
    # The province moves on after the search: one more student becomes eligible.
    newcomer = next(s for s in service.students(units, service.search(
        units, Criteria(), operator=OPERATOR, now=NOW).run_id) if s.asn not in frozen)
    store.load(province, {"SchoolEnrolments": [{"StateProvinceId": newcomer.asn, "OrganizationCode": "S.0101",
                                                "SchoolYear": 2027, "Grade": "12"}]})
    first = service.start_run(units, chosen.run_id, "automated", operator=OPERATOR, now=NOW)
    second = service.start_run(units, chosen.run_id, "automated", operator="Someone Else", now=NOW)
    assert first.started and not second.started
    assert first.staleness.newly_eligible == 1
    service.process_run(units, chosen.run_id, clock=lambda: NOW)
    awarded = {row.asn for row in store.rows(province, t.StudentCredential) if row.awarded_on_date == TODAY}
    assert awarded <= frozen and newcomer.asn not in awarded
    run = store.row(province, t.BulkAwardRun, id=chosen.run_id)
    assert (run["status"], run["run_operator"], run["delivery_method"]) == (
        "Finished", OPERATOR, "AutomatedPlusCardboard")


def test_a_cancelled_confirmation_changes_nothing_and_cannot_be_started(province, units):
    before = counts(province)
    chosen = service.search(units, Criteria(), operator=OPERATOR, now=NOW)
    assert service.cancel(units, chosen.run_id, now=NOW)
    with pytest.raises(service.BulkAwardError, match="was cancelled"):
        service.start_run(units, chosen.run_id, "automated", operator=OPERATOR, now=NOW)
    assert counts(province) == before


def test_a_run_is_refused_while_another_unfinished_run_holds_its_students(province, units):
    first = service.search(units, Criteria(), operator=OPERATOR, now=NOW)
    second = service.search(units, Criteria(school="S.0101"), operator=OPERATOR, now=NOW)
    assert service.start_run(units, first.run_id, "automated", operator=OPERATOR, now=NOW).started
    with pytest.raises(service.BulkAwardError, match=f"bulk run {first.run_id} is not finished"):
        service.start_run(units, second.run_id, "automated", operator=OPERATOR, now=NOW)


def test_resume_retries_the_students_left_awarded_but_not_ordered(province, units, tmp_path):
    broken = {"CodeTable": "CredentialType", "Code": "CHSA", "Sequence": 6,
              "ShortDescription": "Certificate of High School Achievement",
              "Attributes": {"AwardingOrder": 6, "AllowedAfter": ["AHSD", "HSED"], "DocumentType": "NOPE"}}
    store.load(province, {"CodeTables": [broken]})
    chosen = run_all(units, Criteria(credential_types=("CHSA",)))
    assert service.summarize(units, chosen.run_id).awarded_not_ordered > 0
    store.load(province, {"CodeTables": [dict(broken, Attributes=dict(broken["Attributes"], DocumentType="CHSA"))]})
    summary = service.resume_run(units, chosen.run_id, clock=lambda: NOW)
    assert summary.awarded_not_ordered == 0 and summary.awarded_and_ordered > 0


def test_criteria_limit_the_selection_and_bad_ones_are_refused(province, units):
    def selected(**criteria):
        return list(service.students(units, service.search(units, Criteria(**criteria), operator=OPERATOR,
                                                           now=NOW).run_id))

    everyone, school, authority = selected(), selected(school="S.0101"), selected(authority="A.0001")
    certificates = selected(credential_types=("CHSA",))
    assert 0 < len(school) < len(authority) < len(everyone)
    assert {s.asn for s in school} <= {s.asn for s in authority}
    assert certificates and {s.credential_type for s in certificates} == {"CHSA"}
    with pytest.raises(service.BulkAwardError, match="awarded singly only"):
        selected(credential_types=("HHSD",))
    with pytest.raises(service.BulkAwardError, match="not in authority"):
        selected(authority="A.0002", school="S.0101")
    with pytest.raises(service.BulkAwardError, match=r"A\.9999 is not a known authority"):
        selected(authority="A.9999")  # a mistyped criterion never means "everyone"
    with pytest.raises(service.BulkAwardError, match="named operator"):
        service.search(units, Criteria(), operator=" ", now=NOW)


def test_a_report_of_an_unknown_run_is_a_clear_error(units, tmp_path):
    with pytest.raises(service.BulkAwardError, match="there is no bulk selection or run 999"):
        service.write_reports(units, 999, out_dir=tmp_path)


def test_francophone_students_get_french_credential_orders(province, units):
    store.load(province, {"Organizations": [{"OrganizationCode": "S.0101", "Name": "École Airdrie",
                                             "AuthorityCode": "A.0001", "IsFrancophone": True}]})
    chosen = run_all(units, Criteria(school="S.0101"))
    languages = {row.document_language for row in store.rows(province, t.DocumentOrderItem)}
    assert chosen.count and languages == {"FR"}


def test_csv_cells_cannot_become_spreadsheet_formulas(province, units, tmp_path):
    store.load(province, {"Students": [{"StateProvinceId": s, "LegalLastName": "=HYPERLINK(\"x\")"}
                                       for s in [store.rows(province, t.Student)[0].asn]]})
    chosen = service.search(units, Criteria(), operator=OPERATOR, now=NOW)
    text = service.write_pre_processing_csv(units, chosen, tmp_path).read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_a_killed_run_resumes_and_never_awards_a_student_twice(province, units, database_url, tmp_path):
    chosen = service.search(units, Criteria(), operator=OPERATOR, now=NOW)
    # Chunks of 15: about a hundred commits, so the run is killed between two of them.
    env = dict(os.environ, PASI_DATABASE_URL=database_url, PASI_LOG_LEVEL="WARNING", PASI_BULK_CHUNK_SIZE="15")
    cli = [sys.executable, "-m", "pasi_core.app.cli", "bulk-award"]
    run = subprocess.Popen(cli + ["run", str(chosen.run_id), "--operator", OPERATOR, "--out-dir", str(tmp_path)],
                           cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    # A plain engine reads SQLite's WAL snapshot without queueing behind the run's write lock.
    watcher = create_engine(province.url) if province.dialect.name == "sqlite" else province
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and store.count(watcher, t.DocumentOrder) < 30 and run.poll() is None:
        time.sleep(0.05)
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=60)
    with province.connect() as connection:
        states = Counter(connection.execute(select(t.BulkAwardRunStudent.state).where(
            t.BulkAwardRunStudent.run_id == chosen.run_id)).scalars())
    if not states["Selected"]:
        pytest.fail(f"the run finished before it could be killed: {states} (make the province larger)")

    resumed = subprocess.run(cli + ["resume", str(chosen.run_id), "--out-dir", str(tmp_path)], cwd=PROJECT_ROOT,
                             env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert "Awarding and Ordering Summary" in resumed.stdout
    with province.connect() as connection:
        per_student = Counter(connection.execute(select(t.StudentCredential.asn).where(
            t.StudentCredential.is_deleted.is_(False))).scalars())
        final = Counter(connection.execute(select(t.BulkAwardRunStudent.state).where(
            t.BulkAwardRunStudent.run_id == chosen.run_id)).scalars())
        orders_per_credential = Counter(connection.execute(select(t.DocumentOrderItem.credential_number)).scalars())
        total = connection.execute(select(func.count()).select_from(t.BulkAwardRunStudent).where(
            t.BulkAwardRunStudent.run_id == chosen.run_id)).scalar_one()
    assert max(per_student.values()) == 1, "no student holds two credentials from the run"
    assert set(final) <= {"Ordered", "AwardFailed"} and final["Ordered"] > 0 and sum(final.values()) == total
    assert max(orders_per_credential.values()) == 1
    successful = [p for p in tmp_path.iterdir() if p.name.endswith("Successful.csv")
                  and "Un-successful" not in p.name]
    assert len(read_csv(successful[0])) == final["Ordered"]


def test_the_post_processing_files_are_written_a_chunk_at_a_time_with_the_same_bytes(province, units, tmp_path):
    """write_reports streams the rows (memory flat in the run's size); the files are byte for
    byte the screen's download, made in other chunks, in the run's order."""
    chosen = run_all(units)
    summary = service.write_reports(units, chosen.run_id, out_dir=tmp_path, chunk=97)
    whole = [service.post_processing_csv(units, chosen.run_id, kind, chunk=100_000)
             for kind in ("Successful", "Un-successful")]
    assert whole[0].records + whole[1].records == chosen.count and whole[0].records > 97
    for path, download in zip(summary.files, whole, strict=True):
        assert path.name == download.name
        assert path.read_bytes() == download.content
    assert whole[0].content.startswith("\ufeff".encode())


def test_a_search_and_its_staleness_check_made_in_small_chunks_are_the_same(province, units, monkeypatch, tmp_path):
    """The search pages through its candidates and Continue compares a chunk at a time (what
    either holds does not grow with the province); the chunk's size changes nothing."""
    whole = {kind: list(service.students(units, service.search(units, criteria, operator=OPERATOR, now=NOW).run_id))
             for kind, criteria in (("school", Criteria(school="S.0101")), ("everyone", Criteria()))}
    monkeypatch.setattr(service, "LOAD_CHUNK", 7)
    chosen = service.search(units, Criteria(school="S.0101"), operator=OPERATOR, now=NOW)
    everyone = service.search(units, Criteria(), operator=OPERATOR, now=NOW)
    students = list(service.students(units, chosen.run_id, chunk=5))
    assert chosen.count == len(students) > 14
    assert [(s.position, s.asn, s.credential_type, s.requirement_set, s.expected_school_year) for s in students] == [
        (s.position, s.asn, s.credential_type, s.requirement_set, s.expected_school_year) for s in whole["school"]]
    assert [s.asn for s in students] == sorted(s.asn for s in students)
    assert [s.asn for s in service.students(units, everyone.run_id)] == [s.asn for s in whole["everyone"]]

    # The Pre-Processing CSV, written and downloaded in different chunks, is the same file.
    path = service.write_pre_processing_csv(units, chosen, tmp_path, chunk=4)
    download = service.pre_processing_csv(units, chosen.run_id, chunk=1000)
    assert (path.name, path.read_bytes()) == (download.name, download.content) and download.records == len(students)
    assert [row["ASN"].replace("-", "") for row in read_csv(path)] == [s.asn for s in students]

    # Since the search, two selected students left the school and three others joined it.
    frozen = {s.asn for s in students}
    leavers = [s.asn for s in students[6:8]]
    joiners = [s.asn for s in whole["everyone"] if s.asn not in frozen][5:8]
    store.load(province, {"SchoolEnrolments": [
        {"StateProvinceId": asn, "OrganizationCode": school, "SchoolYear": 2027, "Grade": "12"}
        for asn, school in [(a, "S.0102") for a in leavers] + [(a, "S.0101") for a in joiners]]})
    start = service.start_run(units, chosen.run_id, "automated", operator=OPERATOR, now=NOW)
    assert start.started
    assert (start.staleness.no_longer_eligible, start.staleness.newly_eligible) == (2, 3)


def test_an_export_is_audited_once_its_whole_file_is_made_and_not_when_it_fails(province, units):
    chosen = run_all(units)

    def exports() -> int:
        return store.count(province, t.RequestAudit, operation="ExportSuccessfulCsv")

    body = service.exported(units, service.post_processing_csv(units, chosen.run_id, "Successful", chunk=100),
                            chosen.run_id, "Successful", operator=OPERATOR, now=NOW)
    first = next(body)
    assert first.startswith("\ufeff".encode()) and exports() == 0, "nothing audited before the file is made"
    assert b"".join(body) and exports() == 1

    # A credential gone from under the run: the file fails half-way and no export is recorded.
    ordered = [s for s in service.students(units, chosen.run_id) if s.state == "Ordered"]
    with province.begin() as connection:
        connection.execute(t.table(t.BulkAwardRunStudent).update().where(
            t.BulkAwardRunStudent.run_id == chosen.run_id,
            t.BulkAwardRunStudent.position == ordered[len(ordered) // 2].position).values(
            credential_number="ZZZZZZZZZZ"))
    body = service.exported(units, service.post_processing_csv(units, chosen.run_id, "Successful", chunk=100),
                            chosen.run_id, "Successful", operator=OPERATOR, now=NOW)
    with pytest.raises(service.BulkAwardError, match="is missing"):
        b"".join(body)
    assert exports() == 1
