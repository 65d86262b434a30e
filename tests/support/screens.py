"""The Student Records screens as the browser tests use them: a demo province dated today with
two users, ``pasi-core serve`` over HTTPS on the test database, and the steps a person takes."""
from __future__ import annotations

import os
from pathlib import Path

import requests
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from operations.staff_accounts import service as accounts
from operations.staff_accounts.model import MANAGE_CREDENTIALS
from pasi_core.kernel.clock import local_date, utc_now
from persistence import models as t
from persistence.database import session_factory
from persistence.unit_of_work import SqlUnitOfWorkFactory
from tests.support import browser as b
from tests.support import store
from tests.support.servers import ServedProcess, serving

PASSWORD = "correct horse battery staple"
RECORDS, VIEWER = "records", "viewer"
STUDENTS = 300


def load_province(engine, students: int = STUDENTS, seed: int = 7) -> None:
    store.load_demo_province(engine, students=students, seed=seed,
                             today=local_date(utc_now(), "America/Edmonton"))
    units = SqlUnitOfWorkFactory(session_factory(engine))
    accounts.add_user(units, RECORDS, "Pat Records", PASSWORD, [MANAGE_CREDENTIALS], now=utc_now())
    accounts.add_user(units, VIEWER, "Val Viewer", PASSWORD, [], now=utc_now())


def serve_screens(certs, database_url: str, log_dir: Path, **env: str):
    environment = dict(os.environ, PASI_DATABASE_URL=database_url, PASI_BULK_CHUNK_SIZE="25",
                       PASI_SECRET_KEY="screen-tests-" + "k" * 40, PASI_LOG_LEVEL="INFO")
    environment.update(env)
    arguments = ["--workers", "2", "--tls-cert", str(certs["server"].certificate), "--tls-key",
                 str(certs["server"].key), "--client-ca", str(certs["ca"].certificate)]
    session = requests.Session()
    session.trust_env = False
    session.verify = str(certs["ca"].certificate)
    return serving(arguments, env=environment, log_path=log_dir / "serve.log", scheme="https", session=session,
                   workers=2)


def shot(page: Page, request, step: str) -> None:
    b.screenshot(page, f"{request.node.name}-{step}")


def signed_in(page: Page, server: ServedProcess, user: str = RECORDS) -> Page:
    b.sign_in(page, server.base_url, user, PASSWORD)
    return page


def search(page: Page, server: ServedProcess, *types: str) -> int:
    page.goto(f"{server.base_url}/student-records/bulk/")
    if types:
        for code in types:
            page.locator(f"#credential-type-{code}").check()
    else:
        page.get_by_label("Select All").check()
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="Search results")).to_be_visible()
    return int(page.locator("#record-count").inner_text())


def wait_for_summary(page: Page) -> None:
    expect(page.get_by_role("heading", name="Awarding and Ordering Summary")).to_be_visible(timeout=300_000)


def awarded_twice(engine) -> list:
    """(ASN, credential type) of the run's students holding two undeleted credentials of a type."""
    run_students = {row.asn for row in store.rows(engine, t.BulkAwardRunStudent)}
    credential = t.StudentCredential
    with engine.connect() as connection:
        doubles = connection.execute(select(credential.asn, credential.credential_type).where(
            credential.is_deleted.is_(False)).group_by(credential.asn, credential.credential_type).having(
            func.count() > 1)).all()
    return [tuple(row) for row in doubles if row.asn in run_students]
