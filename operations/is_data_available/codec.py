"""XML <-> plain data for IsDataAvailable (see pasi_core/contract/codec.py)."""
from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from pasi_core.contract import namespaces
from pasi_core.contract.codec import CallerFacts, read_caller_info, sub, text_of

from .model import RegisteredType, SyncRequest, TypeResult

_S = f"{{{namespaces.PASI_SERVICE}}}"


def read_request(operation: etree._Element) -> tuple[CallerFacts, SyncRequest]:
    request = operation[0]
    caller = read_caller_info(request.find(_S + "CallerInfo"))
    types = tuple(RegisteredType(text_of(item.find(_S + "NotificationType")),
                                 int(text_of(item.find(_S + "MaxPASICoreVersion"))),
                                 item.findtext(_S + "PASICoreVersionHash"))
                  for item in request.find(_S + "NotificationTypes"))
    return caller, SyncRequest(int(text_of(request.find(_S + "WaitTimeInMinutes"))), types)


def canonical(request: SyncRequest) -> list:
    return [request.wait_minutes, [[t.notification_type, t.max_version, t.version_hash]
                                   for t in request.types]]


def render(message_id: str, results: Sequence[TypeResult]) -> etree._Element:
    response = etree.Element(_S + "IsDataAvailableResponse")
    result = sub(response, _S + "IsDataAvailableResult")
    sub(result, _S + "MessageID", message_id)
    holder = sub(result, _S + "Results")
    for type_result in results:
        info = sub(holder, _S + "DataNotificationResultTypeInfo")
        sub(info, _S + "NotificationType", type_result.notification_type)
        sub(info, _S + "MaxPASICoreVersion", type_result.max_version)
        sub(info, _S + "MoreAvailable", "true" if type_result.more_available else "false")
        changes = sub(info, _S + "Changes")
        for change in type_result.changes:
            item = sub(changes, _S + "DataNotificationIdVersion")
            sub(item, _S + "Id", change.ref_id)
            sub(item, _S + "PASICoreVersion", change.version)
    return response
