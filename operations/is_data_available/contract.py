"""The spyne types of IsDataAvailable (PASIService, View Transcript User): PASI's
DataNotificationRequest and DataNotificationResponse.

PASI's response carries, per type, the ids and versions changed; paging is by watermark (send
the highest version received as the next MaxPASICoreVersion).  Ours says that watermark and
whether the cap cut the answer short, so a client knows when it has caught up.
"""
from __future__ import annotations

from spyne import ComplexModel, ServiceBase, rpc

from pasi_core.contract import namespaces
from pasi_core.contract.common import CallerInfo, PASICoreVersion
from pasi_core.contract.strict import Boolean, Integer32, Unicode, list_of, named_string, optional, required

NS = namespaces.PASI_SERVICE

NotificationTypeName = named_string("NotificationTypeName", NS, max_len=100)
"""``{Type}`` or ``{Type}.{SchoolYear}``; rules 3005, 3006 and 3008 check it (a 3001 fault)."""
VersionHash = named_string("VersionHash", NS, max_len=100)


class DataNotificationRequestTypeInfo(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("NotificationType", required(NotificationTypeName)),
        ("MaxPASICoreVersion", required(PASICoreVersion)),
        ("PASICoreVersionHash", optional(VersionHash)),
    ]


class DataNotificationRequest(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("CallerInfo", required(CallerInfo)),
        ("WaitTimeInMinutes", required(Integer32(ge=0, le=60))),
        ("NotificationTypes", list_of(DataNotificationRequestTypeInfo, at_least_one=True)),
    ]


class DataNotificationIdVersion(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("Id", required(Unicode)),
        ("PASICoreVersion", required(PASICoreVersion)),
    ]


class DataNotificationResultTypeInfo(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("NotificationType", required(Unicode)),
        ("MaxPASICoreVersion", required(PASICoreVersion)),
        ("MoreAvailable", required(Boolean)),
        ("Changes", list_of(DataNotificationIdVersion, at_least_one=False)),
    ]


class DataNotificationResponse(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("MessageID", required(Unicode)),
        ("Results", list_of(DataNotificationResultTypeInfo, at_least_one=False)),
    ]


class IsDataAvailableContract(ServiceBase):
    """The operation as the WSDL publishes it; requests are served by
    :mod:`pasi_core.soap.pipeline` through ``endpoint.py``."""

    __service_name__ = "PASIService"

    @rpc(required(DataNotificationRequest), _returns=required(DataNotificationResponse),
         _body_style="wrapped")
    def IsDataAvailable(ctx, request):
        raise NotImplementedError("served by pasi_core.soap.pipeline")
