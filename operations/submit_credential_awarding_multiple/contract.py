"""The spyne types of SubmitCredentialAwardingMultiple (PASISystem endpoint)."""
from __future__ import annotations

from spyne import ComplexModel, ServiceBase, rpc

from pasi_core.contract import namespaces
from pasi_core.contract.common import CallerInfo, PASICoreVersion, Rejection
from pasi_core.contract.strict import Unicode, list_of, named_string, optional, required

NS = namespaces.PASI_SYSTEM

SystemStateProvinceId = named_string("StateProvinceId", NS, max_len=20)
CredentialTypeCode = named_string("CredentialTypeCode", NS, max_len=20, pattern="[!-~]+")


class StateProvinceIdList(ComplexModel):
    __namespace__ = NS
    _type_info = [("StateProvinceId", required(SystemStateProvinceId).customize(max_occurs="unbounded"))]


class SubmitCredentialAwardingMultipleRequest(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("CallerInfo", required(CallerInfo)),
        ("StateProvinceIds", required(StateProvinceIdList)),
    ]


class SubmitCredentialResponse(ComplexModel):
    """The outcome for one ASN, in request order."""

    __namespace__ = NS
    _type_info = [
        ("StateProvinceId", required(Unicode)),
        ("CredentialType", optional(Unicode)),
        ("CredentialNumber", required(Unicode)),
        ("PASICoreVersion", required(PASICoreVersion)),
        ("Rejections", list_of(Rejection, at_least_one=False)),
    ]


class MultipleSubmitCredentialResponse(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("MessageID", required(Unicode)),
        ("SubmitCredentialResponses", list_of(SubmitCredentialResponse, at_least_one=False)),
    ]


class SubmitCredentialAwardingMultipleContract(ServiceBase):
    """The operation as the WSDL publishes it; requests are served by
    :mod:`pasi_core.soap.pipeline` through ``endpoint.py``."""

    __service_name__ = "PASISystem"

    @rpc(required(SubmitCredentialAwardingMultipleRequest),
         _returns=required(MultipleSubmitCredentialResponse), _body_style="wrapped")
    def SubmitCredentialAwardingMultiple(ctx, request):
        raise NotImplementedError("served by pasi_core.soap.pipeline")
