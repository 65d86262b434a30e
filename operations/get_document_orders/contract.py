"""The spyne types of GetDocumentOrders (PASISystem, PASI System User): PASI's
DocumentOrdersGetRequest by State Province Id, answered per ASN with DocumentOrdersGetInfo
orders and their DocumentOrdersGetResponseItem items."""
from __future__ import annotations

from spyne import ComplexModel, ServiceBase, rpc

from operations.get_student_credentials.contract import StateProvinceIdList
from pasi_core.contract import namespaces
from pasi_core.contract.common import CallerInfo, PASICoreVersion, Rejection
from pasi_core.contract.strict import DateTime, Integer32, Unicode, list_of, optional, required

NS = namespaces.PASI_SYSTEM


class DocumentOrdersGetRequest(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("CallerInfo", required(CallerInfo)),
        ("StateProvinceIds", required(StateProvinceIdList)),
    ]


class DocumentOrdersGetResponseItem(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("DocumentOrderItemNumber", required(Integer32)),
        ("StateProvinceId", required(Unicode)),
        ("DocumentType", required(Unicode)),
        ("CredentialNumber", optional(Unicode)),
        ("DocumentDeliveryMethod", required(Unicode)),
        ("DocumentLanguage", required(Unicode)),
        ("NumberOfCopies", required(Integer32)),
        ("AmountCollected", required(Unicode)),
        ("OrderItemStatus", required(Unicode)),
        ("StatusChangeReason", optional(Unicode)),
        ("SpecialHandling", optional(Unicode)),
        ("ProcessedUtcTime", optional(DateTime)),
        ("DeliveredOnUtcTime", optional(DateTime)),
        ("PrintJobNumber", optional(Integer32)),
        ("MailingSequenceNumber", optional(Integer32)),
    ]


class DocumentOrdersGetInfo(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("DocumentOrderId", required(Integer32)),
        ("OrderStatus", required(Unicode)),
        ("OrderReceivedMethod", required(Unicode)),
        ("BillingInformationId", required(Integer32)),
        ("RequestorName", optional(Unicode)),
        ("OrderPlacedUtcTime", optional(DateTime)),
        ("LastUpdateUtcTime", required(DateTime)),
        ("PASICoreVersion", required(PASICoreVersion)),
        ("DocumentOrderItems", list_of(DocumentOrdersGetResponseItem, at_least_one=False)),
    ]


class StudentDocumentOrders(ComplexModel):
    """One requested ASN: its rejections (9002, 9009), or its placed orders."""

    __namespace__ = NS
    _type_info = [
        ("StateProvinceId", required(Unicode)),
        ("Rejections", list_of(Rejection, at_least_one=False)),
        ("DocumentOrders", list_of(DocumentOrdersGetInfo, at_least_one=False)),
    ]


class DocumentOrdersGetResponse(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("MessageID", required(Unicode)),
        ("Students", list_of(StudentDocumentOrders, at_least_one=False)),
    ]


class GetDocumentOrdersContract(ServiceBase):
    """The operation as the WSDL publishes it; requests are served by
    :mod:`pasi_core.soap.pipeline` through ``endpoint.py``."""

    __service_name__ = "PASISystem"

    @rpc(required(DocumentOrdersGetRequest), _returns=required(DocumentOrdersGetResponse),
         _body_style="wrapped")
    def GetDocumentOrders(ctx, request):
        raise NotImplementedError("served by pasi_core.soap.pipeline")
