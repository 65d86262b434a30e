"""The WSGI front door of one SOAP endpoint.

Before spyne sees a request it checks the transport (method, body size,
Content-Type), answers ``GET ?wsdl`` from the WSDL built at start-up (so a
forged Host header can never change the published address), gives the
request its message id, and afterwards writes the audit row.  Every
refusal is a SOAP fault envelope, never an HTML page.
"""
from __future__ import annotations

import hashlib
import io
import logging
from typing import Callable, Iterable

from pasi_core.authentication import TransportFacts
from pasi_core.errors import RequestRejected
from pasi_core.soap.exchange import ENVIRON_KEY, Exchange
from pasi_core.soap.faults import STRUCTURE_FAULT, fault_envelope, server_error, structure_error

log = logging.getLogger("pasi_core.gateway")

SOAP11_CONTENT_TYPES = ("text/xml",)
XML_RESPONSE_HEADERS = [("Content-Type", "text/xml; charset=utf-8")]


class SoapEndpoint:
    def __init__(self, name: str, spyne_app, wsdl: bytes, *, max_request_bytes: int,
                 audit: Callable[[Exchange], None],
                 transport_reader: Callable[[dict], TransportFacts] | None = None,
                 keep_payloads: bool = False):
        self.name = name
        self._spyne_app = spyne_app
        self._wsdl = wsdl
        self._max_request_bytes = max_request_bytes
        self._audit = audit
        self._transport_reader = transport_reader or (
            lambda environ: TransportFacts(remote_address=environ.get("REMOTE_ADDR")))
        self._keep_payloads = keep_payloads

    def __call__(self, environ, start_response) -> Iterable[bytes]:
        exchange = Exchange(endpoint=self.name, remote_address=environ.get("REMOTE_ADDR"))
        environ[ENVIRON_KEY] = exchange
        exchange.transport = self._transport_reader(environ)
        status_holder = {}

        def recording_start_response(status, headers, exc_info=None):
            status_holder["status"] = status
            return start_response(status, headers, exc_info)

        try:
            body = self._dispatch(environ, recording_start_response, exchange)
        except Exception as error:  # never let an error reach the WSGI server as an HTML 500
            log.error("unexpected %s in the gateway for message %s", type(error).__name__,
                      exchange.message_id)
            body = self._fault(recording_start_response, exchange, server_error(exchange.message_id),
                               "500 Internal Server Error")
        if exchange.outcome is None and status_holder.get("status", "").startswith("500"):
            exchange.outcome = "Server"
        if exchange.outcome is not None or exchange.operation is not None:
            if self._keep_payloads and exchange.request_body is not None:
                body = list(body)
                exchange.response_body = b"".join(body)
            self._write_audit(exchange)
        return body

    def _dispatch(self, environ, start_response, exchange: Exchange) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        query = environ.get("QUERY_STRING", "")
        if method in ("GET", "HEAD"):
            if query.split("=", 1)[0].lower() == "wsdl":
                start_response("200 OK", XML_RESPONSE_HEADERS +
                               [("Content-Length", str(len(self._wsdl)))])
                return [] if method == "HEAD" else [self._wsdl]
            return self._fault(start_response, exchange, structure_error(
                "use POST to call an operation, or GET ?wsdl for the service description"),
                "405 Method Not Allowed", [("Allow", "GET, POST")])
        if method != "POST":
            return self._fault(start_response, exchange, structure_error(
                f"the {method} method is not supported"), "405 Method Not Allowed",
                [("Allow", "GET, POST")])

        content_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
        if content_type not in SOAP11_CONTENT_TYPES:
            reason = ("SOAP 1.2 (application/soap+xml) is not supported; send SOAP 1.1 as text/xml"
                      if content_type == "application/soap+xml"
                      else "the Content-Type of a SOAP 1.1 request must be text/xml")
            return self._fault(start_response, exchange, structure_error(reason),
                               "415 Unsupported Media Type")

        try:
            declared = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            declared = -1
        if declared > self._max_request_bytes:
            return self._too_large(start_response, exchange)
        if declared < 0 and not environ.get("wsgi.input_terminated"):
            # Without a length, only a server that de-chunks the body (gunicorn)
            # can tell us where it ends; reading on would wait for the client.
            return self._fault(start_response, exchange, structure_error(
                "a Content-Length header is required"), "411 Length Required")
        body = environ["wsgi.input"].read(
            declared if declared >= 0 else self._max_request_bytes + 1)
        if len(body) > self._max_request_bytes:
            return self._too_large(start_response, exchange)

        exchange.request_hash = hashlib.sha256(body).hexdigest()
        if self._keep_payloads:
            exchange.request_body = body
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self._spyne_app(environ, start_response)

    def _too_large(self, start_response, exchange: Exchange):
        return self._fault(start_response, exchange, structure_error(
            f"the request body exceeds {self._max_request_bytes} bytes"),
            "413 Request Entity Too Large")

    def _fault(self, start_response, exchange: Exchange, rejected: RequestRejected,
               status: str, extra_headers=()) -> list[bytes]:
        exchange.fault(rejected.fault_code, rejected.rule_id)
        payload = fault_envelope(rejected, exchange.message_id)
        start_response(status, XML_RESPONSE_HEADERS + [("Content-Length", str(len(payload)))]
                       + list(extra_headers))
        return [payload]

    def _write_audit(self, exchange: Exchange) -> None:
        try:
            self._audit(exchange)
        except Exception:
            log.error("could not write the audit row of message %s", exchange.message_id)


class Router:
    """Routes ``/PASIService`` and friends to their endpoint; anything else is a 404 fault."""

    def __init__(self, endpoints: dict[str, Callable], health: Callable | None = None,
                 audit: Callable[[Exchange], None] | None = None):
        self._endpoints = endpoints
        self._health = health
        self._audit = audit

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "") or "/"
        name = path.strip("/").split("/", 1)[0]
        if name.endswith(".wsdl") and name[:-5] in self._endpoints:
            environ["QUERY_STRING"] = "wsdl"
            name = name[:-5]
        endpoint = self._endpoints.get(name)
        if endpoint is not None:
            return endpoint(environ, start_response)
        if name == "health" and self._health is not None:
            return self._health(environ, start_response)
        exchange = Exchange(endpoint="(none)", remote_address=environ.get("REMOTE_ADDR"))
        rejected = structure_error(
            f"no service at {path}; endpoints: " + ", ".join(f"/{n}" for n in self._endpoints))
        exchange.fault(rejected.fault_code, rejected.rule_id)
        payload = fault_envelope(rejected, exchange.message_id)
        start_response("404 Not Found", XML_RESPONSE_HEADERS +
                       [("Content-Length", str(len(payload)))])
        if self._audit is not None:
            try:
                self._audit(exchange)
            except Exception:
                log.error("could not write the audit row of message %s", exchange.message_id)
        return [payload]


__all__ = ["SoapEndpoint", "Router", "STRUCTURE_FAULT"]
