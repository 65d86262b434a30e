"""SOAP faults: one shape for every request-level failure.

Every fault carries, in ``<detail>``, a ``PASIFault`` element (declared in
the common XSD) with the rule number, the rendered message, the server's
message id and, for schema failures, every error with its path.
"""
from __future__ import annotations

from lxml import etree
from spyne.model.fault import Fault

from pasi_core import namespaces, rule_catalogue
from pasi_core.errors import RequestRejected

SOAP11_ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
MAX_LISTED_ERRORS = 100

SCHEMA_FAULT = "Client.SchemaValidationError"
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
    for path, text, *line in rejected.errors[:MAX_LISTED_ERRORS]:
        error = etree.SubElement(errors, _c("FaultError"))
        if path:
            etree.SubElement(error, _c("Path")).text = path
        if line and line[0]:
            etree.SubElement(error, _c("Line")).text = str(line[0])
        etree.SubElement(error, _c("Text")).text = text
    return detail


def to_spyne_fault(rejected: RequestRejected, message_id: str) -> Fault:
    return Fault(faultcode=rejected.fault_code, faultstring=rejected.message,
                 detail=fault_detail(rejected, message_id))


def server_error(message_id: str) -> RequestRejected:
    return RequestRejected(9001, rule_catalogue.render(9001, {"MessageID": message_id}),
                           fault_code=SERVER_FAULT)


def structure_error(reason: str | None = None) -> RequestRejected:
    errors = [(None, reason)] if reason else []
    return RequestRejected(3002, rule_catalogue.render(3002), fault_code=STRUCTURE_FAULT,
                           errors=errors)


def fault_envelope(rejected: RequestRejected, message_id: str) -> bytes:
    """A complete SOAP 1.1 fault envelope, for failures found before spyne runs."""
    nsmap = {"soap11env": SOAP11_ENVELOPE}
    envelope = etree.Element(f"{{{SOAP11_ENVELOPE}}}Envelope", nsmap=nsmap)
    body = etree.SubElement(envelope, f"{{{SOAP11_ENVELOPE}}}Body")
    fault = etree.SubElement(body, f"{{{SOAP11_ENVELOPE}}}Fault")
    etree.SubElement(fault, "faultcode").text = f"soap11env:{rejected.fault_code}"
    etree.SubElement(fault, "faultstring").text = rejected.message
    detail = etree.SubElement(fault, "detail")
    detail.append(fault_detail(rejected, message_id))
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
