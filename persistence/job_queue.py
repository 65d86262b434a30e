"""The background-job queue on SQLAlchemy (operations/background_jobs/ports.py).

A claim is one writing transaction: on PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED`` lets several
runners claim different jobs at once without waiting for each other; on SQLite the writing
transaction (``BEGIN IMMEDIATE``) already admits one claimer at a time.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from operations.background_jobs.model import DONE, FAILED, QUEUED, RUNNING, Job
from persistence import models as t
from persistence.bulk import is_postgresql


def _job(row) -> Job:
    return Job(row.id, row.kind, row.subject_id, row.status, row.attempts, row.runner, row.heartbeat_utc,
               row.created_utc, row.started_utc, row.finished_utc, row.error)


class SqlJobQueue:
    def __init__(self, session: Session):
        self._session = session

    def enqueue(self, kind: str, subject_id: int, now: datetime) -> int:
        existing = self._session.execute(select(t.BackgroundJob.id).where(
            t.BackgroundJob.kind == kind, t.BackgroundJob.subject_id == subject_id)).scalar()
        if existing is not None:
            return existing
        return self._session.execute(insert(t.BackgroundJob).values(
            kind=kind, subject_id=subject_id, status=QUEUED, attempts=0, created_utc=now)
            .returning(t.BackgroundJob.id)).scalar_one()

    def claim(self, runner: str, now: datetime, stale_before: datetime, max_attempts: int) -> Job | None:
        job = t.BackgroundJob
        statement = (select(job).where(or_(
            job.status == QUEUED,
            and_(job.status == RUNNING, or_(job.heartbeat_utc.is_(None), job.heartbeat_utc < stale_before))))
            .order_by(job.created_utc, job.id).limit(1))
        if is_postgresql(self._session):
            statement = statement.with_for_update(skip_locked=True)
        row = self._session.execute(statement).scalars().first()
        if row is None:
            return None
        if row.attempts >= max_attempts:
            # Taken over too often (it kills its runner, say): it stops here, for a person to look at.
            self._session.execute(update(job).where(job.id == row.id).values(
                status=FAILED, finished_utc=now, error="gave up after its runner stopped "
                                                       f"{row.attempts} times"))
            return None
        self._session.execute(update(job).where(job.id == row.id).values(
            status=RUNNING, runner=runner, heartbeat_utc=now, attempts=row.attempts + 1,
            started_utc=row.started_utc or now))
        self._session.refresh(row)
        return _job(row)

    def heartbeat(self, job_id: int, runner: str, now: datetime) -> bool:
        job = t.BackgroundJob
        result = self._session.execute(update(job).where(
            job.id == job_id, job.runner == runner, job.status == RUNNING).values(heartbeat_utc=now))
        return bool(getattr(result, "rowcount", 0))

    def finish(self, job_id: int, runner: str, now: datetime, *, error: str | None = None,
               retry: bool = False) -> None:
        job = t.BackgroundJob
        status = DONE if error is None else (QUEUED if retry else FAILED)
        self._session.execute(update(job).where(job.id == job_id, job.runner == runner).values(
            status=status, finished_utc=now if status != QUEUED else None, error=error,
            runner=None if status == QUEUED else runner))

    def release(self, job_id: int, runner: str) -> None:
        job = t.BackgroundJob
        self._session.execute(update(job).where(job.id == job_id, job.runner == runner, job.status == RUNNING)
                              .values(status=QUEUED, runner=None, attempts=job.attempts - 1))

    def running(self) -> list[Job]:
        rows = self._session.execute(select(t.BackgroundJob).where(t.BackgroundJob.status == RUNNING)
                                     .order_by(t.BackgroundJob.id)).scalars()
        return [_job(row) for row in rows]

    def job_for(self, kind: str, subject_id: int) -> Job | None:
        row = self._session.execute(select(t.BackgroundJob).where(
            t.BackgroundJob.kind == kind, t.BackgroundJob.subject_id == subject_id)).scalars().first()
        return _job(row) if row else None
