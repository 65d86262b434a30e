"""The spyne types of ConstructDocumentOrder (PASISystem endpoint)."""
from __future__ import annotations

from spyne import ComplexModel, ServiceBase, rpc
from spyne.model.primitive import Decimal, Integer32

from pasi_core.contract import namespaces
from pasi_core.contract.common import (
    CallerInfo,
    OrganizationCode,
    PASICoreVersion,
    Rejection,
    Text50,
    Text100,
)
from pasi_core.contract.strict import Boolean, DateTime, Unicode, list_of, named_string, optional, required

NS = namespaces.PASI_SYSTEM

SystemCode = named_string("SystemCode", NS, max_len=40, pattern="[!-~]+")
StudentNumber = named_string("ASN", NS, max_len=20)
CredentialNumber = named_string("CredentialNumber", NS, max_len=11, pattern="[0-9]{5}-?[0-9]{5}")
Amount = Decimal(ge=0, total_digits=9, fraction_digits=2, type_name="Amount", __namespace__=NS)
Identifier = Integer32(ge=0, type_name="Identifier", __namespace__=NS)
Count = Integer32(ge=0, type_name="Count", __namespace__=NS)


class AddressLineList(ComplexModel):
    __namespace__ = NS
    _type_info = [("AddressLine", required(Text100).customize(max_occurs=4))]


class DocumentOrderConstructRequestItem(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("DocumentOrderItemNumber", optional(Identifier)),
        ("StateProvinceId", required(StudentNumber)),
        ("DocumentType", required(SystemCode)),
        ("CredentialNumber", optional(CredentialNumber)),
        ("DocumentDeliveryMethod", required(SystemCode)),
        ("DocumentLanguage", required(SystemCode)),
        ("ProcessExpectation", required(Text50)),
        ("NumberOfCopies", required(Count)),
        ("AmountCollected", required(Amount)),
        ("RecipientIsStudent", required(Boolean)),
        ("RecipientName", optional(Text100)),
        ("AddressLines", optional(AddressLineList)),
        ("CityName", optional(Text50)),
        ("StateProvinceCode", optional(Text50)),
        ("PostalCode", optional(Text50)),
        ("CountryName", optional(Text50)),
        ("FaxNumber", optional(Text50)),
        ("OperationControlScheduleId", optional(Identifier)),
        ("ProvidedConsentForSchoolRelease", optional(Boolean)),
        ("EducationAccountConnectionId", optional(Identifier)),
        ("RecipientClientId", optional(Identifier)),
    ]


class DocumentOrderConstructRequest(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("CallerInfo", required(CallerInfo)),
        ("DocumentOrderId", required(Identifier)),
        ("PASICoreVersion", required(PASICoreVersion)),
        ("BillingInformationId", required(Identifier)),
        ("OrderReceivedMethod", required(SystemCode)),
        ("OrderStatus", required(SystemCode)),
        ("IsDeleted", required(Boolean)),
        ("DocumentOrderItems", list_of(DocumentOrderConstructRequestItem, at_least_one=False)),
        ("OrderPlacedUtcTime", optional(DateTime)),
        ("RequestorName", optional(Text100)),
        ("EducationAccountIdentifier", optional(Text50)),
        ("EducationAccountOrganization", optional(OrganizationCode)),
        ("PaymentMethod", optional(Text50)),
        ("PaymentTransactionId", optional(Text100)),
    ]


class DocumentOrderConstructResponse(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("MessageID", required(Unicode)),
        ("DocumentOrderId", required(Identifier)),
        ("PASICoreVersion", required(PASICoreVersion)),
        ("Rejections", list_of(Rejection, at_least_one=False)),
    ]


class ConstructDocumentOrderContract(ServiceBase):
    """The operation as the WSDL publishes it; requests are served by
    :mod:`pasi_core.soap.pipeline` through ``endpoint.py``."""

    __service_name__ = "PASISystem"

    @rpc(required(DocumentOrderConstructRequest), _returns=required(DocumentOrderConstructResponse),
         _body_style="wrapped")
    def ConstructDocumentOrder(ctx, request):
        raise NotImplementedError("served by pasi_core.soap.pipeline")
