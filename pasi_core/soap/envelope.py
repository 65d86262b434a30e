"""Reading a SOAP 1.1 request envelope safely (reference/stack-notes.md §6).

- The parser never loads a DTD, resolves an entity or touches the network;
  any DOCTYPE is refused (SOAP 1.1 forbids them), so the validator never
  meets an unresolved entity node.  libxml2 caps depth at 256 levels and
  text nodes at 10 MB (``huge_tree`` off).
- No SOAP-encoding ``href``/``id`` resolution (document/literal needs none).
- A header marked ``mustUnderstand="1"`` is a fault (SOAP 1.1 §4.2.3): this
  service processes no headers.
- The Body holds exactly one element, a known operation; the SOAPAction
  header, when sent, must name it.
- ``xsi:nil="true"`` on an element means the element is absent
  (:func:`drop_nil_elements`): clients generated from a WSDL send it for null
  values, and the schema then judges the request as if it were left out.
"""
from __future__ import annotations

from lxml import etree

from pasi_core.kernel import rule_catalogue
from pasi_core.kernel.errors import ErrorDetail, RequestRejected
from pasi_core.soap.faults import SOAP11_ENVELOPE, STRUCTURE_FAULT, structure_error

DTD_FAULT = "Client.DTDNotAllowed"
MUST_UNDERSTAND_FAULT = "MustUnderstand"
_ENVELOPE = f"{{{SOAP11_ENVELOPE}}}Envelope"
_HEADER = f"{{{SOAP11_ENVELOPE}}}Header"
_BODY = f"{{{SOAP11_ENVELOPE}}}Body"
_MUST_UNDERSTAND = f"{{{SOAP11_ENVELOPE}}}mustUnderstand"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
_NIL_ELEMENTS = etree.XPath("//*[@xsi:nil='true' or @xsi:nil='1']", namespaces={"xsi": XSI})


def secure_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True,
                           remove_pis=True, strip_cdata=False, collect_ids=False)


_PARSER = secure_parser()


def parse_operation(body: bytes, known_operations: set[str],
                    soap_action: str | None) -> etree._Element:
    """The operation element of a request, or :class:`RequestRejected` (3002)."""
    try:
        root = etree.fromstring(body, parser=_PARSER)
    except etree.XMLSyntaxError as error:
        raise structure_error(f"not well-formed XML: {error.msg}") from None
    except ValueError as error:
        raise structure_error(str(error)) from None
    if root.getroottree().docinfo.doctype:
        raise RequestRejected(3002, rule_catalogue.render(3002), fault_code=DTD_FAULT,
                              errors=[ErrorDetail(None, "a DOCTYPE is not allowed in a SOAP message")])
    if root.tag != _ENVELOPE:
        raise structure_error("the document is not a SOAP 1.1 envelope")
    for header in root.iterchildren(_HEADER):
        for entry in header:
            if isinstance(entry.tag, str) and entry.get(_MUST_UNDERSTAND, "0").strip() == "1":
                raise RequestRejected(
                    3002, rule_catalogue.render(3002), fault_code=MUST_UNDERSTAND_FAULT,
                    errors=[ErrorDetail(None, f"header {etree.QName(entry).localname} is marked "
                                              "mustUnderstand but this service does not process it")])
    bodies = list(root.iterchildren(_BODY))
    elements = [child for child in bodies[0] if isinstance(child.tag, str)] if len(bodies) == 1 else []
    if len(bodies) != 1 or len(elements) != 1 or len(bodies[0]) != 1:
        raise structure_error("the SOAP Body must hold exactly one operation element")
    operation = elements[0]
    name = etree.QName(operation).localname
    if operation.tag not in known_operations:
        raise structure_error(f"unknown operation {name}")
    action = _action_name(soap_action)
    if action and action != name:
        raise structure_error(
            f"the SOAPAction header ({action}) does not match the operation in the body")
    return operation


def drop_nil_elements(operation: etree._Element) -> None:
    """Remove every empty element marked ``xsi:nil="true"`` (it stands for "no value").
    A nil element that holds content is left for the schema to refuse."""
    for element in _NIL_ELEMENTS(operation):
        if len(element) == 0 and not (element.text or "").strip():
            parent = element.getparent()
            if parent is not None:
                _keep_tail(element)
                parent.remove(element)


def _keep_tail(element: etree._Element) -> None:
    if element.tail and element.tail.strip():
        previous = element.getprevious()
        parent = element.getparent()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        elif parent is not None:
            parent.text = (parent.text or "") + element.tail
    element.tail = None


def _action_name(raw: str | None) -> str | None:
    if raw is None:
        return None
    action = raw.strip().strip('"').strip()
    # Some clients send the full "namespace/Operation" form.
    return action.rsplit("/", 1)[-1].rsplit("#", 1)[-1] or None


__all__ = ["DTD_FAULT", "STRUCTURE_FAULT", "parse_operation", "secure_parser"]
