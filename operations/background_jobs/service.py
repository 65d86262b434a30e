"""Background jobs as use cases: queue one, and run the next one with a heartbeat.

A job is taken by one runner at a time (``JobQueue.claim``); a failed one is queued again, up to
``MAX_ATTEMPTS``.  While it runs, a heartbeat thread
refreshes it; a runner that dies stops the heartbeat and, after ``STALE_AFTER``, another runner
(or the same one restarted) takes the job over.  Handlers must therefore be resumable: the bulk
run is (its students' states are stored per chunk), so a taken-over job goes on where it stopped
and never does anything twice.
"""
from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Mapping
from datetime import datetime

from operations.unit_of_work import UnitOfWorkFactory

from .model import DONE, FAILED, HEARTBEAT_EVERY, MAX_ATTEMPTS, STALE_AFTER, Job

log = logging.getLogger(__name__)

Handler = Callable[[Job, Callable[[], bool]], None]
"""Does the job; the second argument says whether the runner is stopping (return early then:
the job is queued again and goes on from its stored progress)."""


def enqueue(new_unit_of_work: UnitOfWorkFactory, kind: str, subject_id: int, *, now: datetime) -> int:
    with new_unit_of_work() as uow:
        job_id = uow.jobs.enqueue(kind, subject_id, now)
        uow.commit()
    return job_id


def job_for(new_unit_of_work: UnitOfWorkFactory, kind: str, subject_id: int) -> Job | None:
    with new_unit_of_work(read_only=True) as uow:
        return uow.jobs.job_for(kind, subject_id)


def recover_orphans(new_unit_of_work: UnitOfWorkFactory, *, host: str, is_alive: Callable[[int], bool]) -> int:
    """Queue again the Running jobs whose runner on ``host`` is no longer alive (the server was
    restarted): they go on at once instead of after ``STALE_AFTER``.  Runners are named
    ``host:pid``."""
    released = 0
    with new_unit_of_work() as uow:
        for job in uow.jobs.running():
            runner_host, _, pid = (job.runner or "").rpartition(":")
            if runner_host == host and pid.isdigit() and not is_alive(int(pid)):
                uow.jobs.release(job.id, job.runner or "")
                released += 1
        uow.commit()
    return released


def where_it_failed(error: BaseException) -> str:
    """The exception's type and innermost frame: enough to diagnose, no values."""
    frames = traceback.extract_tb(error.__traceback__)
    place = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno} in {frames[-1].name}" if frames else ""
    return f"{type(error).__name__}{place}"[:400]


def run_next(new_unit_of_work: UnitOfWorkFactory, handlers: Mapping[str, Handler], *, runner: str,
             clock: Callable[[], datetime], stopping: Callable[[], bool] = lambda: False) -> Job | None:
    """Claim one job and run it to the end (or until ``stopping``); the job, or None when there
    was nothing to do."""
    now = clock()
    with new_unit_of_work() as uow:
        job = uow.jobs.claim(runner, now, now - STALE_AFTER, MAX_ATTEMPTS)
        uow.commit()
    if job is None:
        return None
    handler = handlers.get(job.kind)
    stop = threading.Event()
    beating = threading.Thread(target=_beat, args=(new_unit_of_work, job.id, runner, clock, stop),
                               name=f"heartbeat-{job.id}", daemon=True)
    beating.start()
    error: str | None = None
    try:
        if handler is None:
            raise LookupError(f"no handler for jobs of kind {job.kind}")
        log.info("job %d (%s %d) started, attempt %d", job.id, job.kind, job.subject_id, job.attempts)
        handler(job, stopping)
    except Exception as failure:  # noqa: BLE001 - the job is marked failed; the runner goes on
        error = where_it_failed(failure)
        log.error("job %d (%s %d) failed: %s", job.id, job.kind, job.subject_id, error)
    finally:
        stop.set()
        beating.join()
    if error is None and stopping():
        with new_unit_of_work() as uow:
            uow.jobs.release(job.id, runner)
            uow.commit()
        log.info("job %d (%s %d) queued again: the runner is stopping", job.id, job.kind, job.subject_id)
        return job
    with new_unit_of_work() as uow:
        uow.jobs.finish(job.id, runner, clock(), error=error, retry=job.attempts < MAX_ATTEMPTS)
        uow.commit()
    outcome = DONE if error is None else ("queued again" if job.attempts < MAX_ATTEMPTS else FAILED)
    log.info("job %d (%s %d) %s", job.id, job.kind, job.subject_id, outcome)
    return job


def _beat(new_unit_of_work: UnitOfWorkFactory, job_id: int, runner: str, clock: Callable[[], datetime],
          stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_EVERY.total_seconds()):
        try:
            with new_unit_of_work() as uow:
                ours = uow.jobs.heartbeat(job_id, runner, clock())
                uow.commit()
        except Exception as failure:  # noqa: BLE001 - a missed beat is retried at the next one
            log.warning("job %d: heartbeat failed: %s", job_id, type(failure).__name__)
            continue
        if not ours:
            log.warning("job %d was taken over by another runner", job_id)
            return
