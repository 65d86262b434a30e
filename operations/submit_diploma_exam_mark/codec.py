"""XML <-> plain data for SubmitDiplomaExamMark (see pasi_core/contract/codec.py).

The reader runs only on a body that passed XSD validation, so element
order and presence are already guaranteed; it maps by tag.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lxml import etree

from pasi_core.contract import namespaces
from pasi_core.contract.codec import (
    CallerFacts,
    add_rejections,
    parse_xsd_boolean,
    read_caller_info,
    sub,
    text_of,
)

from .model import ComponentMark, ExamMark, SubmittedExamMark
from .service import RecordOutcome

_S = f"{{{namespaces.PASI_SERVICE}}}"
_C = f"{{{namespaces.COMMON}}}"

_COMPONENT_FIELDS = {
    _S + "ComponentMarkStatus": "status", _S + "ExamSittingRefId": "sitting_ref_id",
    _S + "MarkValue": "mark_value", _S + "MarkFormat": "mark_format",
    _S + "MaximumMark": "maximum_mark", _S + "FormId": "form_id",
    _S + "SuppliedContactName": "supplied_contact_name",
}


def read_request(operation: etree._Element) -> tuple[CallerFacts, list[SubmittedExamMark]]:
    request = operation[0]
    caller = read_caller_info(request.find(_S + "CallerInfo"))
    records = [_read_exam_mark(index, info)
               for index, info in enumerate(request.find(_S + "ExamMarks"))]
    return caller, records


def _read_exam_mark(index: int, info: etree._Element) -> SubmittedExamMark:
    fields: dict[str, Any] = {"mark_value": None}
    components: list[ComponentMark] = []
    version = 0
    for child in info:
        tag = child.tag[len(_S):]
        if tag == "ComponentMarks":
            components = [_read_component(c) for c in child]
        elif tag == "RefId":
            fields["ref_id"] = text_of(child).lower()
        elif tag == "StateProvinceId":
            fields["asn"] = text_of(child)
        elif tag == "ExamRefId":
            fields["exam_ref_id"] = text_of(child).lower()
        elif tag == "ExamMarkStatus":
            fields["status"] = text_of(child)
        elif tag == "MarkValue":
            fields["mark_value"] = child.text
        elif tag == "IsRescored":
            fields["is_rescored"] = parse_xsd_boolean(text_of(child))
        elif tag == "IsDeleted":
            fields["is_deleted"] = parse_xsd_boolean(text_of(child))
        elif tag == "PASICoreVersion":
            version = int(text_of(child))
        # EffectiveUtc is PASI-generated: a value sent is ignored.
    return SubmittedExamMark(index, ExamMark(components=tuple(components), **fields), version)


def _read_component(element: etree._Element) -> ComponentMark:
    values = {}
    for child in element:
        name = _COMPONENT_FIELDS[child.tag]
        values[name] = text_of(child).lower() if name == "sitting_ref_id" else child.text
    return ComponentMark(**values)


def canonical(records: Sequence[SubmittedExamMark]) -> list:
    """The request as its replay hash sees it: every field, by position."""
    return [[r.mark.ref_id, r.mark.asn, r.mark.exam_ref_id, r.mark.status, r.mark.mark_value,
             r.mark.is_rescored, r.mark.is_deleted, r.client_version,
             [[c.status, c.sitting_ref_id, c.mark_value, c.mark_format, c.maximum_mark, c.form_id,
               c.supplied_contact_name] for c in r.mark.components]] for r in records]


def render(message_id: str, outcomes: Sequence[RecordOutcome]) -> etree._Element:
    response = etree.Element(_S + "SubmitDiplomaExamMarkResponse")
    result = sub(response, _S + "SubmitDiplomaExamMarkResult")
    sub(result, _C + "MessageID", message_id)
    responses = sub(result, _C + "SubmitResponses")
    for outcome in outcomes:
        item = sub(responses, _C + "SubmitResponse")
        sub(item, _C + "Id", outcome.id)
        sub(item, _C + "PASICoreVersion", outcome.version)
        add_rejections(item, outcome.rejections)
    return response
