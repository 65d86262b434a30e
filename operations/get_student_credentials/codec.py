"""XML <-> plain data for GetStudentCredentials and GetDocumentOrders (PASISystem)."""
from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from pasi_core.contract import namespaces
from pasi_core.contract.codec import CallerFacts, add_rejections, read_caller_info, sub, text_of

from .model import StudentAnswer

_Y = f"{{{namespaces.PASI_SYSTEM}}}"


def read_request(operation: etree._Element) -> tuple[CallerFacts, list[str]]:
    """CallerInfo and the StateProvinceIds (shared by both PASISystem reads of a student)."""
    request = operation[0]
    caller = read_caller_info(request.find(_Y + "CallerInfo"))
    asns = [text_of(item).strip() for item in request.find(_Y + "StateProvinceIds")]
    return caller, asns


def canonical(asns: Sequence[str]) -> list:
    return list(asns)


def render(message_id: str, answers: Sequence[StudentAnswer]) -> etree._Element:
    response = etree.Element(_Y + "GetStudentCredentialsResponse")
    result = sub(response, _Y + "GetStudentCredentialsResult")
    sub(result, _Y + "MessageID", message_id)
    students = sub(result, _Y + "Students")
    for answer in answers:
        item = sub(students, _Y + "StudentCredentialsGetResponseItem")
        sub(item, _Y + "StateProvinceId", answer.asn)
        add_rejections(item, answer.rejections, namespaces.PASI_SYSTEM)
        credentials = sub(item, _Y + "Credentials")
        for c in answer.credentials:
            info = sub(credentials, _Y + "StudentCredentialInfo")
            sub(info, _Y + "CredentialNumber", c.credential_number)
            sub(info, _Y + "StateProvinceId", c.asn)
            sub(info, _Y + "CredentialType", c.credential_type)
            if c.requirement_set is not None:
                sub(info, _Y + "CredentialRequirementSet", c.requirement_set)
            sub(info, _Y + "AwardedOnDate", c.awarded_on.isoformat())
            sub(info, _Y + "AwardedSchoolYear", c.school_year)
            sub(info, _Y + "IsActive", "true" if c.is_active else "false")
            sub(info, _Y + "IsDeleted", "true" if c.is_deleted else "false")
            if c.delete_reason is not None:
                sub(info, _Y + "DeleteReason", c.delete_reason)
            if c.legacy_credential_number is not None:
                sub(info, _Y + "LegacyCredentialNumber", c.legacy_credential_number)
            sub(info, _Y + "PASICoreVersion", c.version)
    return response
