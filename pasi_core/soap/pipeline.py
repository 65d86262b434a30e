"""The one path every SOAP request takes, from the WSGI environ to the commit.

1. Transport: method, ``GET ?wsdl`` (answered from the WSDL built at start-up,
   so a forged Host header never changes the published address).
2. Authentication from the transport alone (1001-1004), before the body is
   read: an unregistered client makes the service do no work.
3. Content-Type, length and size limits; the body is read once.
4. Parse (hardened), envelope checks, the operation.
5. XSD validation at a cost linear in the body (3001, first 100 errors).
6. The operation's reader: validated XML to plain data; the tree is let go.
7. Authorization: the organization named and the role (5001, 1008, 1007).
8. One unit of work, retried whole on a collision with a concurrent request:
   replay or refuse a reused ClientMessageID (99010), the operation's service
   layer, the response rendered once (those bytes are stored for replay and
   sent), the audit row, commit.  A request that changes state commits with
   its audit row or changes nothing.
9. A refused request (a SOAP fault) changes nothing and is audited on its
   own; an unexpected error is a Server fault (9001) whose log line names
   the stack frames but no values.

Every request ends with one structured log line (no student data).
"""
from __future__ import annotations

import hashlib
import logging
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from operations.replay import ReplayKey, request_hash, stored_answer
from operations.soap_operation import RequestContext, SoapOperation, Summary
from operations.unit_of_work import UnitOfWork, UnitOfWorkFactory, run_retrying
from pasi_core.kernel.audit import AuditEntry, RecordOutcome
from pasi_core.kernel.errors import RequestRejected
from pasi_core.kernel.settings import Settings
from pasi_core.soap.authentication import Authenticator, TransportFacts, authorize
from pasi_core.soap.envelope import drop_nil_elements, parse_operation
from pasi_core.soap.faults import fault_envelope, response_envelope, server_error, structure_error
from pasi_core.soap.validation import RequestSchema

log = logging.getLogger(__name__)

XML_RESPONSE_HEADERS = [("Content-Type", "text/xml; charset=utf-8")]
SOAP11_CONTENT_TYPES = ("text/xml",)


@dataclass
class Exchange:
    """What is known of one request as it goes through the pipeline (for the
    audit row and the log line; never student data)."""

    endpoint: str
    remote_address: str | None
    received_utc: datetime
    message_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.perf_counter)
    operation: str | None = None
    organization_code: str | None = None
    client_name: str | None = None
    client_message_id: str | None = None
    outcome: str | None = None
    rule_id: int | None = None
    summary: Summary | None = None
    request_hash: str | None = None
    """SHA-256 of the request body as received."""
    request_body: bytes | None = None
    response_body: bytes | None = None
    audited: bool = False

    @property
    def elapsed_ms(self) -> int:
        return int((time.perf_counter() - self.started) * 1000)

    def refused(self, rejected: RequestRejected) -> None:
        self.outcome = rejected.fault_code
        self.rule_id = rejected.rule_id

    def audit_entry(self) -> AuditEntry:
        summary = self.summary
        return AuditEntry(
            message_id=self.message_id, received_utc=self.received_utc, endpoint=self.endpoint,
            operation=self.operation, organization_code=self.organization_code,
            client_name=self.client_name, client_message_id=self.client_message_id,
            remote_address=self.remote_address, outcome=self.outcome or "unknown",
            rule_id=self.rule_id, record_count=summary.record_count if summary else 0,
            accepted_count=summary.accepted_count if summary else 0,
            duration_ms=self.elapsed_ms, request_hash=self.request_hash,
            record_outcomes=summary.outcomes if summary else None,
            request_body=self.request_body, response_body=self.response_body)


@dataclass(frozen=True)
class Published:
    """One endpoint's contract as served: built once at start-up."""

    name: str
    wsdl: bytes
    schema: RequestSchema
    operations: dict[str, SoapOperation]
    """By the operation element's tag."""


@dataclass(frozen=True)
class Services:
    """What the pipeline needs from the rest of the application (injected)."""

    settings: Settings
    new_unit_of_work: UnitOfWorkFactory
    authenticator: Authenticator
    read_transport: Callable[[dict], TransportFacts]
    clock: Callable[[], datetime]


@dataclass(frozen=True)
class Answer:
    status: str
    body: bytes
    extra_headers: tuple[tuple[str, str], ...] = ()


class SoapEndpoint:
    """The WSGI application of one endpoint (``/PASIService``, ``/PASISystem``)."""

    def __init__(self, published: Published, services: Services):
        self.name = published.name
        self._published = published
        self._services = services

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        services = self._services
        exchange = Exchange(self.name, environ.get("REMOTE_ADDR"), services.clock())
        try:
            answer = self._serve(environ, exchange)
        except RequestRejected as rejected:
            answer = self._refuse(exchange, rejected, _status_of(rejected))
        except Exception as error:  # noqa: BLE001 - never an HTML 500: a Server fault, logged
            _log_unexpected(error, exchange)
            answer = self._refuse(exchange, server_error(exchange.message_id),
                                  "500 Internal Server Error")
        return _finish(services, exchange, answer, start_response)

    # --- the steps --------------------------------------------------------------------
    def _serve(self, environ: dict, exchange: Exchange) -> Answer:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if method in ("GET", "HEAD"):
            if environ.get("QUERY_STRING", "").split("=", 1)[0].lower() == "wsdl":
                return Answer("200 OK", b"" if method == "HEAD" else self._published.wsdl)
            return self._refuse(exchange, structure_error(
                "use POST to call an operation, or GET ?wsdl for the service description"),
                "405 Method Not Allowed", (("Allow", "GET, POST"),))
        if method != "POST":
            return self._refuse(exchange, structure_error(
                f"the {method} method is not supported"), "405 Method Not Allowed",
                (("Allow", "GET, POST"),))
        client = self._services.authenticator.identify(self._services.read_transport(environ))
        exchange.client_name = client.name
        body = self._read_body(environ, exchange)
        operation_element = parse_operation(body, set(self._published.operations),
                                            environ.get("HTTP_SOAPACTION"))
        operation = self._published.operations[operation_element.tag]
        exchange.operation = operation.name
        if b"nil" in body:  # only a request that may say xsi:nil pays for the search
            drop_nil_elements(operation_element)
        settings = self._services.settings
        self._published.schema.validate(operation_element, operation.record_lists,
                                        settings.max_records_per_request)
        facts, payload = operation.read(operation_element)
        del operation_element  # the plain data is all that is needed from here on
        exchange.client_message_id = facts.client_message_id
        exchange.organization_code = facts.organization_code
        caller = authorize(client, facts.organization_code, operation.name,
                           operation.required_role)
        exchange.client_name = caller.client_name
        exchange.organization_code = caller.organization_code
        context = RequestContext(caller, exchange.message_id, exchange.received_utc, settings)
        key = ReplayKey(caller.client_name, facts.client_message_id, operation.name,
                        request_hash(operation.name, caller.organization_code,
                                     operation.canonical(payload)))
        if operation.writes:
            element_bytes = run_retrying(self._services.new_unit_of_work, lambda uow: self._work(
                uow, operation, context, payload, key, exchange))
        else:
            element_bytes = self._read(operation, context, payload, exchange)
        return Answer("200 OK", response_envelope(element_bytes))

    def _read_body(self, environ: dict, exchange: Exchange) -> bytes:
        content_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
        if content_type not in SOAP11_CONTENT_TYPES:
            reason = ("SOAP 1.2 (application/soap+xml) is not supported; send SOAP 1.1 as text/xml"
                      if content_type == "application/soap+xml"
                      else "the Content-Type of a SOAP 1.1 request must be text/xml")
            raise _with_status(structure_error(reason), "415 Unsupported Media Type")
        encoding = environ.get("HTTP_CONTENT_ENCODING", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise _with_status(structure_error(
                f"a {encoding}-encoded request body is not accepted; send it uncompressed"),
                "415 Unsupported Media Type")
        limit = self._services.settings.max_request_bytes
        try:
            declared = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            declared = -1
        if declared > limit:
            raise _with_status(structure_error(f"the request body exceeds {limit} bytes"),
                               "413 Request Entity Too Large")
        if declared < 0 and not environ.get("wsgi.input_terminated"):
            # Without a length, only a server that de-chunks the body can tell us
            # where it ends; reading on would wait for the client.
            raise _with_status(structure_error("a Content-Length header is required"),
                               "411 Length Required")
        body = environ["wsgi.input"].read(declared if declared >= 0 else limit + 1)
        if len(body) > limit:
            raise _with_status(structure_error(f"the request body exceeds {limit} bytes"),
                               "413 Request Entity Too Large")
        exchange.request_hash = hashlib.sha256(body).hexdigest()
        if self._services.settings.audit_payloads:
            exchange.request_body = body
        return body

    def _work(self, uow: UnitOfWork, operation: SoapOperation, context: RequestContext,
              payload: object, key: ReplayKey, exchange: Exchange) -> bytes:
        """Inside the unit of work: everything commits together, or nothing does."""
        stored = stored_answer(uow.replays, key)
        if stored is not None:
            exchange.outcome, exchange.summary = "replayed", None
            self._append_audit(uow, exchange, stored.response_body)
            uow.commit()
            exchange.audited = True
            return stored.response_body
        result = operation.run(uow, context, payload)
        element_bytes = _serialized(operation.render(context.message_id, result))
        uow.replays.remember(key, context.message_id, element_bytes, context.now)
        exchange.outcome, exchange.summary = "ok", operation.summarize(result)
        self._append_audit(uow, exchange, element_bytes)
        uow.commit()
        exchange.audited = True
        return element_bytes

    def _read(self, operation: SoapOperation, context: RequestContext, payload: object,
              exchange: Exchange) -> bytes:
        """A Get service: read in a read-only unit of work, then audit.  No data
        leaves without its audit row."""
        with self._services.new_unit_of_work(read_only=True) as uow:
            result = operation.run(uow, context, payload)
        element_bytes = _serialized(operation.render(context.message_id, result))
        exchange.outcome, exchange.summary = "ok", operation.summarize(result)
        with self._services.new_unit_of_work() as uow:
            self._append_audit(uow, exchange, element_bytes)
            uow.commit()
        exchange.audited = True
        return element_bytes

    def _append_audit(self, uow: UnitOfWork, exchange: Exchange, element_bytes: bytes) -> None:
        if exchange.request_body is not None:
            exchange.response_body = response_envelope(element_bytes)
        uow.audit.append(exchange.audit_entry())

    def _refuse(self, exchange: Exchange, rejected: RequestRejected, status: str,
                extra_headers: tuple[tuple[str, str], ...] = ()) -> Answer:
        exchange.refused(rejected)
        body = fault_envelope(rejected, exchange.message_id)
        if exchange.request_body is not None:
            exchange.response_body = body
        return Answer(status, body, extra_headers)



def _serialized(rendered: etree._Element | bytes) -> bytes:
    """The response element as UTF-8 bytes (a renderer may hand them over already written)."""
    return rendered if isinstance(rendered, bytes) else etree.tostring(rendered, encoding="UTF-8")


class NotFound:
    """Any path that is no endpoint: a 404 fault naming the endpoints (audited)."""

    def __init__(self, services: Services, endpoint_names: list[str]):
        self._services = services
        self._names = ", ".join(f"/{name}" for name in endpoint_names)

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        exchange = Exchange("(none)", environ.get("REMOTE_ADDR"), self._services.clock())
        rejected = structure_error(f"no service at {environ.get('PATH_INFO') or '/'}; "
                                   f"endpoints: {self._names}")
        exchange.refused(rejected)
        answer = Answer("404 Not Found", fault_envelope(rejected, exchange.message_id))
        return _finish(self._services, exchange, answer, start_response)


def _finish(services: Services, exchange: Exchange, answer: Answer,
            start_response) -> Iterable[bytes]:
    if exchange.outcome is not None and not exchange.audited:
        _audit_alone(services, exchange)
    _log_request(exchange, answer.status)
    start_response(answer.status, XML_RESPONSE_HEADERS + [
        ("Content-Length", str(len(answer.body)))] + list(answer.extra_headers))
    return [answer.body]


def _audit_alone(services: Services, exchange: Exchange) -> None:
    """The audit row of a refused request, in its own transaction (it changed nothing)."""
    try:
        with services.new_unit_of_work() as uow:
            uow.audit.append(exchange.audit_entry())
            uow.commit()
        exchange.audited = True
    except Exception as error:  # noqa: BLE001 - the fault stands; the failure is logged
        _log_unexpected(error, exchange, "could not write the audit row")


_STATUS_ATTRIBUTE = "http_status"


def _with_status(rejected: RequestRejected, status: str) -> RequestRejected:
    setattr(rejected, _STATUS_ATTRIBUTE, status)
    return rejected


def _status_of(rejected: RequestRejected) -> str:
    return getattr(rejected, _STATUS_ATTRIBUTE, "500 Internal Server Error")


def frames_of(error: BaseException) -> str:
    """Where an error happened: file, line and function of each frame, no values."""
    return " > ".join(f"{frame.filename.rsplit('/', 2)[-1] if '/' in frame.filename else frame.filename}"
                      f":{frame.lineno}:{frame.name}"
                      for frame in traceback.extract_tb(error.__traceback__))


def _log_unexpected(error: BaseException, exchange: Exchange,
                    what: str = "unexpected error; the request was rolled back") -> None:
    # The exception's text can quote row values (student data): its type and frames only.
    log.error("%s message_id=%s endpoint=%s operation=%s error=%s frames=%s", what,
              exchange.message_id, exchange.endpoint, exchange.operation, type(error).__name__,
              frames_of(error))


def _log_request(exchange: Exchange, status: str) -> None:
    summary = exchange.summary
    log.info("request message_id=%s endpoint=%s operation=%s client=%s organization=%s "
             "outcome=%s rule=%s records=%d accepted=%d status=%s duration_ms=%d",
             exchange.message_id, exchange.endpoint, exchange.operation or "-",
             _quoted(exchange.client_name), exchange.organization_code or "-",
             exchange.outcome or "wsdl", exchange.rule_id or "-",
             summary.record_count if summary else 0, summary.accepted_count if summary else 0,
             status.split(" ", 1)[0], exchange.elapsed_ms)


def _quoted(value: str | None) -> str:
    if value is None:
        return "-"
    return '"' + value.replace('"', "'") + '"' if " " in value else value


__all__ = ["Exchange", "NotFound", "Published", "RecordOutcome", "Services", "SoapEndpoint"]
