"""Security: registered client certificates over mutual TLS, the trusted-proxy mode,
roles and organizations from the registry, the chained audit log, replay-safe
resubmission.  Every test drives a live server the way a client would."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import zlib
from datetime import timedelta
from urllib.parse import quote

import pytest
import requests
import zeep
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from lxml import etree
from sqlalchemy import text
from zeep.exceptions import Fault
from zeep.transports import Transport

from pasi_core.app import dev_certs
from pasi_core.app.application import create_wsgi_app
from pasi_core.app.server import make_development_server, tls_context
from pasi_core.kernel.caller import MINISTRY_CLIENT_USER, SUBMIT_ACADEMIC_RECORD_USER
from pasi_core.kernel.settings import Settings
from pasi_core.soap import certificates
from persistence import audit_log
from persistence import client_registry as registry
from persistence import models as t
from persistence.database import session_factory
from tests.support import province as p
from tests.support import store
from tests.support.servers import PROJECT_ROOT
from tests.support.soap import ResponseValidator, caller_info, outcomes, registration, result

COMMON = "{urn:pasi-core-mirror:common:2026}"
CLIENTS = {"school": "Test school SIS", "other_school": "Other school SIS", "ministry": "Test Ministry",
           "stranger": "Unregistered", "no_roles": "Client without roles"}


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    return dev_certs.generate(tmp_path_factory.mktemp("certs"), CLIENTS)


def _facts(issued):
    return certificates.facts(certificates.load_certificate(issued.certificate.read_bytes()))


@pytest.fixture
def registered(db, certs):
    """The registry: a school, another school, the Ministry and a client with no roles."""
    with session_factory(db)() as session, session.begin():
        registry.add_client(session, CLIENTS["school"], _facts(certs["school"]), ["S.0001"],
                            [SUBMIT_ACADEMIC_RECORD_USER])
        registry.add_client(session, CLIENTS["other_school"], _facts(certs["other_school"]),
                            ["S.0002"], [SUBMIT_ACADEMIC_RECORD_USER])
        registry.add_client(session, CLIENTS["ministry"], _facts(certs["ministry"]), ["O.1"],
                            [SUBMIT_ACADEMIC_RECORD_USER, MINISTRY_CLIENT_USER])
        registry.add_client(session, CLIENTS["no_roles"], _facts(certs["no_roles"]), ["S.0001"], [])
    return db


def _start(app_settings: Settings, engine, clock, tls=None):
    server = make_development_server(None, "127.0.0.1", 0, tls)
    scheme = "https" if tls else "http"
    base = f"{scheme}://localhost:{server.server_port}"
    app = create_wsgi_app(app_settings.with_changes(public_url=base), engine=engine, clock=clock)
    server.set_app(app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, base


@pytest.fixture(scope="session")
def tls_server(engine, clock, certs):
    settings = Settings(public_url="https://localhost", tls_certificate=str(certs["server"].certificate),
                        tls_key=str(certs["server"].key), client_ca=str(certs["ca"].certificate))
    server, base = _start(settings, engine, clock, tls_context(settings))
    yield base
    server.shutdown()
    server.server_close()


def tls_session(certs, stem: str | None) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
    session.verify = str(certs["ca"].certificate)
    if stem:
        session.cert = (str(certs[stem].certificate), str(certs[stem].key))
    return session


@pytest.fixture(scope="session")
def wsdl_cache(tls_server, certs):
    return tls_session(certs, "school").get(f"{tls_server}/PASIService?wsdl").content


def tls_client(tls_server, certs, stem) -> zeep.Client:
    return zeep.Client(f"{tls_server}/PASIService?wsdl", plugins=[ResponseValidator()],
                       transport=Transport(session=tls_session(certs, stem)))


def submit(client, records, organization, message_id=None):
    info = caller_info(organization, message_id)
    if organization is None:
        del info["OrganizationCode"]
    return client.service.SubmitDiplomaExamMark(
        request={"CallerInfo": info, "ExamMarks": {"ExamMarkInfo": records}})


def fault_rule(fault: Fault) -> int:
    return int(fault.detail[0].findtext(COMMON + "RuleId"))


# --- mutual TLS and the registry -------------------------------------------------------------
def test_a_registered_school_certificate_acts_for_its_school(registered, tls_server, certs):
    record = registration(asn=p.S1)
    response = submit(tls_client(tls_server, certs, "school"), [record], "S.0001")
    (outcome,) = outcomes(response)
    assert outcome.accepted, outcome.messages
    assert store.mark(registered, record["RefId"])["updated_by"] == "S.0001"
    audit = store.row(registered, t.RequestAudit, message_id=response.MessageID)
    assert audit["client_name"] == CLIENTS["school"] and audit["outcome"] == "ok"


def test_rsa_development_certificates_work_end_to_end(db, clock, tmp_path):
    """``dev-certs --key-type rsa``: for clients whose TLS stacks want RSA keys."""
    rsa = dev_certs.generate(tmp_path, {"school": "RSA school SIS"}, key_type="rsa")
    for name in ("ca", "server", "school"):
        key = x509.load_pem_x509_certificate(rsa[name].certificate.read_bytes()).public_key()
        assert isinstance(key, RSAPublicKey) and key.key_size >= 2048, name
    with session_factory(db)() as session, session.begin():
        registry.add_client(session, "RSA school SIS", _facts(rsa["school"]), ["S.0001"],
                            [SUBMIT_ACADEMIC_RECORD_USER])
    settings = Settings(public_url="https://localhost", tls_certificate=str(rsa["server"].certificate),
                        tls_key=str(rsa["server"].key), client_ca=str(rsa["ca"].certificate))
    server, base = _start(settings, db, clock, tls_context(settings))
    try:
        client = tls_client(base, rsa, "school")
        (outcome,) = outcomes(submit(client, [registration(asn=p.S1)], "S.0001"))
        assert outcome.accepted, outcome.messages
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("claimed", ["O.1", "S.0002", "A.0001"])
def test_a_school_naming_an_organization_it_may_not_represent_gets_1008(registered, tls_server, certs, claimed):
    before = store.marks_snapshot(registered)
    with pytest.raises(Fault) as refused:
        submit(tls_client(tls_server, certs, "school"), [registration()], claimed)
    assert fault_rule(refused.value) == 1008
    assert refused.value.message == "Invalid Organization. The organization code provided is not valid for this client."
    assert store.marks_snapshot(registered) == before


def test_a_missing_organization_code_is_5001(registered, tls_server, certs):
    with pytest.raises(Fault) as refused:
        submit(tls_client(tls_server, certs, "school"), [registration()], None)
    assert fault_rule(refused.value) == 5001


def test_an_unregistered_certificate_is_1001(registered, tls_server, certs):
    with pytest.raises(Fault) as refused:
        submit(tls_client(tls_server, certs, "stranger"), [registration()], "S.0001")
    assert fault_rule(refused.value) == 1001 and refused.value.code.endswith("AuthenticationFailed")


def test_a_disabled_certificate_is_1002_and_a_disabled_client_1003(registered, tls_server, certs):
    client = tls_client(tls_server, certs, "school")
    fingerprint = _facts(certs["school"]).fingerprint
    with session_factory(registered)() as session, session.begin():
        registry.set_enabled(session, CLIENTS["school"], False, fingerprint)
    with pytest.raises(Fault) as refused:
        submit(client, [registration()], "S.0001")
    assert fault_rule(refused.value) == 1002
    with session_factory(registered)() as session, session.begin():
        registry.set_enabled(session, CLIENTS["school"], True, fingerprint)
        registry.set_enabled(session, CLIENTS["school"], False)
    with pytest.raises(Fault) as refused:
        submit(client, [registration()], "S.0001")
    assert fault_rule(refused.value) == 1003
    with session_factory(registered)() as session, session.begin():
        registry.set_enabled(session, CLIENTS["school"], True)
    assert outcomes(submit(client, [registration()], "S.0001"))[0].accepted


def test_a_client_without_the_operations_role_is_1007(registered, tls_server, certs):
    with pytest.raises(Fault) as refused:
        submit(tls_client(tls_server, certs, "no_roles"), [registration()], "S.0001")
    assert fault_rule(refused.value) == 1007
    assert "SubmitDiplomaExamMark" in refused.value.message


def test_without_a_client_certificate_every_soap_request_is_1001(registered, tls_server, certs, wsdl_cache):
    """TLS verifies a certificate when one is sent (the Student Records screens need none);
    a SOAP request without one is refused with 1001 before its body is read."""
    anonymous = tls_session(certs, None)
    response = anonymous.post(f"{tls_server}/PASIService", data=b"<not even xml", timeout=60,
                              headers={"Content-Type": "text/xml; charset=utf-8"})
    assert response.status_code == 500
    assert etree.fromstring(response.content).findtext(f".//{COMMON}RuleId") == "1001"
    client = zeep.Client(wsdl=f"{tls_server}/PASIService?wsdl", transport=Transport(session=anonymous))
    with pytest.raises(Fault) as refused:
        submit(client, [registration(asn=p.S1)], "S.0001")
    assert fault_rule(refused.value) == 1001


def test_a_certificate_the_client_ca_did_not_sign_fails_the_handshake(registered, tls_server, certs, tmp_path):
    stranger = dev_certs.generate(tmp_path, {"school": "Signed by another CA"})
    session = tls_session(certs, None)
    session.cert = (str(stranger["school"].certificate), str(stranger["school"].key))
    with pytest.raises(requests.exceptions.SSLError):
        session.get(f"{tls_server}/PASIService?wsdl", timeout=30)


def test_roles_come_from_the_registry_not_from_the_request(registered, tls_server, certs):
    """A school's certificate never carries Ministry Client User: results are 40536."""
    (outcome,) = outcomes(submit(tls_client(tls_server, certs, "school"), [result(value="80")], "S.0001"))
    assert 40536 in outcome.rules
    (outcome,) = outcomes(submit(tls_client(tls_server, certs, "ministry"), [result(value="80")], "O.1"))
    assert outcome.accepted


def test_granting_and_revoking_take_effect_on_the_next_request(registered, tls_server, certs):
    client = tls_client(tls_server, certs, "school")
    with session_factory(registered)() as session, session.begin():
        registry.grant(session, CLIENTS["school"], organizations=["S.0002"])
    assert outcomes(submit(client, [registration(asn=p.S3, centre="S.0002")], "S.0002"))[0].accepted
    with session_factory(registered)() as session, session.begin():
        registry.revoke(session, CLIENTS["school"], organizations=["S.0002"])
    with pytest.raises(Fault) as refused:
        submit(client, [registration(asn=p.S3, centre="S.0002")], "S.0002")
    assert fault_rule(refused.value) == 1008


# --- behind a TLS proxy ------------------------------------------------------------------------
def _proxy_post(base, pem: bytes | None, organization="S.0001"):
    client = zeep.Client(f"{base}/PASIService?wsdl")
    if pem is not None:
        client.transport.session.headers["X-SSL-Client-Cert"] = quote(pem.decode())
    return submit(client, [registration()], organization)


def test_a_trusted_proxy_passes_the_verified_certificate(registered, clock, certs):
    server, base = _start(Settings(public_url="http://x", trusted_proxies=("127.0.0.1",)), registered, clock)
    try:
        (outcome,) = outcomes(_proxy_post(base, certs["school"].certificate.read_bytes()))
        assert outcome.accepted
        with pytest.raises(Fault) as refused:
            _proxy_post(base, None)
        assert fault_rule(refused.value) == 1001
        with pytest.raises(Fault) as refused:
            _proxy_post(base, b"-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n")
        assert fault_rule(refused.value) == 1004  # certificate information that cannot be read
    finally:
        server.shutdown()
        server.server_close()


def test_the_certificate_header_is_ignored_from_an_untrusted_address(registered, clock, certs):
    server, base = _start(Settings(public_url="http://x", trusted_proxies=("10.0.0.1",)), registered, clock)
    try:
        with pytest.raises(Fault) as refused:
            _proxy_post(base, certs["ministry"].certificate.read_bytes(), "O.1")
        assert fault_rule(refused.value) == 1001
    finally:
        server.shutdown()
        server.server_close()


# --- the audit chain ---------------------------------------------------------------------------
def _audit_verify_cli(database_url, *extra):
    env = dict(os.environ, PASI_DATABASE_URL=database_url)
    return subprocess.run([sys.executable, "-m", "pasi_core.app.cli", "audit", "verify", *extra],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)


def test_every_request_is_audited_in_an_intact_chain_with_per_record_outcomes(pasi, database_url):
    good, bad = registration(asn=p.S1), registration(asn=p.UNKNOWN)
    response = pasi.call([good, bad], "S.0001", "chain-1")
    with pytest.raises(Fault):  # a refused request is audited too (rule 5001)
        submit(pasi.client, [registration()], None, "chain-2")
    audit = store.row(pasi.engine, t.RequestAudit, message_id=response.MessageID)
    # Records are named by their position: the audit holds no ASN and no RefId.
    assert json.loads(audit["record_outcomes"]) == [[0, outcomes(response)[0].version, []],
                                                    [1, 0, [9059]]]
    assert len(audit["request_hash"]) == 64 and p.S1 not in json.dumps(audit, default=str)
    report = audit_log.verify(pasi.engine)
    assert report.problems == [] and report.rows == 2
    done = _audit_verify_cli(database_url)
    assert done.returncode == 0 and "audit log intact: 2 rows" in done.stdout


def test_a_changed_or_removed_audit_row_is_detected(pasi, database_url):
    for centre in ("S.0001", "S.0002"):
        pasi.call([registration(asn=p.S1, centre=centre)], "S.0001")
    pasi.call([registration(asn=p.S2)], "S.0001")
    with pasi.engine.begin() as connection:
        connection.execute(text("UPDATE request_audit SET accepted_count = 0 WHERE sequence = 2"))
    report = audit_log.verify(pasi.engine)
    assert [(problem.sequence, problem.problem) for problem in report.problems] == [
        (2, "its content was changed")]
    done = _audit_verify_cli(database_url)
    assert done.returncode == 1 and "BROKEN row 2" in done.stdout
    with pasi.engine.begin() as connection:
        connection.execute(text("DELETE FROM request_audit WHERE sequence = 1"))
    assert any("rows are missing" in problem.problem for problem in audit_log.verify(pasi.engine).problems)


def test_a_removed_tail_is_detected_by_the_head_and_by_an_earlier_recorded_head(pasi, database_url):
    for _ in range(3):
        pasi.call([registration(asn=p.S2, centre="S.0002")], "S.0001")
    recorded = audit_log.verify(pasi.engine).head_hash
    with pasi.engine.begin() as connection:
        connection.execute(text("DELETE FROM request_audit WHERE sequence = 3"))
    assert audit_log.verify(pasi.engine).problems, "the chain head no longer matches"
    with pasi.engine.begin() as connection:  # an intruder who also rewinds the head
        row = connection.execute(text("SELECT row_hash FROM request_audit WHERE sequence = 2")).scalar_one()
        connection.execute(text("UPDATE audit_chain_head SET last_sequence = 2, last_hash = :h"), {"h": row})
    assert audit_log.verify(pasi.engine).problems == []
    assert audit_log.verify(pasi.engine, expect_head=recorded).problems
    assert _audit_verify_cli(database_url, "--expect-head", recorded).returncode == 1


def test_payloads_are_kept_only_when_configured_and_purged_after_retention(db, clock):
    server, base = _start(Settings(public_url="http://x", development_authentication=True), db, clock)
    keeping, keeping_base = _start(Settings(public_url="http://x", development_authentication=True,
                                            audit_payloads=True), db, clock)
    try:
        plain = submit(zeep.Client(f"{base}/PASIService?wsdl"), [registration()], "S.0001")
        kept = submit(zeep.Client(f"{keeping_base}/PASIService?wsdl"), [registration(asn=p.S2)], "S.0001")
    finally:
        for s in (server, keeping):
            s.shutdown()
            s.server_close()
    assert store.row(db, t.RequestPayload, message_id=plain.MessageID) is None
    payload = store.row(db, t.RequestPayload, message_id=kept.MessageID)
    assert p.S2.encode() in zlib.decompress(payload["request_body"])
    assert kept.MessageID.encode() in zlib.decompress(payload["response_body"])
    assert audit_log.purge(db, now=clock.now + timedelta(days=29), payload_days=30, replay_days=30) == (0, 0)
    purged, replays = audit_log.purge(db, now=clock.now + timedelta(days=31), payload_days=30, replay_days=30)
    assert purged == 1 and replays >= 1
    assert store.row(db, t.RequestPayload, message_id=kept.MessageID) is None
    assert store.row(db, t.RequestAudit, message_id=kept.MessageID) is not None, "audit rows stay"


# --- replay-safe resubmission --------------------------------------------------------------------
def test_resubmitting_the_same_message_replays_the_stored_response(pasi):
    records = [registration(asn=p.S1), registration(asn=p.UNKNOWN)]
    first = pasi.call(records, "S.0001", "replay-1")
    triggers = store.count(pasi.engine, t.TranscriptTrigger)
    again = pasi.call(records, "S.0001", "replay-1")
    assert again.MessageID == first.MessageID
    assert outcomes(again) == outcomes(first)
    assert store.count(pasi.engine, t.TranscriptTrigger) == triggers, "nothing applied twice"
    assert store.mark(pasi.engine, records[0]["RefId"])["version"] == outcomes(first)[0].version
    replays = [row for row in _audit_rows(pasi.engine) if row["client_message_id"] == "replay-1"]
    assert [row["outcome"] for row in replays] == ["ok", "replayed"]


def test_the_same_message_id_with_a_different_payload_is_refused(pasi):
    pasi.call([registration(asn=p.S1)], "S.0001", "replay-2")
    before = store.marks_snapshot(pasi.engine)
    with pytest.raises(Fault) as refused:
        pasi.call([registration(asn=p.S2)], "S.0001", "replay-2")
    assert fault_rule(refused.value) == 99010 and "replay-2" in refused.value.message
    assert store.marks_snapshot(pasi.engine) == before


def test_message_ids_belong_to_their_client(pasi):
    first = pasi.call([registration(asn=p.S1)], "S.0001", "shared-id")
    second = pasi.call([registration(asn=p.S7, centre="S.0002")], "A.0002", "shared-id")
    assert second.MessageID != first.MessageID and outcomes(second)[0].accepted


def _audit_rows(engine):
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(text(
            "SELECT * FROM request_audit ORDER BY sequence")).mappings()]
