"""XML <-> plain data for SubmitDiplomaExamMark (see pasi_core/contract/codec.py).

The reader runs only on a body that passed XSD validation, so element
order and presence are already guaranteed; it maps by tag.
"""
from __future__ import annotations

from collections.abc import Sequence

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
    _S + "ComponentMarkStatus": 0, _S + "ExamSittingRefId": 1, _S + "MarkValue": 2,
    _S + "MarkFormat": 3, _S + "MaximumMark": 4, _S + "FormId": 5, _S + "SuppliedContactName": 6,
}
"""Each component element's position among :class:`ComponentMark`'s fields."""
_SITTING_REF_ID = _COMPONENT_FIELDS[_S + "ExamSittingRefId"]


def read_request(operation: etree._Element) -> tuple[CallerFacts, list[SubmittedExamMark]]:
    request = operation[0]
    caller = read_caller_info(request.find(_S + "CallerInfo"))
    records = [_read_exam_mark(index, info)
               for index, info in enumerate(request.find(_S + "ExamMarks"))]
    return caller, records


def _read_exam_mark(index: int, info: etree._Element) -> SubmittedExamMark:
    # Fields by position, not a dict of keywords: this runs once per record of every batch.
    ref_id = asn = exam_ref_id = status = ""
    mark_value: str | None = None
    is_rescored = is_deleted = False
    components: tuple[ComponentMark, ...] = ()
    version = 0
    for child in info:
        tag = child.tag[len(_S):]
        if tag == "ComponentMarks":
            components = tuple([_read_component(c) for c in child])
        elif tag == "RefId":
            ref_id = text_of(child).lower()
        elif tag == "StateProvinceId":
            asn = text_of(child)
        elif tag == "ExamRefId":
            exam_ref_id = text_of(child).lower()
        elif tag == "ExamMarkStatus":
            status = text_of(child)
        elif tag == "MarkValue":
            mark_value = child.text
        elif tag == "IsRescored":
            is_rescored = parse_xsd_boolean(text_of(child))
        elif tag == "IsDeleted":
            is_deleted = parse_xsd_boolean(text_of(child))
        elif tag == "PASICoreVersion":
            version = int(text_of(child))
        # EffectiveUtc is PASI-generated: a value sent is ignored.
    return SubmittedExamMark(index, ExamMark(ref_id, asn, exam_ref_id, status, mark_value, is_rescored,
                                             is_deleted, components), version)


def _read_component(element: etree._Element) -> ComponentMark:
    values: list[str | None] = [None] * 7
    for child in element:
        position = _COMPONENT_FIELDS[child.tag]
        values[position] = text_of(child).lower() if position == _SITTING_REF_ID else child.text
    return ComponentMark(*values)  # type: ignore[arg-type]  # the schema requires status and sitting


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
