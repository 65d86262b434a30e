"""GetDiplomaExamMark as the SOAP pipeline serves it (PASIService, View Transcript User).
A Get service: a read-only unit of work, audited, no replay record."""
from __future__ import annotations

from collections.abc import Sequence

from operations.soap_operation import RecordList, RequestContext, SoapOperation, Summary
from operations.unit_of_work import UnitOfWork
from pasi_core.contract import namespaces
from pasi_core.kernel.audit import RecordOutcome
from pasi_core.kernel.caller import VIEW_TRANSCRIPT_USER

from . import codec
from .contract import GetDiplomaExamMarkContract
from .model import NORMAL, MarkAnswer, RequestedMark
from .service import get_diploma_exam_marks


def run(uow: UnitOfWork, context: RequestContext, items: Sequence[RequestedMark]) -> list[MarkAnswer]:
    return get_diploma_exam_marks(uow, context.caller, items, today=context.today, now=context.now)


def summarize(answers: Sequence[MarkAnswer]) -> Summary:
    """Which versions left (no student data): one outcome per answered RefId."""
    return Summary(len(answers), sum(1 for a in answers if a.availability == NORMAL), tuple(
        RecordOutcome(position, a.mark.stored.version if a.mark else 0, ())
        for position, a in enumerate(answers)))


GET_DIPLOMA_EXAM_MARK: SoapOperation = SoapOperation(
    name="GetDiplomaExamMark", endpoint="PASIService", namespace=namespaces.PASI_SERVICE,
    required_role=VIEW_TRANSCRIPT_USER, contract=GetDiplomaExamMarkContract,
    read=codec.read_request, run=run, render=codec.render, summarize=summarize,
    canonical=codec.canonical, record_lists=(RecordList("ExamMarks"),), writes=False)
