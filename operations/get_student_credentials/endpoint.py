"""GetStudentCredentials as the SOAP pipeline serves it (PASISystem, PASI System User).
A Get service: a read-only unit of work, audited, no replay record."""
from __future__ import annotations

from collections.abc import Sequence

from operations.soap_operation import RecordList, RequestContext, SoapOperation, Summary
from operations.unit_of_work import UnitOfWork
from pasi_core.contract import namespaces
from pasi_core.kernel.audit import RecordOutcome
from pasi_core.kernel.caller import PASI_SYSTEM_USER

from . import codec
from .contract import GetStudentCredentialsContract
from .model import StudentAnswer
from .service import get_student_credentials


def run(uow: UnitOfWork, context: RequestContext, asns: Sequence[str]) -> list[StudentAnswer]:
    return get_student_credentials(uow, asns)


def summarize(answers: Sequence[StudentAnswer]) -> Summary:
    return Summary(len(answers), sum(1 for a in answers if not a.rejections), tuple(
        RecordOutcome(position, 0, tuple(r.rule_id for r in a.rejections))
        for position, a in enumerate(answers)))


GET_STUDENT_CREDENTIALS: SoapOperation = SoapOperation(
    name="GetStudentCredentials", endpoint="PASISystem", namespace=namespaces.PASI_SYSTEM,
    required_role=PASI_SYSTEM_USER, contract=GetStudentCredentialsContract,
    read=codec.read_request, run=run, render=codec.render, summarize=summarize,
    canonical=codec.canonical, record_lists=(RecordList("StateProvinceIds", items_are_global=False),),
    writes=False)
