"""XSD validation of requests: paths clients can read, a capped list of errors, and work
that stays linear in the body (pasi_core/soap/validation.py)."""
from __future__ import annotations

import pytest
from lxml import etree

from operations.submit_diploma_exam_mark.endpoint import SUBMIT_DIPLOMA_EXAM_MARK
from pasi_core.kernel.errors import RequestRejected
from pasi_core.soap.publish import endpoint_wsdl, request_schema
from pasi_core.soap.validation import MAX_LISTED_ERRORS

S = "urn:pasi-core-mirror:pasi-service:2026"
C = "urn:pasi-core-mirror:common:2026"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CALLER = ("<CallerInfo><c:ClientMessageID>m</c:ClientMessageID>"
          "<c:SentUtcTime>2026-01-01T00:00:00Z</c:SentUtcTime><c:Software><c:Manufacturer>a</c:Manufacturer>"
          "<c:Product>b</c:Product><c:Version>1</c:Version><c:BuildNumber>1</c:BuildNumber></c:Software>"
          "<c:OrganizationCode>S.0001</c:OrganizationCode></CallerInfo>")


@pytest.fixture(scope="module")
def schema():
    return request_schema(endpoint_wsdl("PASIService", "http://localhost"), "PASIService")


def record(ref: str = "11111111-1111-4111-8111-111111111111", **fields) -> str:
    values = {"RefId": ref, "StateProvinceId": "100000001",
              "ExamRefId": "21111111-1111-4111-8111-111111111111", "ExamMarkStatus": "RE",
              "IsRescored": "false", "IsDeleted": "false", "PASICoreVersion": "0",
              "ComponentMarks": ""} | fields
    return "<ExamMarkInfo>" + "".join(f"<{k}>{v}</{k}>" for k, v in values.items() if v is not None) \
        + "</ExamMarkInfo>"


def operation(records: str, *, default_namespace: bool = True) -> etree._Element:
    """A SubmitDiplomaExamMark operation element as a client using default namespaces sends it."""
    body = (f"<SubmitDiplomaExamMark xmlns='{S}' xmlns:c='{C}'><request>{CALLER}"
            f"<ExamMarks>{records}</ExamMarks></request></SubmitDiplomaExamMark>")
    if not default_namespace:  # every element of the service namespace with a prefix
        body = (body.replace(f" xmlns='{S}'", f" xmlns:x='{S}'").replace("</", "\0").replace("<", "<x:")
                .replace("\0", "</x:").replace("<x:c:", "<c:").replace("</x:c:", "</c:"))
    envelope = etree.fromstring(f"<e:Envelope xmlns:e='{ENV}'><e:Body>{body}</e:Body></e:Envelope>")
    return envelope[0][0]


def refusal(schema, element, max_records: int = 10_000) -> RequestRejected:
    with pytest.raises(RequestRejected) as refused:
        schema.validate(element, SUBMIT_DIPLOMA_EXAM_MARK.record_lists, max_records)
    assert refused.value.rule_id == 3001
    return refused.value


def test_a_valid_request_passes_and_keeps_its_records_in_order(schema):
    element = operation(record() + record("22222222-2222-4222-8222-222222222222"))
    schema.validate(element, SUBMIT_DIPLOMA_EXAM_MARK.record_lists, 10_000)
    refs = [e.findtext(f"{{{S}}}RefId") for e in element.iter(f"{{{S}}}ExamMarkInfo")]
    assert refs == ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"]


def test_paths_name_elements_without_prefixes_even_for_default_namespaces(schema):
    element = operation(record() + record(ExamMarkStatus=None) + record(RefId="not-a-guid"))
    fault = refusal(schema, element)
    paths = [e.path for e in fault.errors]
    assert "SubmitDiplomaExamMark/request/ExamMarks/ExamMarkInfo[2]/IsRescored" in paths
    assert "SubmitDiplomaExamMark/request/ExamMarks/ExamMarkInfo[3]/RefId" in paths
    assert not any("*" in p or ":" in p or p.startswith("/") for p in paths), paths
    assert not any("{urn:" in e.text for e in fault.errors), fault.errors


def test_the_first_record_is_named_with_its_position_too(schema):
    fault = refusal(schema, operation(record(IsRescored="maybe") + record()))
    assert [e.path for e in fault.errors] == [
        "SubmitDiplomaExamMark/request/ExamMarks/ExamMarkInfo[1]/IsRescored"]


def test_thousands_of_bad_records_list_the_first_hundred_errors_and_the_total(schema):
    element = operation("<ExamMarkInfo/>" * 5_000)
    fault = refusal(schema, element)
    assert len(fault.errors) == MAX_LISTED_ERRORS + 1
    assert fault.errors[-1].text == f"{5_000 - MAX_LISTED_ERRORS} more error(s) not listed (5000 in all)"
    assert "5000 errors in all" in fault.message
    assert fault.errors[0].path == "SubmitDiplomaExamMark/request/ExamMarks/ExamMarkInfo[1]"
    # Every record is still in the request, in order, after validation looked at each alone.
    assert len(element[0][1]) == 5_000


def test_more_records_than_a_request_may_carry_are_refused_before_validation(schema):
    fault = refusal(schema, operation("<ExamMarkInfo/>" * 6), max_records=5)
    assert "ExamMarks holds 6 items; at most 5 may be submitted in one request" in fault.message
    assert [e.path for e in fault.errors] == ["ExamMarks"]


def test_prefixed_and_default_namespace_requests_give_the_same_paths(schema):
    bad = record() + record(PASICoreVersion="-1")
    prefixed = refusal(schema, operation(bad, default_namespace=False))
    default = refusal(schema, operation(bad))
    assert [e.path for e in prefixed.errors] == [e.path for e in default.errors]
