"""A bulk run started on the Student Records screen survives a reload of its page and a
restart of the whole server (SIGKILL of the front, the workers and the job runner): the job
runner of the new server takes the run over where it stopped, and no student is awarded twice.
Its own module, so that no other server's job runner is running at the same time."""
from __future__ import annotations

import os
import signal
import time

from playwright.sync_api import expect

from persistence import models as t
from tests.support import browser as b
from tests.support import store
from tests.support.screens import awarded_twice, load_province, search, serve_screens, shot, signed_in, wait_for_summary


def test_a_run_survives_a_reload_and_a_restart_of_the_server(screen_certs, database_url, engine, chromium, tmp_path,
                                                             request):
    load_province(engine, students=1500, seed=8)
    context = chromium.new_context(ignore_https_errors=True, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(b.WAIT_MS)
    page = context.new_page()
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    try:
        with serve_screens(screen_certs, database_url, tmp_path / "first", PASI_BULK_CHUNK_SIZE="5") as first:
            signed_in(page, first)
            count = search(page, first, "AHSD")
            page.get_by_role("link", name="Next").click()
            page.get_by_role("button", name="Continue").click()
            deadline = time.monotonic() + 300
            while _processed(engine) == 0:
                assert time.monotonic() < deadline, "the run did not start"
                time.sleep(0.05)
            page.reload()  # a reload while it runs shows the same run
            expect(page.get_by_role("heading", name="Processing")).to_be_visible()
            os.killpg(first.process.pid, signal.SIGKILL)  # the whole server, job runner included
            first.process.wait(timeout=60)
        stopped_at = _processed(engine)
        assert 0 < stopped_at < count, "the run must be interrupted in the middle for this test"
        (run,) = store.rows(engine, t.BulkAwardRun)
        with serve_screens(screen_certs, database_url, tmp_path / "second", PASI_BULK_CHUNK_SIZE="50") as second:
            # Cookies do not depend on the port: the session, kept in the database, goes on.
            page.goto(f"{second.base_url}/student-records/bulk/runs/{run.id}")
            wait_for_summary(page)
            shot(page, request, "after-restart")
            assert int(page.locator("#count-selected").inner_text()) == count
    finally:
        context.close()
    assert awarded_twice(engine) == [], "no student is awarded twice"
    assert all(s.state != "Selected" for s in store.rows(engine, t.BulkAwardRunStudent))


def _processed(engine) -> int:
    return store.count(engine, t.BulkAwardRunStudent) - store.count(engine, t.BulkAwardRunStudent, state="Selected")
