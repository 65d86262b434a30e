"""The spyne types of GetStudentCredentials (PASISystem, PASI System User)."""
from __future__ import annotations

from spyne import ComplexModel, ServiceBase, rpc

from operations.submit_credential_awarding_multiple.contract import StateProvinceIdList
from pasi_core.contract import namespaces
from pasi_core.contract.common import CallerInfo, PASICoreVersion, Rejection
from pasi_core.contract.strict import (
    Boolean,
    Date,
    Integer32,
    Unicode,
    list_of,
    optional,
    required,
)

NS = namespaces.PASI_SYSTEM


class StudentCredentialsGetRequest(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("CallerInfo", required(CallerInfo)),
        ("StateProvinceIds", required(StateProvinceIdList)),
    ]


class StudentCredentialInfo(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("CredentialNumber", required(Unicode)),
        ("StateProvinceId", required(Unicode)),
        ("CredentialType", required(Unicode)),
        ("CredentialRequirementSet", optional(Unicode)),
        ("AwardedOnDate", required(Date)),
        ("AwardedSchoolYear", required(Integer32)),
        ("IsActive", required(Boolean)),
        ("IsDeleted", required(Boolean)),
        ("DeleteReason", optional(Unicode)),
        ("LegacyCredentialNumber", optional(Unicode)),
        ("PASICoreVersion", required(PASICoreVersion)),
    ]


class StudentCredentialsGetResponseItem(ComplexModel):
    """One requested ASN: its rejections (9002, 9009), or every credential of the person."""

    __namespace__ = NS
    _type_info = [
        ("StateProvinceId", required(Unicode)),
        ("Rejections", list_of(Rejection, at_least_one=False)),
        ("Credentials", list_of(StudentCredentialInfo, at_least_one=False)),
    ]


class StudentCredentialsGetResponse(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("MessageID", required(Unicode)),
        ("Students", list_of(StudentCredentialsGetResponseItem, at_least_one=False)),
    ]


class GetStudentCredentialsContract(ServiceBase):
    """The operation as the WSDL publishes it; requests are served by
    :mod:`pasi_core.soap.pipeline` through ``endpoint.py``."""

    __service_name__ = "PASISystem"

    @rpc(required(StudentCredentialsGetRequest), _returns=required(StudentCredentialsGetResponse),
         _body_style="wrapped")
    def GetStudentCredentials(ctx, request):
        raise NotImplementedError("served by pasi_core.soap.pipeline")
