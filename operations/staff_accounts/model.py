"""Student Records users and signed-in sessions, as plain data, and the sign-in policy."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

MANAGE_CREDENTIALS = "Manage Credentials"
"""PASIprep's "Level 19 Permission - Manage Credentials": the credential screens need it
(reference pasi-credentials.md §1.1)."""
PERMISSIONS = frozenset({MANAGE_CREDENTIALS})

USER_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,99}")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256


@dataclass(frozen=True)
class SignInPolicy:
    max_failures: int = 5
    """Consecutive failed sign-ins that lock a user out."""
    lockout: timedelta = timedelta(minutes=15)
    idle_timeout: timedelta = timedelta(minutes=30)
    """A session unused this long is over."""
    session_lifetime: timedelta = timedelta(hours=12)
    """A session ends this long after sign-in, used or not."""


@dataclass(frozen=True)
class StaffUser:
    id: int
    user_name: str
    full_name: str
    password_hash: str
    enabled: bool
    permissions: frozenset[str] = field(default_factory=frozenset)
    failed_sign_ins: int = 0
    locked_until_utc: datetime | None = None
    last_sign_in_utc: datetime | None = None

    def may(self, permission: str) -> bool:
        return self.enabled and permission in self.permissions

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until_utc is not None and now < self.locked_until_utc


@dataclass(frozen=True)
class StaffSession:
    token_hash: str
    user_id: int
    created_utc: datetime
    last_seen_utc: datetime
    expires_utc: datetime

    def is_live(self, now: datetime, policy: SignInPolicy) -> bool:
        return now < self.expires_utc and now - self.last_seen_utc < policy.idle_timeout


def normalize_user_name(raw: str) -> str:
    return raw.strip().lower()


def user_name_problem(user_name: str) -> str | None:
    if not USER_NAME.fullmatch(user_name):
        return ("a user name is 2 to 100 characters: letters, digits and . _ @ -, starting with a "
                "letter or digit")
    return None


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password has at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"a password has at most {MAX_PASSWORD_LENGTH} characters"
    return None
