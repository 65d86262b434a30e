"""Talking to the live server the way clients do: zeep, and raw XML for what zeep won't send."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests
from lxml import etree
from zeep import Plugin

from pasi_core.contract import namespaces
from tests.support import province as p

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = namespaces.PASI_SERVICE
COMMON_NS = namespaces.COMMON


def committed_schema() -> etree.XMLSchema:
    """The committed XSD (service schema importing the common one)."""
    return etree.XMLSchema(etree.parse(str(PROJECT_ROOT / "schemas" / "pasi-service-2026.xsd")))


def validate_response_envelope(envelope: etree._Element, schema: etree.XMLSchema) -> None:
    """Every response, result or fault, must match the committed XSD."""
    body = envelope.find(f"{{{SOAP_ENV}}}Body")
    payload = body[0]
    if payload.tag == f"{{{SOAP_ENV}}}Fault":
        detail = payload.find("detail")
        assert detail is not None and len(detail) == 1, "a fault must carry one PASIFault detail"
        payload = detail[0]
    if not schema.validate(payload):
        raise AssertionError(f"response does not match the committed XSD: {schema.error_log}")


def committed_system_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(PROJECT_ROOT / "schemas" / "pasi-system-2026.xsd")))


class ResponseValidator(Plugin):
    def __init__(self):
        self.schema = committed_schema()
        self.validated = 0

    def ingress(self, envelope, http_headers, operation):
        validate_response_envelope(envelope, self.schema)
        self.validated += 1
        return envelope, http_headers


class SystemResponseValidator(ResponseValidator):
    def __init__(self):
        self.schema = committed_system_schema()
        self.validated = 0


# SubmitDiplomaExamMark's record and component elements, in schema order.
EXAM_MARK_FIELDS = ("RefId", "StateProvinceId", "ExamRefId", "ExamMarkStatus", "MarkValue",
                    "IsRescored", "IsDeleted", "PASICoreVersion", "ComponentMarks", "EffectiveUtc")
COMPONENT_MARK_FIELDS = ("ComponentMarkStatus", "ExamSittingRefId", "MarkValue", "MarkFormat",
                         "MaximumMark", "FormId", "SuppliedContactName")


def xml_text(value) -> str:
    """A Python value as element text: booleans as xsd spells them, the rest as str()."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def exam_marks_envelope(caller: dict, records: list[dict]) -> bytes:
    """A SubmitDiplomaExamMark request built with lxml, for raw posts.

    ``caller`` is a CallerInfo (its SentUtcTime already text); each record's
    ComponentMarks is a list of components.  A value of None is left out.
    """
    env, service, common = f"{{{SOAP_ENV}}}", f"{{{SERVICE_NS}}}", f"{{{COMMON_NS}}}"

    def add(parent, tag: str, value) -> None:
        if value is not None:
            etree.SubElement(parent, tag).text = xml_text(value)

    root = etree.Element(env + "Envelope", nsmap={"soapenv": SOAP_ENV, "p": SERVICE_NS, "c": COMMON_NS})
    operation = etree.SubElement(etree.SubElement(root, env + "Body"), service + "SubmitDiplomaExamMark")
    request = etree.SubElement(operation, service + "request")
    info = etree.SubElement(request, service + "CallerInfo")
    add(info, common + "ClientMessageID", caller["ClientMessageID"])
    add(info, common + "SentUtcTime", caller["SentUtcTime"])
    software = etree.SubElement(info, common + "Software")
    for name in ("Manufacturer", "Product", "Version", "BuildNumber"):
        add(software, common + name, caller["Software"][name])
    add(info, common + "OrganizationCode", caller.get("OrganizationCode"))
    if "User" in caller:
        user = etree.SubElement(info, common + "User")
        for name in ("Name", "LocalID", "IPAddress"):
            add(user, common + name, caller["User"].get(name))
    marks = etree.SubElement(request, service + "ExamMarks")
    for record in records:
        mark = etree.SubElement(marks, service + "ExamMarkInfo")
        for name in EXAM_MARK_FIELDS:
            if name == "ComponentMarks":
                parts = etree.SubElement(mark, service + name)
                for component in record.get(name, []):
                    part = etree.SubElement(parts, service + "ComponentMarkInfo")
                    for key in COMPONENT_MARK_FIELDS:
                        add(part, service + key, component.get(key))
            else:
                add(mark, service + name, record.get(name))
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def caller_info(organization: str = "S.0001", message_id: str | None = None) -> dict:
    return {"ClientMessageID": message_id or f"test-{uuid.uuid4().hex[:12]}",
            "SentUtcTime": datetime.now(UTC),
            "Software": {"Manufacturer": "Test Vendor", "Product": "Test SIS", "Version": "1.0",
                         "BuildNumber": "42"},
            "OrganizationCode": organization}


def exam_mark(ref_id: str | None = None, *, asn: str = p.S1, exam: str = p.OPEN_ELA,
              status: str = "RE", value: str | None = None, components: list[dict] | None = None,
              rescored: bool = False, deleted: bool = False, version: int = 0, **extra) -> dict:
    record = {"RefId": ref_id or str(uuid.uuid4()), "StateProvinceId": asn, "ExamRefId": exam,
              "ExamMarkStatus": status, "IsRescored": rescored, "IsDeleted": deleted,
              "PASICoreVersion": version,
              "ComponentMarks": {"ComponentMarkInfo": components if components is not None
                                 else p.components_for(exam)}}
    if value is not None:
        record["MarkValue"] = value
    record.update(extra)
    return record


def registration(ref_id: str | None = None, *, asn: str = p.S1, exam: str = p.OPEN_ELA,
                 centre: str = "S.0001", **kw) -> dict:
    if "components" not in kw:
        kw["components"] = p.components_for(exam, centre)
    return exam_mark(ref_id, asn=asn, exam=exam, **kw)


def result(ref_id: str | None = None, *, asn: str = p.S1, exam: str = p.CLOSED_ELA,
           value: str = "75", status: str = "RG", centre: str = "S.0001", **kw) -> dict:
    """A result as Assessment posts it; components carry values in the exam's mark format."""
    component_values = ({"MarkValue": value, "MarkFormat": p.mark_format_of(exam)}
                        if status == "RG" else {})
    component_status = {"RG": "RG", "NW": "NW", "WH": "WH", "IN": "IN", "IC": "NW"}.get(status, "RG")
    if "components" not in kw:
        kw["components"] = p.components_for(exam, centre, status=component_status, **component_values)
    return exam_mark(ref_id, asn=asn, exam=exam, status=status,
                     value=value if status == "RG" else None, **kw)


@dataclass
class Outcome:
    id: str
    version: int
    rules: list[int]
    messages: list[str]
    paths: list[str | None]

    @property
    def accepted(self) -> bool:
        return not self.rules


def outcomes(response) -> list[Outcome]:
    items = response.SubmitResponses.SubmitResponse if response.SubmitResponses else []
    found = []
    for item in items:
        rejections = item.Rejections.Rejection if item.Rejections else []
        found.append(Outcome(item.Id, item.PASICoreVersion, [r.RuleId for r in rejections],
                             [r.Message for r in rejections], [r.FieldPath for r in rejections]))
    return found


def envelope(body_xml: str) -> bytes:
    return (f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:p="{SERVICE_NS}" '
            f'xmlns:c="{COMMON_NS}"><soapenv:Body>{body_xml}</soapenv:Body></soapenv:Envelope>').encode()


def caller_xml(organization: str = "O.1", message_id: str = "raw-1") -> str:
    return (f"<p:CallerInfo><c:ClientMessageID>{message_id}</c:ClientMessageID>"
            "<c:SentUtcTime>2026-03-02T12:00:00Z</c:SentUtcTime><c:Software>"
            "<c:Manufacturer>Raw</c:Manufacturer><c:Product>Curl</c:Product><c:Version>1</c:Version>"
            "<c:BuildNumber>1</c:BuildNumber></c:Software>"
            f"<c:OrganizationCode>{organization}</c:OrganizationCode></p:CallerInfo>")


def post_raw(url: str, payload: bytes, content_type: str = "text/xml; charset=utf-8",
             headers: dict | None = None) -> requests.Response:
    return requests.post(url, data=payload, headers={"Content-Type": content_type, **(headers or {})},
                         timeout=60)


@dataclass
class RawFault:
    status: int
    fault_code: str
    fault_string: str
    rule_id: int
    message_id: str
    errors: list[tuple[str | None, str]]


def parse_fault(response: requests.Response) -> RawFault:
    assert response.headers["Content-Type"].startswith("text/xml"), response.headers
    root = etree.fromstring(response.content)
    validate_response_envelope(root, committed_schema())
    fault = root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault is not None, response.text[:500]
    detail = fault.find("detail")[0]
    c = lambda name: f"{{{COMMON_NS}}}{name}"
    errors = [(e.findtext(c("Path")), e.findtext(c("Text")))
              for e in detail.find(c("Errors")).findall(c("FaultError"))]
    return RawFault(response.status_code, fault.findtext("faultcode"), fault.findtext("faultstring"),
                    int(detail.findtext(c("RuleId"))), detail.findtext(c("MessageID")), errors)


def answered(response: requests.Response) -> list[tuple[str, int, list[int]]]:
    """(Id, PASICoreVersion, rule ids) of every SubmitResponse of a normal answer."""
    assert response.status_code == 200, response.text[:800]
    assert response.headers["Content-Type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    validate_response_envelope(root, committed_schema())
    c = lambda name: f"{{{COMMON_NS}}}{name}"
    return [(item.findtext(c("Id")), int(item.findtext(c("PASICoreVersion"))),
             [int(r) for r in item.xpath(".//c:RuleId/text()", namespaces={"c": COMMON_NS})])
            for item in root.iter(c("SubmitResponse"))]
