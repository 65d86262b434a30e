"""IsDataAvailable as the SOAP pipeline serves it (PASIService, View Transcript User: the role
of the Get service its one notification type leads to).  A read: no replay record."""
from __future__ import annotations

from collections.abc import Sequence

from operations.soap_operation import RecordList, RequestContext, SoapOperation, Summary
from operations.unit_of_work import UnitOfWork
from pasi_core.contract import namespaces
from pasi_core.kernel.caller import VIEW_TRANSCRIPT_USER

from . import codec
from .contract import IsDataAvailableContract
from .model import SyncLimits, SyncRequest, TypeResult
from .service import is_data_available


def run(uow: UnitOfWork, context: RequestContext, request: SyncRequest) -> list[TypeResult]:
    settings = context.settings
    limits = SyncLimits(per_type=settings.sync_max_per_type, total=settings.sync_max_total)
    return is_data_available(uow, context.caller, request, today=context.today, now=context.now,
                             limits=limits)


def summarize(results: Sequence[TypeResult]) -> Summary:
    """The audit row counts the changes answered (ids and versions only, no student data)."""
    count = sum(len(result.changes) for result in results)
    return Summary(count, count, ())


IS_DATA_AVAILABLE: SoapOperation = SoapOperation(
    name="IsDataAvailable", endpoint="PASIService", namespace=namespaces.PASI_SERVICE,
    required_role=VIEW_TRANSCRIPT_USER, contract=IsDataAvailableContract,
    read=codec.read_request, run=run, render=codec.render, summarize=summarize,
    canonical=codec.canonical, record_lists=(RecordList("NotificationTypes"),), writes=False)
