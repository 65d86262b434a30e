"""The published contract: canonical WSDL per endpoint and the XSD files.

spyne generates the WSDL from our types; its element order depends on
hash order, so we sort it into a canonical form.  The canonical form also
declares, for every operation, the ``PASIFault`` fault its SOAP faults carry
(so typed clients get a fault class with RuleId and MessageID), and one
port per binding (spyne writes one per service class; Java's wsimport and
.NET proxy generators refuse two ports of one name).  The same bytes (with
the deployment's public URL) are served at ``?wsdl``, and written under
``wsdl/`` and ``schemas/`` by ``pasi-core export-contract``.
"""
from __future__ import annotations

import copy
import re

from lxml import etree

from pasi_core.contract import namespaces

WSDL = "http://schemas.xmlsoap.org/wsdl/"
XSD = "http://www.w3.org/2001/XMLSchema"
SOAP11_BINDING = "http://schemas.xmlsoap.org/wsdl/soap/"
FAULT_NAME = "PASIFault"

SCHEMA_FILES = {
    namespaces.COMMON: "pasi-common-2026.xsd",
    namespaces.PASI_SERVICE: "pasi-service-2026.xsd",
    namespaces.PASI_SYSTEM: "pasi-system-2026.xsd",
}

_WSDL_ORDER = ["documentation", "types", "message", "portType", "binding", "service"]
_XSD_ORDER = ["import", "simpleType", "complexType", "element"]


def _sort_children(parent: etree._Element, order: list[str]) -> None:
    children = [child for child in parent if isinstance(child.tag, str)]
    for child in children:
        parent.remove(child)

    def key(child):
        local = etree.QName(child).localname
        rank = order.index(local) if local in order else len(order)
        return (rank, child.get("name") or child.get("namespace") or "")

    parent.extend(sorted(children, key=key))


def canonical_wsdl(raw_wsdl: bytes, service_name: str, address: str) -> bytes:
    """Sorted, pretty-printed WSDL whose soap:address is ``address``."""
    root = etree.fromstring(raw_wsdl)
    used = {namespaces.COMMON, namespaces.PASI_SERVICE, namespaces.PASI_SYSTEM}
    types = root.find(f"{{{WSDL}}}types")
    # Imported schemas first: readers that build embedded schemas in document
    # order (xmlschema's WSDL reader, some toolkits) need the common types first.
    schemas = list(types)
    for schema in schemas:
        types.remove(schema)
    types.extend(sorted(schemas, key=lambda s: s.get("targetNamespace") != namespaces.COMMON))
    for schema in root.iter(f"{{{XSD}}}schema"):
        _sort_children(schema, _XSD_ORDER)
        unknown = schema.get("targetNamespace") not in used
        if unknown:
            raise ValueError(f"type in an unexpected namespace {schema.get('targetNamespace')!r}: "
                             "give every customized type __namespace__")
    _declare_faults(root)
    _sort_children(root, _WSDL_ORDER)
    for service in root.iter(f"{{{WSDL}}}service"):
        service.set("name", service_name)
        _one_port_per_binding(service)
    for soap_address in root.iter(f"{{{SOAP11_BINDING}}}address"):
        soap_address.set("location", address)
    etree.cleanup_namespaces(root, keep_ns_prefixes=[p for p in root.nsmap if p])
    return visible(etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8"))


# Characters a reader of the contract could not see (controls, zero-width and direction marks,
# which some patterns exclude): written as character references, which every parser reads as the
# same characters.
_INVISIBLE = re.compile("[\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f"
                        "\ufeff\ufff9-\ufffb]")


def visible(document: bytes) -> bytes:
    text = document.decode("utf-8")
    return _INVISIBLE.sub(lambda match: f"&#x{ord(match.group()):X};", text).encode("utf-8")


def _wsdl(name: str) -> str:
    return f"{{{WSDL}}}{name}"


def _declare_faults(root: etree._Element) -> None:
    """A ``PASIFault`` message, and a fault of it on every operation and binding operation."""
    common_prefix = next(prefix for prefix, uri in root.nsmap.items() if uri == namespaces.COMMON)
    tns_prefix = next(prefix for prefix, uri in root.nsmap.items()
                      if uri == root.get("targetNamespace") and prefix)
    message = etree.SubElement(root, _wsdl("message"), name=FAULT_NAME)
    etree.SubElement(message, _wsdl("part"), name=FAULT_NAME, element=f"{common_prefix}:PASIFault")
    for operation in root.iterfind(f"{_wsdl('portType')}/{_wsdl('operation')}"):
        etree.SubElement(operation, _wsdl("fault"), name=FAULT_NAME,
                         message=f"{tns_prefix}:{FAULT_NAME}")
    for operation in root.iterfind(f"{_wsdl('binding')}/{_wsdl('operation')}"):
        fault = etree.SubElement(operation, _wsdl("fault"), name=FAULT_NAME)
        etree.SubElement(fault, f"{{{SOAP11_BINDING}}}fault", name=FAULT_NAME, use="literal")


def _one_port_per_binding(service: etree._Element) -> None:
    seen = set()
    for port in list(service.iterfind(_wsdl("port"))):
        if port.get("binding") in seen:
            service.remove(port)
        seen.add(port.get("binding"))


def schema_documents(wsdl: bytes) -> dict[str, bytes]:
    """The XSD documents embedded in a WSDL, as stand-alone files that import each other."""
    root = etree.fromstring(wsdl, etree.XMLParser(remove_blank_text=True))
    documents = {}
    for schema in root.iter(f"{{{XSD}}}schema"):
        target = schema.get("targetNamespace")
        # QName values inside the schema use the wsdl:definitions prefixes:
        # declare the ones the schema uses.
        available = {prefix: uri for prefix, uri in schema.nsmap.items() if prefix}
        used = _qname_prefixes(schema)
        nsmap = {"xs": XSD} | {p: available[p] for p in sorted(used) if p in available}
        standalone = etree.Element(f"{{{XSD}}}schema", nsmap=nsmap, attrib=dict(schema.attrib))
        for child in schema:
            child = copy.deepcopy(child)
            if etree.QName(child).localname == "import" and child.get("namespace") in SCHEMA_FILES:
                child.set("schemaLocation", SCHEMA_FILES[child.get("namespace")])
            standalone.append(child)
        etree.cleanup_namespaces(standalone, keep_ns_prefixes=list(nsmap))
        documents[SCHEMA_FILES[target]] = visible(etree.tostring(
            standalone, pretty_print=True, xml_declaration=True, encoding="UTF-8"))
    return documents


def _qname_prefixes(schema: etree._Element) -> set[str]:
    prefixes = set()
    for element in schema.iter():
        for attribute in ("type", "base", "ref", "itemType"):
            value = element.get(attribute)
            if value and ":" in value:
                prefixes.add(value.split(":", 1)[0])
    return prefixes
