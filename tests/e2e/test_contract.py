"""The published contract: the WSDL served at ``?wsdl`` and the committed files under
``wsdl/`` and ``schemas/``, read with independent toolkits (lxml/libxml2 and xmlschema)."""
from __future__ import annotations

from pathlib import Path

import pytest
import requests
import xmlschema
from lxml import etree
from xmlschema.extras.wsdl import Wsdl11Document

from operations.submit_diploma_exam_mark.contract import ComponentMarkInfo, ExamMarkInfo
from pasi_core.app.contract_files import COMMITTED_BASE_URL, check_contract
from pasi_core.contract import namespaces
from pasi_core.contract.common import CallerInfo, SubmitResponse
from pasi_core.contract.wsdl import SCHEMA_FILES, schema_documents
from tests.support.servers import PROJECT_ROOT

COMMITTED_WSDL = PROJECT_ROOT / "wsdl" / "PASIService.wsdl"
SCHEMAS = PROJECT_ROOT / "schemas"

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP11_BINDING_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
OUR_NAMESPACES = {namespaces.COMMON, namespaces.PASI_SERVICE, namespaces.PASI_SYSTEM}
QNAME_ATTRIBUTES = ("type", "base", "ref", "itemType", "element", "message", "binding")


def get(url: str, **headers: str) -> requests.Response:
    return requests.get(url, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def served_wsdl(live_server) -> bytes:
    response = get(f"{live_server.service_url}?wsdl")
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/xml")
    return response.content


def soap_addresses(wsdl: bytes) -> list[str]:
    root = etree.fromstring(wsdl)
    return [a.get("location") for a in root.iter(f"{{{SOAP11_BINDING_NS}}}address")]


def write_schemas(documents: dict[str, bytes], folder: Path) -> Path:
    for name, content in documents.items():
        (folder / name).write_bytes(content)
    return folder / SCHEMA_FILES[namespaces.PASI_SERVICE]


def complex_type(schema_file: Path, name: str) -> etree._Element:
    tree = etree.parse(str(schema_file))
    (found,) = tree.getroot().findall(f"{{{XSD_NS}}}complexType[@name='{name}']")
    return found


# --- it compiles --------------------------------------------------------------------------
def test_the_served_wsdl_schemas_compile_with_lxml(served_wsdl, tmp_path):
    documents = schema_documents(served_wsdl)
    assert set(documents) == {"pasi-common-2026.xsd", "pasi-service-2026.xsd"}

    schema = etree.XMLSchema(etree.parse(str(write_schemas(documents, tmp_path))))

    caller = (f'<c:CallerInfo xmlns:c="{namespaces.COMMON}"><c:ClientMessageID>m-1</c:ClientMessageID>'
              "<c:SentUtcTime>2026-03-02T12:00:00Z</c:SentUtcTime><c:Software>"
              "<c:Manufacturer>Acme</c:Manufacturer><c:Product>SIS</c:Product>"
              "<c:Version>1</c:Version><c:BuildNumber>7</c:BuildNumber></c:Software>"
              "<c:OrganizationCode>S.0001</c:OrganizationCode></c:CallerInfo>")
    assert schema.validate(etree.fromstring(caller)), schema.error_log
    assert not schema.validate(etree.fromstring(caller.replace("S.0001", "X.0001")))


def test_the_served_wsdl_schemas_compile_with_xmlschema(served_wsdl, tmp_path):
    schema = xmlschema.XMLSchema(str(write_schemas(schema_documents(served_wsdl), tmp_path)))

    assert f"{{{namespaces.PASI_SERVICE}}}ExamMarkInfo" in schema.maps.types
    assert f"{{{namespaces.COMMON}}}CallerInfo" in schema.maps.types


@pytest.mark.parametrize("file_name", sorted(p.name for p in SCHEMAS.glob("*.xsd")))
def test_each_committed_schema_compiles_with_xmlschema_and_lxml(file_name):
    path = SCHEMAS / file_name

    compiled = xmlschema.XMLSchema(str(path))
    etree.XMLSchema(etree.parse(str(path)))

    assert compiled.target_namespace in OUR_NAMESPACES
    assert compiled.validity == "valid"


def test_the_committed_wsdl_compiles_as_a_wsdl_11_document():
    wsdl = Wsdl11Document(str(COMMITTED_WSDL))

    assert list(wsdl.services) == [f"{{{namespaces.PASI_SERVICE}}}PASIService"]
    (port,) = wsdl.services[f"{{{namespaces.PASI_SERVICE}}}PASIService"].ports.values()
    assert port.soap_location == f"{COMMITTED_BASE_URL}/PASIService"
    (binding,) = wsdl.bindings.values()
    assert sorted(key[0] for key in binding.operations) == [
        "GetDiplomaExamMark", "IsDataAvailable", "SubmitDiplomaExamMark"]


@pytest.mark.parametrize("file_name", ["PASIService.wsdl", "PASISystem.wsdl"])
def test_each_committed_wsdl_passes_what_strict_generators_check(file_name):
    """What wsimport, svcutil and node-soap insist on: unique names, a declared fault on every
    operation of the port type and of the binding, a SOAPAction, one document/literal style."""
    path = PROJECT_ROOT / "wsdl" / file_name
    root = etree.parse(str(path)).getroot()
    Wsdl11Document(str(path))  # compiles, schemas and all
    wsdl = f"{{{WSDL_NS}}}"

    for kind in ("message", "portType", "binding", "service"):
        names = [e.get("name") for e in root.findall(wsdl + kind)]
        assert len(names) == len(set(names)), (kind, names)
    for service in root.findall(wsdl + "service"):
        ports = [port.get("name") for port in service.findall(wsdl + "port")]
        assert ports and len(ports) == len(set(ports)), ports
    messages = {m.get("name") for m in root.findall(wsdl + "message")}
    (port_type,) = root.findall(wsdl + "portType")
    operations = port_type.findall(wsdl + "operation")
    assert operations
    for operation in operations:
        faults = operation.findall(wsdl + "fault")
        assert [f.get("name") for f in faults] == ["PASIFault"], operation.get("name")
        assert faults[0].get("message").split(":")[-1] in messages
    (binding,) = root.findall(wsdl + "binding")
    assert binding.find(f"{{{SOAP11_BINDING_NS}}}binding").get("style") == "document"
    assert sorted(o.get("name") for o in binding.findall(wsdl + "operation")) == sorted(
        o.get("name") for o in operations)
    for operation in binding.findall(wsdl + "operation"):
        assert operation.find(f"{{{SOAP11_BINDING_NS}}}operation").get("soapAction")
        (fault,) = operation.findall(wsdl + "fault")
        soap_fault = fault.find(f"{{{SOAP11_BINDING_NS}}}fault")
        assert fault.get("name") == soap_fault.get("name") == "PASIFault"
        assert soap_fault.get("use") == "literal"
        for direction in ("input", "output"):
            body = operation.find(f"{wsdl}{direction}/{{{SOAP11_BINDING_NS}}}body")
            assert body.get("use") == "literal", (operation.get("name"), direction)


# --- our namespaces only ----------------------------------------------------------------
def test_every_type_of_the_served_wsdl_is_in_our_namespaces(served_wsdl):
    assert b"spyne" not in served_wsdl
    root = etree.fromstring(served_wsdl)
    schemas = list(root.iter(f"{{{XSD_NS}}}schema"))
    assert {s.get("targetNamespace") for s in schemas} <= OUR_NAMESPACES
    for element in root.iter():
        for attribute in QNAME_ATTRIBUTES:
            value = element.get(attribute)
            if value is None or ":" not in value:
                continue
            prefix = value.split(":", 1)[0]
            namespace = element.nsmap.get(prefix)
            assert namespace in OUR_NAMESPACES | {XSD_NS}, (
                f"{etree.QName(element).localname} {element.get('name')!r} refers to {value} "
                f"in {namespace!r}")
    for schema in schemas:
        for imported in schema.iter(f"{{{XSD_NS}}}import"):
            assert imported.get("namespace") in OUR_NAMESPACES


def test_no_committed_contract_file_mentions_spyne():
    for path in [COMMITTED_WSDL, *SCHEMAS.glob("*.xsd")]:
        assert b"spyne" not in path.read_bytes(), path


# --- required means required -------------------------------------------------------------
DECLARED = {
    # type, file, the elements a client must send, the ones it may leave out
    "ExamMarkInfo": (ExamMarkInfo, "pasi-service-2026.xsd",
                     ["RefId", "StateProvinceId", "ExamRefId", "ExamMarkStatus", "IsRescored",
                      "IsDeleted", "PASICoreVersion", "ComponentMarks"],
                     ["MarkValue", "EffectiveUtc"]),
    "ComponentMarkInfo": (ComponentMarkInfo, "pasi-service-2026.xsd",
                          ["ComponentMarkStatus", "ExamSittingRefId"],
                          ["MarkValue", "MarkFormat", "MaximumMark", "FormId",
                           "SuppliedContactName"]),
    # OrganizationCode may be left out: its absence is rule 5001, answered as a fault.
    "CallerInfo": (CallerInfo, "pasi-common-2026.xsd",
                   ["ClientMessageID", "SentUtcTime", "Software"], ["OrganizationCode", "User"]),
    "SubmitResponse": (SubmitResponse, "pasi-common-2026.xsd",
                       ["Id", "PASICoreVersion", "Rejections"], []),
}


@pytest.mark.parametrize("type_name", DECLARED)
def test_required_elements_are_required_and_nothing_is_nillable(served_wsdl, tmp_path, type_name):
    model, file_name, required, optional = DECLARED[type_name]
    write_schemas(schema_documents(served_wsdl), tmp_path)

    elements = complex_type(tmp_path / file_name, type_name).findall(
        f"{{{XSD_NS}}}sequence/{{{XSD_NS}}}element")

    assert [e.get("name") for e in elements] == list(model._type_info), "order as declared in code"
    occurs = {e.get("name"): e.get("minOccurs", "1") for e in elements}
    assert {name for name, n in occurs.items() if n == "1"} == set(required)
    assert {name for name, n in occurs.items() if n == "0"} == set(optional)
    for name, spyne_type in model._type_info.items():
        assert occurs[name] == str(spyne_type.Attributes.min_occurs), name
    assert [e.get("name") for e in elements if e.get("nillable") is not None] == []


def test_no_element_anywhere_in_the_contract_is_nillable(served_wsdl):
    root = etree.fromstring(served_wsdl)

    nillable = [e.get("name") for e in root.iter(f"{{{XSD_NS}}}element") if e.get("nillable")]

    assert nillable == []


def test_the_request_needs_at_least_one_exam_mark(served_wsdl, tmp_path):
    write_schemas(schema_documents(served_wsdl), tmp_path)

    (item,) = complex_type(tmp_path / "pasi-service-2026.xsd", "ExamMarkInfoArray").findall(
        f"{{{XSD_NS}}}sequence/{{{XSD_NS}}}element")

    assert item.get("name") == "ExamMarkInfo"
    assert item.get("minOccurs", "1") == "1" and item.get("maxOccurs") == "unbounded"


# --- the published address ---------------------------------------------------------------
def test_the_soap_address_is_the_servers_public_url(live_server, served_wsdl):
    assert soap_addresses(served_wsdl) == [live_server.service_url]


def test_a_forged_host_header_does_not_change_the_soap_address(live_server, served_wsdl):
    response = get(f"{live_server.service_url}?wsdl", Host="evil.example:666")

    assert response.status_code == 200
    assert soap_addresses(response.content) == [live_server.service_url]
    assert b"evil.example" not in response.content
    assert response.content == served_wsdl


def test_forwarded_headers_do_not_change_the_soap_address(live_server, served_wsdl):
    response = get(f"{live_server.service_url}?wsdl", **{
        "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https",
        "Forwarded": "host=evil.example;proto=https"})

    assert response.content == served_wsdl


def test_the_wsdl_is_also_served_at_the_wsdl_file_name(live_server, served_wsdl):
    response = get(f"{live_server.base_url}/PASIService.wsdl")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    assert response.content == served_wsdl


def test_the_wsdl_query_is_case_insensitive(live_server, served_wsdl):
    assert get(f"{live_server.service_url}?WSDL").content == served_wsdl


# --- served equals committed -------------------------------------------------------------
def test_the_served_wsdl_equals_the_committed_one_except_for_the_soap_address(live_server,
                                                                            served_wsdl):
    committed = COMMITTED_WSDL.read_bytes()
    served_address = live_server.service_url.encode()
    committed_address = f"{COMMITTED_BASE_URL}/PASIService".encode()
    assert served_wsdl.count(served_address) == 1
    assert committed.count(committed_address) == 1

    assert served_wsdl.replace(served_address, committed_address) == committed


def test_the_served_schemas_equal_the_committed_schema_files(served_wsdl):
    for name, content in schema_documents(served_wsdl).items():
        assert content == (SCHEMAS / name).read_bytes(), name


def test_committed_contract_matches_the_code():
    assert check_contract(PROJECT_ROOT) == []
