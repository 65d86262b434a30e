"""The SOAP boundary against hostile and sloppy clients.

Every request here is raw HTTP, the way a broken SIS, a fuzzer or an
attacker sends it.  For each one the service must answer with a SOAP 1.1
fault envelope (text/xml, never an HTML page or a traceback) whose
``PASIFault`` detail carries the rule (3001 schema, 3002 structure, 9001
server) and a message id and matches the committed XSD; it must leak
nothing (no file content, no Python paths), log none of the request, leave
the database as it was, and keep serving: the next valid call succeeds.
"""
from __future__ import annotations

import logging
import re
import socket
import time
from xml.sax.saxutils import escape

import pytest
import requests
from lxml import etree
from requests.structures import CaseInsensitiveDict

from pasi_core.app.application import create_wsgi_app
from pasi_core.app.server import start_in_thread
from pasi_core.kernel import rule_catalogue
from pasi_core.soap.authentication import DevelopmentAuthenticator
from tests.support import province as p
from tests.support import store
from tests.support.soap import (
    COMMON_NS,
    COMPONENT_MARK_FIELDS,
    EXAM_MARK_FIELDS,
    SERVICE_NS,
    SOAP_ENV,
    RawFault,
    caller_xml,
    committed_schema,
    envelope,
    parse_fault,
    post_raw,
    registration,
    xml_text,
)
from tests.support.soap import (
    answered as answered_records,
)

SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_FAULT = "Client.SchemaValidationError"
STRUCTURE_FAULT = "Client.RequestNotStructuredCorrectly"
DTD_FAULTS = ("Client.DTDNotAllowed", STRUCTURE_FAULT)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# What must never appear in a response body.
PASSWD_CONTENT = re.compile(r"root:[^:\n]*:0:0:")
PYTHON_PATH = re.compile(r"[\w./\\-]+\.py\b")
RESPONSE_LEAKS = ("Traceback", "site-packages", 'File "', "<html", "<HTML", "<!DOCTYPE")

# What must never appear in the server's log: request content.
LOG_SECRETS = (p.S1, "etc/passwd", "root:x:", "Traceback", "lolz")
CLIENT_LOGGERS = ("zeep", "urllib3", "requests", "charset_normalizer")

OPERATION = "SubmitDiplomaExamMark"


# --- building raw requests ---------------------------------------------------------------

def _text(value) -> str:
    return escape(xml_text(value))


def component_xml(component: dict, **raw) -> str:
    """One ComponentMarkInfo; ``raw`` values go in verbatim, ``None`` leaves an element out."""
    values = {name: _text(component[name]) for name in COMPONENT_MARK_FIELDS if name in component}
    values.update(raw)
    return "<p:ComponentMarkInfo>" + "".join(
        f"<p:{name}>{values[name]}</p:{name}>" for name in COMPONENT_MARK_FIELDS
        if values.get(name) is not None) + "</p:ComponentMarkInfo>"


def record_xml(record: dict, **raw) -> str:
    """One ExamMarkInfo, in schema order.  ``raw`` values go in verbatim (they may be invalid
    or not even well-formed), ``None`` leaves an element out, unknown names go at the end."""
    values = {}
    for name in EXAM_MARK_FIELDS:
        if name == "ComponentMarks" and name in record:
            values[name] = "".join(component_xml(c) for c in
                                   record["ComponentMarks"]["ComponentMarkInfo"])
        elif name in record:
            values[name] = _text(record[name])
    values.update(raw)
    names = list(EXAM_MARK_FIELDS) + [name for name in raw if name not in EXAM_MARK_FIELDS]
    return "<p:ExamMarkInfo>" + "".join(
        f"<p:{name}>{values[name]}</p:{name}>" for name in names
        if values.get(name) is not None) + "</p:ExamMarkInfo>"


def operation_xml(records_xml: str, caller: str | None = None) -> str:
    return (f"<p:{OPERATION}><p:request>{caller or caller_xml('S.0001', 'boundary-1')}"
            f"<p:ExamMarks>{records_xml}</p:ExamMarks></p:request></p:{OPERATION}>")


def request_for(*records: dict, caller: str | None = None) -> bytes:
    return envelope(operation_xml("".join(record_xml(r) for r in records), caller))


def with_doctype(doctype: str, body: str) -> bytes:
    return f'<?xml version="1.0"?>{doctype}'.encode() + envelope(body)


def with_header(header_xml: str, body_xml: str) -> bytes:
    return (f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:p="{SERVICE_NS}" '
            f'xmlns:c="{COMMON_NS}"><soapenv:Header>{header_xml}</soapenv:Header>'
            f'<soapenv:Body>{body_xml}</soapenv:Body></soapenv:Envelope>').encode()


def caller_with_id(message_id: str) -> str:
    return caller_xml("S.0001", message_id)


# --- checking answers --------------------------------------------------------------------

def assert_nothing_leaks(response: requests.Response) -> None:
    text = response.content.decode("utf-8", errors="replace")
    for marker in RESPONSE_LEAKS:
        assert marker not in text, f"{marker!r} in the response: {text[:800]}"
    assert not PASSWD_CONTENT.search(text), "file content leaked into the response"
    assert not PYTHON_PATH.search(text), f"a Python path leaked: {PYTHON_PATH.search(text)[0]}"


def fault_code_qname(response: requests.Response) -> etree.QName:
    """The faultcode resolved as a QName: SOAP 1.1 wants it in the envelope namespace."""
    root = etree.fromstring(response.content)
    code = root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault/faultcode")
    assert code is not None, response.text[:800]
    prefix, _, local = code.text.strip().rpartition(":")
    return etree.QName(code.nsmap.get(prefix or None), local)


def assert_soap_fault(response: requests.Response, *, rule: int | tuple[int, ...],
                      status: int | tuple[int, ...] = 500,
                      fault_codes: str | tuple[str, ...] | None = None,
                      real_message_id: bool = True) -> RawFault:
    assert response.headers.get("Content-Type", "").startswith("text/xml"), (
        response.status_code, response.headers, response.text[:800])
    assert_nothing_leaks(response)
    fault = parse_fault(response)  # a SOAP 1.1 Fault whose PASIFault matches the committed XSD
    statuses = status if isinstance(status, tuple) else (status,)
    assert fault.status in statuses, (fault.status, fault)
    rules = rule if isinstance(rule, tuple) else (rule,)
    assert fault.rule_id in rules, fault
    qname = fault_code_qname(response)
    assert qname.namespace == SOAP_ENV, f"faultcode {fault.fault_code} is not a SOAP 1.1 code"
    if fault_codes is not None:
        codes = fault_codes if isinstance(fault_codes, tuple) else (fault_codes,)
        assert qname.localname in codes, fault.fault_code
    elif fault.rule_id == 3001:
        assert qname.localname == SCHEMA_FAULT, fault.fault_code
    elif fault.rule_id == 3002:
        assert qname.localname == STRUCTURE_FAULT, fault.fault_code
    assert fault.fault_string and fault.message_id, fault
    if real_message_id:
        assert UUID.fullmatch(fault.message_id), (
            f"the fault's MessageID {fault.message_id!r} is not a server message id")
    return fault


def assert_errors_name(fault: RawFault, expected: list[tuple[str, str]]) -> None:
    """Each (path ending, text fragment) must be matched by one listed error."""
    for path_end, fragment in expected:
        assert any(path and path.endswith(path_end) and fragment in text
                   for path, text in fault.errors), (
            f"no error at ...{path_end} mentioning {fragment!r} in {fault.errors}")


def server_log(caplog) -> str:
    return "\n".join(caplog.handler.format(record) for record in caplog.records
                     if not record.name.startswith(CLIENT_LOGGERS))


class Boundary:
    """Raw access to the live server, and the checks every hostile request ends with."""

    def __init__(self, live_server, pasi, caplog):
        self.live_server = live_server
        self.url = live_server.service_url
        self.pasi = pasi
        self.engine = pasi.engine
        self.caplog = caplog
        self.before = store.marks_snapshot(self.engine)

    def post(self, payload: bytes, content_type: str = "text/xml; charset=utf-8",
             headers: dict | None = None, url: str | None = None) -> requests.Response:
        return post_raw(url or self.url, payload, content_type, headers)

    def request(self, method: str, path: str = "/PASIService", **kw) -> requests.Response:
        return requests.request(method, self.live_server.base_url + path, timeout=60, **kw)

    def assert_unchanged(self) -> None:
        assert store.marks_snapshot(self.engine) == self.before, "a refused request changed data"

    def assert_log_clean(self, *, server_only: bool = False) -> None:
        """No request content in the log.  Raw requests log nothing of their body on either
        side, so the whole of caplog.text is checked; once zeep has been used (it logs the
        envelopes it sends at DEBUG, client side) only the server's records are."""
        text = server_log(self.caplog) if server_only else self.caplog.text
        for secret in LOG_SECRETS:
            assert secret not in text, f"{secret!r} was logged:\n{text}"

    def assert_still_serving(self) -> None:
        """Nothing changed, nothing was logged, and a valid zeep call still succeeds."""
        self.assert_unchanged()
        self.assert_log_clean()
        record = registration(asn=p.S1)
        outcome = self.pasi.submit_one(record)
        assert outcome.accepted, (outcome.rules, outcome.messages)
        assert store.mark(self.engine, record["RefId"])["version"] == outcome.version
        self.assert_log_clean(server_only=True)


@pytest.fixture
def boundary(live_server, pasi, caplog):
    caplog.set_level(logging.DEBUG)
    return Boundary(live_server, pasi, caplog)


@pytest.fixture
def canary():
    """A TCP listener that records whether the server ever tried to fetch anything."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)

    class Canary:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"

        def touched(self) -> bool:
            try:
                connection, _ = listener.accept()
            except BlockingIOError:
                return False
            connection.close()
            return True

    yield Canary()
    listener.close()


@pytest.fixture(scope="module")
def roomy_server(live_server, engine, clock):
    """A second server on the same database with a 32 MiB body limit, so a body can reach the
    parser's own limits (10 MB text node) before the gateway's size check."""
    settings = live_server.settings.with_changes(max_request_bytes=32 * 1024 * 1024)
    app = create_wsgi_app(settings, engine=engine, authenticator=DevelopmentAuthenticator(),
                          clock=clock)
    server, base_url = start_in_thread(app)
    yield f"{base_url}/PASIService"
    server.shutdown()
    server.server_close()


# --- 3001: the request does not match the schema -----------------------------------------

def test_every_schema_error_of_a_request_is_listed_with_its_path(boundary):
    valid = registration(asn=p.S1)
    component = registration(asn=p.S2)["ComponentMarks"]["ComponentMarkInfo"][0]
    records = "".join([
        record_xml(valid),                                              # [1] fine
        record_xml(registration(asn=p.S2), RefId="not-a-guid"),         # [2]
        record_xml(registration(asn=p.S2), IsRescored="maybe"),         # [3]
        record_xml(registration(asn=p.S2), ExamMarkStatus=None),        # [4] missing, mid-sequence
        record_xml(registration(asn=p.S2), ComponentMarks=None),        # [5] missing, at the end
        record_xml(registration(asn=p.S2), Bogus="1"),                  # [6] unknown element
        record_xml(registration(asn=p.S2), ExamMarkStatus="R\tE"),      # [7] a control character
        record_xml(registration(asn=p.S2), PASICoreVersion="-1"),       # [8]
        record_xml(registration(asn=p.S2), ComponentMarks=(             # [9] component errors
            component_xml(component, FormId="a  b")
            + component_xml(component, FormId="f" * 51)
            + component_xml(component, FormId="del\x7fhere")
            + component_xml(component, SuppliedContactName="Ms\tSmith"))),
    ])
    caller = caller_with_id(" leading-space").replace(
        "<c:Version>1</c:Version>", "<c:Version>1</c:Version><c:Extra>x</c:Extra>")
    response = boundary.post(envelope(operation_xml(records, caller)))

    fault = assert_soap_fault(response, rule=3001)
    info = "ExamMarkInfo"
    assert_errors_name(fault, [
        ("SubmitDiplomaExamMark/request/CallerInfo/ClientMessageID", "' leading-space'"),
        ("CallerInfo/Software/Extra", "not expected"),
        (f"ExamMarks/{info}[2]/RefId", "not-a-guid"),
        (f"{info}[3]/IsRescored", "'maybe'"),
        (f"{info}[4]/IsRescored", "ExamMarkStatus"),   # libxml2 names the element it met
        (f"{info}[5]", "ComponentMarks"),
        (f"{info}[6]/Bogus", "not expected"),
        (f"{info}[7]/ExamMarkStatus", "pattern"),
        (f"{info}[8]/PASICoreVersion", "minimum"),
        (f"{info}[9]/ComponentMarks/ComponentMarkInfo[1]/FormId", "'a  b'"),
        (f"{info}[9]/ComponentMarks/ComponentMarkInfo[2]/FormId", "51"),
        (f"{info}[9]/ComponentMarks/ComponentMarkInfo[3]/FormId", "pattern"),
        (f"{info}[9]/ComponentMarks/ComponentMarkInfo[4]/SuppliedContactName", "pattern"),
    ])
    # Paths and messages name elements as the contract does, without namespaces or prefixes.
    assert not any(":" in path or "{" in text.split("pattern")[0] for path, text in fault.errors
                   if path), fault.errors
    assert not any(path and f"{info}[1]/" in path for path, _ in fault.errors), fault.errors
    assert all(path for path, _ in fault.errors), "every schema error names its element"
    assert "ClientMessageID" in fault.fault_string
    boundary.assert_unchanged()  # the one valid record was not stored either
    assert store.mark(boundary.engine, valid["RefId"]) is None
    boundary.assert_still_serving()


@pytest.mark.parametrize("message_id", [
    " leading", "trailing ", "double  space", "x" * 51, "", "tab\there", "del\x7fhere",
    "nel\u0085here", "nbsp\u00a0here", "line\nbreak",
], ids=["leading-space", "trailing-space", "double-space", "51-chars", "empty", "tab", "DEL",
        "NEL", "NBSP", "newline"])
def test_a_malformed_client_message_id_is_a_schema_fault_naming_it(boundary, message_id):
    response = boundary.post(request_for(registration(), caller=caller_with_id(escape(message_id))))

    fault = assert_soap_fault(response, rule=3001)
    assert {path for path, _ in fault.errors} == {
        "SubmitDiplomaExamMark/request/CallerInfo/ClientMessageID"}, fault.errors
    boundary.assert_still_serving()


def test_a_client_message_id_of_exactly_fifty_characters_is_accepted(boundary):
    record = registration()
    response = boundary.post(request_for(record, caller=caller_with_id("m" * 50)))

    [(ref_id, version, rules)] = answered_records(response)
    assert ref_id == record["RefId"] and version > 0 and rules == []
    boundary.assert_log_clean()


def test_an_empty_exam_marks_list_is_a_schema_fault(boundary):
    response = boundary.post(envelope(operation_xml("")))

    fault = assert_soap_fault(response, rule=3001)
    assert_errors_name(fault, [("/request/ExamMarks", "ExamMarkInfo")])
    boundary.assert_still_serving()


def test_soap_encoding_attributes_and_xsi_tricks_are_schema_faults(boundary):
    typed = operation_xml(record_xml(registration()).replace(
        "<p:IsRescored>", f'<p:IsRescored xmlns:xsi="{XSI}" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xsi:type="xs:string">'))
    fault = assert_soap_fault(boundary.post(envelope(typed)), rule=3001)
    assert_errors_name(fault, [("/IsRescored", "type")])

    # xsi:nil means "no value": on a required element that is a missing element.
    nil_required = operation_xml(record_xml(registration()).replace(
        "<p:ExamMarkStatus>RE</p:ExamMarkStatus>", f'<p:ExamMarkStatus xmlns:xsi="{XSI}" xsi:nil="true"/>'))
    fault = assert_soap_fault(boundary.post(envelope(nil_required)), rule=3001)
    assert_errors_name(fault, [("/IsRescored", "Expected is ( ExamMarkStatus )")])

    # A nil element that still holds a value is not "no value": the schema refuses it.
    nil_with_value = operation_xml(record_xml(registration()).replace(
        "<p:ExamMarkStatus>RE</p:ExamMarkStatus>",
        f'<p:ExamMarkStatus xmlns:xsi="{XSI}" xsi:nil="true">RE</p:ExamMarkStatus>'))
    fault = assert_soap_fault(boundary.post(envelope(nil_with_value)), rule=3001)
    assert_errors_name(fault, [("/ExamMarkStatus", "nillable")])
    boundary.assert_still_serving()


def test_lexical_forms_the_schema_allows_are_read_as_their_values(boundary):
    """CDATA, comments and processing instructions inside values, white space around booleans
    and numbers: legal XML a sloppy client may produce; the record is read as meant."""
    record = registration(asn=p.S2)
    ref_id, exam = record["RefId"], record["ExamRefId"]
    body = operation_xml(record_xml(
        record,
        RefId=f"<![CDATA[{ref_id[:10].upper()}]]>{ref_id[10:]}",
        StateProvinceId="1000<!-- a comment -->0<?pi inside?>0002",
        ExamRefId=f"<![CDATA[{exam.upper()}]]>",
        IsRescored="\n 0 \t", IsDeleted=" false ", PASICoreVersion="\n +0 ",
    ) + "<!-- between records --><?pi between?>")
    response = boundary.post(envelope(body))

    [(answered_id, version, rules)] = answered_records(response)
    assert (answered_id, rules) == (ref_id, []) and version > 0
    stored = store.mark(boundary.engine, ref_id)
    assert (stored["asn"], stored["exam_ref_id"], stored["is_rescored"], stored["is_deleted"]) == (
        p.S2, exam, False, False)
    boundary.assert_log_clean()


@pytest.mark.parametrize("sent", ["2026-03-02T24:00:00Z", "-0001-03-02T12:00:00Z",
                                  "12026-03-02T12:00:00Z"],
                         ids=["hour-24", "year-minus-1", "year-12026"])
def test_a_schema_valid_date_python_cannot_hold_is_refused_naming_the_element(boundary, sent):
    """xs:dateTime allows 24:00:00, negative and five-digit years; the committed XSD accepts
    them, so the client must at least be told which element the server could not take."""
    caller = caller_xml("S.0001", "dates").replace("2026-03-02T12:00:00Z", sent)
    assert committed_schema_accepts(caller), "the case must pass the published schema"
    response = boundary.post(request_for(registration(), caller=caller))

    if response.status_code == 200:
        boundary.assert_log_clean()
        return
    fault = assert_soap_fault(response, rule=(3001, 3002))
    assert any("SentUtcTime" in (path or "") + text for path, text in fault.errors), (
        f"the fault does not say which element was refused: {fault.errors}")
    boundary.assert_still_serving()


def committed_schema_accepts(caller: str) -> bool:
    payload = etree.fromstring(envelope(operation_xml(record_xml(registration()), caller)))
    return committed_schema().validate(payload.find(f"{{{SOAP_ENV}}}Body")[0])


# --- 3002: not a well-formed SOAP 1.1 request ---------------------------------------------

def _valid_body() -> str:
    return operation_xml(record_xml(registration()))


STRUCTURE_CASES = {
    "not-well-formed": lambda: envelope(_valid_body())[:-20],
    "trailing-garbage": lambda: envelope(_valid_body()) + b"<x/>",
    "invalid-utf8": lambda: envelope(_valid_body()).replace(b"Raw", b"R\xff\xfe"),
    "latin1-bytes-declared-utf8": lambda: (b"<?xml version='1.0' encoding='UTF-8'?>"
                                           + envelope(_valid_body()).replace(b"Raw", b"R\xe9")),
    "unknown-encoding": lambda: b"<?xml version='1.0' encoding='x-bogus'?>" + envelope(_valid_body()),
    "c0-control-character": lambda: envelope(operation_xml(record_xml(registration()),
                                                           caller_with_id("a\x01b"))),
    "control-character-reference": lambda: envelope(operation_xml(
        record_xml(registration()), caller_with_id("a&#x1;b"))),
    "nul-reference": lambda: envelope(operation_xml(record_xml(registration(), StateProvinceId="&#0;"))),
    "empty-body": lambda: b"",
    "whitespace-body": lambda: b"   \r\n  ",
    "not-a-soap-envelope": lambda: b"<SubmitDiplomaExamMark><request/></SubmitDiplomaExamMark>",
    "bare-operation": lambda: _valid_body().replace(
        f"<p:{OPERATION}>", f'<p:{OPERATION} xmlns:p="{SERVICE_NS}" xmlns:c="{COMMON_NS}">', 1).encode(),
    "soap12-envelope": lambda: envelope(_valid_body()).replace(SOAP_ENV.encode(), SOAP12_ENV.encode()),
    "envelope-without-body": lambda: f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"/>'.encode(),
    "empty-soap-body": lambda: envelope(""),
    "text-only-soap-body": lambda: envelope("hello"),
    "two-operations": lambda: envelope(_valid_body() + _valid_body()),
    "two-soap-bodies": lambda: envelope(_valid_body()).replace(
        b"</soapenv:Body>", b"</soapenv:Body><soapenv:Body/>"),
}


@pytest.mark.parametrize("case", list(STRUCTURE_CASES))
def test_a_request_that_is_not_a_soap_11_message_is_a_structure_fault(boundary, case):
    response = boundary.post(STRUCTURE_CASES[case]())

    fault = assert_soap_fault(response, rule=3002)
    assert fault.errors and fault.errors[0][1], "the fault says what was wrong"
    boundary.assert_still_serving()


def test_the_response_element_sent_as_a_request_is_a_structure_fault(boundary):
    response = boundary.post(envelope(f"<p:{OPERATION}Response/>"))
    fault = assert_soap_fault(response, rule=3002)
    assert "unknown operation" in fault.errors[0][1]
    boundary.assert_still_serving()


@pytest.mark.parametrize("element", [
    "<p:DeleteAllExamMarks><p:request/></p:DeleteAllExamMarks>",
    f"<c:{OPERATION}/>",                         # the right name in the wrong namespace
    f"<{OPERATION}/>",                           # no namespace at all
    "<soapenv:Fault><faultcode>x</faultcode><faultstring>y</faultstring></soapenv:Fault>",
], ids=["unknown-name", "wrong-namespace", "no-namespace", "a-fault"])
def test_an_unknown_operation_element_is_a_structure_fault(boundary, element):
    response = boundary.post(envelope(element))
    fault = assert_soap_fault(response, rule=3002)
    assert "unknown operation" in fault.errors[0][1]
    boundary.assert_still_serving()


# --- DTDs and entities ---------------------------------------------------------------------

def _entity_body(reference: str) -> str:
    return operation_xml(record_xml(registration()), caller_with_id(reference))


def _billion_laughs() -> str:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">' for i in range(1, 10))
    return f"<!DOCTYPE lolz [{entities}]>"


DTD_CASES = {
    "external-file-entity": lambda canary: with_doctype(
        '<!DOCTYPE soapenv:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', _entity_body("&xxe;")),
    "external-http-entity": lambda canary: with_doctype(
        f'<!DOCTYPE soapenv:Envelope [<!ENTITY xxe SYSTEM "{canary.url}/xxe">]>', _entity_body("&xxe;")),
    "parameter-entity-file": lambda canary: with_doctype(
        '<!DOCTYPE soapenv:Envelope [<!ENTITY % pe SYSTEM "file:///etc/passwd"> %pe;]>', _valid_body()),
    "parameter-entity-http": lambda canary: with_doctype(
        f'<!DOCTYPE soapenv:Envelope [<!ENTITY % pe SYSTEM "{canary.url}/pe.dtd"> %pe;]>',
        _valid_body()),
    "external-dtd-subset": lambda canary: with_doctype(
        f'<!DOCTYPE soapenv:Envelope SYSTEM "{canary.url}/evil.dtd">', _valid_body()),
    "billion-laughs": lambda canary: with_doctype(_billion_laughs(), _entity_body("&lol9;")),
    "quadratic-blowup": lambda canary: with_doctype(
        f'<!DOCTYPE soapenv:Envelope [<!ENTITY a "{"A" * 50_000}">]>', _entity_body("&a;" * 2_000)),
    "harmless-internal-dtd": lambda canary: with_doctype(
        "<!DOCTYPE soapenv:Envelope [<!ELEMENT soapenv:Envelope ANY>]>", _valid_body()),
    "internal-entity": lambda canary: with_doctype(
        '<!DOCTYPE soapenv:Envelope [<!ENTITY org "S.0001">]>', _entity_body("&org;")),
}


@pytest.mark.parametrize("case", list(DTD_CASES))
def test_any_doctype_is_refused_without_expanding_or_fetching_anything(boundary, canary, case):
    started = time.monotonic()
    response = boundary.post(DTD_CASES[case](canary))
    elapsed = time.monotonic() - started

    assert_soap_fault(response, rule=3002, fault_codes=DTD_FAULTS)
    assert "etc/passwd" not in response.text and "lollol" not in response.text
    assert len(response.content) < 10_000, "nothing was expanded into the answer"
    assert elapsed < 10, f"took {elapsed:.1f}s"
    assert not canary.touched(), "the server opened a connection named in the request"
    if case == "harmless-internal-dtd":
        assert fault_code_qname(response).localname == "Client.DTDNotAllowed"
    boundary.assert_still_serving()


def test_an_xinclude_is_not_processed(boundary):
    include = ('<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
               'href="file:///etc/passwd" parse="text"/>')
    response = boundary.post(envelope(_entity_body(include)))
    fault = assert_soap_fault(response, rule=3001)
    assert "etc/passwd" not in response.text
    assert_errors_name(fault, [("CallerInfo/ClientMessageID", "")])
    boundary.assert_still_serving()


def test_an_xsi_schema_location_is_never_fetched(boundary, canary):
    record = registration()
    body = operation_xml(record_xml(record)).replace(
        f"<p:{OPERATION}>", f'<p:{OPERATION} xmlns:xsi="{XSI}" '
        f'xsi:schemaLocation="{SERVICE_NS} {canary.url}/evil.xsd">', 1)
    response = boundary.post(envelope(body))

    # the attribute is allowed by XML Schema; the request is answered normally
    [(ref_id, version, rules)] = answered_records(response)
    assert ref_id == record["RefId"] and rules == [] and version > 0
    assert not canary.touched(), "the server fetched the schemaLocation"
    boundary.assert_log_clean()


# --- SOAP-encoding references, depth and size ----------------------------------------------

@pytest.mark.parametrize("body", [
    f'<p:{OPERATION} id="a"><p:request href="#a"/></p:{OPERATION}>',
    operation_xml(record_xml(registration(asn=p.S2)).replace("<p:ExamMarkInfo>", '<p:ExamMarkInfo id="a">', 1)
                  .replace("<p:ComponentMarks>", '<p:ComponentMarks href="#a">', 1)),
    operation_xml('<p:ExamMarkInfo id="a"><p:ExamMarkInfo href="#a"/></p:ExamMarkInfo>'),
], ids=["operation-refers-to-itself", "component-refers-to-record", "record-refers-to-itself"])
def test_a_soap_encoding_href_cycle_neither_crashes_nor_hangs(boundary, body):
    response = requests.post(boundary.url, data=envelope(body), timeout=20,
                             headers={"Content-Type": "text/xml; charset=utf-8"})

    if response.status_code == 200:  # a normal per-record answer is acceptable too
        answered_records(response)
        boundary.assert_log_clean()
    else:
        assert_soap_fault(response, rule=(3001, 3002))
        boundary.assert_still_serving()


@pytest.mark.parametrize("where", ["inside-the-request", "as-the-body"])
def test_nesting_three_hundred_deep_is_a_structure_fault(boundary, where):
    nest = "<p:x>" * 300 + "</p:x>" * 300
    body = (_valid_body().replace("<p:ExamMarks>", "<p:ExamMarks>" + nest)
            if where == "inside-the-request" else f"<p:{OPERATION}>{nest}</p:{OPERATION}>")
    response = boundary.post(envelope(body))

    fault = assert_soap_fault(response, rule=3002)
    assert "depth" in fault.errors[0][1].lower()
    boundary.assert_still_serving()


def test_a_body_over_the_configured_limit_is_refused_with_413(boundary):
    limit = boundary.live_server.settings.max_request_bytes
    payload = request_for(registration())
    payload += b" " * (limit + 1 - len(payload))
    assert len(payload) == limit + 1
    response = boundary.post(payload)

    fault = assert_soap_fault(response, rule=3002, status=413)
    assert str(limit) in fault.errors[0][1]
    boundary.assert_still_serving()


def test_a_body_of_exactly_the_configured_limit_is_read_and_answered(boundary):
    limit = boundary.live_server.settings.max_request_bytes
    record = registration()
    payload = request_for(record)
    payload += b"\n" * (limit - len(payload))  # trailing white space after the root is well-formed
    response = boundary.post(payload)

    [(ref_id, version, rules)] = answered_records(response)
    assert ref_id == record["RefId"] and version > 0 and rules == []
    boundary.assert_log_clean()


def test_a_text_node_over_ten_megabytes_is_refused(boundary, roomy_server):
    huge_id = "A" * (11 * 1024 * 1024)
    payload = request_for(registration(), caller=caller_with_id(huge_id))

    # the configured limit (8 MiB in the tests) stops it at the gateway ...
    refused = boundary.post(payload)
    assert_soap_fault(refused, rule=3002, status=413)
    # ... and with a roomier limit the parser's own 10 MB text-node limit does
    parsed = boundary.post(payload, url=roomy_server)
    fault = assert_soap_fault(parsed, rule=3002, status=(413, 500))
    assert "too long" in fault.errors[0][1].lower()
    assert len(parsed.content) < 10_000, "the oversized value was not echoed back"
    boundary.assert_still_serving()


def test_an_attribute_over_ten_megabytes_is_refused(boundary, roomy_server):
    body = _valid_body().replace("<p:ExamMarks>", f'<p:ExamMarks a="{"x" * (11 * 1024 * 1024)}">')
    response = boundary.post(envelope(body), url=roomy_server)
    assert_soap_fault(response, rule=3002, status=(413, 500))
    assert len(response.content) < 10_000
    boundary.assert_still_serving()


# --- transport: media types, SOAPAction, methods, paths ------------------------------------

@pytest.mark.parametrize("content_type", [
    "application/json", "application/soap+xml; charset=utf-8", "text/plain",
    "application/xml", 'multipart/related; type="application/xop+xml"; boundary=x', "",
])
def test_a_content_type_other_than_text_xml_is_refused_with_415(boundary, content_type):
    payload = b'{"ExamMarks": []}' if content_type == "application/json" else request_for(registration())
    headers = {"Content-Type": content_type} if content_type else {}
    response = requests.post(boundary.url, data=payload, headers=headers, timeout=60)

    fault = assert_soap_fault(response, rule=3002, status=415)
    if "soap+xml" in content_type:
        assert "SOAP 1.2" in fault.errors[0][1]
    boundary.assert_still_serving()


@pytest.mark.parametrize("action", [
    '"GetExamMark"', "GetExamMark", f'"{SERVICE_NS}/GetExamMark"', '"submitdiplomaexammark"',
])
def test_a_soap_action_naming_another_operation_is_a_structure_fault(boundary, action):
    response = boundary.post(request_for(registration()), headers={"SOAPAction": action})
    fault = assert_soap_fault(response, rule=3002)
    assert "SOAPAction" in fault.errors[0][1]
    boundary.assert_still_serving()


@pytest.mark.parametrize("action", [
    f'"{OPERATION}"', OPERATION, f'"{SERVICE_NS}/{OPERATION}"', '""',
])
def test_a_matching_or_empty_soap_action_is_accepted(boundary, action):
    record = registration()
    response = boundary.post(request_for(record), headers={"SOAPAction": action})

    [(ref_id, version, rules)] = answered_records(response)
    assert ref_id == record["RefId"] and version > 0 and rules == []
    assert store.mark(boundary.engine, record["RefId"])["version"] == version
    boundary.assert_log_clean()


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_a_method_other_than_post_or_get_wsdl_is_refused_with_405(boundary, method):
    payload = request_for(registration()) if method in ("PUT", "PATCH") else None
    response = boundary.request(method, data=payload, headers={"Content-Type": "text/xml"})

    assert_soap_fault(response, rule=3002, status=405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    boundary.assert_still_serving()


def test_get_wsdl_still_answers_with_the_service_description(boundary):
    response = boundary.request("GET", "/PASIService?wsdl")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/xml")
    assert etree.fromstring(response.content).tag == "{http://schemas.xmlsoap.org/wsdl/}definitions"


@pytest.mark.parametrize("method,path", [
    ("GET", "/nothing-here"), ("POST", "/nothing-here"), ("GET", "/PASIServiceX?wsdl"),
    ("POST", "/pasiservice"),
])
def test_an_unknown_path_is_a_404_fault(boundary, method, path):
    payload = request_for(registration()) if method == "POST" else None
    response = boundary.request(method, path, data=payload,
                                headers={"Content-Type": "text/xml; charset=utf-8"})

    assert_soap_fault(response, rule=3002, status=404, real_message_id=False)
    boundary.assert_still_serving()


def test_a_404_fault_carries_a_server_message_id(boundary):
    """Every other fault quotes a server message id a caller can report; so must the 404."""
    response = boundary.request("POST", "/nothing-here", data=request_for(registration()),
                                headers={"Content-Type": "text/xml; charset=utf-8"})
    assert_soap_fault(response, rule=3002, status=404)


# --- headers, framing, unexpected errors ---------------------------------------------------

def test_a_mandatory_header_the_service_does_not_understand_is_a_must_understand_fault(boundary):
    """SOAP 1.1 §4.2.3: a header entry with mustUnderstand="1" that the recipient does not obey
    must fail the message with a MustUnderstand fault (a client relying on, say, a WS-Security
    header must not believe it was honoured)."""
    record = registration()
    header = '<x:Security xmlns:x="urn:example:security" soapenv:mustUnderstand="1"/>'
    response = boundary.post(with_header(header, operation_xml(record_xml(record))))

    assert response.headers["Content-Type"].startswith("text/xml"), response.text[:500]
    assert_nothing_leaks(response)
    assert response.status_code == 500, (
        f"answered {response.status_code}; the record was "
        f"{'stored' if store.mark(boundary.engine, record['RefId']) else 'not stored'}")
    assert fault_code_qname(response) == etree.QName(SOAP_ENV, "MustUnderstand")
    boundary.assert_still_serving()


def test_an_optional_header_is_ignored(boundary):
    record = registration()
    header = '<x:Trace xmlns:x="urn:example:trace" soapenv:mustUnderstand="0">t-1</x:Trace>'
    response = boundary.post(with_header(header, operation_xml(record_xml(record))))
    [(ref_id, version, rules)] = answered_records(response)
    assert ref_id == record["RefId"] and version > 0 and rules == []
    boundary.assert_log_clean()


def raw_exchange(base_url: str, request: bytes, *, timeout: float = 10,
                 half_close: bool = False) -> requests.Response | None:
    """Send bytes as they are and read the answer; None when none came within ``timeout``."""
    host, port = base_url.rsplit("//", 1)[1].split(":")
    received = b""
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(request)
        if half_close:
            connection.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                received += chunk
                head, _, rest = received.partition(b"\r\n\r\n")
                length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                if _ and length and len(rest) >= int(length[1]):
                    break
        except TimeoutError:
            pass
    if not received.startswith(b"HTTP/1."):
        return None
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    response = requests.Response()
    response.status_code = int(lines[0].split()[1])
    response.headers = CaseInsensitiveDict(
        (name.strip(), value.strip()) for name, value in
        (line.split(":", 1) for line in lines[1:] if ":" in line))
    response._content = body
    return response


def test_a_chunked_request_is_answered_and_does_not_hang_the_server(boundary):
    """A client may send an HTTP/1.1 chunked body (no Content-Length).  The server must answer,
    by processing it or refusing it with a fault (411, say), rather than block reading until
    the client gives up."""
    payload = request_for(registration())
    response = raw_exchange(
        boundary.live_server.base_url,
        b"POST /PASIService HTTP/1.1\r\nHost: pasi\r\n"
        b"Content-Type: text/xml; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{len(payload):x}\r\n".encode() + payload + b"\r\n0\r\n\r\n")

    assert response is not None, (
        "no answer within 10 s to a chunked request: the server is still blocked reading it")
    assert response.headers["Content-Type"].startswith("text/xml"), response.headers
    if response.status_code != 200:
        assert_soap_fault(response, rule=3002, status=(400, 411, 500))
    boundary.assert_log_clean()


def test_a_content_length_shorter_than_the_body_is_read_as_declared(boundary):
    payload = request_for(registration())
    response = raw_exchange(
        boundary.live_server.base_url,
        b"POST /PASIService HTTP/1.0\r\nContent-Type: text/xml; charset=utf-8\r\n"
        + f"Content-Length: {len(payload) // 2}\r\n\r\n".encode() + payload, half_close=True)

    assert response is not None, "no answer"
    fault = assert_soap_fault(response, rule=3002)
    assert "well-formed" in fault.errors[0][1]
    boundary.assert_still_serving()


@pytest.mark.parametrize("length", ["-5", "abc", ""])
def test_a_nonsense_content_length_is_not_a_crash(boundary, length):
    """With a bogus Content-Length the body is read to the end of the (half-closed) stream."""
    record = registration()
    payload = request_for(record)
    response = raw_exchange(
        boundary.live_server.base_url,
        b"POST /PASIService HTTP/1.0\r\nContent-Type: text/xml; charset=utf-8\r\n"
        + f"Content-Length: {length}\r\n\r\n".encode() + payload, half_close=True)

    assert response is not None, "no answer"
    assert response.headers["Content-Type"].startswith("text/xml"), response.headers
    if response.status_code == 200:
        [(ref_id, version, rules)] = answered_records(response)
        assert ref_id == record["RefId"]
        boundary.assert_log_clean()
    else:
        assert_soap_fault(response, rule=3002, status=(400, 411, 500))
        boundary.assert_still_serving()


def _explode(*args, **kwargs):
    raise RuntimeError(f"boom: {p.S1} in /etc/passwd at /srv/pasi_core/soap/pipeline.py")


def test_an_unexpected_error_in_the_gateway_is_a_server_fault_without_details(
        boundary, monkeypatch):
    endpoint = boundary.live_server.app.endpoints["PASIService"]
    monkeypatch.setattr(endpoint, "_read_body", _explode)
    response = boundary.post(request_for(registration()))

    assert_soap_fault(response, rule=9001, status=500, fault_codes="Server")
    assert "boom" not in response.text and p.S1 not in response.text
    monkeypatch.undo()
    boundary.assert_still_serving()


def test_an_unexpected_error_in_the_gateway_quotes_the_catalogue_message(boundary, monkeypatch):
    """Rule 9001's catalogue message tells the caller nothing was saved and which message id
    to quote; the gateway's own 9001 must say the same as the service's."""
    endpoint = boundary.live_server.app.endpoints["PASIService"]
    monkeypatch.setattr(endpoint, "_read_body", _explode)
    response = boundary.post(request_for(registration()))
    monkeypatch.undo()

    fault = assert_soap_fault(response, rule=9001, status=500, fault_codes="Server")
    assert fault.fault_string == rule_catalogue.render(9001, {"MessageID": fault.message_id})


# --- the whole hostile session, logged ------------------------------------------------------

def test_a_hostile_session_logs_no_request_content(boundary, canary):
    """Every hostile request above in a row, then the server log is checked for request data."""
    for payload in ([STRUCTURE_CASES[case]() for case in STRUCTURE_CASES]
                    + [DTD_CASES[case](canary) for case in DTD_CASES]
                    + [request_for(registration(), caller=caller_with_id(" 100000001 "))]
                    + [envelope(operation_xml(record_xml(registration(), IsRescored="maybe")))]):
        response = boundary.post(payload)
        assert response.headers["Content-Type"].startswith("text/xml")
        assert response.status_code >= 400
    assert server_log(boundary.caplog), "the server logged the requests at all"
    boundary.assert_still_serving()
