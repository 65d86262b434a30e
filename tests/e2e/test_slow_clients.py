"""``pasi-core serve`` under slow and idle clients (issue 9.1): the front reads each request
whole before a gunicorn worker sees it, so connections that send nothing, dribble their headers
or stall in their body cannot keep other clients waiting, and each is closed when its limit
passes.  Real server (front, two workers, mutual TLS), on 127.0.0.1 only, bounded in count and
time; on the test database (SQLite or PostgreSQL)."""
from __future__ import annotations

import contextlib
import os
import select
import socket
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
import zeep
from lxml import etree
from zeep.exceptions import Fault
from zeep.transports import Transport

from pasi_core.app import dev_certs
from pasi_core.kernel.caller import MINISTRY_CLIENT_USER, SUBMIT_ACADEMIC_RECORD_USER
from pasi_core.soap import certificates
from persistence import client_registry as registry
from persistence.database import session_factory
from tests.support import province as p
from tests.support.servers import ServedProcess, serving
from tests.support.soap import caller_info, outcomes, registration

SLOW_CONNECTIONS = 200
CLIENTS = {"school": "Slow-test school SIS", "ministry": "Slow-test Ministry"}
ANSWER_TIMEOUT = 120
"""Seconds a well-behaved client waits for its answer: generous for a busy machine, far less
than the slow connections stay open (they would hold sync workers forever)."""


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return dev_certs.generate(tmp_path_factory.mktemp("slow-certs"), CLIENTS)


@pytest.fixture
def registered(db, certs):
    with session_factory(db)() as session, session.begin():
        registry.add_client(session, CLIENTS["school"], _facts(certs["school"]), ["S.0001"],
                            [SUBMIT_ACADEMIC_RECORD_USER])
        registry.add_client(session, CLIENTS["ministry"], _facts(certs["ministry"]), ["O.1"],
                            [SUBMIT_ACADEMIC_RECORD_USER, MINISTRY_CLIENT_USER])
    return db


def _facts(issued):
    return certificates.facts(certificates.load_certificate(issued.certificate.read_bytes()))


def _session(certs, stem="school") -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = str(certs["ca"].certificate)
    session.cert = (str(certs[stem].certificate), str(certs[stem].key))
    return session


@contextlib.contextmanager
def _tls_server(certs, database_url: str, tmp_path: Path, **limits: str) -> Iterator[ServedProcess]:
    env = dict(os.environ, PASI_DATABASE_URL=database_url, PASI_LOG_LEVEL="INFO", **limits)
    arguments = ["--workers", "2", "--tls-cert", str(certs["server"].certificate),
                 "--tls-key", str(certs["server"].key), "--client-ca", str(certs["ca"].certificate)]
    with serving(arguments, env=env, log_path=tmp_path / "serve.log", scheme="https",
                 session=_session(certs), workers=2) as server:
        yield server


@pytest.fixture(scope="module")
def server(certs, database_url, engine, tmp_path_factory):
    """One server with default time limits and a 64 KiB body limit, for the tests that need
    nothing else."""
    with _tls_server(certs, database_url, tmp_path_factory.mktemp("front"),
                     PASI_MAX_REQUEST_BYTES="65536", PASI_MAX_BUFFERED_BYTES=str(1024 * 1024)) as served:
        yield served


def _client_context(certs, stem="school") -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(certs["ca"].certificate))
    context.load_cert_chain(str(certs[stem].certificate), str(certs[stem].key))
    return context


def _tls_socket(server: ServedProcess, context: ssl.SSLContext) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    return context.wrap_socket(raw, server_hostname="localhost")


def _is_open(sock: socket.socket) -> bool:
    """Still waiting on the server: it has sent no answer, not even the end of the stream
    (TLS 1.3 session tickets make a socket readable without any application data)."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return True
    if not isinstance(sock, ssl.SSLSocket):
        return False
    sock.setblocking(False)
    try:
        sock.recv(1)  # an answer, or b"" (closed): either way the server has spoken
        return False
    except ssl.SSLWantReadError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def _answer_of(sock: socket.socket, timeout: float = ANSWER_TIMEOUT) -> bytes:
    """Everything the server sends until it closes the connection."""
    sock.settimeout(timeout)
    received = b""
    with contextlib.suppress(ConnectionError, ssl.SSLError):
        while chunk := sock.recv(65536):
            received += chunk
    return received


# The live server runs on the real clock, past the fixture province's registration deadlines:
# a registration is answered with these rules, which proves a worker read and checked it.
PAST_DEADLINE = [40536, 40542]


def _submit(certs, server: ServedProcess, organization="S.0001", asn=p.S1):
    client = zeep.Client(f"{server.base_url}/PASIService?wsdl",
                         transport=Transport(session=_session(certs), timeout=ANSWER_TIMEOUT,
                                             operation_timeout=ANSWER_TIMEOUT))
    return client.service.SubmitDiplomaExamMark(request={
        "CallerInfo": caller_info(organization), "ExamMarks": {"ExamMarkInfo": [registration(asn=asn)]}})


def _slow_connections(server: ServedProcess, context: ssl.SSLContext) -> list[socket.socket]:
    """A third that connect and send nothing (not even a TLS handshake), a third that send
    half their headers, a third that declare a 100 kB body and send ten bytes of it."""
    held: list[socket.socket] = []
    for index in range(SLOW_CONNECTIONS):
        kind = index % 3
        if kind == 0:
            held.append(socket.create_connection(("127.0.0.1", server.port), timeout=60))
            continue
        sock = _tls_socket(server, context)
        if kind == 1:
            sock.sendall(b"POST /PASIService HTTP/1.1\r\nHost: localhost\r\nContent-Ty")
        else:
            sock.sendall(b"POST /PASIService HTTP/1.1\r\nHost: localhost\r\n"
                         b"Content-Type: text/xml\r\nContent-Length: 100000\r\n\r\n<soap:Env")
        held.append(sock)
    return held


def test_200_slow_or_idle_connections_do_not_keep_other_clients_waiting(registered, database_url,
                                                                          certs, tmp_path):
    limits = {"PASI_HEADER_TIMEOUT": "900", "PASI_BODY_TIMEOUT": "900", "PASI_IDLE_TIMEOUT": "900"}
    with _tls_server(certs, database_url, tmp_path, **limits) as server:
        held = _slow_connections(server, _client_context(certs))
        try:
            for asn in (p.S1, p.S2):
                (outcome,) = outcomes(_submit(certs, server, asn=asn))
                assert outcome.rules == PAST_DEADLINE, outcome.messages
            wsdl = _session(certs).get(f"{server.base_url}/PASIService?wsdl", timeout=ANSWER_TIMEOUT)
            assert wsdl.status_code == 200 and b"SubmitDiplomaExamMark" in wsdl.content
            # The slow connections were served alongside, not dropped to make room.
            assert sum(_is_open(sock) for sock in held) == SLOW_CONNECTIONS
        finally:
            for sock in held:
                sock.close()


def test_each_slow_connection_is_closed_when_its_limit_passes(registered, database_url, certs, tmp_path):
    limits = {"PASI_HEADER_TIMEOUT": "2", "PASI_BODY_TIMEOUT": "2", "PASI_IDLE_TIMEOUT": "2"}
    with _tls_server(certs, database_url, tmp_path, **limits) as server:
        context = _client_context(certs)
        silent = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        assert _answer_of(silent) == b"", "no TLS handshake: closed without a word"

        dribbling = _tls_socket(server, context)
        dribbling.sendall(b"POST /PASIService HTTP/1.1\r\nHost: local")
        assert _answer_of(dribbling).startswith(b"HTTP/1.1 408 ")

        stalled = _tls_socket(server, context)
        stalled.sendall(b"POST /PASIService HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n"
                        b"Content-Length: 1000\r\n\r\n<soap:Envelope")
        assert _answer_of(stalled).startswith(b"HTTP/1.1 408 ")

        kept_alive = _tls_socket(server, context)
        kept_alive.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer = _answer_of(kept_alive)
        assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"\r\n\r\nok\n")

        (outcome,) = outcomes(_submit(certs, server))
        assert outcome.rules == PAST_DEADLINE, outcome.messages
        log = server.log_tail(200_000)
        assert "front refused" in log and "status=408" in log
        assert p.S1 not in log, "the log names no student"


def test_a_body_over_the_limit_is_refused_before_it_is_sent(registered, server, certs):
    sock = _tls_socket(server, _client_context(certs))
    sock.sendall(b"POST /PASIService HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n"
                 b"Content-Length: 40000000\r\nExpect: 100-continue\r\n\r\n")
    answer = _answer_of(sock)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    fault = etree.fromstring(answer.split(b"\r\n\r\n", 1)[1])
    assert fault.findtext(".//{urn:pasi-core-mirror:common:2026}RuleId") == "3002"
    assert b"65536 bytes" in answer


def test_chunked_and_expect_continue_requests_are_read_whole(registered, server, certs):
    client = zeep.Client(f"{server.base_url}/PASIService?wsdl", transport=Transport(session=_session(certs)))
    record = registration(asn=p.S1)
    message = client.create_message(client.service, "SubmitDiplomaExamMark", request={
        "CallerInfo": caller_info("S.0001"), "ExamMarks": {"ExamMarkInfo": [record]}})
    body = etree.tostring(message)

    def chunks():
        for start in range(0, len(body), 100):
            yield body[start:start + 100]

    response = _session(certs).post(f"{server.base_url}/PASIService", data=chunks(), timeout=ANSWER_TIMEOUT,
                                    headers={"Content-Type": "text/xml; charset=utf-8",
                                             "Expect": "100-continue",
                                             "SOAPAction": '"SubmitDiplomaExamMark"'})
    assert response.status_code == 200, response.text[:500]
    rules = etree.fromstring(response.content).iter("{urn:pasi-core-mirror:common:2026}RuleId")
    assert [int(rule.text) for rule in rules] == PAST_DEADLINE


def test_a_client_cannot_supply_the_fronts_peer_headers(registered, server, certs):
    """A school that sends the Ministry's certificate in the front's own header still acts as
    the school (1008 when it names O.1): the front strips every X-Pasi- header."""
    forged = quote(certs["ministry"].certificate.read_text())
    session = _session(certs)
    session.headers.update({"X-Pasi-Peer-Certificate": forged, "X-Pasi-Peer-Address": "10.0.0.1"})
    client = zeep.Client(f"{server.base_url}/PASIService?wsdl", transport=Transport(session=session))
    with pytest.raises(Fault) as refused:
        client.service.SubmitDiplomaExamMark(request={
            "CallerInfo": caller_info("O.1"),
            "ExamMarks": {"ExamMarkInfo": [registration(asn=p.S1)]}})
    assert refused.value.detail[0].findtext("{urn:pasi-core-mirror:common:2026}RuleId") == "1008"
    (outcome,) = outcomes(client.service.SubmitDiplomaExamMark(request={
        "CallerInfo": caller_info("S.0001", uuid.uuid4().hex[:12]),
        "ExamMarks": {"ExamMarkInfo": [registration(asn=p.S1)]}}))
    assert outcome.rules == PAST_DEADLINE, outcome.messages
