"""Student Records users as use cases: manage them (the ``users`` commands), sign in and out
(the screens), and find who a browser's session belongs to.

Sign-in is audited like a SOAP request (endpoint ``StudentRecords``, the user's name as the
operator), successful or not.  After ``SignInPolicy.max_failures`` consecutive failures a user is
locked out for ``SignInPolicy.lockout``; the answer to a locked user, a wrong password and an
unknown name is the same, so sign-in tells an attacker nothing.  A session is a random token in
the browser's cookie; the store keeps only its SHA-256, so a copy of the table signs no one in.
Disabling a user ends their sessions at once.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from operations.unit_of_work import UnitOfWork, UnitOfWorkFactory
from pasi_core.kernel.audit import AuditEntry
from pasi_core.kernel.errors import PasiError

from . import passwords
from .model import (
    PERMISSIONS,
    SignInPolicy,
    StaffSession,
    StaffUser,
    normalize_user_name,
    password_problem,
    user_name_problem,
)

ENDPOINT = "StudentRecords"
DEFAULT_POLICY = SignInPolicy()


class StaffAccountError(PasiError):
    """A user cannot be added or changed as asked (bad name, weak password, unknown user, ...)."""


@dataclass(frozen=True)
class SignedIn:
    token: str
    """For the browser's cookie only; never stored."""
    user: StaffUser


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_permissions(permissions: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(permissions)
    unknown = sorted(chosen - PERMISSIONS)
    if unknown:
        raise StaffAccountError(f"unknown permission(s) {', '.join(unknown)}; known: {', '.join(sorted(PERMISSIONS))}")
    return chosen


def add_user(new_unit_of_work: UnitOfWorkFactory, user_name: str, full_name: str, password: str,
             permissions: Iterable[str], *, now: datetime) -> StaffUser:
    name = normalize_user_name(user_name)
    problem = user_name_problem(name) or password_problem(password)
    if problem:
        raise StaffAccountError(problem)
    if not full_name.strip():
        raise StaffAccountError("a user needs a full name (it is shown on the screens)")
    chosen = _check_permissions(permissions)
    with new_unit_of_work() as uow:
        if uow.staff.user_named(name) is not None:
            raise StaffAccountError(f"a user named {name} already exists")
        uow.staff.add_user(name, full_name.strip(), passwords.hash_password(password), chosen, now)
        _audit(uow, "AddUser", name, "ok", now)
        user = uow.staff.user_named(name)
        uow.commit()
    assert user is not None
    return user


def _existing(uow: UnitOfWork, user_name: str) -> StaffUser:
    user = uow.staff.user_named(normalize_user_name(user_name), for_update=True)
    if user is None:
        raise StaffAccountError(f"there is no user named {normalize_user_name(user_name)}")
    return user


def set_password(new_unit_of_work: UnitOfWorkFactory, user_name: str, password: str, *, now: datetime) -> None:
    problem = password_problem(password)
    if problem:
        raise StaffAccountError(problem)
    with new_unit_of_work() as uow:
        user = _existing(uow, user_name)
        uow.staff.set_password(user.id, passwords.hash_password(password))
        uow.staff.record_sign_in(user.id, failed_sign_ins=0, locked_until_utc=None,
                                 last_sign_in_utc=user.last_sign_in_utc)
        uow.staff.end_sessions_of(user.id)
        _audit(uow, "SetPassword", user.user_name, "ok", now)
        uow.commit()


def set_enabled(new_unit_of_work: UnitOfWorkFactory, user_name: str, enabled: bool, *, now: datetime) -> None:
    with new_unit_of_work() as uow:
        user = _existing(uow, user_name)
        uow.staff.set_enabled(user.id, enabled)
        if not enabled:
            uow.staff.end_sessions_of(user.id)
        _audit(uow, "EnableUser" if enabled else "DisableUser", user.user_name, "ok", now)
        uow.commit()


def change_permissions(new_unit_of_work: UnitOfWorkFactory, user_name: str, *, grant: Iterable[str] = (),
                       revoke: Iterable[str] = (), now: datetime) -> frozenset[str]:
    granted, revoked = _check_permissions(grant), _check_permissions(revoke)
    with new_unit_of_work() as uow:
        user = _existing(uow, user_name)
        permissions = (user.permissions | granted) - revoked
        uow.staff.set_permissions(user.id, permissions)
        _audit(uow, "ChangePermissions", user.user_name, "ok", now)
        uow.commit()
    return permissions


def list_users(new_unit_of_work: UnitOfWorkFactory) -> list[StaffUser]:
    with new_unit_of_work(read_only=True) as uow:
        return uow.staff.users()


def sign_in(new_unit_of_work: UnitOfWorkFactory, user_name: str, password: str, *, now: datetime,
            remote_address: str | None = None, policy: SignInPolicy = DEFAULT_POLICY) -> SignedIn | None:
    """A new session, or None (wrong name or password, disabled, locked: one answer for all)."""
    name = normalize_user_name(user_name)
    with new_unit_of_work() as uow:
        user = uow.staff.user_named(name, for_update=True) if name else None
        # Verify even when there is no such user or it is locked: the same work, the same time.
        matches = passwords.verify_password(user.password_hash if user else None, password[:1024])
        if user is None or not user.enabled or user.is_locked(now) or not matches:
            if user is not None and user.enabled and not user.is_locked(now):
                failures = user.failed_sign_ins + 1
                locked = now + policy.lockout if failures >= policy.max_failures else None
                uow.staff.record_sign_in(user.id, failed_sign_ins=0 if locked else failures,
                                         locked_until_utc=locked, last_sign_in_utc=user.last_sign_in_utc)
            reason = ("locked" if user is not None and (user.is_locked(now)) else "refused")
            _audit(uow, "SignIn", user.user_name if user else None, reason, now, remote_address)
            uow.commit()
            return None
        if passwords.needs_rehash(user.password_hash):
            uow.staff.set_password(user.id, passwords.hash_password(password))
        uow.staff.record_sign_in(user.id, failed_sign_ins=0, locked_until_utc=None, last_sign_in_utc=now)
        token = secrets.token_urlsafe(32)
        uow.staff.add_session(StaffSession(token_digest(token), user.id, now, now, now + policy.session_lifetime))
        _audit(uow, "SignIn", user.user_name, "ok", now, remote_address)
        signed_in = uow.staff.user(user.id)
        uow.commit()
    assert signed_in is not None
    return SignedIn(token, signed_in)


# A session's last use is written at most this often (every request would be a write).
_TOUCH_EVERY_SECONDS = 60


def current_user(new_unit_of_work: UnitOfWorkFactory, token: str | None, *, now: datetime,
                 policy: SignInPolicy = DEFAULT_POLICY) -> StaffUser | None:
    """The enabled user whose live session ``token`` is, or None."""
    if not token:
        return None
    digest = token_digest(token)
    with new_unit_of_work(read_only=True) as uow:
        session = uow.staff.session(digest)
        user = uow.staff.user(session.user_id) if session is not None else None
    if session is None or user is None or not user.enabled or not session.is_live(now, policy):
        return None
    if (now - session.last_seen_utc).total_seconds() >= _TOUCH_EVERY_SECONDS:
        with new_unit_of_work() as uow:
            uow.staff.touch_session(digest, now)
            uow.commit()
    return user


def sign_out(new_unit_of_work: UnitOfWorkFactory, token: str | None, *, now: datetime,
             remote_address: str | None = None) -> None:
    if not token:
        return
    digest = token_digest(token)
    with new_unit_of_work() as uow:
        session = uow.staff.session(digest)
        if session is None:
            return
        user = uow.staff.user(session.user_id)
        uow.staff.end_session(digest)
        _audit(uow, "SignOut", user.user_name if user else None, "ok", now, remote_address)
        uow.commit()


def purge_sessions(new_unit_of_work: UnitOfWorkFactory, *, now: datetime) -> int:
    with new_unit_of_work() as uow:
        removed = uow.staff.purge_sessions(now)
        uow.commit()
    return removed


def _audit(uow: UnitOfWork, operation: str, operator: str | None, outcome: str, now: datetime,
           remote_address: str | None = None) -> None:
    uow.audit.append(AuditEntry(
        message_id=str(uuid.uuid4()), received_utc=now, endpoint=ENDPOINT, operation=operation,
        organization_code="O.1", client_name="Student Records", client_message_id=None,
        remote_address=remote_address, outcome=outcome, rule_id=None, record_count=0, accepted_count=0,
        duration_ms=0, request_hash=None, record_outcomes=None, operator=operator))
