"""Credential document production on the database: a bulk run's Ordered items processed into
PDFs or put on System Hold, printed into print jobs, delivered, their status changed by hand,
and the outbox; each re-run and interruption checked for duplicates."""
from __future__ import annotations

import json
import threading
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from operations.bulk_award_and_order import service as bulk
from operations.bulk_award_and_order.selection import Criteria
from operations.credential_documents import service
from operations.credential_documents.model import (
    CREDENTIAL_ISSUED,
    CREDENTIAL_UNDELIVERABLE,
    JOB_DELIVERED,
    JOB_FAILED,
    JOB_RETRY,
    PRINT_JOB_DELIVERED,
    PRINT_JOB_DELIVERY_FAILED,
    ItemKey,
)
from operations.credential_documents.ports import DeliveryFailed
from operations.credential_documents.rules import DocumentStatusRefused
from pasi_core.documents.delivery import FolderDelivery
from pasi_core.documents.files import DocumentFolder
from pasi_core.documents.outbox import FolderMessageSink
from pasi_core.documents.rendering import PdfRenderer
from pasi_core.documents.templates import load_templates
from persistence import models as t
from persistence.database import session_factory
from persistence.unit_of_work import SqlUnitOfWorkFactory
from tests.support import pdf, store

TODAY = date(2026, 7, 20)
NOW = datetime(2026, 7, 20, 15, 0)
OPERATOR = "Pat Records"


def clock():
    return NOW


@pytest.fixture
def province(db):
    store.load_demo_province(db, students=400, seed=5, today=TODAY)
    return db


@pytest.fixture
def units(province):
    return SqlUnitOfWorkFactory(session_factory(province))


@pytest.fixture
def documents(tmp_path):
    renderer = PdfRenderer(load_templates(), clock=clock)
    return service.Documents(renderer, DocumentFolder(tmp_path / "documents"))


def bulk_run(units, delivery="automated"):
    chosen = bulk.search(units, Criteria(), operator=OPERATOR, now=NOW)
    assert bulk.start_run(units, chosen.run_id, delivery, operator=OPERATOR, now=NOW).started
    bulk.process_run(units, chosen.run_id, clock=clock)
    return chosen


def rows(engine, model, **where) -> list[dict]:
    found = [r._asdict() for r in store.rows(engine, model, **where)]
    return sorted(found, key=lambda r: r["id"]) if found and "id" in found[0] else found


def items(engine, **where) -> list[dict]:
    return sorted(rows(engine, t.DocumentOrderItem, **where), key=lambda i: (i["order_id"], i["item_number"]))


def live_files(engine) -> list[dict]:
    return [f for f in rows(engine, t.DocumentFile) if not f["is_deleted"]]


def test_processing_renders_each_ordered_item_or_holds_it_for_want_of_an_address(province, units, documents):
    bulk_run(units)
    ordered = items(province, status="Ordered")
    without_address = {(i["order_id"], i["item_number"]) for i in ordered if not i["address_lines"]}
    assert len(ordered) > 50 and without_address, "the demo orders for students without an address too"
    summary = service.process_ordered(units, documents, clock=clock, batch=40)
    assert (summary.processed, summary.held) == (len(ordered) - len(without_address), len(without_address))
    assert not items(province, status="Ordered")
    held = items(province, status="SystemHold")
    assert {(i["order_id"], i["item_number"]) for i in held} == without_address
    assert {i["status_change_reason"] for i in held} == {"Document Order with No Address"}
    errors = rows(province, t.DocumentError)
    assert {(e["order_id"], e["item_number"]) for e in errors} == without_address
    assert {e["code"] for e in errors} == {"NoAddress"}
    ready = items(province, status="ReadyForDelivery")
    assert {i["special_handling"] for i in ready} == {"NotRequired"}
    files = live_files(province)
    assert len(files) == 2 * len(ready)
    assert {f["kind"] for f in files} == {"Credential", "FirstRunLetter"}
    for stored in files[:10]:
        content = documents.files.read(stored["path"])
        assert content.startswith(b"%PDF-") and len(content) == stored["size"]
    history = rows(province, t.DocumentItemStatusChange)
    assert sorted({(h["from_status"], h["to_status"]) for h in history}) == [
        ("Ordered", "Processed"), ("Ordered", "SystemHold"), ("Processed", "ReadyForDelivery")]
    audit = rows(province, t.RequestAudit, operation="ProcessCredentialOrderItems")
    assert sum(a["record_count"] for a in audit) == len(ordered)


def test_the_credential_and_its_letter_show_the_award_in_the_items_language(province, units, documents, tmp_path):
    bulk_run(units)
    service.process_ordered(units, documents, clock=clock)
    by_language = {}
    for item in items(province, status="ReadyForDelivery"):
        by_language.setdefault(item["document_language"], item)
    assert set(by_language) == {"EN", "FR"}, "the demo has a Francophone school"
    for language, item in by_language.items():
        credential = store.row(province, t.StudentCredential, credential_number=item["credential_number"])
        paths = {f["kind"]: documents.files.absolute(f["path"]) for f in live_files(province)
                 if (f["order_id"], f["item_number"]) == (item["order_id"], item["item_number"])}
        credential_text = " ".join(pdf.text_of(paths["Credential"]).split())
        letter_text = " ".join(pdf.text_of(paths["FirstRunLetter"]).split())
        name = " ".join(p for p in (credential["awarded_first_name"], credential["awarded_middle_name"],
                                    credential["awarded_last_name"]) if p)
        assert name in credential_text and credential["credential_number"] in credential_text
        asn = credential["asn"]
        assert f"{asn[:4]}-{asn[4:8]}-{asn[8:]}" in letter_text
        assert item["address_lines"].split("\n")[0] in letter_text
        if language == "FR":
            assert "Décerné le" in credential_text and "Félicitations" in letter_text
            assert "Awarded on" not in credential_text
        else:
            assert "Awarded on" in credential_text and "Congratulations" in letter_text
        assert pdf.render_png(paths["Credential"], tmp_path / f"credential-{language}")[0].stat().st_size > 5000


def test_rendering_in_worker_processes_makes_the_same_pdfs(province, units, documents, tmp_path):
    bulk_run(units)
    service.process_ordered(units, documents, clock=clock)
    alone = {f["path"]: f["sha256"] for f in live_files(province)}
    with province.begin() as connection:  # the same items, Ordered again
        connection.execute(t.DocumentFile.__table__.delete())
        connection.execute(t.DocumentItemStatusChange.__table__.delete())
        connection.execute(update(t.DocumentOrderItem).where(
            t.DocumentOrderItem.status == "ReadyForDelivery").values(status="Ordered"))
    parallel = PdfRenderer(load_templates(), clock=clock, workers=2)
    try:
        service.process_ordered(units, service.Documents(parallel, DocumentFolder(tmp_path / "parallel")),
                                clock=clock)
    finally:
        parallel.close()
    assert {f["path"]: f["sha256"] for f in live_files(province)} == alone


def test_processing_again_makes_no_second_file(province, units, documents):
    bulk_run(units)
    service.process_ordered(units, documents, clock=clock)
    files = live_files(province)
    again = service.process_ordered(units, documents, clock=clock)
    assert (again.processed, again.held) == (0, 0)
    assert live_files(province) == files


class CrashingFiles:
    """Writes ``survive`` files, then fails as a killed process would: the batch in progress has
    files on disk that its transaction never recorded."""

    def __init__(self, files, survive: int):
        self.files, self.left = files, survive
        self.root = files.root

    def write(self, path, content, kind):
        if self.left == 0:
            raise RuntimeError("the power went out")
        self.left -= 1
        return self.files.write(path, content, kind)


def test_a_crash_in_the_middle_of_a_batch_resumes_without_duplicates(province, units, documents):
    bulk_run(units)
    printable = [i for i in items(province, status="Ordered") if i["address_lines"]]
    crashing = service.Documents(documents.renderer, CrashingFiles(documents.files, survive=130))
    with pytest.raises(RuntimeError):
        service.process_ordered(units, crashing, clock=clock, batch=30)
    done_before = len(items(province, status="ReadyForDelivery"))
    assert 30 <= done_before < 65, "whole batches were kept, the interrupted one rolled back"
    assert len(live_files(province)) == 2 * done_before
    service.process_ordered(units, documents, clock=clock, batch=30)
    ready = items(province, status="ReadyForDelivery")
    assert len(ready) == len(printable)
    files = live_files(province)
    assert len(files) == len({f["path"] for f in files}) == 2 * len(ready)
    on_disk = list((documents.files.root / "items").rglob("*.pdf"))
    assert len(on_disk) == len(files), "the interrupted batch's files were rewritten, not doubled"


def test_print_puts_ready_items_in_mailing_order_one_sequence_number_per_envelope(province, units, documents):
    bulk_run(units)
    service.process_ordered(units, documents, clock=clock)
    ready = items(province, status="ReadyForDelivery")
    jobs = service.print_ready(units, documents, clock=clock, operator=OPERATOR)
    assert [j.kind for j in jobs] == ["AutomatedMail"]
    job = jobs[0]
    sent = items(province, status="Sent")
    assert len(sent) == len(ready) == job.item_count
    assert {i["print_job_id"] for i in sent} == {job.id}
    sequences = sorted({i["mailing_sequence_number"] for i in sent})
    assert sequences == list(range(1, len(sequences) + 1))
    assert sum(job.envelope_counts.values()) == len(sequences)
    assert job.envelope_counts["Canada"] > 0
    row = store.row(province, t.PrintJob, id=job.id)
    assert (row["envelopes_canada"], row["envelopes_united_states"], row["envelopes_international"]) == tuple(
        job.envelope_counts[d] for d in ("Canada", "United States", "International"))
    kinds = {f.kind: documents.files.absolute(f.path) for f in job.files}
    assert set(kinds) == {"PrintFile", "PrinterInstructionSheet", "Manifest"}
    assert pdf.page_count(kinds["PrintFile"]) == sum(1 + i["number_of_copies"] for i in sent)
    text = pdf.text_of(kinds["PrintFile"])
    assert f"envelope 000001 of {len(sequences):06d}" in text
    sheet = " ".join(pdf.text_of(kinds["PrinterInstructionSheet"]).split())
    assert f"Order items: {len(sent)}" in sheet and f"Canada: {job.envelope_counts['Canada']}" in sheet
    manifest = json.loads(Path(kinds["Manifest"]).read_text(encoding="utf-8"))
    assert manifest["envelopes"] == len(sequences)
    messages = rows(province, t.OutboxMessage, kind=CREDENTIAL_ISSUED)
    assert len(messages) == len(sent) == len({m["event_key"] for m in messages})
    assert service.print_ready(units, documents, clock=clock) == [], "nothing is printed twice"
    assert len(rows(province, t.OutboxMessage, kind=CREDENTIAL_ISSUED)) == len(sent)


def test_manual_mail_is_printed_in_its_own_job_with_special_handling_outstanding(province, units, documents):
    bulk_run(units, delivery="manual")
    service.process_ordered(units, documents, clock=clock)
    assert {i["special_handling"] for i in items(province, status="ReadyForDelivery")} == {"Outstanding"}
    jobs = service.print_ready(units, documents, clock=clock)
    assert [j.kind for j in jobs] == ["ReturnToStudentRecords"]
    sheet = pdf.text_of(documents.files.absolute(
        next(f.path for f in jobs[0].files if f.kind == "PrinterInstructionSheet")))
    assert "Return every envelope to Student Records" in sheet


def first_key(engine, status: str) -> ItemKey:
    item = items(engine, status=status)[0]
    return ItemKey(item["order_id"], item["item_number"])


def change(units, key, status, reason=None):
    return service.change_item_status(units, key, status, reason, operator=OPERATOR, clock=clock)


def test_the_documented_manual_status_changes_and_nothing_else(province, units, documents):
    bulk_run(units)
    key = first_key(province, "Ordered")
    with pytest.raises(DocumentStatusRefused) as refused:
        change(units, key, "Sent")
    assert refused.value.message == ("An item with the status Ordered can be changed to Cancelled or User Hold "
                                     "only, not to Sent for Delivery.")
    change(units, key, "OnHold", "Student asked to wait")
    assert store.row(province, t.DocumentOrderItem, order_id=key.order_id, item_number=key.item_number)[
        "status"] == "OnHold"
    service.process_ordered(units, documents, clock=clock)
    assert store.row(province, t.DocumentOrderItem, order_id=key.order_id,
                     item_number=key.item_number)["status"] == "OnHold", "a User Hold is not processed"
    change(units, key, "Cancelled")
    with pytest.raises(DocumentStatusRefused, match="Cancelled cannot be changed by hand"):
        change(units, key, "Ordered")
    with pytest.raises(DocumentStatusRefused, match="is not an Order Item Status"):
        change(units, key, "Shredded")
    with pytest.raises(service.DocumentProductionError, match="no credential order item"):
        change(units, ItemKey(999999, 1), "Cancelled")
    history = [(h["from_status"], h["to_status"], h["reason"], h["changed_by"]) for h in rows(
        province, t.DocumentItemStatusChange, order_id=key.order_id, item_number=key.item_number)]
    assert history == [("Ordered", "OnHold", "Student asked to wait", OPERATOR),
                       ("OnHold", "Cancelled", None, OPERATOR)]
    assert [a["operator"] for a in rows(province, t.RequestAudit, operation="ChangeOrderItemStatus")] == [
        OPERATOR, OPERATOR]


def test_a_held_item_goes_back_to_ordered_once_the_address_is_fixed_and_is_printed(province, units, documents):
    bulk_run(units)
    service.process_ordered(units, documents, clock=clock)
    key = first_key(province, "SystemHold")
    asn = store.row(province, t.DocumentOrderItem, order_id=key.order_id, item_number=key.item_number)["asn"]
    with province.begin() as connection:
        connection.execute(t.StudentAddress.__table__.insert().values(
            asn=asn, address_lines="12 Rue Principale", city="Beaumont", province_state="AB",
            postal_code="T4X 1A1", country="Canada", effective_date=date(2026, 7, 1)))
    change(units, key, "Ordered", "Address received")
    assert not [e for e in rows(province, t.DocumentError, order_id=key.order_id, item_number=key.item_number)
                if not e["is_deleted"]], "going back to Ordered clears the errors"
    service.process_ordered(units, documents, clock=clock)
    item = store.row(province, t.DocumentOrderItem, order_id=key.order_id, item_number=key.item_number)
    assert (item["status"], item["address_lines"], item["file_generation"]) == ("ReadyForDelivery",
                                                                               "12 Rue Principale", 1)
    files = [f for f in live_files(province) if (f["order_id"], f["item_number"]) == (key.order_id, key.item_number)]
    assert len(files) == 2 and all("-g1-" in f["path"] for f in files)


def test_returned_mail_expires_the_address_and_tells_the_student_once(province, units, documents):
    bulk_run(units)
    service.process_ordered(units, documents, clock=clock)
    service.print_ready(units, documents, clock=clock)
    key = first_key(province, "Sent")
    item = store.row(province, t.DocumentOrderItem, order_id=key.order_id, item_number=key.item_number)
    active = [a for a in rows(province, t.StudentAddress, asn=item["asn"]) if a["expiry_date"] is None]
    assert active
    note = change(units, key, "FailedDelivery", "ReturnedBadAddress")
    assert "1 matching address(es) of the student expired" in note
    expired = store.row(province, t.StudentAddress, id=active[0]["id"])
    assert expired["expiry_date"] == TODAY
    change(units, key, "DeliveredInError")
    change(units, key, "FailedDelivery")
    undeliverable = rows(province, t.OutboxMessage, kind=CREDENTIAL_UNDELIVERABLE)
    assert len(undeliverable) == 1 and json.loads(undeliverable[0]["payload"])["documentOrderId"] == key.order_id
    with pytest.raises(DocumentStatusRefused):
        change(units, key, "Ordered")


class FlakyTarget:
    description = "a provider that is down"

    def __init__(self, failures: int, inner):
        self.failures, self.inner, self.calls = failures, inner, 0

    def deliver(self, job_name, files):
        self.calls += 1
        if self.calls <= self.failures:
            raise DeliveryFailed("ConnectionRefusedError: Connection refused")
        self.inner.deliver(job_name, files)


def test_delivery_retries_and_tells_student_records_how_it_went(province, units, documents, tmp_path):
    bulk_run(units)
    service.process_ordered(units, documents, clock=clock)
    job = service.print_ready(units, documents, clock=clock)[0]
    provider = tmp_path / "provider"
    flaky = FlakyTarget(1, FolderDelivery(provider))
    first = service.deliver_print_jobs(units, documents.files, flaky, clock=clock)
    assert (first.delivered, first.retrying, first.failed) == (0, 1, 0)
    row = store.row(province, t.PrintJob, id=job.id)
    assert (row["status"], row["attempts"]) == (JOB_RETRY, 1) and row["next_attempt_utc"] > NOW
    assert service.deliver_print_jobs(units, documents.files, flaky, clock=clock).delivered == 0, "not due yet"
    later = row["next_attempt_utc"]
    second = service.deliver_print_jobs(units, documents.files, flaky, clock=lambda: later)
    assert second.delivered == 1
    assert store.row(province, t.PrintJob, id=job.id)["status"] == JOB_DELIVERED
    delivered = sorted(p.name for p in (provider / job.name).iterdir())
    assert delivered == sorted(f.path.rsplit("/", 1)[-1] for f in job.files)
    assert not list(provider.glob(".incoming-*"))
    notices = rows(province, t.OutboxMessage, kind=PRINT_JOB_DELIVERED)
    assert sorted(n["audience"] for n in notices) == ["Print Service Provider", "Student Records"]
    assert json.loads(notices[0]["payload"])["envelopeCounts"] == job.envelope_counts


def test_a_job_that_never_gets_through_fails_with_one_notice(province, units, documents, tmp_path):
    bulk_run(units)
    service.process_ordered(units, documents, clock=clock)
    job = service.print_ready(units, documents, clock=clock)[0]
    down = FlakyTarget(100, None)
    moment = NOW
    for _ in range(service.MAX_DELIVERY_ATTEMPTS):
        service.deliver_print_jobs(units, documents.files, down, clock=lambda: moment)
        moment = store.row(province, t.PrintJob, id=job.id)["next_attempt_utc"] or moment
    row = store.row(province, t.PrintJob, id=job.id)
    assert (row["status"], row["attempts"]) == (JOB_FAILED, service.MAX_DELIVERY_ATTEMPTS)
    assert "Connection refused" in row["last_error"]
    assert len(rows(province, t.OutboxMessage, kind=PRINT_JOB_DELIVERY_FAILED)) == 1
    assert service.deliver_print_jobs(units, documents.files, down, clock=lambda: moment).failed == 0
    assert service.retry_failed_deliveries(units, clock=clock, operator=OPERATOR) == 1
    fixed = FolderDelivery(tmp_path / "provider")
    assert service.deliver_print_jobs(units, documents.files, fixed, clock=lambda: moment).delivered == 1
    assert rows(province, t.PrintJob)[0]["status"] == JOB_DELIVERED


def test_the_outbox_is_handed_over_once(province, units, documents, tmp_path):
    bulk_run(units)
    service.process_ordered(units, documents, clock=clock)
    service.print_ready(units, documents, clock=clock)
    sink = FolderMessageSink(tmp_path / "outbox")
    sent = service.deliver_messages(units, sink, clock=clock, batch=50)
    written = sorted((tmp_path / "outbox").glob("*.json"))
    assert sent == len(written) == store.count(province, t.OutboxMessage) > 50
    message = json.loads(written[0].read_text(encoding="utf-8"))
    assert message["kind"] == CREDENTIAL_ISSUED and message["payload"]["orderItemStatus"] == "Sent"
    assert service.deliver_messages(units, sink, clock=clock) == 0
    with province.begin() as connection:
        assert connection.execute(select(t.OutboxMessage.id).where(t.OutboxMessage.delivered_utc.is_(None))).first() \
            is None
        connection.execute(update(t.OutboxMessage).values(delivered_utc=None))


@pytest.mark.postgres_only
def test_two_processors_at_once_take_different_items(province, units, documents):
    """SKIP LOCKED: two job runners processing at the same time never render an item twice (on
    SQLite the writing transaction already admits one at a time)."""
    bulk_run(units)
    ordered = len(items(province, status="Ordered"))
    summaries: list = []
    errors: list = []

    def work():
        try:
            summaries.append(service.process_ordered(units, documents, clock=clock, batch=20))
        except Exception as failure:  # reported below
            errors.append(failure)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors, errors
    assert sum(s.processed + s.held for s in summaries) == ordered
    started = [(h["order_id"], h["item_number"]) for h in rows(province, t.DocumentItemStatusChange)
               if h["from_status"] == "Ordered"]
    assert len(started) == len(set(started)) == ordered, "each item was taken by one processor"
    files = live_files(province)
    assert len(files) == len({(f["order_id"], f["item_number"], f["kind"]) for f in files})
