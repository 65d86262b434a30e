"""XML <-> plain data for GetDiplomaExamMark (see pasi_core/contract/codec.py)."""
from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from operations.submit_diploma_exam_mark.model import StoredExamMark
from pasi_core.contract import namespaces
from pasi_core.contract.codec import CallerFacts, read_caller_info, sub, text_of

from .model import MarkAnswer, ReadMark, RequestedMark

_S = f"{{{namespaces.PASI_SERVICE}}}"
_C = f"{{{namespaces.COMMON}}}"


def read_request(operation: etree._Element) -> tuple[CallerFacts, list[RequestedMark]]:
    request = operation[0]
    caller = read_caller_info(request.find(_S + "CallerInfo"))
    items = []
    for item in request.find(_S + "ExamMarks"):
        expected = item.find(_S + "ExpectedVersion")
        items.append(RequestedMark(text_of(item.find(_S + "RefId")),
                                   int(text_of(expected)) if expected is not None else 0))
    return caller, items


def canonical(items: Sequence[RequestedMark]) -> list:
    return [[item.ref_id, item.expected_version] for item in items]


def render(message_id: str, answers: Sequence[MarkAnswer]) -> etree._Element:
    response = etree.Element(_S + "GetDiplomaExamMarkResponse")
    result = sub(response, _S + "GetDiplomaExamMarkResult")
    sub(result, _S + "MessageID", message_id)
    marks = sub(result, _S + "DiplomaExamMarks")
    for answer in answers:
        item = sub(marks, _S + "DiplomaExamMarkResponse")
        sub(item, _S + "RefId", answer.ref_id)
        sub(item, _S + "AvailabilityStatus", answer.availability)
        if answer.mark is not None:
            render_exam_mark(sub(item, _S + "ExamMark"), answer.mark)
    return response


def render_exam_mark(element: etree._Element, read: ReadMark) -> None:
    """An ExamMarkInfo, as SubmitDiplomaExamMark takes it (what a client sends back to update)."""
    stored: StoredExamMark = read.stored
    mark = stored.mark
    sub(element, _S + "RefId", mark.ref_id)
    sub(element, _S + "StateProvinceId", mark.asn)
    sub(element, _S + "ExamRefId", mark.exam_ref_id)
    sub(element, _S + "ExamMarkStatus", mark.status)
    if mark.mark_value is not None:
        sub(element, _S + "MarkValue", mark.mark_value)
    sub(element, _S + "IsRescored", "true" if mark.is_rescored else "false")
    sub(element, _S + "IsDeleted", "true" if mark.is_deleted else "false")
    sub(element, _S + "PASICoreVersion", stored.version)
    components = sub(element, _S + "ComponentMarks")
    for component in mark.components:
        info = sub(components, _S + "ComponentMarkInfo")
        sub(info, _S + "ComponentMarkStatus", component.status)
        sub(info, _S + "ExamSittingRefId", component.sitting_ref_id)
        for tag, value in (("MarkValue", component.mark_value), ("MarkFormat", component.mark_format),
                           ("MaximumMark", component.maximum_mark), ("FormId", component.form_id),
                           ("SuppliedContactName", component.supplied_contact_name)):
            if value is not None:
                sub(info, _S + tag, value)
    sub(element, _S + "EffectiveUtc", read.effective_utc.isoformat(timespec="milliseconds") + "Z")
