"""Property: any schema-valid SubmitDiplomaExamMark request gets per-record answers
or a Client fault, never a Server fault and never an HTML page.

Hypothesis builds requests from the committed XSD's types: fixture or random
GUIDs (any letter case), fixture ASNs or random digit strings (and now and
then any text of up to 20 characters, which the schema allows), exam mark
statuses from a small alphabet of valid and invalid codes, printable mark
values, mark formats, maximum marks (zero included), Latin-1 form ids,
contact names in any script, every lexical spelling of booleans and longs
the XSD accepts, 0-3 component marks on fixture or random sittings, and
organization codes matching the XSD pattern (or none).  Each request is
checked against the committed XSD before it is sent, so the generator
cannot drift from the contract; it is then posted as raw XML to the live
test server (fixture province, frozen clock).
"""
from __future__ import annotations

import re
import string
import uuid
from datetime import datetime

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from operations.submit_diploma_exam_mark.contract import NOT_TEXT
from tests.support import province as p
from tests.support.soap import (
    COMMON_NS,
    SERVICE_NS,
    SOAP_ENV,
    committed_schema,
    exam_marks_envelope,
    validate_response_envelope,
)

SCHEMA = committed_schema()
_P = f"{{{SERVICE_NS}}}"
_C = f"{{{COMMON_NS}}}"
_ENV = f"{{{SOAP_ENV}}}"

# --- field values ---------------------------------------------------------------------------
FIXTURE_ASNS = [p.S1, p.S2, p.S3, p.SECONDARY, p.DEACTIVATED, p.FORMER, p.S7, p.REWRITER, p.COUPON,
                p.CAPACITY_1, p.CAPACITY_2, p.BUSY, p.OTHER_PERSON, p.UNKNOWN]
FIXTURE_EXAMS = [e["RefId"] for e in p.EXAMS]
FIXTURE_SITTINGS = [p.sitting(e["RefId"], c["ComponentCode"], centre, kind)
                    for e in p.EXAMS for c in e["Components"]
                    for centre, kind in (("S.0001", ""), ("S.0002", ""), ("O.1", "special"),
                                         ("S.0001", "deleted"))]
FIXTURE_MARKS = [p.ref("mark:rewriter-prior"), p.ref("mark:coupon-prior")]
REUSED_MESSAGE_IDS = ["prop-reused-1", "prop-reused-2"]
FIXTURE_ORGANIZATIONS = ["O.1", "O.2", "A.0001", "A.0002", "S.0001", "S.0002", "S.0003", "s.0001",
                         "o.1", "S.9999"]

EXAM_MARK_STATUSES = ["RE", "RG", "NW", "WH", "IN", "IC", "FE", "PE", "SC", "SW",
                      "re", "XX", "R", "RGX", "!", "~~~~~~~~~~~~~~~~~~~~"]
COMPONENT_STATUSES = EXAM_MARK_STATUSES
MARK_FORMATS = ["PCT", "NUM", "LTR", "PF", "pct", "XYZ", "%"]
TRICKY_MARK_VALUES = ["0", "50", "100", "100.0", "101", "-1", "+5", "05", "1e3", "1E400", "NaN",
                      "inf", "-0", "0x10", "1_0", "5.", ".5", "A", "B+", "a", "P", "F", "Pass",
                      "9999999999", "0.0000001", "&<>\"'"]
PRINTABLE_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))
LATIN1_PRINTABLE = PRINTABLE_ASCII + "".join(chr(c) for c in range(0xA1, 0x100))

# XML 1.0 characters that a FreeText100 word accepts: no whitespace, no controls, no surrogates,
# no U+FFFE/U+FFFF, none of the invisible format characters the contract refuses.
_TEXT_CHAR = re.compile(f"[^{NOT_TEXT}]")
any_non_space_char = st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"),
                                   exclude_characters="\ufffe\uffff").filter(_TEXT_CHAR.fullmatch)
any_xml_char = st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff")


def words(alphabet, max_len: int):
    """Text matching ``X+( X+)*`` of at most ``max_len`` characters."""
    chars = st.sampled_from(alphabet) if isinstance(alphabet, str) else alphabet
    return st.lists(st.text(chars, min_size=1, max_size=12), min_size=1, max_size=6).map(
        " ".join).map(lambda s: s[:max_len].rstrip(" ") or "x")


def guids(fixtures: list[str]):
    random_guid = st.uuids().map(str)
    return st.one_of(st.sampled_from(fixtures), random_guid).flatmap(
        lambda g: st.sampled_from([g, g.upper(), g.lower()]))


asns = st.one_of(st.sampled_from(FIXTURE_ASNS),
                 st.text(string.digits, min_size=1, max_size=20),
                 st.text(any_xml_char, min_size=1, max_size=20))
codes = st.one_of(st.sampled_from(EXAM_MARK_STATUSES), st.text(PRINTABLE_ASCII, min_size=1, max_size=20))
mark_values = st.one_of(st.sampled_from(TRICKY_MARK_VALUES),
                        st.integers(0, 100).map(str),
                        st.text(PRINTABLE_ASCII, min_size=1, max_size=10))
maximum_marks = st.one_of(st.sampled_from(["0", "0.0", "00", "100", "9999999999", "1.5"]),
                          st.from_regex(r"[0-9]{1,5}(\.[0-9]{1,4})?", fullmatch=True))
# Every lexical form the XSD accepts (whitespace is collapsed for booleans and longs).
booleans = st.sampled_from(["true", "false", "1", "0", " true ", "\n0\t", "false "])
versions = st.one_of(st.just(0), st.integers(0, 50), st.integers(0, 2**63 - 1)).flatmap(
    lambda v: st.sampled_from([str(v), f"+{v}", f"00{v}", f" {v}\n"]))
date_times = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2199, 12, 31)).flatmap(
    lambda d: st.sampled_from([d.isoformat() + "Z", d.isoformat(), d.isoformat() + "+07:00",
                               d.replace(microsecond=0).isoformat() + "-02:30"]))
organizations = st.integers(0, 9).flatmap(lambda n: (
    st.none() if n == 0 else st.from_regex(r"[SAOsao]\.[0-9]{1,4}", fullmatch=True) if n <= 2
    else st.sampled_from(FIXTURE_ORGANIZATIONS)))


@st.composite
def components(draw):
    component = {"ComponentMarkStatus": draw(st.one_of(st.sampled_from(COMPONENT_STATUSES), codes)),
                 "ExamSittingRefId": draw(guids(FIXTURE_SITTINGS))}
    optional = {"MarkValue": mark_values, "MarkFormat": st.sampled_from(MARK_FORMATS),
                "MaximumMark": maximum_marks, "FormId": words(LATIN1_PRINTABLE, 50),
                "SuppliedContactName": words(any_non_space_char, 100)}
    for name, strategy in optional.items():
        if draw(st.booleans()):
            component[name] = draw(strategy)
    return component


@st.composite
def exam_marks(draw):
    record = {"RefId": draw(guids(FIXTURE_MARKS)), "StateProvinceId": draw(asns),
              "ExamRefId": draw(guids(FIXTURE_EXAMS)),
              "ExamMarkStatus": draw(st.one_of(st.sampled_from(EXAM_MARK_STATUSES), codes))}
    if draw(st.booleans()):
        record["MarkValue"] = draw(mark_values)
    record["IsRescored"] = draw(booleans)
    record["IsDeleted"] = draw(booleans)
    record["PASICoreVersion"] = draw(versions)
    record["ComponentMarks"] = draw(st.lists(components(), min_size=0, max_size=3))
    if draw(st.booleans()):
        record["EffectiveUtc"] = draw(date_times)
    return record


# Records close to valid ones, so that random values also reach the rules that come after
# the basic checks, and the writes: a registration for an open exam or a result for a
# written one, of a fixture student, with fixture sittings and random extras.
PLAUSIBLE_ASNS = [p.S1, p.S2, p.S3, p.S7, p.CAPACITY_1, p.CAPACITY_2, p.BUSY, p.OTHER_PERSON,
                  p.REWRITER, p.COUPON, p.SECONDARY]
OPEN_EXAMS = [p.OPEN_ELA, p.OPEN_ELA_FRENCH, p.OPEN_MATH]
WRITTEN_EXAMS = [p.CLOSED_ELA, p.CLOSED_SCORE, p.CLOSED_LETTER, p.CLOSED_PASS_FAIL, p.CLOSED_BIO]
GOOD_VALUES = {"PCT": st.integers(0, 100).map(str), "NUM": st.integers(0, 999).map(str),
               "LTR": st.sampled_from("ABCDF"), "PF": st.sampled_from("PF")}


@st.composite
def plausible_exam_marks(draw):
    is_result = draw(st.booleans())
    exam = draw(st.sampled_from(WRITTEN_EXAMS if is_result else OPEN_EXAMS))
    fmt = p.mark_format_of(exam)
    value = draw(st.one_of(GOOD_VALUES[fmt], GOOD_VALUES[fmt], mark_values))
    centre, kind = draw(st.sampled_from([("S.0001", ""), ("S.0001", ""), ("S.0002", ""),
                                         ("O.1", "special")]))
    parts = p.components_for(exam, centre, kind, status="RG" if is_result else "RE")
    for part in parts:
        if is_result:
            part.update(MarkValue=draw(st.one_of(st.just(value), mark_values)), MarkFormat=fmt)
        for name, strategy in (("MaximumMark", maximum_marks), ("FormId", words(LATIN1_PRINTABLE, 50)),
                               ("SuppliedContactName", words(any_non_space_char, 100))):
            if draw(st.integers(0, 3)) == 0:
                part[name] = draw(strategy)
    record = {"RefId": draw(st.uuids().map(str).flatmap(lambda g: st.sampled_from([g, g.upper()]))),
              "StateProvinceId": draw(st.sampled_from(PLAUSIBLE_ASNS)), "ExamRefId": exam,
              "ExamMarkStatus": "RG" if is_result else "RE",
              "IsRescored": draw(st.sampled_from(["false", "0", " false"])),
              "IsDeleted": draw(st.sampled_from(["false", "0", "false\n"])),
              "PASICoreVersion": draw(st.sampled_from(["0", "+0", "000", " 0 "])),
              "ComponentMarks": parts}
    if is_result:
        record["MarkValue"] = value
    if draw(st.integers(0, 3)) == 0:  # and now and then one field from the wild
        wild = draw(exam_marks())
        name = draw(st.sampled_from([n for n in wild if n != "RefId"]))
        record[name] = wild[name]
    return record


@st.composite
def submit_requests(draw):
    # Now and then a ClientMessageID used before: the stored answer is replayed (same
    # payload) or the request is refused with rule 99010 (another payload).
    message_id = draw(st.sampled_from(REUSED_MESSAGE_IDS)) if draw(st.integers(0, 7)) == 0 else None
    caller = {"ClientMessageID": message_id or f"prop-{uuid.uuid4().hex[:20]}",
              "SentUtcTime": draw(date_times),
              "Software": {"Manufacturer": draw(words(LATIN1_PRINTABLE, 100)),
                           "Product": draw(words(LATIN1_PRINTABLE, 100)),
                           "Version": draw(words(LATIN1_PRINTABLE, 30)),
                           "BuildNumber": draw(words(LATIN1_PRINTABLE, 30))},
              "OrganizationCode": draw(organizations)}
    if draw(st.booleans()):
        caller["User"] = {name: draw(words(LATIN1_PRINTABLE, length))
                          for name, length in (("Name", 100), ("LocalID", 50), ("IPAddress", 50))
                          if draw(st.booleans())}
    records = draw(st.lists(st.one_of(exam_marks(), plausible_exam_marks()), min_size=1, max_size=4))
    if draw(st.integers(0, 2)) == 0:
        caller["OrganizationCode"] = "O.1"  # the Ministry may post results
    if draw(st.integers(0, 4)) == 0:
        # The same record twice in one batch (RefIds compare case-insensitively), perhaps changed.
        again = dict(draw(st.sampled_from(records)))
        again["RefId"] = again["RefId"].swapcase()
        if draw(st.booleans()):
            wild = draw(exam_marks())
            name = draw(st.sampled_from([n for n in wild if n != "RefId"]))
            again[name] = wild[name]
        records.append(again)
    return caller, records


# --- building and reading the XML ------------------------------------------------------------
def assert_schema_valid_request(payload: bytes) -> None:
    body = etree.fromstring(payload).find(_ENV + "Body")
    assert SCHEMA.validate(body[0]), f"the generator made an invalid request: {SCHEMA.error_log}"


# --- the property -----------------------------------------------------------------------------
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(request=submit_requests())
def test_a_schema_valid_request_gets_per_record_answers_or_a_client_fault(live_server, db, request):
    caller, records = request
    payload = exam_marks_envelope(caller, records)
    assert_schema_valid_request(payload)

    response = requests.post(live_server.service_url, data=payload,
                             headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=60)
    content_type = response.headers.get("Content-Type", "")
    assert content_type.startswith("text/xml"), (response.status_code, content_type, response.text[:300])
    assert b"<html" not in response.content[:500].lower(), response.text[:300]
    envelope = etree.fromstring(response.content)
    validate_response_envelope(envelope, SCHEMA)
    answer = envelope.find(_ENV + "Body")[0]

    if answer.tag == _ENV + "Fault":
        fault_code = answer.findtext("faultcode").split(":", 1)[-1]
        detail = answer.find("detail")[0]
        rule = int(detail.findtext(_C + "RuleId"))
        assert response.status_code == 500
        assert fault_code.startswith("Client"), (fault_code, rule, detail.findtext(_C + "Message"))
        # The request matches the committed XSD, so only who is calling (1007, 1008, 5001)
        # or a reused ClientMessageID (99010) can refuse it.
        errors = [e.findtext(_C + "Text") for e in detail.iter(_C + "FaultError")]
        assert rule in (1007, 1008, 5001, 99010), (fault_code, rule, detail.findtext(_C + "Message"), errors)
        return

    assert response.status_code == 200
    assert answer.tag == _P + "SubmitDiplomaExamMarkResponse"
    result = answer.find(_P + "SubmitDiplomaExamMarkResult")
    assert result.findtext(_C + "MessageID")
    items = result.find(_C + "SubmitResponses").findall(_C + "SubmitResponse")
    assert [i.findtext(_C + "Id").lower() for i in items] == [r["RefId"].lower() for r in records]
    for item in items:
        version = int(item.findtext(_C + "PASICoreVersion"))
        rejections = item.find(_C + "Rejections").findall(_C + "Rejection")
        if rejections:
            assert version == 0
            for rejection in rejections:
                assert int(rejection.findtext(_C + "RuleId")) > 0
                assert rejection.findtext(_C + "Message")
        else:
            assert version > 0
