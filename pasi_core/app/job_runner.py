"""The job runner: a process of its own that does the background jobs (a bulk run's awarding
and ordering) so that no web request ever does them, and, every PASI_DOCUMENTS_INTERVAL seconds,
a round of credential document production (process, print, deliver, notify).  ``pasi-core serve``
starts it (and starts it again if it dies); ``pasi-core worker`` runs it alone.

Several runners may run at once, on one host or several: a job is claimed by one of them at a
time.  The runner lowers its own CPU priority, so a 33,000-student run yields the processor to
the SOAP workers a school is waiting on.
"""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from operations.background_jobs import service as jobs
from operations.background_jobs.model import BULK_AWARD_RUN, Job
from operations.bulk_award_and_order import service as bulk
from operations.unit_of_work import UnitOfWorkFactory
from pasi_core.app.document_production import Production, production, run_round
from pasi_core.app.memory import freeze_start_up_heap
from pasi_core.kernel.clock import utc_now
from pasi_core.kernel.settings import Settings
from persistence.database import create_database_engine, session_factory
from persistence.unit_of_work import SqlUnitOfWorkFactory

log = logging.getLogger(__name__)
IDLE_POLL_SECONDS = 1.0
NICENESS = 10
YIELD_FACTOR = 3.0
"""While SOAP clients are active, a long job waits this many times as long as its last chunk took
before its next one: schools keep (about) the machine they would have without it."""
MAX_YIELD_SECONDS = 10.0
ACTIVITY_WINDOW = timedelta(seconds=5)


class Courtesy:
    """The ``stopping`` check a long job calls between chunks, which also yields to SOAP clients:
    when a request arrived in the last few seconds, it waits before the next chunk.  With no one
    else about, the job runs flat out."""

    def __init__(self, new_unit_of_work: UnitOfWorkFactory, stopping: Callable[[], bool],
                 clock: Callable[[], datetime] = utc_now):
        self._new_unit_of_work, self._stopping, self._clock = new_unit_of_work, stopping, clock
        self._last = time.monotonic()

    def __call__(self) -> bool:
        worked = time.monotonic() - self._last
        if not self._stopping() and self._clients_active():
            deadline = time.monotonic() + min(worked * YIELD_FACTOR, MAX_YIELD_SECONDS)
            while not self._stopping() and time.monotonic() < deadline:
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        self._last = time.monotonic()
        return self._stopping()

    def _clients_active(self) -> bool:
        try:
            with self._new_unit_of_work(read_only=True) as uow:
                return uow.audit.requests_since(self._clock() - ACTIVITY_WINDOW)
        except Exception:  # noqa: BLE001 - a courtesy: never the reason a job fails
            return False


def handlers(settings: Settings, new_unit_of_work: UnitOfWorkFactory) -> dict[str, jobs.Handler]:
    def bulk_award_run(job: Job, stopping) -> None:
        # A job taken over after its runner died retries the orders left refused, like resume.
        courtesy = Courtesy(new_unit_of_work, stopping)
        bulk.process_run(new_unit_of_work, job.subject_id, clock=utc_now, time_zone=settings.time_zone,
                         retry_failed_orders=job.attempts > 1, chunk=settings.bulk_chunk_size,
                         stopping=courtesy)

    return {BULK_AWARD_RUN: bulk_award_run}


def _documents_round(new_unit_of_work: UnitOfWorkFactory, documents: Production, stop: threading.Event) -> None:
    try:
        run_round(new_unit_of_work, documents, stopping=Courtesy(new_unit_of_work, stop.is_set))
    except Exception as failure:  # noqa: BLE001 - logged by type and place; the next round tries again
        log.error("credential documents round failed: %s", jobs.where_it_failed(failure))


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    # A killed runner whose parent died too stays a zombie where nothing reaps it (PID 1 of many
    # containers): it answers signal 0 but runs nothing.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def run(settings: Settings, stop: threading.Event | None = None) -> None:
    """Run jobs until ``stop`` is set (or SIGTERM/SIGINT arrives)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    engine = create_database_engine(settings.database_url)
    new_unit_of_work = SqlUnitOfWorkFactory(session_factory(engine))
    work = handlers(settings, new_unit_of_work)
    name = runner_name()
    recovered = jobs.recover_orphans(new_unit_of_work, host=socket.gethostname(), is_alive=_is_alive)
    log.info("job runner %s started%s", name, f"; {recovered} interrupted job(s) queued again" if recovered else "")
    # A bad template or delivery target stops the runner at start, where the operator looks.
    documents = production(settings) if settings.documents_interval else None
    if threading.current_thread() is threading.main_thread():
        # A process of its own: what start-up built is never rescanned by the collector during a
        # 50,000-student run.  (As a thread of `serve --workers 0` the server has done this.)
        freeze_start_up_heap()
    next_documents_round = time.monotonic()
    try:
        while not stop.is_set():
            try:
                job = jobs.run_next(new_unit_of_work, work, runner=name, clock=utc_now, stopping=stop.is_set)
            except Exception as failure:  # noqa: BLE001 - the database went away, say: wait, try again
                log.error("job runner: %s; trying again shortly", type(failure).__name__)
                job = None
                stop.wait(5)
            if job is None and documents is not None and time.monotonic() >= next_documents_round:
                _documents_round(new_unit_of_work, documents, stop)
                next_documents_round = time.monotonic() + settings.documents_interval
            if job is None:
                stop.wait(IDLE_POLL_SECONDS)
    finally:
        engine.dispose()
        log.info("job runner %s stopped", name)
