"""ConstructDocumentOrder as the SOAP pipeline serves it (PASISystem, PASI
System User).  No business rule here."""
from __future__ import annotations

from operations.soap_operation import RecordList, RequestContext, SoapOperation, Summary
from operations.unit_of_work import UnitOfWork
from pasi_core.contract import namespaces
from pasi_core.kernel.audit import RecordOutcome
from pasi_core.kernel.caller import PASI_SYSTEM_USER

from . import codec
from .contract import ConstructDocumentOrderContract
from .model import DocumentOrder
from .service import OrderOutcome, construct_document_order


def run(uow: UnitOfWork, context: RequestContext, order: DocumentOrder) -> OrderOutcome:
    return construct_document_order(uow, context.caller, order, now=context.now)


def summarize(outcome: OrderOutcome) -> Summary:
    return Summary(1, 1 if outcome.saved else 0, (
        RecordOutcome(0, outcome.version, tuple(r.rule_id for r in outcome.rejections)),))


CONSTRUCT_DOCUMENT_ORDER: SoapOperation = SoapOperation(
    name="ConstructDocumentOrder", endpoint="PASISystem", namespace=namespaces.PASI_SYSTEM,
    required_role=PASI_SYSTEM_USER, contract=ConstructDocumentOrderContract,
    read=codec.read_request, run=run, render=codec.render, summarize=summarize,
    canonical=codec.canonical,
    record_lists=(RecordList("DocumentOrderItems"),))
