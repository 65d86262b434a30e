"""The spyne types of GetDiplomaExamMark (PASIService, View Transcript User).

The request is PASI's DiplomaExamMarkRequest: a list of RefIds, each with an optional Expected
Version.  A RefId is any text up to 100 characters, not a GUID type: PASI validates nothing in
the request, and an unknown or malformed RefId is answered ``Unknown``.
"""
from __future__ import annotations

from spyne import ComplexModel, ServiceBase, rpc

from operations.submit_diploma_exam_mark.contract import ExamMarkInfo
from pasi_core.contract import namespaces
from pasi_core.contract.common import CallerInfo, PASICoreVersion
from pasi_core.contract.strict import Unicode, list_of, named_string, optional, required

NS = namespaces.PASI_SERVICE

RequestedRefId = named_string("RequestedRefId", NS, max_len=100)
AvailabilityStatus = Unicode(values=["Unknown", "No Access", "Normal"],
                             type_name="AvailabilityStatus", __namespace__=NS)


class DiplomaExamMarkRequestItem(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("RefId", required(RequestedRefId)),
        ("ExpectedVersion", optional(PASICoreVersion)),
    ]


class DiplomaExamMarkRequest(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("CallerInfo", required(CallerInfo)),
        ("ExamMarks", list_of(DiplomaExamMarkRequestItem, at_least_one=True)),
    ]


class DiplomaExamMarkResponse(ComplexModel):
    """One requested RefId: its Availability Status and, when Normal, the mark."""

    __namespace__ = NS
    _type_info = [
        ("RefId", required(Unicode)),
        ("AvailabilityStatus", required(AvailabilityStatus)),
        ("ExamMark", optional(ExamMarkInfo)),
    ]


class DiplomaExamMarkResult(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("MessageID", required(Unicode)),
        ("DiplomaExamMarks", list_of(DiplomaExamMarkResponse, at_least_one=False)),
    ]


class GetDiplomaExamMarkContract(ServiceBase):
    """The operation as the WSDL publishes it; requests are served by
    :mod:`pasi_core.soap.pipeline` through ``endpoint.py``."""

    __service_name__ = "PASIService"

    @rpc(required(DiplomaExamMarkRequest), _returns=required(DiplomaExamMarkResult),
         _body_style="wrapped")
    def GetDiplomaExamMark(ctx, request):
        raise NotImplementedError("served by pasi_core.soap.pipeline")
