"""Fixtures shared by every layer of the suite: a migrated database (SQLite, or PostgreSQL
when PASI_TEST_DATABASE_URL is set), the fixture province, an in-process live server driven
through zeep, and the command line.

The suite is a pyramid: ``tests/unit`` (plain data and fakes, no database), ``tests/integration``
(repositories, the unit of work and the WSGI application on the database), ``tests/e2e``
(live servers, other SOAP clients, the command line, the browser).  Each test is marked with
its layer; ``slow`` marks the few long ones; ``postgres_only`` tests run in the PostgreSQL runs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
import zeep
from zeep.transports import Transport

import pasi_core  # noqa: F401  (makes spyne importable first)
from pasi_core.app.application import create_wsgi_app
from pasi_core.app.server import make_development_server
from pasi_core.kernel.settings import Settings
from pasi_core.soap.authentication import DevelopmentAuthenticator
from persistence import schema
from persistence.database import create_database_engine
from tests.support import province, store
from tests.support.cli import Cli
from tests.support.soap import ResponseValidator, caller_info, outcomes

TEST_DATABASE_URL = os.environ.get("PASI_TEST_DATABASE_URL")
MAX_MARKS_PER_STUDENT = 6


def is_postgresql() -> bool:
    return bool(TEST_DATABASE_URL) and TEST_DATABASE_URL.startswith("postgresql")


LAYERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(config, items):
    for item in items:
        layer = item.path.parent.name
        if layer in LAYERS:
            item.add_marker(getattr(pytest.mark, layer))
        if item.get_closest_marker("postgres_only") and not is_postgresql():
            item.add_marker(pytest.mark.skip(reason="PostgreSQL only: runs in the PostgreSQL runs"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return TEST_DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def engine(database_url):
    """A freshly migrated database.  With PASI_TEST_DATABASE_URL set and the server
    unreachable this fails loudly: CI must never skip the PostgreSQL run."""
    engine = create_database_engine(database_url)
    schema.drop_everything(engine)
    schema.upgrade(engine)
    yield engine
    engine.dispose()


class FrozenClock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture(scope="session")
def clock():
    return FrozenClock(province.NOW)


@pytest.fixture
def db(engine, clock):
    """The fixture province, freshly loaded for each test."""
    clock.now = province.NOW
    store.truncate_all(engine)
    store.load(engine, province.document())
    return engine


@dataclass
class LiveServer:
    base_url: str
    app: object
    server: object
    settings: Settings

    @property
    def service_url(self) -> str:
        return f"{self.base_url}/PASIService"

    @property
    def system_url(self) -> str:
        return f"{self.base_url}/PASISystem"


@pytest.fixture(scope="session")
def live_server(engine, clock):
    server = make_development_server(None, "127.0.0.1", 0)
    base_url = f"http://127.0.0.1:{server.server_port}"
    settings = Settings(database_url="unused://", public_url=base_url,
                        max_exam_marks_per_student=MAX_MARKS_PER_STUDENT,
                        max_request_bytes=8 * 1024 * 1024, max_records_per_request=10_000)
    app = create_wsgi_app(settings, engine=engine, authenticator=DevelopmentAuthenticator(),
                          clock=clock)
    server.set_app(app)
    import threading
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(base_url, app, server, settings)
    server.shutdown()
    server.server_close()


@pytest.fixture
def cli(tmp_path) -> Cli:
    """``pasi-core`` in a scratch directory against its own SQLite file."""
    return Cli(tmp_path)


@pytest.fixture(scope="session")
def response_validator():
    return ResponseValidator()


@pytest.fixture(scope="session")
def zeep_client(live_server, response_validator):
    return zeep.Client(f"{live_server.service_url}?wsdl", plugins=[response_validator],
                       transport=Transport(timeout=120, operation_timeout=300))


class Pasi:
    """A SIS or Ministry client: submits exam marks through zeep and reads the results."""

    def __init__(self, client: zeep.Client, engine):
        self.client = client
        self.engine = engine

    def call(self, records: list[dict], organization: str = "S.0001", message_id: str | None = None):
        return self.client.service.SubmitDiplomaExamMark(request={
            "CallerInfo": caller_info(organization, message_id),
            "ExamMarks": {"ExamMarkInfo": records}})

    def submit(self, records: list[dict], organization: str = "S.0001"):
        return outcomes(self.call(records, organization))

    def submit_one(self, record: dict, organization: str = "S.0001"):
        (outcome,) = self.submit([record], organization)
        return outcome

    def accepted(self, record: dict, organization: str = "S.0001"):
        outcome = self.submit_one(record, organization)
        assert outcome.accepted, (outcome.rules, outcome.messages)
        return outcome


@pytest.fixture
def pasi(zeep_client, db):
    return Pasi(zeep_client, db)


@pytest.fixture(scope="session")
def system_client(live_server, response_validator):
    """zeep built from the PASISystem WSDL (responses checked against the committed XSD)."""
    from tests.support.soap import SystemResponseValidator
    return zeep.Client(f"{live_server.base_url}/PASISystem?wsdl", plugins=[SystemResponseValidator()],
                       transport=Transport(timeout=120, operation_timeout=300))


class PasiSystem:
    """A Ministry system calling the PASISystem endpoint."""

    def __init__(self, client: zeep.Client, engine):
        self.client = client
        self.engine = engine

    def award(self, asns: list[str], organization: str = "O.1", message_id: str | None = None):
        return self.client.service.SubmitCredentialAwardingMultiple(request={
            "CallerInfo": caller_info(organization, message_id),
            "StateProvinceIds": {"StateProvinceId": asns}})

    def awards(self, asns: list[str], organization: str = "O.1"):
        return list(self.award(asns, organization).SubmitCredentialResponses.SubmitCredentialResponse)

    def order(self, organization: str = "O.1", message_id: str | None = None, **fields):
        return self.client.service.ConstructDocumentOrder(request={
            "CallerInfo": caller_info(organization, message_id), **fields})


@pytest.fixture
def pasi_system(system_client, db):
    return PasiSystem(system_client, db)
