"""The composition root: builds the WSGI application from the settings.

Here, and only here, the layers meet: the store (persistence) is given to
the service layer as a unit-of-work factory, the client registry to the
authenticator, and both to the SOAP pipeline of each published endpoint.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine

from pasi_core.app.memory import is_large, release_free_memory
from pasi_core.documents.files import DocumentFolder
from pasi_core.kernel.clock import utc_now
from pasi_core.kernel.settings import Settings
from pasi_core.soap.authentication import (
    Authenticator,
    CertificateAuthenticator,
    DevelopmentAuthenticator,
    TransportFacts,
)
from pasi_core.soap.certificates import CertificateError, fingerprint, peer_certificate
from pasi_core.soap.pipeline import NotFound, Services, SoapEndpoint
from pasi_core.soap.publish import ENDPOINTS, publish
from pasi_core.web import MOUNT, create_student_records_app
from persistence.client_registry import SqlClientDirectory
from persistence.database import READ_ONLY, create_database_engine, session_factory
from persistence.unit_of_work import SqlUnitOfWorkFactory

log = logging.getLogger(__name__)

XML_HEADERS = [("Content-Type", "text/xml; charset=utf-8")]


def make_authenticator(settings: Settings, sessions) -> Authenticator:
    if settings.development_authentication:
        return DevelopmentAuthenticator()
    # Certificate validity is a matter of real time, whatever clock the business rules use.
    return CertificateAuthenticator(SqlClientDirectory(sessions), utc_now)


def transport_reader(settings: Settings) -> Callable[[dict], TransportFacts]:
    """How the pipeline learns the peer's address and verified client certificate."""

    def read(environ: dict) -> TransportFacts:
        remote = environ.get("REMOTE_ADDR")
        try:
            der = peer_certificate(environ, trust_header=settings.is_trusted_proxy(remote),
                                   header=settings.client_certificate_header)
        except CertificateError as problem:
            return TransportFacts(remote_address=remote, certificate_problem=problem.message)
        return TransportFacts(remote_address=remote,
                              client_certificate_fingerprint=fingerprint(der) if der else None)

    return read


def create_wsgi_app(settings: Settings, engine: Engine | None = None,
                    authenticator: Authenticator | None = None,
                    clock: Callable[[], datetime] = utc_now) -> Router:
    engine = engine or create_database_engine(settings.database_url)
    sessions = session_factory(engine)
    services = Services(settings=settings, new_unit_of_work=SqlUnitOfWorkFactory(sessions),
                        authenticator=authenticator or make_authenticator(settings, sessions),
                        read_transport=transport_reader(settings), clock=clock)
    endpoints = {name: SoapEndpoint(publish(name, settings.public_url), services)
                 for name in ENDPOINTS}
    records = create_student_records_app(settings, services.new_unit_of_work, clock,
                                         document_files=DocumentFolder(settings.documents_dir))
    return Router(endpoints, services, health=HealthCheck(engine), student_records=records)


class HealthCheck:
    """``GET /health``: 200 when the database answers, 503 otherwise.  Read only:
    on SQLite it never waits for a writer."""

    def __init__(self, engine: Engine):
        self._engine = engine

    def __call__(self, environ, start_response):
        try:
            with self._engine.connect() as connection:
                connection.execution_options(**READ_ONLY).execute(text("SELECT 1"))
            status, body = "200 OK", b"ok\n"
        except Exception:  # noqa: BLE001 - any failure to answer means "unhealthy"
            status, body = "503 Service Unavailable", b"database unavailable\n"
        start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]


class Router:
    """``/PASIService``, ``/PASISystem`` (and ``…​.wsdl``), ``/health``, the Student Records
    screens under ``/student-records/``; anything else is a 404 SOAP fault."""

    def __init__(self, endpoints: dict[str, SoapEndpoint], services: Services,
                 health: Callable | None = None, student_records: Callable | None = None):
        self.endpoints = endpoints
        self._services = services
        self._health = health
        self._student_records = student_records
        self._not_found = NotFound(services, list(endpoints))

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "") or "/"
        if self._student_records is not None and (path == MOUNT or path.startswith(MOUNT + "/")):
            return self._screens(environ, start_response, path)
        if path == "/" and environ.get("REQUEST_METHOD") in ("GET", "HEAD") and self._student_records:
            return _redirect(start_response, MOUNT + "/")
        name = path.strip("/").split("/", 1)[0]
        if name.endswith(".wsdl") and name[:-5] in self.endpoints:
            environ["QUERY_STRING"] = "wsdl"
            name = name[:-5]
        endpoint = self.endpoints.get(name)
        if endpoint is not None:
            answer = endpoint(environ, start_response)
            if is_large(environ):
                release_free_memory()  # the request's memory is free by now; give it back
            return answer
        if name == "health" and self._health is not None:
            return self._health(environ, start_response)
        return self._not_found(environ, start_response)

    def _screens(self, environ, start_response, path: str):
        if path == MOUNT:
            return _redirect(start_response, MOUNT + "/")
        assert self._student_records is not None
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "").rstrip("/") + MOUNT
        environ["PATH_INFO"] = path[len(MOUNT):]
        return self._student_records(environ, start_response)


def _redirect(start_response, location: str):
    start_response("302 Found", [("Location", location), ("Content-Length", "0")])
    return [b""]
