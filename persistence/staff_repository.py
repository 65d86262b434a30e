"""Student Records users and their sessions on SQLAlchemy (operations/staff_accounts/ports.py)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from operations.staff_accounts.model import StaffSession, StaffUser
from persistence import models as t


class SqlStaffRepository:
    def __init__(self, session: Session):
        self._session = session

    def _user(self, row) -> StaffUser:
        permissions = self._session.execute(select(t.StaffPermission.permission).where(
            t.StaffPermission.user_id == row.id)).scalars().all()
        return StaffUser(row.id, row.user_name, row.full_name, row.password_hash, row.is_enabled,
                         frozenset(permissions), row.failed_sign_ins, row.locked_until_utc,
                         row.last_sign_in_utc)

    def user_named(self, user_name: str, *, for_update: bool = False) -> StaffUser | None:
        statement = select(t.StaffUser).where(t.StaffUser.user_name == user_name)
        if for_update:
            statement = statement.with_for_update()
        row = self._session.execute(statement).scalars().first()
        return self._user(row) if row else None

    def user(self, user_id: int) -> StaffUser | None:
        row = self._session.get(t.StaffUser, user_id)
        return self._user(row) if row else None

    def users(self) -> list[StaffUser]:
        rows = self._session.execute(select(t.StaffUser).order_by(t.StaffUser.user_name)).scalars().all()
        return [self._user(row) for row in rows]

    def add_user(self, user_name: str, full_name: str, password_hash: str, permissions: Iterable[str],
                 now: datetime) -> int:
        user_id = self._session.execute(insert(t.StaffUser).values(
            user_name=user_name, full_name=full_name, password_hash=password_hash, is_enabled=True,
            failed_sign_ins=0, created_utc=now).returning(t.StaffUser.id)).scalar_one()
        self.set_permissions(user_id, permissions)
        return user_id

    def record_sign_in(self, user_id: int, *, failed_sign_ins: int, locked_until_utc: datetime | None,
                       last_sign_in_utc: datetime | None) -> None:
        self._session.execute(update(t.StaffUser).where(t.StaffUser.id == user_id).values(
            failed_sign_ins=failed_sign_ins, locked_until_utc=locked_until_utc,
            last_sign_in_utc=last_sign_in_utc))

    def set_password(self, user_id: int, password_hash: str) -> None:
        self._session.execute(update(t.StaffUser).where(t.StaffUser.id == user_id).values(
            password_hash=password_hash))

    def set_enabled(self, user_id: int, enabled: bool) -> None:
        self._session.execute(update(t.StaffUser).where(t.StaffUser.id == user_id).values(is_enabled=enabled))

    def set_permissions(self, user_id: int, permissions: Iterable[str]) -> None:
        self._session.execute(delete(t.StaffPermission).where(t.StaffPermission.user_id == user_id))
        rows = [{"user_id": user_id, "permission": p} for p in sorted(set(permissions))]
        if rows:
            self._session.execute(insert(t.StaffPermission), rows)

    def add_session(self, session: StaffSession) -> None:
        self._session.execute(insert(t.StaffSession).values(
            token_hash=session.token_hash, user_id=session.user_id, created_utc=session.created_utc,
            last_seen_utc=session.last_seen_utc, expires_utc=session.expires_utc))

    def session(self, token_hash: str) -> StaffSession | None:
        row = self._session.get(t.StaffSession, token_hash)
        if row is None:
            return None
        return StaffSession(row.token_hash, row.user_id, row.created_utc, row.last_seen_utc, row.expires_utc)

    def touch_session(self, token_hash: str, now: datetime) -> None:
        self._session.execute(update(t.StaffSession).where(t.StaffSession.token_hash == token_hash).values(
            last_seen_utc=now))

    def end_session(self, token_hash: str) -> None:
        self._session.execute(delete(t.StaffSession).where(t.StaffSession.token_hash == token_hash))

    def end_sessions_of(self, user_id: int) -> None:
        self._session.execute(delete(t.StaffSession).where(t.StaffSession.user_id == user_id))

    def purge_sessions(self, now: datetime) -> int:
        result = self._session.execute(delete(t.StaffSession).where(t.StaffSession.expires_utc <= now))
        return getattr(result, "rowcount", 0) or 0
