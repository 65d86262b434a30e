"""XML <-> plain data for SubmitDiplomaExamMark (see pasi_core/soap/codec.py).

The reader runs only on a body that passed XSD validation, so element
order and presence are already guaranteed; it maps by tag.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from lxml import etree

from pasi_core import namespaces
from pasi_core.soap.codec import CallerFacts, parse_xsd_boolean, read_caller_info, sub

from .handler import RecordOutcome
from .model import ComponentMark, ExamMark, SubmittedExamMark

_S = f"{{{namespaces.PASI_SERVICE}}}"
_C = f"{{{namespaces.COMMON}}}"
REQUEST_TAG = _S + "SubmitDiplomaExamMark"

_COMPONENT_FIELDS = {
    _S + "ComponentMarkStatus": "status", _S + "ExamSittingRefId": "sitting_ref_id",
    _S + "MarkValue": "mark_value", _S + "MarkFormat": "mark_format",
    _S + "MaximumMark": "maximum_mark", _S + "FormId": "form_id",
    _S + "SuppliedContactName": "supplied_contact_name",
}


@dataclass(frozen=True)
class SubmitDiplomaExamMarkCommand:
    caller: CallerFacts
    records: Sequence[SubmittedExamMark]


def read_request(body: etree._Element) -> SubmitDiplomaExamMarkCommand:
    request = body[0]
    caller = read_caller_info(request.find(_S + "CallerInfo"))
    records = [_read_exam_mark(index, info)
               for index, info in enumerate(request.find(_S + "ExamMarks"))]
    return SubmitDiplomaExamMarkCommand(caller, records)


def _read_exam_mark(index: int, info: etree._Element) -> SubmittedExamMark:
    fields: dict[str, object] = {"mark_value": None}
    components: list[ComponentMark] = []
    version = 0
    for child in info:
        tag = child.tag[len(_S):]
        if tag == "ComponentMarks":
            components = [_read_component(c) for c in child]
        elif tag == "RefId":
            fields["ref_id"] = child.text.lower()
        elif tag == "StateProvinceId":
            fields["asn"] = child.text
        elif tag == "ExamRefId":
            fields["exam_ref_id"] = child.text.lower()
        elif tag == "ExamMarkStatus":
            fields["status"] = child.text
        elif tag == "MarkValue":
            fields["mark_value"] = child.text
        elif tag == "IsRescored":
            fields["is_rescored"] = parse_xsd_boolean(child.text)
        elif tag == "IsDeleted":
            fields["is_deleted"] = parse_xsd_boolean(child.text)
        elif tag == "PASICoreVersion":
            version = int(child.text)
        # EffectiveUtc is PASI-generated: a value sent is ignored.
    return SubmittedExamMark(index, ExamMark(components=tuple(components), **fields), version)


def _read_component(element: etree._Element) -> ComponentMark:
    values = {}
    for child in element:
        name = _COMPONENT_FIELDS[child.tag]
        values[name] = child.text.lower() if name == "sitting_ref_id" else child.text
    return ComponentMark(**values)


@dataclass(frozen=True)
class SubmitDiplomaExamMarkResult:
    message_id: str
    outcomes: Sequence[RecordOutcome]

    def to_xml_element(self) -> etree._Element:
        response = etree.Element(_S + "SubmitDiplomaExamMarkResponse")
        result = sub(response, _S + "SubmitDiplomaExamMarkResult")
        sub(result, _C + "MessageID", self.message_id)
        responses = sub(result, _C + "SubmitResponses")
        for outcome in self.outcomes:
            item = sub(responses, _C + "SubmitResponse")
            sub(item, _C + "Id", outcome.id)
            sub(item, _C + "PASICoreVersion", outcome.version)
            rejections = sub(item, _C + "Rejections")
            for rejection in outcome.rejections:
                entry = sub(rejections, _C + "Rejection")
                sub(entry, _C + "RuleId", rejection.rule_id)
                sub(entry, _C + "Message", rejection.message)
                if rejection.path is not None:
                    sub(entry, _C + "FieldPath", rejection.path)
        return response
