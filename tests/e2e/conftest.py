"""Fixtures the browser tests share (the rest are in tests/conftest.py)."""
from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from pasi_core.app import dev_certs
from tests.support import browser as b


@pytest.fixture(scope="module")
def screen_certs(tmp_path_factory):
    """A development CA and server certificate for the screens' HTTPS server."""
    return dev_certs.generate(tmp_path_factory.mktemp("screen-certs"), {"school": "Screen test school"})


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = b.launch(playwright)
        yield browser
        browser.close()
