"""The spyne types of SubmitDiplomaExamMark (PASI data contract V201602 shapes)."""
from __future__ import annotations

from spyne import ComplexModel, ServiceBase, rpc

from pasi_core.contract import namespaces
from pasi_core.contract.common import CallerInfo, Guid, MultipleSubmitResponse, PASICoreVersion, Text50
from pasi_core.contract.strict import Boolean, DateTime, list_of, named_string, optional, required

NS = namespaces.PASI_SERVICE

StateProvinceId = named_string("StateProvinceId", NS, max_len=20)
"""An ASN.  Its format (nine digits) is checked per record by rule 9059, so one
mistyped ASN does not refuse a whole batch."""

CodeValue = named_string("CodeValue", NS, max_len=20, pattern="[!-~]+")
MarkValue = named_string("MarkValue", NS, max_len=10, pattern="[!-~]+")
MaximumMark = named_string("MaximumMark", NS, max_len=10, pattern="[0-9]+(\\.[0-9]+)?")
# Any letters (names are not only Latin-1), single spaces, and no control or format character:
# C1 controls (\x7f, \x85, ...) and invisible ones such as U+202E, which reorders the text.  XML
# itself already refuses C0 controls but tab, newline and return, which \s excludes.  Ranges, not
# \p{Cc}: spyne compiles the pattern with Python's re, which has no Unicode categories.
NOT_TEXT = "\\s\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
FreeText100 = named_string("FreeText100", NS, max_len=100, pattern=f"[^{NOT_TEXT}]+( [^{NOT_TEXT}]+)*")


class ComponentMarkInfo(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("ComponentMarkStatus", required(CodeValue)),
        ("ExamSittingRefId", required(Guid)),
        ("MarkValue", optional(MarkValue)),
        ("MarkFormat", optional(CodeValue)),
        ("MaximumMark", optional(MaximumMark)),
        ("FormId", optional(Text50)),
        ("SuppliedContactName", optional(FreeText100)),
    ]


class ExamMarkInfo(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("RefId", required(Guid)),
        ("StateProvinceId", required(StateProvinceId)),
        ("ExamRefId", required(Guid)),
        ("ExamMarkStatus", required(CodeValue)),
        ("MarkValue", optional(MarkValue)),
        ("IsRescored", required(Boolean)),
        ("IsDeleted", required(Boolean)),
        ("PASICoreVersion", required(PASICoreVersion)),
        ("ComponentMarks", list_of(ComponentMarkInfo, at_least_one=False)),
        ("EffectiveUtc", optional(DateTime)),
    ]


class SubmitDiplomaExamMarkRequest(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("CallerInfo", required(CallerInfo)),
        ("ExamMarks", list_of(ExamMarkInfo, at_least_one=True)),
    ]


class SubmitDiplomaExamMarkContract(ServiceBase):
    """The operation as the WSDL publishes it; requests are served by
    :mod:`pasi_core.soap.pipeline` through ``endpoint.py``."""

    __service_name__ = "PASIService"

    @rpc(required(SubmitDiplomaExamMarkRequest), _returns=required(MultipleSubmitResponse),
         _body_style="wrapped")
    def SubmitDiplomaExamMark(ctx, request):
        raise NotImplementedError("served by pasi_core.soap.pipeline")
