"""What a running service needs, built once at start-up and shared by requests."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from pasi_core.authentication import Authenticator
from pasi_core.config import Settings


def utc_now() -> datetime:
    """Naive UTC, the form every stored time has."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    authenticator: Authenticator
    clock: Callable[[], datetime] = field(default=utc_now)
