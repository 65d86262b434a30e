"""Replay-safe resubmission: a client's ClientMessageID is remembered with a hash
of what its request asked and the exact response bytes it got.

The same client sending the same ClientMessageID with the same request gets
the stored response again and nothing is applied twice; with a different
request it is refused (rule 99010).  The remembered row commits in the same
transaction as the request's changes; its key (client, ClientMessageID)
makes a concurrent duplicate collide and retry, after which it finds the
stored answer: safe under several workers.

The hash is taken over a canonical form of the request that each operation
lists field by field (:func:`request_hash`), never over Python ``repr()``,
so a resubmission after a deploy still matches.  Changing an operation's
canonical form is a stored-format change: bump :data:`CANONICAL_FORM`.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pasi_core.kernel.errors import RequestRejected
from pasi_core.kernel.rule_catalogue import render

DUPLICATE_MESSAGE_FAULT = "Client.DuplicateClientMessageID"
CANONICAL_FORM = "v2"


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


class ReplayStore(Protocol):
    def find(self, client_name: str, client_message_id: str) -> StoredResponse | None: ...

    def remember(self, key: ReplayKey, message_id: str, response_body: bytes,
                 now: datetime) -> None: ...


def request_hash(operation: str, organization_code: str, canonical_request: object) -> str:
    """SHA-256 of the canonical JSON of what a request asks (not of its bytes:
    SentUtcTime and XML spelling may differ between a request and its
    resubmission).  ``canonical_request`` is built from plain values only."""
    payload = json.dumps([CANONICAL_FORM, operation, organization_code, canonical_request],
                         separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def stored_answer(replays: ReplayStore, key: ReplayKey) -> StoredResponse | None:
    """The response stored for this ClientMessageID, or None when it is new.

    A ClientMessageID already used for a *different* request is rule 99010."""
    stored = replays.find(key.client_name, key.client_message_id)
    if stored is None:
        return None
    if stored.request_hash != key.request_hash:
        raise RequestRejected(99010, render(99010, {
            "ClientMessageID": key.client_message_id, "MessageID": stored.message_id}),
            fault_code=DUPLICATE_MESSAGE_FAULT)
    return stored
