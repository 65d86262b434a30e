"""The SOAP pipeline as the WSGI application runs it, in process: the audit is a promise,
every request is stamped on arrival and logged on one line, unexpected errors are
diagnosable without student data."""
from __future__ import annotations

import io
import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text

from operations.submit_diploma_exam_mark import endpoint as exam_mark_endpoint
from pasi_core.app.application import create_wsgi_app
from pasi_core.kernel.settings import Settings
from pasi_core.soap.authentication import DevelopmentAuthenticator
from persistence import models as t
from tests.support import province as p
from tests.support import store
from tests.support.soap import caller_xml, envelope, exam_marks_envelope, registration

ARRIVAL = datetime(2026, 3, 2, 12, 0)


class TickingClock:
    """Each call is a minute later: what the pipeline reads first is the arrival."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        moment = self.now
        self.now += timedelta(minutes=1)
        return moment


def _app(engine, clock=None, **settings):
    return create_wsgi_app(Settings(public_url="http://localhost", **settings), engine=engine,
                           authenticator=DevelopmentAuthenticator(), clock=clock or TickingClock(ARRIVAL))


def _post(app, payload: bytes) -> tuple[str, str]:
    captured = {}
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/PASIService", "QUERY_STRING": "",
               "CONTENT_TYPE": "text/xml", "CONTENT_LENGTH": str(len(payload)),
               "wsgi.input": io.BytesIO(payload), "REMOTE_ADDR": "127.0.0.1"}
    body = b"".join(app(environ, lambda status, headers, exc_info=None: captured.update(status=status)))
    return captured["status"], body.decode()


def _request(*records: dict, organization: str | None = "S.0001", message_id: str = "pipeline-1") -> bytes:
    caller = {"ClientMessageID": message_id, "SentUtcTime": "2026-03-02T12:00:00Z",
              "OrganizationCode": organization,
              "Software": {"Manufacturer": "A", "Product": "B", "Version": "1", "BuildNumber": "1"}}
    plain = []
    for record in records:
        record = dict(record)
        record["ComponentMarks"] = record["ComponentMarks"]["ComponentMarkInfo"]
        plain.append(record)
    return exam_marks_envelope(caller, plain)


def _audit_rows(engine) -> list[dict]:
    audit = t.table(t.RequestAudit)
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(
            select(audit).order_by(audit.c.sequence)).mappings()]


@pytest.fixture
def failing_audit(db):
    """A database trigger that refuses every audit row."""
    postgresql = db.dialect.name == "postgresql"
    with db.begin() as connection:
        if postgresql:
            connection.execute(text("CREATE FUNCTION audit_fails() RETURNS trigger AS "
                                    "$$ BEGIN RAISE EXCEPTION 'audit broken'; END $$ LANGUAGE plpgsql"))
            connection.execute(text("CREATE TRIGGER audit_fails BEFORE INSERT ON request_audit "
                                    "FOR EACH ROW EXECUTE FUNCTION audit_fails()"))
        else:
            connection.execute(text("CREATE TRIGGER audit_fails BEFORE INSERT ON request_audit "
                                    "BEGIN SELECT RAISE(ABORT, 'audit broken'); END"))
    yield
    with db.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_fails" + (" ON request_audit" if postgresql else "")))
        if postgresql:
            connection.execute(text("DROP FUNCTION audit_fails()"))


def test_when_the_audit_row_cannot_be_written_nothing_changes(db, failing_audit, caplog):
    before = store.marks_snapshot(db)
    record = registration(asn=p.S1)
    with caplog.at_level(logging.ERROR):
        status, body = _post(_app(db), _request(record))

    assert status.startswith("500") and ":RuleId>9001<" in body, body
    assert store.marks_snapshot(db) == before, "the marks were saved without their audit row"
    assert store.mark(db, record["RefId"]) is None
    assert store.count(db, t.ProcessedRequest) == 0
    assert "could not write the audit row" in caplog.text  # and the refusal could not either


def test_a_request_commits_with_its_one_audit_row_stamped_when_it_arrived(db):
    record = registration(asn=p.S1)
    status, body = _post(_app(db), _request(record))

    assert status.startswith("200"), body
    (row,) = _audit_rows(db)
    assert row["received_utc"] == ARRIVAL and row["outcome"] == "ok"
    assert (row["record_count"], row["accepted_count"], row["operation"]) == (1, 1, "SubmitDiplomaExamMark")
    assert store.mark(db, record["RefId"]) is not None


def test_a_refused_request_is_audited_and_changes_nothing(db):
    before = store.marks_snapshot(db)
    status, body = _post(_app(db), _request(registration(), organization=None))

    assert status.startswith("500") and ":RuleId>5001<" in body
    (row,) = _audit_rows(db)
    assert (row["outcome"], row["rule_id"]) == ("Client.AccessDenied", 5001)
    assert store.marks_snapshot(db) == before


def test_every_request_ends_with_one_structured_log_line(db, caplog):
    with caplog.at_level(logging.INFO, logger="pasi_core.soap.pipeline"):
        _post(_app(db), _request(registration(asn=p.S1), registration(asn=p.UNKNOWN)))
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("request ")]
    for part in ("message_id=", "endpoint=PASIService", "operation=SubmitDiplomaExamMark",
                 "organization=S.0001", "outcome=ok", "rule=-", "records=2", "accepted=1",
                 "status=200", "duration_ms="):
        assert part in line, line
    assert p.S1 not in caplog.text and p.UNKNOWN not in caplog.text


def test_an_unexpected_error_logs_where_it_happened_but_no_value(db, caplog, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError(f"boom for student {p.S1}")

    monkeypatch.setattr(exam_mark_endpoint, "submit_diploma_exam_marks", explode)
    app = _app(db)
    with caplog.at_level(logging.INFO):
        status, body = _post(app, _request(registration(asn=p.S1)))

    assert status.startswith("500") and ":RuleId>9001<" in body
    (error,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "error=RuntimeError" in error and "endpoint.py:" in error and ":explode" in error
    assert "frames=" in error and "pipeline.py:" in error
    assert p.S1 not in caplog.text and "boom" not in caplog.text
    assert [row["rule_id"] for row in _audit_rows(db)] == [9001]


def test_a_gzip_encoded_body_is_a_clear_415(db):
    app = _app(db)
    captured = {}
    payload = envelope("<p:SubmitDiplomaExamMark><p:request>" + caller_xml("S.0001")
                       + "</p:request></p:SubmitDiplomaExamMark>")
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/PASIService", "CONTENT_TYPE": "text/xml",
               "CONTENT_LENGTH": str(len(payload)), "HTTP_CONTENT_ENCODING": "gzip",
               "wsgi.input": io.BytesIO(payload), "REMOTE_ADDR": "127.0.0.1"}
    body = b"".join(app(environ, lambda status, headers, exc_info=None: captured.update(status=status)))
    assert captured["status"].startswith("415")
    assert b"gzip-encoded request body is not accepted" in body
