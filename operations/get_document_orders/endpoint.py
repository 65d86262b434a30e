"""GetDocumentOrders as the SOAP pipeline serves it (PASISystem, PASI System User).
A Get service: a read-only unit of work, audited, no replay record."""
from __future__ import annotations

from collections.abc import Sequence

from operations.get_student_credentials import codec as request_codec
from operations.get_student_credentials.endpoint import summarize
from operations.get_student_credentials.model import StudentAnswer
from operations.soap_operation import RecordList, RequestContext, SoapOperation
from operations.unit_of_work import UnitOfWork
from pasi_core.contract import namespaces
from pasi_core.kernel.caller import PASI_SYSTEM_USER

from . import codec
from .contract import GetDocumentOrdersContract
from .service import get_document_orders


def run(uow: UnitOfWork, context: RequestContext, asns: Sequence[str]) -> list[StudentAnswer]:
    return get_document_orders(uow, asns)


GET_DOCUMENT_ORDERS: SoapOperation = SoapOperation(
    name="GetDocumentOrders", endpoint="PASISystem", namespace=namespaces.PASI_SYSTEM,
    required_role=PASI_SYSTEM_USER, contract=GetDocumentOrdersContract,
    read=request_codec.read_request, run=run, render=codec.render, summarize=summarize,
    canonical=request_codec.canonical,
    record_lists=(RecordList("StateProvinceIds", items_are_global=False),), writes=False)
