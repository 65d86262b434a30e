"""Every value the published XSD allows is stored, or refused with a rule: never 9001 (issue 9.3).

For each operation the request is built from the *committed* schema: every element, optional
ones included, holds the most extreme value its type allows (the longest string, made of the
widest UTF-8 character the type accepts, the largest number, the earliest and latest instants),
except the few fields that must name real things for the request to reach the store (a student,
an exam, a code).  Each request is checked against the XSD before it is sent raw to the live
server, on SQLite and on PostgreSQL.  A new type in the contract without a derivable extreme
fails here until it has one.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from pasi_core.contract import namespaces
from tests.e2e.test_document_orders import items_of, orders
from tests.support import province as p
from tests.support import store
from tests.support.soap import SOAP_ENV, answered, post_raw

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
EARLIEST, LATEST = "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"
# Candidates, widest first: a two-byte UTF-8 letter, a digit, an ASCII letter.
REPEATED_CHARACTERS = ("ÿ", "9", "Z")
SHAPED_STRINGS = (str(uuid.UUID(int=2**128 - 1)), "99999-99999", "S.9999")
COMMON = f"{{{namespaces.COMMON}}}"

Overrides = dict[str, str | None]
"""Path (local names, ``[i]`` for repeats) → the value to send, or None to leave it out."""


def _longest_string(xsd_type) -> str:
    if getattr(xsd_type, "enumeration", None):  # AvailabilityStatus: its longest value
        return max(xsd_type.enumeration, key=len)
    limit = xsd_type.max_length or 1000
    for length in range(limit, 0, -1):
        for character in REPEATED_CHARACTERS:
            if xsd_type.is_valid(character * length):
                return character * length
        shaped = [s for s in SHAPED_STRINGS if len(s) == length and xsd_type.is_valid(s)]
        if shaped:
            return shaped[0]
    raise AssertionError(f"no string value derivable for {xsd_type.name}")


def _largest_number(xsd_type) -> str:
    for digits in range(19, 0, -1):
        for fraction in ("99", ""):
            candidate = "9" * digits + (f".{fraction}" if fraction else "")
            if xsd_type.is_valid(candidate):
                return candidate
        bound = str(2 ** (63 if digits == 19 else 31) - 1)
        if xsd_type.is_valid(bound):
            return bound
    raise AssertionError(f"no numeric value derivable for {xsd_type.name}")


def extreme_value(xsd_type, instant: str) -> str:
    kind = xsd_type.primitive_type.local_name
    if kind == "string":
        return _longest_string(xsd_type)
    if kind == "decimal":
        return _largest_number(xsd_type)
    if kind == "boolean":
        return "true"
    if kind == "dateTime":
        return instant
    raise AssertionError(f"the contract uses {kind} ({xsd_type.name}): derive its extreme value here")


def build(element, path: str, overrides: Overrides, counts: dict[str, int], instant: str) -> etree._Element:
    node = etree.Element(element.name)
    xsd_type = element.type
    if xsd_type.is_simple():
        node.text = overrides[path] if path in overrides else extreme_value(xsd_type, instant)
        return node
    for child in xsd_type.content.iter_elements():
        child_path = f"{path}/{child.local_name}"
        repeats = counts.get(child_path, 1 if child.max_occurs is None else min(child.max_occurs, 4))
        for index in range(repeats):
            indexed = child_path if child.max_occurs == 1 else f"{child_path}[{index}]"
            if overrides.get(indexed, "") is None:
                continue
            node.append(build(child, indexed, overrides, counts, instant))
    return node


def request(schema_file: str, operation: str, overrides: Overrides, counts: dict[str, int],
            instant: str) -> tuple[bytes, etree._Element]:
    schema = xmlschema.XMLSchema(str(SCHEMAS / schema_file))
    body = build(schema.elements[operation], operation, overrides, counts, instant)
    errors = list(schema.iter_errors(body))
    assert not errors, f"the generated {operation} is not valid against the committed XSD: {errors[0]}"
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV})
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(body)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"), body


def values_at(body: etree._Element, local_name: str) -> list[str]:
    return [e.text for e in body.iter() if etree.QName(e).localname == local_name]


def caller(organization: str) -> Overrides:
    return {"{op}/request/CallerInfo/OrganizationCode": organization}


def _for(operation: str, overrides: Overrides) -> Overrides:
    return {path.replace("{op}", operation): value for path, value in overrides.items()}


def answers_of(response, item_name: str) -> list[list[int]]:
    """The rule ids of each response item, after checking the answer is no fault at all."""
    assert response.status_code == 200, response.text[:1500]
    root = etree.fromstring(response.content)
    assert root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault") is None, response.text[:1500]
    return [[int(r.text) for r in item.iter(f"{COMMON}RuleId")]
            for item in root.iter() if etree.QName(item).localname == item_name]


INSTANTS = pytest.mark.parametrize("instant", [EARLIEST, LATEST], ids=["earliest", "latest"])


# --- SubmitDiplomaExamMark ------------------------------------------------------------------
def _exam_mark_overrides(ref_id: str, components: list[dict]) -> Overrides:
    record = "SubmitDiplomaExamMark/request/ExamMarks/ExamMarkInfo[0]"
    overrides = _for("SubmitDiplomaExamMark", caller("O.1")) | {
        f"{record}/RefId": ref_id, f"{record}/StateProvinceId": p.S1, f"{record}/ExamRefId": p.CLOSED_ELA,
        f"{record}/ExamMarkStatus": "RG", f"{record}/MarkValue": "75", f"{record}/IsRescored": "false",
        f"{record}/IsDeleted": "false", f"{record}/PASICoreVersion": "0"}
    for index, component in enumerate(components):
        at = f"{record}/ComponentMarks/ComponentMarkInfo[{index}]"
        overrides |= {f"{at}/ExamSittingRefId": component["ExamSittingRefId"],
                      f"{at}/ComponentMarkStatus": "RG", f"{at}/MarkValue": "75",
                      f"{at}/MarkFormat": p.mark_format_of(p.CLOSED_ELA)}
    return overrides


@INSTANTS
def test_submit_diploma_exam_mark_stores_every_extreme_value(db, live_server, instant):
    components = p.components_for(p.CLOSED_ELA, "S.0001", status="RG")
    ref_id = str(uuid.uuid4())
    payload, body = request("pasi-service-2026.xsd", "SubmitDiplomaExamMark",
                            _exam_mark_overrides(ref_id, components),
                            {"SubmitDiplomaExamMark/request/ExamMarks/ExamMarkInfo[0]/ComponentMarks/"
                             "ComponentMarkInfo": len(components)}, instant)
    response = post_raw(live_server.service_url, payload, headers={"SOAPAction": '"SubmitDiplomaExamMark"'})

    ((answer_id, version, rules),) = answered(response)
    assert rules == [] and version > 0 and answer_id == ref_id, rules
    stored = store.mark(db, ref_id)
    assert stored is not None and stored["version"] == version
    stored_components = store.components(db, ref_id)
    assert sorted(c["form_id"] for c in stored_components) == sorted(values_at(body, "FormId"))
    assert sorted(c["supplied_contact_name"] for c in stored_components) == sorted(
        values_at(body, "SuppliedContactName"))
    assert {str(c["maximum_mark"]) for c in stored_components} == set(values_at(body, "MaximumMark"))


# --- SubmitCredentialAwardingMultiple ----------------------------------------------------------
@INSTANTS
def test_submit_credential_awarding_multiple_answers_every_extreme_value(db, live_server, instant):
    operation = "SubmitCredentialAwardingMultiple"
    overrides = _for(operation, caller("O.1"))
    for index, asn in enumerate((p.C_READY, p.C_SEVERAL, p.C_BLOCKED)):
        overrides[f"{operation}/request/StateProvinceIds/StateProvinceId[{index}]"] = asn
    payload, body = request("pasi-system-2026.xsd", operation, overrides,
                            {f"{operation}/request/StateProvinceIds/StateProvinceId": 4}, instant)
    response = post_raw(live_server.system_url, payload, headers={"SOAPAction": f'"{operation}"'})

    answers = answers_of(response, "SubmitCredentialResponse")
    assert answers == [[], [], [44012], [9002]], answers
    assert values_at(body, "StateProvinceId")[3] == "ÿ" * 20


# --- ConstructDocumentOrder --------------------------------------------------------------------
def _order_overrides() -> Overrides:
    operation = "ConstructDocumentOrder"
    item = f"{operation}/request/DocumentOrderItems/DocumentOrderConstructRequestItem[0]"
    return _for(operation, caller("O.1")) | {
        f"{operation}/request/DocumentOrderId": "0", f"{operation}/request/PASICoreVersion": "0",
        f"{operation}/request/BillingInformationId": "0",
        f"{operation}/request/OrderReceivedMethod": "NotApplicable",
        f"{operation}/request/OrderStatus": "UnderConstruction", f"{operation}/request/IsDeleted": "false",
        f"{operation}/request/EducationAccountOrganization": "O.1",
        f"{item}/DocumentOrderItemNumber": None, f"{item}/StateProvinceId": p.C_READY,
        f"{item}/DocumentType": "TRANSCRIPT", f"{item}/CredentialNumber": None,
        f"{item}/DocumentDeliveryMethod": "ManualMail", f"{item}/DocumentLanguage": "EN",
        f"{item}/ProcessExpectation": "Standard", f"{item}/NumberOfCopies": "1",
        f"{item}/AmountCollected": "0", f"{item}/OperationControlScheduleId": None}


@INSTANTS
def test_construct_document_order_stores_every_extreme_value(db, live_server, instant):
    payload, body = request("pasi-system-2026.xsd", "ConstructDocumentOrder", _order_overrides(), {}, instant)
    response = post_raw(live_server.system_url, payload, headers={"SOAPAction": '"ConstructDocumentOrder"'})

    assert answers_of(response, "ConstructDocumentOrderResponse") == [[]]
    (stored,) = orders(db)
    (item,) = items_of(db, stored["id"])
    sent: Callable[[str], str] = lambda name: values_at(body, name)[0]
    assert stored["requestor_name"] == sent("RequestorName")
    assert stored["payment_method"] == sent("PaymentMethod")
    assert stored["payment_transaction_id"] == sent("PaymentTransactionId")
    assert stored["education_account_identifier"] == sent("EducationAccountIdentifier")
    assert stored["order_placed_utc"] is not None
    assert item["recipient_name"] == sent("RecipientName")
    assert item["address_lines"].split("\n") == values_at(body, "AddressLine")
    assert (item["city"], item["province_state"], item["postal_code"], item["country"], item["fax_number"]) == (
        sent("CityName"), sent("StateProvinceCode"), sent("PostalCode"), sent("CountryName"), sent("FaxNumber"))


def test_every_simple_type_of_the_contract_has_a_derivable_extreme():
    for schema_file in ("pasi-service-2026.xsd", "pasi-system-2026.xsd"):
        schema = xmlschema.XMLSchema(str(SCHEMAS / schema_file))
        for name, xsd_type in schema.maps.types.items():
            if name and name.startswith("{urn:pasi-core-mirror:") and xsd_type.is_simple():
                value = extreme_value(xsd_type, EARLIEST)
                assert xsd_type.is_valid(value), (name, value)
                if xsd_type.max_length and not re.fullmatch(r"[0-9.\-]+", value):
                    assert len(value) == xsd_type.max_length, (name, value)
