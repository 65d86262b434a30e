"""The SOAP boundary of SubmitDiplomaExamMark: map spyne objects to plain
data, call the handler, map the outcomes back.  No business rule here."""
from __future__ import annotations

from spyne import rpc

from pasi_core import rule_catalogue
from pasi_core.caller import SUBMIT_ACADEMIC_RECORD_USER
from pasi_core.contract.common import MultipleSubmitResponse, Rejection, SubmitResponse
from pasi_core.contract.strict import required
from pasi_core.errors import RequestRejected
from pasi_core.soap.faults import SCHEMA_FAULT
from pasi_core.soap.service_base import PasiServiceBase, authenticate, runtime_of

from .contract import ComponentMarkInfo, ExamMarkInfo, SubmitDiplomaExamMarkRequest
from .handler import RecordOutcome, submit_diploma_exam_marks
from .model import ComponentMark, ExamMark, Limits, SubmittedExamMark

OPERATION = "SubmitDiplomaExamMark"


class SubmitDiplomaExamMarkService(PasiServiceBase):
    __service_name__ = "PASIService"

    @rpc(required(SubmitDiplomaExamMarkRequest), _returns=required(MultipleSubmitResponse),
         _body_style="wrapped")
    def SubmitDiplomaExamMark(ctx, request):
        caller, exchange = authenticate(ctx, request.CallerInfo, operation=OPERATION,
                                        required_role=SUBMIT_ACADEMIC_RECORD_USER)
        runtime = runtime_of(ctx)
        records = [to_submitted(index, info) for index, info in enumerate(request.ExamMarks)]
        limit = runtime.settings.max_records_per_request
        if len(records) > limit:
            raise RequestRejected(3001, rule_catalogue.render(3001, {
                "AdditionalDetails": f"ExamMarks holds {len(records)} records; at most {limit} "
                                     f"may be submitted in one request"}), fault_code=SCHEMA_FAULT,
                errors=[("ExamMarks", f"at most {limit} records per request")])
        exchange.record_count = len(records)
        outcomes = submit_diploma_exam_marks(
            runtime.session_factory, caller, records, now=runtime.clock(),
            limits=Limits(max_exam_marks_per_student=runtime.settings.max_exam_marks_per_student))
        exchange.accepted_count = sum(1 for outcome in outcomes if outcome.accepted)
        exchange.outcome = "ok"
        return MultipleSubmitResponse(MessageID=exchange.message_id,
                                      SubmitResponses=[to_response(o) for o in outcomes])


def to_submitted(index: int, info: ExamMarkInfo) -> SubmittedExamMark:
    components = tuple(to_component(c) for c in (info.ComponentMarks or ()))
    mark = ExamMark(ref_id=info.RefId.lower(), asn=info.StateProvinceId,
                    exam_ref_id=info.ExamRefId.lower(), status=info.ExamMarkStatus,
                    mark_value=info.MarkValue, is_rescored=bool(info.IsRescored),
                    is_deleted=bool(info.IsDeleted), components=components)
    return SubmittedExamMark(index=index, mark=mark, client_version=int(info.PASICoreVersion))


def to_component(info: ComponentMarkInfo) -> ComponentMark:
    return ComponentMark(status=info.ComponentMarkStatus,
                         sitting_ref_id=info.ExamSittingRefId.lower(),
                         mark_value=info.MarkValue, mark_format=info.MarkFormat,
                         maximum_mark=info.MaximumMark, form_id=info.FormId,
                         supplied_contact_name=info.SuppliedContactName)


def to_response(outcome: RecordOutcome) -> SubmitResponse:
    return SubmitResponse(
        Id=outcome.id, PASICoreVersion=outcome.version,
        Rejections=[Rejection(RuleId=r.rule_id, Message=r.message, FieldPath=r.path)
                    for r in outcome.rejections])
