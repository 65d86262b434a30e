"""XML <-> plain data for SubmitCredentialAwardingMultiple."""
from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from pasi_core.contract import namespaces
from pasi_core.contract.codec import CallerFacts, add_rejections, read_caller_info, sub, text_of

from .service import AwardOutcome

_Y = f"{{{namespaces.PASI_SYSTEM}}}"
_C = f"{{{namespaces.COMMON}}}"


def read_request(operation: etree._Element) -> tuple[CallerFacts, list[str]]:
    request = operation[0]
    caller = read_caller_info(request.find(_Y + "CallerInfo"))
    asns = [text_of(element).strip() for element in request.find(_Y + "StateProvinceIds")]
    return caller, asns


def canonical(asns: Sequence[str]) -> list[str]:
    return list(asns)


def render(message_id: str, outcomes: Sequence[AwardOutcome]) -> etree._Element:
    response = etree.Element(_Y + "SubmitCredentialAwardingMultipleResponse")
    result = sub(response, _Y + "SubmitCredentialAwardingMultipleResult")
    sub(result, _Y + "MessageID", message_id)
    responses = sub(result, _Y + "SubmitCredentialResponses")
    for outcome in outcomes:
        item = sub(responses, _Y + "SubmitCredentialResponse")
        sub(item, _Y + "StateProvinceId", outcome.asn)
        if outcome.credential_type is not None:
            sub(item, _Y + "CredentialType", outcome.credential_type)
        sub(item, _Y + "CredentialNumber", outcome.credential_number)
        sub(item, _Y + "PASICoreVersion", outcome.version)
        add_rejections(item, outcome.rejections, namespaces.PASI_SYSTEM)
    return response
