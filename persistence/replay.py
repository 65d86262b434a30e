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
from typing import Callable, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from pasi_core.caller import Caller
from pasi_core.errors import RequestRejected
from pasi_core.rule_catalogue import render
from persistence import models as t
from persistence.unit_of_work import UnitOfWork, run_retrying

DUPLICATE_MESSAGE_FAULT = "Client.DuplicateClientMessageID"
T = TypeVar("T")


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


@dataclass(frozen=True)
class Idempotency:
    """Remember a request under the client's ClientMessageID."""

    key: ReplayKey
    message_id: str
    render: Callable[[object], bytes]
    """Turns the operation's result into the response body the client receives."""

    @classmethod
    def for_request(cls, caller: Caller, client_message_id: str, operation: str, payload: object, *,
                    message_id: str, render: Callable[[object], bytes]) -> Idempotency:
        """The key of one request: the caller's ClientMessageID, with a hash of
        what it asks (operation, organization and payload) to tell a
        resubmission from a reuse of the ID for another request."""
        return cls(ReplayKey(caller.client_name, client_message_id, operation,
                             payload_hash(operation, caller.organization_code, payload)),
                   message_id=message_id, render=render)


@dataclass(frozen=True)
class Replayed:
    """A resubmission: the stored response, nothing applied."""

    response_body: bytes
    original_message_id: str


def run_once(session_factory: sessionmaker[Session], idempotency: Idempotency | None,
             produce: Callable[[UnitOfWork], T], now: datetime) -> T | Replayed:
    """Run ``produce`` in a retried unit of work, unless this ClientMessageID was
    already answered (then replay it, or refuse a different payload with 99010).
    The remembered response commits with the request's own changes."""

    def work(uow: UnitOfWork):
        if idempotency is not None:
            stored = find(uow.session, idempotency.key)
            if stored is not None:
                if stored.request_hash != idempotency.key.request_hash:
                    raise RequestRejected(99010, render(99010, {
                        "ClientMessageID": idempotency.key.client_message_id,
                        "MessageID": stored.message_id}), fault_code=DUPLICATE_MESSAGE_FAULT)
                return Replayed(stored.response_body, stored.message_id)
        result = produce(uow)
        if idempotency is not None:
            remember(uow.session, idempotency.key, idempotency.message_id,
                     idempotency.render(result), now)
        uow.commit()
        return result

    return run_retrying(session_factory, work)
