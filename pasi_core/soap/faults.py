"""SOAP faults: one shape for every request-level failure.

Every fault carries, in ``<detail>``, a ``PASIFault`` element (declared in
the common XSD, and as every operation's ``wsdl:fault``) with the rule
number, the rendered message, the server's message id and, for schema
failures, each error with its path.
"""
from __future__ import annotations

from lxml import etree

from pasi_core.contract import namespaces
from pasi_core.kernel import rule_catalogue
from pasi_core.kernel.errors import ErrorDetail, RequestRejected

SOAP11_ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"

STRUCTURE_FAULT = "Client.RequestNotStructuredCorrectly"
SERVER_FAULT = "Server"


def _c(name: str) -> str:
    return f"{{{namespaces.COMMON}}}{name}"


def fault_detail(rejected: RequestRejected, message_id: str) -> etree._Element:
    detail = etree.Element(_c("PASIFault"), nsmap={"pasi": namespaces.COMMON})
    etree.SubElement(detail, _c("RuleId")).text = str(rejected.rule_id)
    etree.SubElement(detail, _c("Message")).text = rejected.message
    etree.SubElement(detail, _c("MessageID")).text = message_id
    errors = etree.SubElement(detail, _c("Errors"))
    for detail_of_error in rejected.errors:
        error = etree.SubElement(errors, _c("FaultError"))
        if detail_of_error.path:
            etree.SubElement(error, _c("Path")).text = detail_of_error.path
        if detail_of_error.line:
            etree.SubElement(error, _c("Line")).text = str(detail_of_error.line)
        etree.SubElement(error, _c("Text")).text = detail_of_error.text
    return detail


def server_error(message_id: str) -> RequestRejected:
    return RequestRejected(9001, rule_catalogue.render(9001, {"MessageID": message_id}),
                           fault_code=SERVER_FAULT)


def structure_error(reason: str | None = None) -> RequestRejected:
    return RequestRejected(3002, rule_catalogue.render(3002), fault_code=STRUCTURE_FAULT,
                           errors=[ErrorDetail(None, reason)] if reason else [])


def fault_envelope(rejected: RequestRejected, message_id: str) -> bytes:
    """A complete SOAP 1.1 fault envelope."""
    nsmap = {"soap11env": SOAP11_ENVELOPE}
    envelope = etree.Element(f"{{{SOAP11_ENVELOPE}}}Envelope", nsmap=nsmap)
    body = etree.SubElement(envelope, f"{{{SOAP11_ENVELOPE}}}Body")
    fault = etree.SubElement(body, f"{{{SOAP11_ENVELOPE}}}Fault")
    etree.SubElement(fault, "faultcode").text = f"soap11env:{rejected.fault_code}"
    etree.SubElement(fault, "faultstring").text = rejected.message
    detail = etree.SubElement(fault, "detail")
    detail.append(fault_detail(rejected, message_id))
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


_ENVELOPE_OPEN = (b"<?xml version='1.0' encoding='UTF-8'?>\n"
                  b'<soap11env:Envelope xmlns:soap11env="' + SOAP11_ENVELOPE.encode() + b'">'
                  b"<soap11env:Body>")
_ENVELOPE_CLOSE = b"</soap11env:Body></soap11env:Envelope>"


def response_envelope(element_bytes: bytes) -> bytes:
    """The response a client receives around its serialized response element.

    The element is serialized once; those bytes are what replay-safe
    resubmission stores, and a replay sends them again in the same envelope."""
    return _ENVELOPE_OPEN + element_bytes + _ENVELOPE_CLOSE
