"""The published contract of each endpoint, built once at start-up.

spyne generates the WSDL from the operations' contract classes (their
types and ``@rpc`` declarations); :func:`pasi_core.contract.wsdl.canonical_wsdl`
sorts it, gives every operation its ``wsdl:fault`` and names one port per
binding.  The validation schema is compiled from the XSDs embedded in that
same WSDL, so a request is checked against exactly what is published.
"""
from __future__ import annotations

import logging

from lxml import etree
from spyne import Application
from spyne.interface.wsdl import Wsdl11
from spyne.protocol.soap import Soap11

from operations.construct_document_order.endpoint import CONSTRUCT_DOCUMENT_ORDER
from operations.get_diploma_exam_mark.endpoint import GET_DIPLOMA_EXAM_MARK
from operations.get_document_orders.endpoint import GET_DOCUMENT_ORDERS
from operations.get_student_credentials.endpoint import GET_STUDENT_CREDENTIALS
from operations.is_data_available.endpoint import IS_DATA_AVAILABLE
from operations.soap_operation import SoapOperation
from operations.submit_credential_awarding_multiple.endpoint import SUBMIT_CREDENTIAL_AWARDING_MULTIPLE
from operations.submit_diploma_exam_mark.endpoint import SUBMIT_DIPLOMA_EXAM_MARK
from pasi_core.contract import namespaces
from pasi_core.contract.common import (
    CallerInfo,
    Guid,
    MultipleSubmitResponse,
    OrganizationCode,
    PASICoreVersion,
    PASIFault,
    Rejection,
    SubmitResponse,
    Text30,
    Text50,
    Text100,
)
from pasi_core.contract.wsdl import canonical_wsdl, schema_documents
from pasi_core.soap.envelope import secure_parser
from pasi_core.soap.pipeline import Published
from pasi_core.soap.validation import RequestSchema

ENDPOINTS: dict[str, tuple[str, tuple[SoapOperation, ...]]] = {
    "PASIService": (namespaces.PASI_SERVICE, (SUBMIT_DIPLOMA_EXAM_MARK, GET_DIPLOMA_EXAM_MARK,
                                              IS_DATA_AVAILABLE)),
    "PASISystem": (namespaces.PASI_SYSTEM, (SUBMIT_CREDENTIAL_AWARDING_MULTIPLE,
                                            CONSTRUCT_DOCUMENT_ORDER, GET_STUDENT_CREDENTIALS,
                                            GET_DOCUMENT_ORDERS)),
}
"""Endpoint name -> (target namespace, the operations it serves)."""

COMMON_TYPES = (PASIFault, CallerInfo, Rejection, SubmitResponse, MultipleSubmitResponse, Guid,
                OrganizationCode, PASICoreVersion, Text30, Text50, Text100)
"""Every endpoint publishes all the shared types, so the common XSD is one file."""


SOAP_OVER_HTTP = "http://schemas.xmlsoap.org/soap/http"


def spyne_application(name: str) -> Application:
    # spyne logs whole documents at DEBUG and chatters at INFO: it is only a WSDL writer here.
    logging.getLogger("spyne").setLevel(logging.CRITICAL)
    tns, operations = ENDPOINTS[name]
    application = Application([operation.contract for operation in operations], tns=tns,
                              name=name, in_protocol=Soap11(), out_protocol=Soap11(),
                              classes=COMMON_TYPES)
    application.transport = SOAP_OVER_HTTP  # what spyne's WSGI server would set
    return application


def endpoint_wsdl(name: str, public_url: str) -> bytes:
    """The canonical WSDL of an endpoint whose soap:address is under ``public_url``."""
    address = f"{public_url.rstrip('/')}/{name}"
    interface = Wsdl11(spyne_application(name).interface)
    interface.build_interface_document(address)
    return canonical_wsdl(interface.get_interface_document(), name, address)


class _InMemorySchemas(etree.Resolver):
    """Resolves the schemas' ``xs:import`` of each other without any file or network."""

    def __init__(self, documents: dict[str, bytes]):
        super().__init__()
        self._documents = documents

    def resolve(self, system_url, public_id, context):
        name = system_url.rsplit("/", 1)[-1]
        if name in self._documents:
            return self.resolve_string(self._documents[name], context)
        return None


def request_schema(wsdl: bytes, name: str) -> RequestSchema:
    documents = schema_documents(wsdl)
    tns = ENDPOINTS[name][0]
    own = next(file for file, content in documents.items()
               if etree.fromstring(content).get("targetNamespace") == tns)
    parser = secure_parser()
    parser.resolvers.add(_InMemorySchemas(documents))
    root = etree.fromstring(documents[own], parser, base_url=own)
    return RequestSchema(etree.XMLSchema(etree.ElementTree(root)))


def publish(name: str, public_url: str) -> Published:
    wsdl = endpoint_wsdl(name, public_url)
    operations = {operation.request_tag: operation for operation in ENDPOINTS[name][1]}
    return Published(name, wsdl, request_schema(wsdl, name), operations)
