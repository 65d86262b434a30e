"""Builds the WSGI application: the endpoints, their WSDL, the audit writer."""
from __future__ import annotations

import logging
import spyne.const
from spyne import Application
from spyne.server.wsgi import WsgiApplication
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pasi_core import namespaces
from pasi_core.authentication import (
    Authenticator, CertificateAuthenticator, DevelopmentAuthenticator, TransportFacts)
from pasi_core.certificates import CertificateError, fingerprint, peer_certificate
from pasi_core.config import Settings
from pasi_core.contract.common import (
    CallerInfo, Guid, MultipleSubmitResponse, OrganizationCode, PASICoreVersion, PASIFault,
    Rejection, SubmitResponse, Text30, Text50, Text100)
from pasi_core.contract.wsdl import canonical_wsdl
from pasi_core.runtime import Runtime, utc_now
from pasi_core.soap.exchange import Exchange
from pasi_core.soap.gateway import Router, SoapEndpoint
from pasi_core.soap.protocol import CodecSoap11Out, HardenedSoap11
from persistence import audit_log
from persistence.database import create_database_engine, session_factory

log = logging.getLogger("pasi_core.application")

# spyne forces a full gc.collect() at most once a second per request; with
# large batches that is a visible pause.  Python's own collector suffices.
spyne.const.MIN_GC_INTERVAL = float("inf")


COMMON_TYPES = (PASIFault, CallerInfo, Rejection, SubmitResponse, MultipleSubmitResponse, Guid,
                OrganizationCode, PASICoreVersion, Text30, Text50, Text100)


def quiet_spyne_logging() -> None:
    """spyne logs whole request bodies (student data) on errors and at DEBUG."""
    logging.getLogger("spyne").setLevel(logging.CRITICAL)


def endpoint_services() -> dict[str, tuple[str, list]]:
    """Endpoint name -> (target namespace, spyne services)."""
    from operations.construct_document_order.service import ConstructDocumentOrderService
    from operations.submit_credential_awarding_multiple.service import (
        SubmitCredentialAwardingMultipleService)
    from operations.submit_diploma_exam_mark.service import SubmitDiplomaExamMarkService

    return {"PASIService": (namespaces.PASI_SERVICE, [SubmitDiplomaExamMarkService]),
            "PASISystem": (namespaces.PASI_SYSTEM, [SubmitCredentialAwardingMultipleService,
                                                    ConstructDocumentOrderService])}


def build_spyne_application(name: str, runtime: Runtime | None) -> Application:
    quiet_spyne_logging()
    tns, services = endpoint_services()[name]
    readers = {tag: reader for service in services
               for tag, reader in getattr(service, "__readers__", {}).items()}
    # Every endpoint publishes all the shared types, so the common XSD is one file.
    return Application(services, tns=tns, name=name, in_protocol=HardenedSoap11(readers=readers),
                       out_protocol=CodecSoap11Out(), config=runtime, classes=COMMON_TYPES)


def endpoint_wsdl(name: str, public_url: str, spyne_wsgi: WsgiApplication | None = None) -> bytes:
    if spyne_wsgi is None:
        spyne_wsgi = WsgiApplication(build_spyne_application(name, None))
    address = f"{public_url.rstrip('/')}/{name}"
    spyne_wsgi.doc.wsdl11.build_interface_document(address)
    return canonical_wsdl(spyne_wsgi.doc.wsdl11.get_interface_document(), name, address)


def make_authenticator(settings: Settings, sessions) -> Authenticator:
    if settings.development_authentication:
        return DevelopmentAuthenticator()
    return CertificateAuthenticator(sessions)


def transport_reader(settings: Settings):
    """How the gateway learns the peer's address and verified client certificate."""

    def read(environ) -> TransportFacts:
        remote = environ.get("REMOTE_ADDR")
        try:
            der = peer_certificate(environ, trust_header=settings.is_trusted_proxy(remote),
                                   header=settings.client_certificate_header)
        except CertificateError:
            log.warning("a trusted proxy sent an unreadable client certificate header; "
                        "treating the request as unauthenticated")
            der = None
        return TransportFacts(remote_address=remote,
                              client_certificate_fingerprint=fingerprint(der) if der else None)

    return read


def create_wsgi_app(settings: Settings, engine: Engine | None = None,
                    authenticator: Authenticator | None = None, clock=utc_now):
    quiet_spyne_logging()
    engine = engine or create_database_engine(settings.database_url)
    sessions = session_factory(engine)
    runtime = Runtime(settings=settings, engine=engine, session_factory=sessions,
                      authenticator=authenticator or make_authenticator(settings, sessions),
                      clock=clock)
    audit = AuditWriter(runtime)
    read_transport = transport_reader(settings)
    endpoints = {}
    for name in endpoint_services():
        spyne_wsgi = WsgiApplication(build_spyne_application(name, runtime),
                                     max_content_length=settings.max_request_bytes)
        wsdl = endpoint_wsdl(name, settings.public_url, spyne_wsgi)
        endpoints[name] = SoapEndpoint(name, spyne_wsgi, wsdl,
                                       max_request_bytes=settings.max_request_bytes, audit=audit,
                                       transport_reader=read_transport,
                                       keep_payloads=settings.audit_payloads)
    return Router(endpoints, health=HealthCheck(engine), audit=audit)


class AuditWriter:
    """Appends one chained audit row per request, in its own short transaction."""

    def __init__(self, runtime: Runtime):
        self._runtime = runtime

    def __call__(self, exchange: Exchange) -> None:
        audit_log.append(self._runtime.engine, audit_log.AuditEntry(
            message_id=exchange.message_id, received_utc=self._runtime.clock(),
            endpoint=exchange.endpoint, operation=exchange.operation,
            organization_code=exchange.organization_code, client_name=exchange.client_name,
            client_message_id=exchange.client_message_id, remote_address=exchange.remote_address,
            outcome=exchange.outcome or "unknown", rule_id=exchange.rule_id,
            record_count=exchange.record_count, accepted_count=exchange.accepted_count,
            duration_ms=exchange.elapsed_ms, request_hash=exchange.request_hash,
            record_outcomes=exchange.record_outcomes, request_body=exchange.request_body,
            response_body=exchange.response_body))


class HealthCheck:
    """``GET /health``: 200 when the database answers, 503 otherwise."""

    def __init__(self, engine: Engine):
        self._engine = engine

    def __call__(self, environ, start_response):
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            status, body = "200 OK", b"ok\n"
        except Exception:
            status, body = "503 Service Unavailable", b"database unavailable\n"
        start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]



