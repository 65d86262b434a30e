"""A background job as plain data."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

QUEUED, RUNNING, DONE, FAILED = "Queued", "Running", "Done", "Failed"
BULK_AWARD_RUN = "bulk-award-run"
"""Process a started bulk award-and-order run (subject: the run's id)."""

HEARTBEAT_EVERY = timedelta(seconds=10)
STALE_AFTER = timedelta(seconds=60)
"""A Running job without a heartbeat for this long lost its runner (killed, host gone): another
runner takes it over, and the job goes on from its stored progress."""
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    subject_id: int
    status: str
    attempts: int
    runner: str | None
    heartbeat_utc: datetime | None
    created_utc: datetime
    started_utc: datetime | None
    finished_utc: datetime | None
    error: str | None
