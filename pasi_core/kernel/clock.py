"""Time: stored instants are naive UTC; "the current date" is Alberta's.

PASI's dates that people see or that are derived as dates (Awarded On Date,
the awarded school year, CSV contents and file names) are dates in the
province's time zone (``PASI_TIME_ZONE``, America/Edmonton by default): a
run at 21:30 in Edmonton on 30 June awards on 30 June, not on 1 July.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]
"""Returns naive UTC."""

PROVINCE_TIME_ZONE = "America/Edmonton"


def utc_now() -> datetime:
    """Naive UTC, the form every stored time has."""
    return datetime.now(UTC).replace(tzinfo=None)


def local_time(moment_utc: datetime, zone: str = PROVINCE_TIME_ZONE) -> datetime:
    """A stored (naive UTC) instant as the province's wall-clock time (aware)."""
    return moment_utc.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))


def local_date(moment_utc: datetime, zone: str = PROVINCE_TIME_ZONE) -> date:
    return local_time(moment_utc, zone).date()
