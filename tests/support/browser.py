"""A real browser for the Student Records screens: Playwright driving Debian's Chromium.

Chromium is ``/usr/bin/chromium`` (``apt-get install chromium``), launched headless with an
empty profile and with its background networking off; Playwright never downloads a browser.
Each test gets a fresh browser context (no cookies, no storage).  Screenshots go to
``test-artifacts/screens/`` for a person to look at.
"""
from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright

from tests.support.servers import PROJECT_ROOT

CHROMIUM = os.environ.get("PASI_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGUMENTS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                      "--disable-sync", "--no-first-run", "--disable-default-apps"]
SCREENS = PROJECT_ROOT / "test-artifacts" / "screens"
WAIT_MS = 120_000
"""Generous: the machine may be busy."""


def launch(playwright: Playwright) -> Browser:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium (the tests never download one)"
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGUMENTS)


def screenshot(page: Page, name: str) -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, base_url: str, user_name: str, password: str) -> None:
    page.goto(f"{base_url}/student-records/sign-in")
    page.get_by_label("User name").fill(user_name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def download_csv(page: Page, locator) -> tuple[str, list[dict]]:
    """Click a download link; the file's suggested name and its rows."""
    with page.expect_download(timeout=WAIT_MS) as started:
        locator.click()
    download = started.value
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf"), "CSV files carry a byte-order mark for Excel"
    return download.suggested_filename, list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
