"""Replay-safe resubmission: a client's ClientMessageID is remembered with a hash
of its request and the response it got.

The same client sending the same ClientMessageID with the same payload gets
the stored response again and nothing is applied twice; with a different
payload it is refused (rule 99010).  The row is written in the same
transaction as the request's changes, and its primary key (client,
ClientMessageID) makes a concurrent duplicate fail and retry, after which it
finds the stored response: safe under several workers.
"""
from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from persistence import models as t


@dataclass(frozen=True)
class ReplayKey:
    client_name: str
    client_message_id: str
    operation: str
    request_hash: str


@dataclass(frozen=True)
class StoredResponse:
    message_id: str
    request_hash: str
    response_body: bytes
    created_utc: datetime


def payload_hash(*parts: object) -> str:
    """A hash of what a request asks for (not of its bytes: SentUtcTime and XML
    spelling may differ between a request and its resubmission)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def find(session: Session, key: ReplayKey) -> StoredResponse | None:
    row = session.execute(select(t.ProcessedRequest).where(
        t.ProcessedRequest.client_name == key.client_name,
        t.ProcessedRequest.client_message_id == key.client_message_id)).scalar_one_or_none()
    if row is None:
        return None
    return StoredResponse(row.message_id, row.request_hash, zlib.decompress(row.response_body),
                          row.created_utc)


def remember(session: Session, key: ReplayKey, message_id: str, response_body: bytes,
             now: datetime) -> None:
    session.execute(insert(t.ProcessedRequest.__table__), [{
        "client_name": key.client_name, "client_message_id": key.client_message_id,
        "operation": key.operation, "request_hash": key.request_hash, "message_id": message_id,
        "response_body": zlib.compress(response_body), "created_utc": now}])
