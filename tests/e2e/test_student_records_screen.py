"""The Award and Order Credentials in Bulk screen in a real browser (seed 000, issue 11).

``pasi-core serve`` over HTTPS (the front, two workers, the job runner) on the test database,
with a demo province dated today; Chromium through Playwright.  Seed 000's primary scenario and
its four alternates, sign-in, lockout, the permission, CSRF, a double Continue, a page without
JavaScript, List Credentials to Review, and a run that survives a restart of the server.
Screenshots of every step go to ``test-artifacts/screens/``.
"""
from __future__ import annotations

import json
import re
import time
from collections import Counter

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from persistence import models as t
from tests.support import browser as b
from tests.support import store
from tests.support.screens import (
    PASSWORD,
    RECORDS,
    VIEWER,
    awarded_twice,
    load_province,
    search,
    serve_screens,
    shot,
    signed_in,
    wait_for_summary,
)


@pytest.fixture(scope="module")
def server(screen_certs, database_url, engine, tmp_path_factory):
    with serve_screens(screen_certs, database_url, tmp_path_factory.mktemp("screen")) as served:
        yield served


@pytest.fixture
def province(engine):
    load_province(engine)
    return engine


@pytest.fixture
def page(chromium, request):
    context = chromium.new_context(ignore_https_errors=True, viewport={"width": 1200, "height": 900},
                                   accept_downloads=True)
    context.set_default_timeout(b.WAIT_MS)
    opened = context.new_page()
    yield opened
    context.close()


def _count(engine, model) -> int:
    return store.count(engine, model)


def _audit_operations(engine, operator: str) -> Counter:
    with engine.connect() as connection:
        rows = connection.execute(select(t.RequestAudit.operation).where(t.RequestAudit.operator == operator))
        return Counter(row.operation for row in rows)


# --- sign-in ------------------------------------------------------------------------------------
def test_sign_in_shows_the_screens_and_sign_out_ends_the_session(province, server, page, request):
    page.goto(f"{server.base_url}/student-records/bulk/")
    expect(page).to_have_url(re.compile(r"/student-records/sign-in\?next="))
    b.sign_in(page, server.base_url, RECORDS, "not the password")
    expect(page.get_by_role("alert")).to_contain_text("The user name or password is not right")
    shot(page, request, "wrong-password")
    page.get_by_label("User name").fill(RECORDS)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as")).to_contain_text("Pat Records")
    shot(page, request, "home")
    cookie = next(c for c in page.context.cookies() if c["name"] == "pasi_student_records")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    # The old cookie signs no one in: the session is gone on the server, not only in the browser.
    page.context.add_cookies([cookie])
    page.goto(f"{server.base_url}/student-records/bulk/")
    expect(page.get_by_role("heading", name="Sign in to Student Records")).to_be_visible()
    assert _audit_operations(province, RECORDS)["SignIn"] == 2  # the refused attempt and the success
    assert _audit_operations(province, RECORDS)["SignOut"] == 1


def test_five_failed_sign_ins_lock_the_user_out(province, server, page):
    for _ in range(5):
        b.sign_in(page, server.base_url, RECORDS, "wrong password!")
    b.sign_in(page, server.base_url, RECORDS, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("locked")
    assert store.row(province, t.StaffUser, user_name=RECORDS)["locked_until_utc"] is not None


def test_a_user_without_manage_credentials_gets_the_unexpected_error_page(province, server, page, request):
    signed_in(page, server, VIEWER)
    expect(page.get_by_role("heading", name="Unexpected error")).to_be_visible()
    expect(page.get_by_text("An unexpected error has occurred")).to_be_visible()
    response = page.goto(f"{server.base_url}/student-records/bulk/")
    assert response is not None and response.status == 403
    shot(page, request, "unexpected-error")
    assert page.get_by_label("Authority").count() == 0


def test_a_form_posted_without_its_csrf_token_changes_nothing(province, server, page):
    signed_in(page, server)
    response = page.request.post(f"{server.base_url}/student-records/bulk/",
                                 form={"credential_type": "ALL", "action": "search"})
    assert response.status == 400 and "The form has expired" in response.text()
    assert _count(province, t.BulkAwardRun) == 0


# --- the primary scenario -------------------------------------------------------------------------
def test_primary_scenario_search_confirm_process_and_summary(province, server, page, request):
    signed_in(page, server)
    page.get_by_role("link", name="Award and Order Credentials in Bulk").first.click()
    shot(page, request, "1-search")
    count = search(page, server)
    shot(page, request, "1-search-results")
    name, pre = b.download_csv(page, page.locator("#export-pre-processing"))
    assert name.endswith(" - Bulk Credential Award and Order - Pre-Processing.csv")
    assert len(pre) == count > 0
    selected = {row["ASN"] for row in pre}

    page.get_by_role("link", name="Next").click()
    expect(page.get_by_role("heading", name="Step 2: Confirmation")).to_be_visible()
    expect(page.locator("dd", has_text="-All Credential Types-")).to_be_visible()
    expect(page.locator("#record-count")).to_have_text(str(count))
    expect(page.get_by_label("Automated Mail (with a cardboard insert)")).to_be_checked()
    shot(page, request, "2-confirmation")
    page.get_by_role("button", name="Continue").click()
    shot(page, request, "2b-processing")
    wait_for_summary(page)
    shot(page, request, "3-summary")

    successful_count = int(page.locator("#count-successful").inner_text())
    unsuccessful_count = int(page.locator("#count-unsuccessful").inner_text())
    assert int(page.locator("#count-selected").inner_text()) == count == successful_count + unsuccessful_count
    _, successful = b.download_csv(page, page.locator("#export-successful"))
    _, unsuccessful = b.download_csv(page, page.locator("#export-unsuccessful"))
    assert (len(successful), len(unsuccessful)) == (successful_count, unsuccessful_count)
    assert {r["ASN"] for r in successful} | {r["ASN"] for r in unsuccessful} == selected
    assert not {r["ASN"] for r in successful} & {r["ASN"] for r in unsuccessful}
    assert {r["Delivery Method"] for r in successful} == {"Automated Mail (with a cardboard insert)"}
    # What the screen says is what is stored: a credential per success, an order per ordered one.
    for row in successful:
        stored = store.row(province, t.StudentCredential, credential_number=row["Credential Number"].replace("-", ""))
        assert stored is not None and stored["asn"] == row["ASN"].replace("-", ""), row["ASN"]
    ordered = int(page.locator("#count-ordered").inner_text())
    assert sum(1 for r in successful if r["Order Item Status"] == "Ordered") == ordered
    operations = _audit_operations(province, RECORDS)
    assert operations["BulkSearch"] == 1 and operations["BulkContinue"] == 1
    assert operations["SubmitCredentialAwardingMultiple"] >= 1 and operations["ExportSuccessfulCsv"] == 1

    page.get_by_role("link", name="New Search").click()
    expect(page.get_by_role("heading", name="Step 1: Search")).to_be_visible()
    expect(page.get_by_label("Select All")).not_to_be_checked()


# --- alternate scenarios ---------------------------------------------------------------------------
def test_alternate_1_cancel_at_confirmation_awards_and_orders_nothing(province, server, page, request):
    signed_in(page, server)
    credentials_before = _count(province, t.StudentCredential)
    assert search(page, server) > 0
    page.get_by_role("link", name="Next").click()
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text("Cancelled: no credential was awarded or ordered.")).to_be_visible()
    shot(page, request, "cancelled")
    assert _count(province, t.StudentCredential) == credentials_before
    assert _count(province, t.DocumentOrder) == 0
    (run,) = store.rows(province, t.BulkAwardRun)
    assert run.status == "Cancelled"
    # Continue on the cancelled selection (another tab, the back button) starts nothing.
    page.goto(f"{server.base_url}/student-records/bulk/selections/{run.id}/confirm")
    expect(page.get_by_text("That selection was cancelled")).to_be_visible()
    assert _count(province, t.StudentCredential) == credentials_before


def _break_document_type(engine, credential_type: str, document_type: str) -> None:
    codes = store.rows(engine, t.CodeValueRow)
    row = next(r for r in codes if r.code_table == "CredentialType" and r.code == credential_type)
    attributes = json.loads(row.attributes)
    attributes["DocumentType"] = document_type
    store.load(engine, {"CodeTables": [{"CodeTable": "CredentialType", "Code": credential_type,
                                        "ShortDescription": row.short_description, "Sequence": row.sequence,
                                        "Attributes": attributes}]})


def test_alternate_2_awarded_but_not_ordered_are_identified_and_ordered_later(province, server, page, request):
    _break_document_type(province, "AHSD", "NOPE")
    signed_in(page, server)
    search(page, server, "AHSD")
    page.get_by_role("link", name="Next").click()
    page.get_by_role("button", name="Continue").click()
    wait_for_summary(page)
    not_ordered = int(page.locator("#count-not-ordered").inner_text())
    assert not_ordered > 0
    expect(page.get_by_role("heading", name="Awarded, not ordered")).to_be_visible()
    shot(page, request, "summary-awarded-not-ordered")
    _, successful = b.download_csv(page, page.locator("#export-successful"))
    follow_up = [r for r in successful if r["Outcome"] == "Awarded, not ordered"]
    assert len(follow_up) == not_ordered and all(r["Order Rule Numbers"] for r in follow_up)

    _break_document_type(province, "AHSD", "AHSD")  # the cause is fixed
    page.get_by_role("link", name="List Credentials to Review").first.click()
    page.get_by_label("Find Credentials That Are").select_option(label="Awarded but Not Ordered")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name=re.compile(r"Awarded but Not Ordered: \d+"))).to_be_visible()
    shot(page, request, "review-awarded-not-ordered")
    boxes = page.locator("input[name=credential_number]")
    assert boxes.count() >= not_ordered
    for index in range(boxes.count()):
        boxes.nth(index).check()
    page.get_by_role("button", name="Order the chosen credentials").click()
    expect(page.get_by_text(re.compile(r"Ordered \d+ credential\(s\)\."))).to_be_visible()
    assert store.count(province, t.DocumentOrderItem) >= len(successful)
    expect(page.get_by_role("heading", name="Awarded but Not Ordered: 0 credential(s)")).to_be_visible()


def test_alternate_3_records_in_error_are_in_the_unsuccessful_file_with_their_rules(province, server, page,
                                                                                    request):
    signed_in(page, server)
    search(page, server, "AHSD")
    _, pre = b.download_csv(page, page.locator("#export-pre-processing"))
    page.get_by_role("link", name="Next").click()
    # Between the search and Continue a selected student is deactivated: their award must fail.
    victim = pre[0]["ASN"].replace("-", "")
    store.load(province, {"Students": [dict(_student(province, victim), IsDeactivated=True)]})
    page.get_by_role("button", name="Continue").click()
    wait_for_summary(page)
    shot(page, request, "summary-with-errors")
    _, unsuccessful = b.download_csv(page, page.locator("#export-unsuccessful"))
    (row,) = [r for r in unsuccessful if r["ASN"].replace("-", "") == victim]
    assert row["Failed Step"] == "Award" and row["Rule Numbers"] and row["Rule Messages"]
    assert store.row(province, t.StudentCredential, asn=victim) is None


def _student(engine, asn: str) -> dict:
    row = store.row(engine, t.Student, asn=asn)
    return {"StateProvinceId": asn, "LegalLastName": row["legal_last_name"], "LegalFirstName": row["legal_first_name"],
            "BirthDate": row["birth_date"].isoformat()}


def test_alternate_4_new_search_starts_again_with_default_options(province, server, page):
    signed_in(page, server)
    search(page, server, "HSED")
    page.get_by_role("link", name="Next").click()
    page.get_by_role("link", name="Back").click()
    expect(page.locator("#credential-type-HSED")).to_be_checked()  # Back keeps the criteria
    page.get_by_role("link", name="Award and Order Credentials in Bulk").first.click()
    expect(page.locator("#credential-type-HSED")).not_to_be_checked()


# --- Continue once, whatever the browser does ------------------------------------------------------
def test_a_second_continue_from_another_tab_processes_nothing_twice(province, server, page, request):
    signed_in(page, server)
    count = search(page, server)
    page.get_by_role("link", name="Next").click()
    second = page.context.new_page()
    second.goto(page.url)
    page.get_by_role("button", name="Continue").click()
    second.get_by_role("button", name="Continue").click()
    expect(second.get_by_text("This selection was already confirmed: nothing more was started.")).to_be_visible()
    shot(second, request, "second-continue")
    wait_for_summary(page)
    # The second tab shows the same run's progress and turns into its summary by itself (a reload
    # of our own here would race the page's).
    wait_for_summary(second)
    awarded = int(page.locator("#count-successful").inner_text())
    assert _count(province, t.BackgroundJob) == 1 and awarded <= count
    assert awarded_twice(province) == [], "a student was awarded the same credential twice"


# --- without JavaScript, and by keyboard -----------------------------------------------------------
def test_the_screen_works_without_javascript(province, server, chromium, request):
    context = chromium.new_context(ignore_https_errors=True, java_script_enabled=False,
                                   viewport={"width": 1200, "height": 900})
    context.set_default_timeout(b.WAIT_MS)
    page = context.new_page()
    try:
        signed_in(page, server)
        page.goto(f"{server.base_url}/student-records/bulk/")
        authority = store.rows(province, t.Organization)
        first = sorted((o for o in authority if o.kind == "Authority"), key=lambda o: o.name)[0]
        page.get_by_label("Authority").fill(f"{first.name} ({first.code})")
        page.get_by_role("button", name="Show this Authority's schools").click()
        school = page.get_by_label("School", exact=True)
        expect(school).to_be_enabled()
        shot(page, request, "no-js-schools")
        school.select_option(index=1)
        page.get_by_label("Select All").check()
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_role("heading", name="Search results")).to_be_visible()
        page.get_by_role("link", name="Next").click()
        page.get_by_label("Manual Mail").check()
        page.get_by_role("button", name="Continue").click()
        deadline = time.monotonic() + 300
        while not page.get_by_role("heading", name="Awarding and Ordering Summary").count():
            assert time.monotonic() < deadline, "the run did not finish"
            page.wait_for_timeout(1000)
            page.reload()  # what the page's meta refresh does without JavaScript
        shot(page, request, "no-js-summary")
        expect(page.locator("dd", has_text="Manual Mail")).to_be_visible()
    finally:
        context.close()


def test_step_1_errors_are_next_to_their_fields_and_the_form_works_by_keyboard(province, server, page, request):
    signed_in(page, server)
    page.goto(f"{server.base_url}/student-records/bulk/")
    page.get_by_label("Authority").fill("Nowhere Division (A.9999)")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose an Authority from the list")
    authority = page.get_by_label("Authority")
    expect(authority).to_have_attribute("aria-invalid", "true")
    assert "authority-error" in (authority.get_attribute("aria-describedby") or "")
    expect(page.locator("#types-error")).to_have_text("Select at least one Credential Type (or Select All).")
    shot(page, request, "errors")
    page.get_by_label("Authority").fill("")
    page.get_by_label("Select All").focus()
    page.keyboard.press("Space")
    for _ in range(20):  # Tab to the Search button, then press Enter
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Search":
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Search results")).to_be_visible()
