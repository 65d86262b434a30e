"""Credential documents end to end (issue 12's "done when"): after a bulk run on a demo province,
the job runner of ``pasi-core serve`` takes every Ordered item to Sent with its PDFs, a print job
delivered to the print provider's folder and the outbox's messages, the items without an address
wait on System Hold, and a person sees and changes them in a real browser."""
from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from operations.bulk_award_and_order import service as bulk
from operations.bulk_award_and_order.selection import Criteria
from pasi_core.kernel.clock import utc_now
from persistence import models as t
from persistence.database import session_factory
from persistence.unit_of_work import SqlUnitOfWorkFactory
from tests.support import browser as b
from tests.support import store
from tests.support.screens import load_province, serve_screens, shot, signed_in

ROUND_TIMEOUT = 600.0
"""Seconds the job runner may take for the whole chain on a busy machine."""


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("documents-screen")
    return {"root": root, "documents": root / "documents", "provider": root / "print-provider",
            "outbox": root / "outbox"}


@pytest.fixture(scope="module")
def server(screen_certs, database_url, engine, folders):
    load_province(engine, students=200, seed=21)
    units = SqlUnitOfWorkFactory(session_factory(engine))
    chosen = bulk.search(units, Criteria(), operator="records", now=utc_now())
    assert bulk.start_run(units, chosen.run_id, "automated", operator="records", now=utc_now()).started
    bulk.process_run(units, chosen.run_id, clock=utc_now)
    with serve_screens(screen_certs, database_url, folders["root"], PASI_DOCUMENTS_INTERVAL="1",
                       PASI_DOCUMENTS_DIR=str(folders["documents"]), PASI_OUTBOX_DIR=str(folders["outbox"]),
                       PASI_PRINT_DELIVERY=f"folder:{folders['provider']}") as served:
        yield served


@pytest.fixture
def page(chromium):
    context = chromium.new_context(ignore_https_errors=True, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(b.WAIT_MS)
    opened = context.new_page()
    yield opened
    context.close()


def statuses(engine) -> dict[str, int]:
    found: dict[str, int] = {}
    for item in store.rows(engine, t.DocumentOrderItem):
        found[item.status] = found.get(item.status, 0) + 1
    return found


def wait_for_the_job_runner(engine) -> dict[str, int]:
    deadline = time.monotonic() + ROUND_TIMEOUT
    while time.monotonic() < deadline:
        found = statuses(engine)
        jobs = store.rows(engine, t.PrintJob)
        if set(found) <= {"Sent", "SystemHold"} and jobs and all(j.status == "Delivered" for j in jobs):
            return found
        time.sleep(1)
    raise AssertionError(f"the job runner did not finish the documents: {statuses(engine)}")


def test_the_job_runner_takes_every_ordered_item_to_sent_or_system_hold(server, engine, folders):
    ordered = len(store.rows(engine, t.DocumentOrderItem))
    found = wait_for_the_job_runner(engine)
    assert found.get("Sent", 0) > 0 and found.get("SystemHold", 0) > 0
    assert sum(found.values()) == ordered
    job = store.rows(engine, t.PrintJob)[0]
    delivered = sorted(p.name for p in (folders["provider"] / f"print-job-{job.id:06d}").iterdir())
    assert delivered == [f"print-job-{job.id:06d}-documents.pdf", f"print-job-{job.id:06d}-manifest.json",
                         f"print-job-{job.id:06d}-printer-instructions.pdf"]
    messages = [json.loads(p.read_text(encoding="utf-8")) for p in folders["outbox"].glob("*.json")]
    issued = [m for m in messages if m["kind"] == "Credential Issued"]
    assert len(issued) == found["Sent"]
    assert [m["kind"] for m in messages if m["audience"] == "Student Records"] == ["Print Job Delivered"]


def test_a_person_sees_the_items_by_status_and_changes_one(server, engine, page, request, folders):
    wait_for_the_job_runner(engine)
    signed_in(page, server)
    page.get_by_role("link", name="Credential Documents").first.click()
    expect(page.get_by_role("heading", name="Credential Documents")).to_be_visible()
    sent = statuses(engine)["Sent"]
    expect(page.get_by_role("row", name=f"Sent for Delivery {sent}")).to_be_visible()
    expect(page.get_by_text("Print Job Delivered")).to_be_visible()
    shot(page, request, "overview")

    page.get_by_role("link", name="System Hold").click()
    expect(page.get_by_role("heading", name="Order items: System Hold")).to_be_visible()
    expect(page.get_by_role("cell", name="Document Order with No Address").first).to_be_visible()
    page.locator("tbody tr").first.get_by_role("link").click()
    expect(page.get_by_text("NoAddress: The recipient has no complete current mailing address.")).to_be_visible()
    shot(page, request, "held-item")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator("#status-error")).to_have_text("Choose the new Order Item Status.")
    page.get_by_label("Cancelled").check()
    page.get_by_label("Status Change Reason").fill("Student moved away, no address")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("status")).to_contain_text("is now Cancelled")
    expect(page.get_by_text("An item with the status Cancelled cannot be changed by hand.")).to_be_visible()
    history = page.locator("table").last
    expect(history).to_contain_text("records")
    expect(history).to_contain_text("Student moved away, no address")

    page.goto(f"{server.base_url}/student-records/documents/items?status=Sent")
    page.locator("tbody tr").first.get_by_role("link").click()
    expect(page.get_by_role("link", name="Credential (PDF")).to_be_visible()
    preview = page.locator("iframe.pdf-preview").first
    source = preview.get_attribute("src")
    pdf = page.request.get(f"{server.base_url}{source}")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-") and pdf.headers["x-frame-options"] == "SAMEORIGIN"
    shot(page, request, "sent-item")
    page.get_by_label("Failed Delivery").check()
    page.get_by_label("Status Change Reason").fill("ReturnedBadAddress")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("status")).to_contain_text("matching address(es) of the student expired")
    expired = [a for a in store.rows(engine, t.StudentAddress) if a.expiry_date is not None]
    assert expired, "ReturnedBadAddress expired the student's address"
    deadline = time.monotonic() + ROUND_TIMEOUT
    while time.monotonic() < deadline and not any(
            json.loads(p.read_text(encoding="utf-8"))["kind"] == "Credential Order Undeliverable"
            for p in folders["outbox"].glob("*.json")):
        time.sleep(1)
    assert any(json.loads(p.read_text(encoding="utf-8"))["kind"] == "Credential Order Undeliverable"
               for p in folders["outbox"].glob("*.json")), "the next round handed the notice to myPass"
    audit = [a for a in store.rows(engine, t.RequestAudit) if a.operation == "ChangeOrderItemStatus"]
    assert [a.operator for a in audit] == ["records", "records"]


def test_a_user_without_manage_credentials_cannot_see_documents(server, engine, page):
    signed_in(page, server, "viewer")
    response = page.goto(f"{server.base_url}/student-records/documents/")
    assert response is not None and response.status == 403
    item = store.rows(engine, t.DocumentFile)[0]
    pdf = page.request.get(f"{server.base_url}/student-records/documents/items/"
                           f"{item.order_id}-{item.item_number}/files/{item.kind}.pdf")
    assert pdf.status == 403 and not pdf.body().startswith(b"%PDF")


