"""SubmitCredentialAwardingMultiple as the SOAP pipeline serves it
(PASISystem, PASI System User).  No business rule here."""
from __future__ import annotations

from collections.abc import Sequence

from operations.soap_operation import RecordList, RequestContext, SoapOperation, Summary
from operations.unit_of_work import UnitOfWork
from pasi_core.contract import namespaces
from pasi_core.kernel.audit import RecordOutcome
from pasi_core.kernel.caller import PASI_SYSTEM_USER

from . import codec
from .contract import SubmitCredentialAwardingMultipleContract
from .service import AwardOutcome, award_credentials


def run(uow: UnitOfWork, context: RequestContext, asns: Sequence[str]) -> list[AwardOutcome]:
    return award_credentials(uow, context.caller, asns, now=context.now, today=context.today)


def summarize(outcomes: Sequence[AwardOutcome]) -> Summary:
    return Summary(len(outcomes), sum(1 for o in outcomes if o.awarded), tuple(
        RecordOutcome(position, o.version, tuple(r.rule_id for r in o.rejections))
        for position, o in enumerate(outcomes)))


SUBMIT_CREDENTIAL_AWARDING_MULTIPLE: SoapOperation = SoapOperation(
    name="SubmitCredentialAwardingMultiple", endpoint="PASISystem",
    namespace=namespaces.PASI_SYSTEM, required_role=PASI_SYSTEM_USER,
    contract=SubmitCredentialAwardingMultipleContract, read=codec.read_request, run=run,
    render=codec.render, summarize=summarize, canonical=codec.canonical,
    record_lists=(RecordList("StateProvinceIds", items_are_global=False),))
