"""The front of ``pasi-core serve``: the public socket, TLS with client certificates, and the
limits that keep slow or idle clients from taking the service down.

A sync gunicorn worker gives itself to one connection until that connection's request has been
read, so two clients that connect and then send nothing would hold two workers and leave every
other client waiting.  The front reads each request *completely* on one asyncio loop, where a
slow connection costs a coroutine and a few kilobytes: the TLS handshake, the headers and each
stretch of the body must arrive within their timeouts, the body at a minimum rate, and sizes are
capped.  Only a complete request is handed to a gunicorn worker, over a private Unix socket that
only this process can reach (its directory is mode 0700).

The front tells the worker who the peer is in ``X-Pasi-Peer-*`` headers and strips those headers
from every client request, so a client can never supply them.  It logs one access line per
request: peer, method, path (never the query), status, bytes, milliseconds.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import quote

import h11

from pasi_core.kernel.settings import Settings
from pasi_core.soap.faults import fault_envelope, structure_error

log = logging.getLogger(__name__)

PEER_ADDRESS_HEADER = b"x-pasi-peer-address"
PEER_CERTIFICATE_HEADER = b"x-pasi-peer-certificate"
SCHEME_HEADER = b"x-pasi-scheme"
_PRIVATE_PREFIX = b"x-pasi-"
# Headers that describe one hop, not the message: the front frames both hops itself.
_REQUEST_HOP_HEADERS = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer",
                                  b"transfer-encoding", b"upgrade", b"content-length", b"expect",
                                  b"http2-settings"})
# The worker's Server header would only tell a scanner which software answers.
_RESPONSE_HOP_HEADERS = (_REQUEST_HOP_HEADERS - {b"content-length"}) | {b"server"}
_READ_SIZE = 64 * 1024
_BACKEND_HEAD_LIMIT = 1024 * 1024


@dataclass(frozen=True)
class FrontLimits:
    """How long and how much the front waits for and holds of a client (docs/security.md)."""

    handshake_timeout: float = 15.0
    """Seconds for the TLS handshake, counted from the TCP connection (``PASI_HEADER_TIMEOUT``)."""
    header_timeout: float = 15.0
    """Seconds for a request's line and headers: from the connection for the first request,
    from its first byte for the next ones on a kept-alive connection."""
    idle_timeout: float = 30.0
    """Seconds a kept-alive connection may wait for its next request."""
    body_silence_timeout: float = 15.0
    """Longest pause while a request body arrives."""
    body_grace: float = 30.0
    min_body_rate: int = 32 * 1024
    """After ``body_grace`` seconds a body must have come at this many bytes a second."""
    max_header_bytes: int = 64 * 1024
    max_body_bytes: int = 32 * 1024 * 1024
    max_connections: int = 1000
    """Open client connections; past it a new one is answered 503 and closed."""
    buffered_bytes: int = 256 * 1024 * 1024
    """Request bodies held in memory at once, all connections together; past it 503."""
    backend_timeout: float = 330.0
    """Seconds for a worker's answer (gunicorn itself stops a worker after 300)."""
    send_timeout: float = 60.0
    """Seconds a client may take to accept each part of the answer."""

    @classmethod
    def from_settings(cls, settings: Settings) -> FrontLimits:
        return cls(handshake_timeout=settings.header_timeout, header_timeout=settings.header_timeout,
                   idle_timeout=settings.idle_timeout,
                   body_silence_timeout=settings.body_silence_timeout,
                   min_body_rate=settings.min_body_rate, max_body_bytes=settings.max_request_bytes,
                   max_connections=settings.max_connections, buffered_bytes=settings.max_buffered_bytes)


class _Budget:
    """Bytes of request bodies the front may hold at once (one event loop: no lock)."""

    def __init__(self, total: int):
        self.free = total

    def take(self, amount: int) -> bool:
        if amount > self.free:
            return False
        self.free -= amount
        return True

    def give(self, amount: int) -> None:
        self.free += amount


class _Refused(Exception):
    """The request is answered by the front itself and the connection closed."""

    def __init__(self, status: int, text: str, headers: tuple[tuple[str, str], ...] = ()):
        super().__init__(text)
        self.status, self.text, self.headers = status, text, headers


class Front:
    """Accepts client connections and hands complete requests to the backend socket."""

    def __init__(self, backend_path: str, limits: FrontLimits):
        self.backend_path = backend_path
        self.limits = limits
        self.budget = _Budget(limits.buffered_bytes)
        self.open_connections = 0
        self._tasks: set[asyncio.Task] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            if self.open_connections >= self.limits.max_connections:
                await _write_refusal(writer, _Refused(503, "the server is at its connection limit; "
                                                           "retry shortly", (("Retry-After", "5"),)),
                                     self.limits.send_timeout)
                return
            self.open_connections += 1
            try:
                await _Connection(self, reader, writer).serve()
            finally:
                self.open_connections -= 1
        except Exception:  # one connection's failure never stops the front
            log.exception("front: a connection failed")
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 5)
            if task is not None:
                self._tasks.discard(task)

    async def drain(self, grace: float) -> None:
        """Let the connections in progress finish (at most ``grace`` seconds), then cut them."""
        pending = {task for task in self._tasks if task is not asyncio.current_task()}
        if pending:
            _, late = await asyncio.wait(pending, timeout=grace)
            for task in late:
                task.cancel()


class _Connection:
    def __init__(self, front: Front, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.front, self.limits = front, front.limits
        self.reader, self.writer = reader, writer
        self.loop = asyncio.get_running_loop()
        peer = writer.get_extra_info("peername")
        self.peer_address = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        tls = writer.get_extra_info("ssl_object")
        self.scheme = b"https" if tls is not None else b"http"
        der = tls.getpeercert(binary_form=True) if tls is not None else None
        self.certificate = quote(ssl.DER_cert_to_PEM_cert(der)).encode("ascii") if der else None
        self.http = h11.Connection(h11.SERVER, max_incomplete_event_size=self.limits.max_header_bytes)
        self.held = 0  # body bytes taken from the budget for the request in progress

    async def serve(self) -> None:
        first = True
        while True:
            try:
                request = await self._request_head(first)
                if request is None:
                    return
                first = False
                try:
                    body = await self._body(request)
                    await self._forward(request, body)
                finally:
                    self.front.budget.give(self.held)
                    self.held = 0
            except _Refused as refused:
                _log_refusal(self.peer_address, refused)
                await _write_refusal(self.writer, refused, self.limits.send_timeout)
                return
            except (_ClientGone, TimeoutError, OSError, ssl.SSLError, h11.LocalProtocolError):
                return  # the client stopped reading or left: nothing more can be said to it
            if self.http.our_state is not h11.DONE or self.http.their_state is not h11.DONE:
                return
            self.http.start_next_cycle()

    async def _receive(self, deadline: float) -> bytes | None:
        """The next bytes from the client, b"" at its end, None when ``deadline`` passed."""
        remaining = deadline - self.loop.time()
        if remaining <= 0:
            return None
        try:
            return await asyncio.wait_for(self.reader.read(_READ_SIZE), remaining)
        except TimeoutError:
            return None
        except (OSError, ssl.SSLError):
            return b""

    def _next_event(self):
        try:
            return self.http.next_event()
        except h11.RemoteProtocolError as error:
            raise _Refused(error.error_status_hint, f"malformed HTTP request: {error}") from None

    async def _request_head(self, first: bool) -> h11.Request | None:
        limits = self.limits
        deadline = self.loop.time() + (limits.header_timeout if first else limits.idle_timeout)
        begun = first  # the first request's clock runs from the connection
        while True:
            event = self._next_event()
            if isinstance(event, h11.Request):
                return event
            if event is not h11.NEED_DATA:
                return None  # the client closed, or a protocol state we do not continue from
            data = await self._receive(deadline)
            if data is None:
                if self._has_partial_request(begun):
                    raise _Refused(408, "the request headers did not arrive in time")
                return None  # an idle connection is simply closed
            if data and not begun:
                begun = True
                deadline = self.loop.time() + limits.header_timeout
            self.http.receive_data(data)

    def _has_partial_request(self, begun: bool) -> bool:
        return begun and bool(self.http.trailing_data[0])

    async def _body(self, request: h11.Request) -> bytes:
        limits = self.limits
        declared = _content_length(request)
        if declared is not None and declared > limits.max_body_bytes:
            raise _too_large(limits.max_body_bytes)
        if declared:
            self._hold(declared)
        if self.http.they_are_waiting_for_100_continue:
            await self._send(h11.InformationalResponse(status_code=100, headers=[]))
        parts: list[bytes] = []
        received = 0
        started = self.loop.time()
        while True:
            event = self._next_event()
            if isinstance(event, h11.Data):
                received += len(event.data)
                if received > limits.max_body_bytes:
                    raise _too_large(limits.max_body_bytes)
                if declared is None:
                    self._hold(len(event.data))
                parts.append(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(parts)
            elif event is h11.NEED_DATA:
                expected = declared if declared is not None else received
                by_rate = started + limits.body_grace + expected / limits.min_body_rate
                deadline = min(self.loop.time() + limits.body_silence_timeout, by_rate)
                data = await self._receive(deadline)
                if data is None:
                    raise _Refused(408, "the request body did not arrive in time")
                self.http.receive_data(data)
            else:
                raise _Refused(400, "the connection closed before the request body was complete")

    def _hold(self, amount: int) -> None:
        if not self.front.budget.take(amount):
            raise _Refused(503, "the server is busy receiving other requests; retry shortly",
                           (("Retry-After", "5"),))
        self.held += amount

    async def _send(self, event) -> None:
        data = self.http.send(event)
        if data:
            self.writer.write(data)
            await asyncio.wait_for(self.writer.drain(), self.limits.send_timeout)

    def _backend_request(self, request: h11.Request, body: bytes) -> h11.Request:
        headers = [(name, value) for name, value in request.headers
                   if name not in _REQUEST_HOP_HEADERS and not name.startswith(_PRIVATE_PREFIX)]
        if not any(name == b"host" for name, _ in headers):
            headers.append((b"host", b"localhost"))
        headers += [(b"content-length", str(len(body)).encode("ascii")), (b"connection", b"close"),
                    (PEER_ADDRESS_HEADER, self.peer_address.encode("ascii")),
                    (SCHEME_HEADER, self.scheme)]
        if self.certificate is not None:
            headers.append((PEER_CERTIFICATE_HEADER, self.certificate))
        return h11.Request(method=request.method, target=request.target, headers=headers)

    async def _forward(self, request: h11.Request, body: bytes) -> None:
        started = self.loop.time()
        status, sent = 502, 0
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_unix_connection(self.front.backend_path, limit=_READ_SIZE), 30)
        except (OSError, TimeoutError):
            raise _Refused(503, "the service is not available; retry shortly",
                           (("Retry-After", "5"),)) from None
        answered = False
        try:
            backend = h11.Connection(h11.CLIENT, max_incomplete_event_size=_BACKEND_HEAD_LIMIT)
            writer.write(backend.send(self._backend_request(request, body)))
            if body:
                writer.write(backend.send(h11.Data(data=body)))
            writer.write(backend.send(h11.EndOfMessage()))
            await asyncio.wait_for(writer.drain(), self.limits.backend_timeout)
            deadline = self.loop.time() + self.limits.backend_timeout
            while True:
                event = await self._backend_event(backend, reader, deadline)
                if isinstance(event, h11.Response):
                    status = event.status_code
                    headers = [(n, v) for n, v in event.headers if n not in _RESPONSE_HOP_HEADERS]
                    answered = True
                    await self._send(h11.Response(status_code=status, headers=headers, reason=event.reason))
                elif isinstance(event, h11.Data):
                    sent += len(event.data)
                    await self._send(h11.Data(data=event.data))
                elif isinstance(event, h11.EndOfMessage):
                    await self._send(h11.EndOfMessage())
                    return
        except (TimeoutError, OSError, h11.ProtocolError) as error:
            if not answered:
                # The worker may have committed before it ended: only a resubmission with the
                # same ClientMessageID (replayed, never applied twice) can tell the client.
                raise _Refused(504 if isinstance(error, TimeoutError) else 502,
                               "the service ended before it answered; resubmit the request with "
                               "the same ClientMessageID to learn its outcome") from None
            raise _ClientGone from None  # half an answer was sent: only closing is left
        finally:
            writer.close()
            _log_access(self.peer_address, request, status, sent, self.loop.time() - started)

    async def _backend_event(self, backend: h11.Connection, reader: asyncio.StreamReader, deadline: float):
        while True:
            event = backend.next_event()
            if event is not h11.NEED_DATA:
                if isinstance(event, h11.InformationalResponse):
                    continue
                if isinstance(event, h11.ConnectionClosed):
                    raise h11.RemoteProtocolError("the worker closed the connection early")
                return event
            remaining = deadline - self.loop.time()
            if remaining <= 0:
                raise TimeoutError
            backend.receive_data(await asyncio.wait_for(reader.read(_READ_SIZE), remaining))


class _ClientGone(Exception):
    pass


def _content_length(request: h11.Request) -> int | None:
    for name, value in request.headers:
        if name == b"content-length":
            return int(value)  # h11 has checked it is one non-negative integer
    return None


def _too_large(limit: int) -> _Refused:
    return _Refused(413, f"the request body exceeds {limit} bytes")


async def _write_refusal(writer: asyncio.StreamWriter, refused: _Refused, timeout: float) -> None:
    """A complete answer from the front; SOAP clients get a fault for the statuses they may see."""
    if refused.status in (413, 503):
        body = fault_envelope(structure_error(refused.text), "")
        content_type = "text/xml; charset=utf-8"
    else:
        body = (refused.text + "\n").encode("utf-8")
        content_type = "text/plain; charset=utf-8"
    reason = HTTPStatus(refused.status).phrase
    head = [f"HTTP/1.1 {refused.status} {reason}", f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}", "Connection: close",
            *(f"{name}: {value}" for name, value in refused.headers)]
    with contextlib.suppress(Exception):
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body)
        await asyncio.wait_for(writer.drain(), timeout)


def _path(target: bytes) -> str:
    return target.split(b"?", 1)[0].decode("ascii", "replace")


def _log_access(peer: str, request: h11.Request, status: int, sent: int, seconds: float) -> None:
    log.info("access peer=%s method=%s path=%s status=%d bytes=%d ms=%d", peer,
             request.method.decode("ascii", "replace"), _path(request.target), status, sent,
             round(seconds * 1000))


def _log_refusal(peer: str, refused: _Refused) -> None:
    log.info("front refused peer=%s status=%d reason=%s", peer, refused.status, refused.text)


def _quiet_tls_errors(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """A failed handshake (no or a wrong client certificate, a scanner) is the client's
    problem: log it briefly, not as a server error with a stack."""
    error = context.get("exception")
    if isinstance(error, (ssl.SSLError, ConnectionError, TimeoutError)):
        log.debug("front: TLS connection failed: %s", type(error).__name__)
        return
    loop.default_exception_handler(context)


async def run_front(front: Front, host: str, port: int, tls: ssl.SSLContext | None, *,
                    stop: asyncio.Event, backend_alive: Callable[[], bool], grace: float = 30.0) -> None:
    """Serve until ``stop`` is set or the backend dies, then let requests in progress finish."""
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_quiet_tls_errors)
    server = await asyncio.start_server(
        front.handle, host, port, ssl=tls, backlog=1024, limit=_READ_SIZE,
        ssl_handshake_timeout=front.limits.handshake_timeout if tls else None)
    log.info("front listening on %s:%d (%s)", host, port, "TLS" if tls else "plain HTTP")
    try:
        while not stop.is_set() and backend_alive():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
    finally:
        server.close()
        await front.drain(grace)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 5)


async def wait_for_backend(path: str, *, timeout: float, backend_alive: Callable[[], bool]) -> bool:
    """True once the backend socket accepts connections."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline and backend_alive():
        try:
            _, writer = await asyncio.open_unix_connection(path)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return True
    return False
