"""Plain data for IsDataAvailable.  No spyne, no SQLAlchemy."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RegisteredType:
    """One Registered Notification Type of the request."""

    notification_type: str
    """As sent: ``DiplomaExamMark.2024`` (the type, a dot, the school year it ends)."""
    max_version: int
    """Max PASI Core Version: the highest version the client has of this type."""
    version_hash: str | None = None
    """PASI Core Version Hash: accepted and not compared (PASI's hash is not public)."""


@dataclass(frozen=True)
class SyncRequest:
    wait_minutes: int
    types: tuple[RegisteredType, ...]


@dataclass(frozen=True)
class NotificationType:
    name: str
    school_year: int | None


@dataclass(frozen=True)
class ChangedRecord:
    ref_id: str
    version: int


@dataclass(frozen=True)
class TypeResult:
    notification_type: str
    changes: tuple[ChangedRecord, ...]
    max_version: int
    """What to send as Max PASI Core Version next time: every change up to it is answered."""
    more_available: bool
    """True when the answer stopped at its cap: ask again with ``max_version``."""


@dataclass(frozen=True)
class SyncLimits:
    per_type: int = 10_000
    """PASI returns at most 150,000 per type; this service pages sooner (PASI_SYNC_MAX_PER_TYPE)."""
    total: int = 40_000
    """PASI's overall cap is about 600,000 (PASI_SYNC_MAX_TOTAL)."""
    chunk: int = 2_000
    """Candidates read from the store at a time."""
