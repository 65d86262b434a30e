"""Where outbox messages go (docs/student-records.md, "Notifications").

The embedded adapter writes each message as one JSON file in ``PASI_OUTBOX_DIR`` (default
``var/outbox``), named by its sequence number so a reader takes them in order: the myPass
integration (or whatever stands in for it) reads, acts and deletes.  A message written twice (a
crash after the write, before its delivery was recorded) has the same name and the same event
key; a reader that keeps the event keys it has acted on never acts twice.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from operations.credential_documents.model import OutboxMessage


class FolderMessageSink:
    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def send(self, message: OutboxMessage) -> None:
        slug = "".join(c if c.isalnum() else "-" for c in message.kind.lower())
        target = self.root / f"{message.id:010d}-{slug}.json"
        body = json.dumps({"id": message.id, "kind": message.kind, "audience": message.audience,
                           "eventKey": message.event_key, "createdUtc": message.created_utc.isoformat() + "Z",
                           "stateProvinceId": message.asn, "payload": message.payload}, indent=1, sort_keys=True)
        descriptor, temporary = tempfile.mkstemp(dir=self.root, prefix=".writing-")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(body)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
