"""List Credentials to Review on SQLAlchemy (operations/credentials_to_review/ports.py)."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from operations.credentials_to_review.model import (
    ACHIEVED_NOT_AWARDED,
    AWARDED_NOT_ORDERED,
    NEEDS_REVIEW,
    NO_LONGER_ACHIEVED,
    REVIEW_STATUSES,
    ReviewItem,
)
from persistence import models as t

ACHIEVED = "Achieved"


def _awarded(achievement=t.CredentialAchievement):
    credential = t.StudentCredential
    return exists().where(credential.asn == achievement.asn,
                          credential.credential_type == achievement.credential_type,
                          credential.is_deleted.is_(False))


def _on_an_order(credential=t.StudentCredential):
    item, order = t.DocumentOrderItem, t.DocumentOrder
    return exists().where(item.credential_number == credential.credential_number,
                          order.id == item.order_id, order.is_deleted.is_(False))


class SqlCredentialReviewRepository:
    def __init__(self, session: Session):
        self._session = session

    def items(self, category: str) -> list[ReviewItem]:
        if category in (ACHIEVED_NOT_AWARDED, NEEDS_REVIEW):
            achievement = t.CredentialAchievement
            statuses = (ACHIEVED,) if category == ACHIEVED_NOT_AWARDED else REVIEW_STATUSES
            achievements = self._session.execute(select(achievement).where(
                achievement.status.in_(statuses), ~_awarded()).order_by(
                achievement.asn, achievement.credential_type, achievement.requirement_set)).scalars()
            return [ReviewItem(a.asn, a.credential_type, a.requirement_set, a.status, None, None)
                    for a in achievements]
        credential = t.StudentCredential
        if category == AWARDED_NOT_ORDERED:
            condition = ~_on_an_order()
        elif category == NO_LONGER_ACHIEVED:
            achievement = t.CredentialAchievement
            condition = ~exists().where(and_(achievement.asn == credential.asn,
                                             achievement.credential_type == credential.credential_type,
                                             achievement.status == ACHIEVED))
        else:
            raise ValueError(category)
        credentials = self._session.execute(select(credential).where(
            credential.is_deleted.is_(False), condition).order_by(
            credential.asn, credential.credential_type, credential.credential_number)).scalars()
        return [ReviewItem(c.asn, c.credential_type, c.requirement_set, None, c.credential_number,
                           c.awarded_on_date) for c in credentials]

    def unordered_credentials(self, numbers: Sequence[str]) -> list[str]:
        credential = t.StudentCredential
        return list(self._session.execute(select(credential.credential_number).where(
            credential.credential_number.in_(sorted(set(numbers))), credential.is_deleted.is_(False),
            ~_on_an_order())).scalars())
