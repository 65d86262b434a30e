"""The replay store (:class:`operations.replay.ReplayStore`) on SQLAlchemy."""
from __future__ import annotations

import zlib
from datetime import datetime

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from operations.replay import ReplayKey, StoredResponse
from persistence import models as t

_processed = t.table(t.ProcessedRequest).c
FIND = select(_processed.message_id, _processed.request_hash, _processed.response_body,
              _processed.created_utc).where(_processed.client_name == bindparam("client_name"),
                                            _processed.client_message_id == bindparam("client_message_id"))
"""Built once: every request with a ClientMessageID looks it up."""


class SqlReplayStore:
    def __init__(self, session: Session):
        self._session = session

    def find(self, client_name: str, client_message_id: str) -> StoredResponse | None:
        row = self._session.execute(FIND, {"client_name": client_name,
                                           "client_message_id": client_message_id}).one_or_none()
        if row is None:
            return None
        return StoredResponse(row.message_id, row.request_hash, zlib.decompress(row.response_body),
                              row.created_utc)

    def remember(self, key: ReplayKey, message_id: str, response_body: bytes,
                 now: datetime) -> None:
        self._session.execute(insert(t.table(t.ProcessedRequest)), [{
            "client_name": key.client_name, "client_message_id": key.client_message_id,
            "operation": key.operation, "request_hash": key.request_hash,
            "message_id": message_id, "response_body": zlib.compress(response_body),
            "created_utc": now}])
