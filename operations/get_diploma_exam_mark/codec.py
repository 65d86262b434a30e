"""XML <-> plain data for GetDiplomaExamMark (see pasi_core/contract/codec.py)."""
from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from lxml import etree

from operations.submit_diploma_exam_mark.model import StoredExamMark
from pasi_core.contract import namespaces
from pasi_core.contract.codec import CallerFacts, read_caller_info, text_of, utc_text

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


def render(message_id: str, answers: Sequence[MarkAnswer]) -> bytes:
    """The response element's bytes, written directly: a thousand marks are some 25,000
    elements, which lxml takes five times as long to build one by one (docs/benchmarks.md,
    "Read services").  Every value is escaped; the shape is the published one (the tests
    validate responses against the committed XSD)."""
    parts = [(f'<GetDiplomaExamMarkResponse xmlns="{namespaces.PASI_SERVICE}">'
              f"<GetDiplomaExamMarkResult><MessageID>{_text(message_id)}</MessageID><DiplomaExamMarks>")]
    append = parts.append
    for answer in answers:
        append(f"<DiplomaExamMarkResponse><RefId>{_text(answer.ref_id)}</RefId>"
               f"<AvailabilityStatus>{answer.availability}</AvailabilityStatus>")
        if answer.mark is not None:
            append("<ExamMark>")
            _exam_mark(append, answer.mark)
            append("</ExamMark>")
        append("</DiplomaExamMarkResponse>")
    append("</DiplomaExamMarks></GetDiplomaExamMarkResult></GetDiplomaExamMarkResponse>")
    return "".join(parts).encode("utf-8")


_BOOLEAN = {True: "true", False: "false"}


def _text(value: str) -> str:
    return escape(value) if ("&" in value or "<" in value or ">" in value) else value


def _optional(name: str, value: str | None) -> str:
    return "" if value is None else f"<{name}>{_text(value)}</{name}>"


def _exam_mark(append, read: ReadMark) -> None:
    """An ExamMarkInfo, as SubmitDiplomaExamMark takes it (what a client sends back to update)."""
    stored: StoredExamMark = read.stored
    mark = stored.mark
    append(f"<RefId>{_text(mark.ref_id)}</RefId><StateProvinceId>{_text(mark.asn)}</StateProvinceId>"
           f"<ExamRefId>{_text(mark.exam_ref_id)}</ExamRefId>"
           f"<ExamMarkStatus>{_text(mark.status)}</ExamMarkStatus>"
           f"{_optional('MarkValue', mark.mark_value)}<IsRescored>{_BOOLEAN[mark.is_rescored]}</IsRescored>"
           f"<IsDeleted>{_BOOLEAN[mark.is_deleted]}</IsDeleted>"
           f"<PASICoreVersion>{stored.version}</PASICoreVersion><ComponentMarks>")
    for c in mark.components:
        append(f"<ComponentMarkInfo><ComponentMarkStatus>{_text(c.status)}</ComponentMarkStatus>"
               f"<ExamSittingRefId>{_text(c.sitting_ref_id)}</ExamSittingRefId>"
               f"{_optional('MarkValue', c.mark_value)}{_optional('MarkFormat', c.mark_format)}"
               f"{_optional('MaximumMark', c.maximum_mark)}{_optional('FormId', c.form_id)}"
               f"{_optional('SuppliedContactName', c.supplied_contact_name)}</ComponentMarkInfo>")
    append(f"</ComponentMarks><EffectiveUtc>{utc_text(read.effective_utc)}</EffectiveUtc>")
