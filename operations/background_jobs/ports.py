"""What the job runner needs from the store."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from .model import Job


class JobQueue(Protocol):
    def enqueue(self, kind: str, subject_id: int, now: datetime) -> int:
        """Queue the job for ``subject_id`` (once: queuing it again returns the same job)."""
        ...

    def claim(self, runner: str, now: datetime, stale_before: datetime, max_attempts: int) -> Job | None:
        """Take the oldest Queued job, or a Running one whose heartbeat is older than
        ``stale_before``; no two runners ever hold the same job."""
        ...

    def heartbeat(self, job_id: int, runner: str, now: datetime) -> bool:
        """Still ours (False: another runner took it over)."""
        ...

    def finish(self, job_id: int, runner: str, now: datetime, *, error: str | None = None,
               retry: bool = False) -> None:
        """Done; or, with an ``error``, Queued again when ``retry`` (else Failed)."""
        ...

    def release(self, job_id: int, runner: str) -> None:
        """Back to Queued, for any runner (this one is stopping; the job goes on later)."""
        ...

    def running(self) -> list[Job]: ...

    def job_for(self, kind: str, subject_id: int) -> Job | None: ...
