"""The SOAP boundary of SubmitDiplomaExamMark.

spyne publishes the operation (its types are in ``contract.py``), routes the
call and validates the body; the codec (``codec.py``) hands this method
plain data and writes the plain result back.  No business rule here.
"""
from __future__ import annotations

from lxml import etree
from spyne import rpc

from pasi_core import rule_catalogue
from pasi_core.caller import SUBMIT_ACADEMIC_RECORD_USER
from pasi_core.contract.common import MultipleSubmitResponse
from pasi_core.contract.strict import required
from pasi_core.errors import RequestRejected
from pasi_core.soap.faults import SCHEMA_FAULT
from pasi_core.soap.codec import StoredResult
from pasi_core.soap.service_base import PasiServiceBase, authenticate, runtime_of
from persistence.replay import Idempotency, Replayed

from .codec import REQUEST_TAG, SubmitDiplomaExamMarkCommand, SubmitDiplomaExamMarkResult, read_request
from .contract import SubmitDiplomaExamMarkRequest
from .handler import submit_diploma_exam_marks
from .model import Limits

OPERATION = "SubmitDiplomaExamMark"


class SubmitDiplomaExamMarkService(PasiServiceBase):
    __service_name__ = "PASIService"
    __readers__ = {REQUEST_TAG: read_request}

    @rpc(required(SubmitDiplomaExamMarkRequest), _returns=required(MultipleSubmitResponse),
         _body_style="wrapped")
    def SubmitDiplomaExamMark(ctx, request: SubmitDiplomaExamMarkCommand):
        caller, exchange = authenticate(ctx, request.caller, operation=OPERATION,
                                        required_role=SUBMIT_ACADEMIC_RECORD_USER)
        runtime = runtime_of(ctx)
        records = request.records
        limit = runtime.settings.max_records_per_request
        if len(records) > limit:
            raise RequestRejected(3001, rule_catalogue.render(3001, {
                "AdditionalDetails": f"ExamMarks holds {len(records)} records; at most {limit} "
                                     f"may be submitted in one request"}), fault_code=SCHEMA_FAULT,
                errors=[("ExamMarks", f"at most {limit} records per request")])
        message_id = exchange.message_id
        idempotency = Idempotency.for_request(
            caller, request.caller.client_message_id, OPERATION, records, message_id=message_id,
            render=lambda outcomes: etree.tostring(
                SubmitDiplomaExamMarkResult(message_id, outcomes).to_xml_element()))
        answer = submit_diploma_exam_marks(
            runtime.session_factory, caller, records, now=runtime.clock(),
            limits=Limits(max_exam_marks_per_student=runtime.settings.max_exam_marks_per_student),
            idempotency=idempotency)
        if isinstance(answer, Replayed):
            exchange.outcome = "replayed"
            return StoredResult(answer.response_body)
        exchange.record_count = len(records)
        exchange.accepted_count = sum(1 for outcome in answer if outcome.accepted)
        exchange.record_outcomes = [[o.id, o.version, [r.rule_id for r in o.rejections]]
                                    for o in answer]
        exchange.outcome = "ok"
        return SubmitDiplomaExamMarkResult(message_id, answer)
