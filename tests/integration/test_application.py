"""The assembled service: spyne settings, authentication seam, logging."""
from __future__ import annotations

import io
import logging
from dataclasses import replace

import pytest
from zeep.exceptions import Fault

from pasi_core.app.application import create_wsgi_app
from pasi_core.kernel.caller import MINISTRY_CLIENT_USER, SUBMIT_ACADEMIC_RECORD_USER
from pasi_core.kernel.errors import ConfigurationError, RequestRejected
from pasi_core.kernel.settings import Settings
from pasi_core.soap.authentication import DevelopmentAuthenticator, TransportFacts, authorize
from tests.support import store
from tests.support.soap import caller_xml, envelope, exam_mark


def _post(app, payload: bytes, remote: str = "127.0.0.1"):
    captured = {}
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/PASIService", "QUERY_STRING": "",
               "CONTENT_TYPE": "text/xml", "CONTENT_LENGTH": str(len(payload)),
               "wsgi.input": io.BytesIO(payload), "REMOTE_ADDR": remote, "SERVER_NAME": "x",
               "SERVER_PORT": "80", "wsgi.url_scheme": "http"}
    body = b"".join(app(environ, lambda status, headers, exc_info=None: captured.update(status=status)))
    return captured["status"], body.decode()


REQUEST = envelope("<p:SubmitDiplomaExamMark><p:request>" + caller_xml("S.0001") +
                   "<p:ExamMarks><p:ExamMarkInfo><p:RefId>11111111-1111-4111-8111-111111111111</p:RefId>"
                   "<p:StateProvinceId>100000001</p:StateProvinceId>"
                   "<p:ExamRefId>11111111-1111-4111-8111-111111111112</p:ExamRefId>"
                   "<p:ExamMarkStatus>RE</p:ExamMarkStatus><p:IsRescored>false</p:IsRescored>"
                   "<p:IsDeleted>false</p:IsDeleted><p:PASICoreVersion>0</p:PASICoreVersion>"
                   "<p:ComponentMarks/></p:ExamMarkInfo></p:ExamMarks></p:request>"
                   "</p:SubmitDiplomaExamMark>")


def test_spyne_loggers_are_quiet(db):
    create_wsgi_app(Settings(public_url="http://localhost"), engine=db)
    assert logging.getLogger("spyne").getEffectiveLevel() == logging.CRITICAL
    assert logging.getLogger("spyne.protocol.soap.soap11.invalid").getEffectiveLevel() == logging.CRITICAL


def test_without_development_authentication_every_request_is_refused_with_1001(db):
    app = create_wsgi_app(Settings(public_url="http://localhost"), engine=db)
    before = store.marks_snapshot(db)
    status, body = _post(app, REQUEST)
    assert status.startswith("500") and "<faultcode>soap11env:Client.AuthenticationFailed</faultcode>" in body
    assert ":RuleId>1001</" in body
    assert store.marks_snapshot(db) == before


def test_development_authentication_never_answers_a_client_off_loopback(db, caplog):
    with caplog.at_level(logging.WARNING):
        app = create_wsgi_app(Settings(public_url="http://localhost", development_authentication=True),
                              engine=db)
    assert "development authentication is ON" in caplog.text
    status, body = _post(app, REQUEST, remote="10.1.2.3")
    assert ":RuleId>1001</" in body
    status, body = _post(app, REQUEST, remote="127.0.0.1")
    assert status.startswith("200"), body


def test_the_development_authenticator_grants_roles_by_organization_kind():
    client = DevelopmentAuthenticator().identify(TransportFacts(remote_address="::1"))
    school = authorize(client, "s.0001", "SubmitDiplomaExamMark", SUBMIT_ACADEMIC_RECORD_USER)
    assert school.organization_code == "S.0001" and SUBMIT_ACADEMIC_RECORD_USER in school.roles
    assert MINISTRY_CLIENT_USER not in school.roles
    ministry = authorize(client, "O.1", "SubmitDiplomaExamMark", SUBMIT_ACADEMIC_RECORD_USER)
    assert MINISTRY_CLIENT_USER in ministry.roles and ministry.is_alberta_education
    with pytest.raises(RequestRejected) as missing:
        authorize(client, " ", "SubmitDiplomaExamMark", SUBMIT_ACADEMIC_RECORD_USER)
    assert missing.value.rule_id == 5001
    with pytest.raises(RequestRejected) as invalid:
        authorize(client, "X.12", "SubmitDiplomaExamMark", SUBMIT_ACADEMIC_RECORD_USER)
    assert invalid.value.rule_id == 1008


def test_an_operation_needs_its_role():
    client = DevelopmentAuthenticator().identify(TransportFacts(remote_address="::1"))
    with pytest.raises(RequestRejected) as refused:
        authorize(client, "S.0001", "ConstructDocumentOrder", "PASI System User")
    assert refused.value.rule_id == 1007 and "ConstructDocumentOrder" in refused.value.message


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://x", "http://x?a=1"])
def test_a_bad_public_url_is_refused_at_start_up(url):
    with pytest.raises(ConfigurationError):
        Settings(public_url=url).validate()


def test_settings_come_from_the_environment():
    settings = Settings.from_environment({"PASI_DATABASE_URL": "sqlite:///x.db",
                                          "PASI_PUBLIC_URL": "https://pasi.example.ca/",
                                          "PASI_MAX_RECORDS_PER_REQUEST": "500", "PASI_DEV_AUTH": "yes"})
    assert settings.public_url == "https://pasi.example.ca" and settings.max_records_per_request == 500
    assert settings.development_authentication
    with pytest.raises(ConfigurationError):
        Settings.from_environment({"PASI_MAX_REQUEST_BYTES": "lots"})


def test_more_records_than_the_limit_is_rule_3001(pasi, live_server):
    endpoint = live_server.app.endpoints["PASIService"]
    original = endpoint._services
    endpoint._services = replace(original, settings=replace(original.settings,
                                                            max_records_per_request=2))
    try:
        with pytest.raises(Fault) as raised:
            pasi.call([exam_mark(), exam_mark(), exam_mark()])
    finally:
        endpoint._services = original
    assert "at most 2 may be submitted" in raised.value.message
    assert raised.value.detail[0].findtext("{urn:pasi-core-mirror:common:2026}RuleId") == "3001"


def test_the_free_memory_of_a_large_request_is_given_back_after_it_and_only_then(db, monkeypatch):
    from pasi_core.app import application
    from pasi_core.app.memory import LARGE_REQUEST_BYTES

    trims: list[int] = []
    monkeypatch.setattr(application, "release_free_memory", lambda: trims.append(1) or True)
    app = create_wsgi_app(Settings(public_url="http://localhost", development_authentication=True,
                                   max_request_bytes=4 * LARGE_REQUEST_BYTES),
                          engine=db, authenticator=DevelopmentAuthenticator())
    status, body = _post(app, REQUEST)
    assert status.startswith("200") and trims == []
    padded = REQUEST.replace(b"<p:ExamMarks>", b"<!--" + b" " * LARGE_REQUEST_BYTES + b"--><p:ExamMarks>")
    status, body = _post(app, padded)
    assert status.startswith("200"), body
    assert trims == [1]


def test_serving_freezes_the_start_up_heap_and_collects_on_the_serving_schedule():
    import gc

    from pasi_core.app.memory import COLLECTOR_THRESHOLDS, freeze_start_up_heap

    thresholds = gc.get_threshold()
    survivor = [object()]
    try:
        freeze_start_up_heap()
        assert gc.get_threshold() == COLLECTOR_THRESHOLDS
        assert gc.get_freeze_count() > 10_000
        assert not any(entry is survivor for entry in gc.get_objects())  # frozen: never rescanned
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
