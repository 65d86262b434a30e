"""SubmitDiplomaExamMark as the SOAP pipeline serves it (PASIService,
Submit Academic Record User).  No business rule here."""
from __future__ import annotations

from collections.abc import Sequence

from operations.soap_operation import RecordList, RequestContext, SoapOperation, Summary
from operations.unit_of_work import UnitOfWork
from pasi_core.contract import namespaces
from pasi_core.kernel.audit import RecordOutcome as AuditedRecord
from pasi_core.kernel.caller import SUBMIT_ACADEMIC_RECORD_USER

from . import codec
from .contract import SubmitDiplomaExamMarkContract
from .model import Limits, SubmittedExamMark
from .service import RecordOutcome, submit_diploma_exam_marks


def run(uow: UnitOfWork, context: RequestContext,
        records: Sequence[SubmittedExamMark]) -> list[RecordOutcome]:
    limits = Limits(max_exam_marks_per_student=context.settings.max_exam_marks_per_student)
    return submit_diploma_exam_marks(uow, context.caller, records, now=context.now,
                                     today=context.today, limits=limits)


def summarize(outcomes: Sequence[RecordOutcome]) -> Summary:
    return Summary(len(outcomes), sum(1 for o in outcomes if o.accepted), tuple(
        AuditedRecord(position, o.version, tuple(r.rule_id for r in o.rejections))
        for position, o in enumerate(outcomes)))


SUBMIT_DIPLOMA_EXAM_MARK: SoapOperation = SoapOperation(
    name="SubmitDiplomaExamMark", endpoint="PASIService", namespace=namespaces.PASI_SERVICE,
    required_role=SUBMIT_ACADEMIC_RECORD_USER, contract=SubmitDiplomaExamMarkContract,
    read=codec.read_request, run=run, render=codec.render, summarize=summarize,
    canonical=codec.canonical,
    record_lists=(RecordList("ExamMarks"),))
