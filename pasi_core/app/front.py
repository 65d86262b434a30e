"""The front of ``pasi-core serve``: the public socket, TLS with client certificates, and the
limits that keep slow or idle clients from taking the service down.

A sync gunicorn worker gives itself to one connection until that connection's request has been
read and its answer written, so two clients that connect and then send nothing (or never read)
would hold two workers and leave every other client waiting.  The front does the slow parts on
one asyncio loop, where a slow connection costs a coroutine and a few kilobytes: the TLS
handshake and the headers must arrive within ``header_timeout`` of the connection, each stretch
of the body within ``body_silence_timeout`` and the whole body at ``min_body_rate`` after a
grace, sizes are capped, and so are connections (in all and per address).  Only a complete
request is handed to a gunicorn worker, over a private Unix socket only this process can reach
(its directory is mode 0700), and the worker's whole answer is taken from it at once, so a client
that reads slowly holds the front's memory for a while, never a worker.

The front tells the worker who the peer is in ``X-Pasi-Peer-*`` headers and strips those (and
any header with an underscore, which a WSGI server could confuse with its own variables) from
every client request.  It logs one access line per request: peer, method, path (never the
query), status, bytes, milliseconds; a refusal is logged by its status and a fixed reason, never
with what the client sent.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import ssl
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import cast
from urllib.parse import quote

import h11

from pasi_core.kernel.errors import RequestRejected
from pasi_core.kernel.settings import Settings
from pasi_core.soap.faults import SERVER_FAULT, fault_envelope, structure_error

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
_METHODS = frozenset({b"GET", b"HEAD", b"POST"})
"""All the service answers; CONNECT, upgrades and the rest are refused by the front."""
_READ_SIZE = 64 * 1024
_BACKEND_HEAD_LIMIT = 1024 * 1024
_FILES_KEPT_FREE = 512
"""File descriptors left for the database, the worker sockets and the logs."""


@dataclass(frozen=True)
class FrontLimits:
    """How long and how much the front waits for and holds of a client (docs/security.md)."""

    header_timeout: float = 15.0
    """Seconds for the TLS handshake and a request's line and headers: from the connection for
    the first request, from its first byte for the next ones on a kept-alive connection."""
    idle_timeout: float = 30.0
    """Seconds a kept-alive connection may wait for its next request."""
    body_silence_timeout: float = 15.0
    """Longest pause while a request body arrives."""
    body_grace: float = 30.0
    min_body_rate: int = 32 * 1024
    """After ``body_grace`` seconds, the bytes received must keep up with this many a second."""
    max_header_bytes: int = 64 * 1024
    max_body_bytes: int = 32 * 1024 * 1024
    max_connections: int = 4096
    """Open client connections (TLS handshakes included); past it a new one is closed at once."""
    max_connections_per_address: int = 256
    buffered_bytes: int = 256 * 1024 * 1024
    """Request bodies held in memory at once, all connections together; past it 503."""
    backend_timeout: float = 330.0
    """Seconds for a worker's answer (gunicorn itself stops a worker after 300)."""
    send_grace: float = 30.0
    min_send_rate: int = 32 * 1024
    """A client must take the answer at this many bytes a second after ``send_grace``."""

    @classmethod
    def from_settings(cls, settings: Settings) -> FrontLimits:
        return cls(header_timeout=settings.header_timeout, idle_timeout=settings.idle_timeout,
                   body_silence_timeout=settings.body_silence_timeout, min_body_rate=settings.min_body_rate,
                   min_send_rate=settings.min_body_rate, max_body_bytes=settings.max_request_bytes,
                   max_connections=settings.max_connections,
                   max_connections_per_address=settings.max_connections_per_address,
                   buffered_bytes=settings.max_buffered_bytes)


def raise_file_limit(limits: FrontLimits) -> FrontLimits:
    """Let the process hold its connections: raise the soft limit of open files to the hard one,
    and hold fewer connections than the files it may open (never fail in accept())."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = limits.max_connections + _FILES_KEPT_FREE
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft != resource.RLIM_INFINITY and soft - _FILES_KEPT_FREE < limits.max_connections:
        allowed = max(16, soft - _FILES_KEPT_FREE)
        log.warning("only %d files may be open: the front holds at most %d connections", soft, allowed)
        return FrontLimits(**{**limits.__dict__, "max_connections": allowed})
    return limits


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


class _ClientGone(Exception):
    """The client left or stopped reading: nothing more can be said to it."""


class Front:
    """Accepts client connections and hands complete requests to the backend socket."""

    def __init__(self, backend_path: str, limits: FrontLimits, tls: ssl.SSLContext | None = None):
        self.backend_path = backend_path
        self.limits = limits
        self.tls = tls
        self.budget = _Budget(limits.buffered_bytes)
        self.open_connections = 0
        self.per_address: Counter[str] = Counter()
        self._tasks: dict[asyncio.Task, _Connection | None] = {}
        self.stopping = False

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks[task] = None
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        counted = False
        try:
            if (self.open_connections >= self.limits.max_connections
                    or self.per_address[address] >= self.limits.max_connections_per_address):
                log.info("front refused peer=%s reason=too many connections", address)
                return  # before any TLS: nothing can be said, only closed
            self.open_connections += 1
            self.per_address[address] += 1
            counted = True
            connection = _Connection(self, reader, writer, address)
            if task is not None:
                self._tasks[task] = connection
            await connection.serve()
        except Exception:  # one connection's failure never stops the front
            log.exception("front: a connection failed")
        finally:
            if counted:
                self.open_connections -= 1
                self.per_address[address] -= 1
                if not self.per_address[address]:
                    del self.per_address[address]
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 5)
            if task is not None:
                self._tasks.pop(task, None)

    async def drain(self, grace: float) -> None:
        """Let the requests in progress finish (at most ``grace`` seconds), then cut them.  Idle
        kept-alive connections are closed at once: a restart does not wait for their timeout."""
        self.stopping = True
        pending = set()
        for task, connection in list(self._tasks.items()):
            if task is asyncio.current_task():
                continue
            if connection is not None and connection.idle:
                task.cancel()
            pending.add(task)
        if pending:
            _, late = await asyncio.wait(pending, timeout=grace)
            for task in late:
                task.cancel()


class _Connection:
    def __init__(self, front: Front, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, address: str):
        self.front, self.limits = front, front.limits
        self.reader, self.writer = reader, writer
        self.loop = asyncio.get_running_loop()
        self.opened = self.loop.time()
        self.peer_address = address
        self.scheme = b"http"
        self.certificate: bytes | None = None
        self.http = h11.Connection(h11.SERVER, max_incomplete_event_size=self.limits.max_header_bytes)
        self.held = 0  # body bytes taken from the budget for the request in progress
        self.idle = False
        """Waiting for a next request that has not begun: closed at once when the front stops."""

    async def _handshake(self) -> bool:
        tls = self.front.tls
        if tls is None:
            cast(asyncio.Transport, self.writer.transport).resume_reading()
            return True
        remaining = self.opened + self.limits.header_timeout - self.loop.time()
        try:
            await asyncio.wait_for(self.writer.start_tls(tls), max(0.1, remaining))
        except (TimeoutError, OSError, ssl.SSLError, ConnectionError):
            return False  # no, a wrong or a slow client certificate: the handshake refused it
        self.scheme = b"https"
        sslobj = self.writer.get_extra_info("ssl_object")
        der = sslobj.getpeercert(binary_form=True) if sslobj is not None else None
        self.certificate = quote(ssl.DER_cert_to_PEM_cert(der)).encode("ascii") if der else None
        return True

    async def serve(self) -> None:
        if not await self._handshake():
            return
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
                log.info("front refused peer=%s status=%d reason=%s", self.peer_address, refused.status,
                         refused.text)
                await _write_refusal(self.writer, refused, self.limits.send_grace)
                return
            except (_ClientGone, TimeoutError, OSError, ssl.SSLError, h11.LocalProtocolError):
                return  # the client stopped reading or left: nothing more can be said to it
            if self.front.stopping or self.http.our_state is not h11.DONE or self.http.their_state is not h11.DONE:
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
            # The parser's own text can quote what the client sent (a query, a body): not logged.
            raise _Refused(error.error_status_hint, "malformed HTTP request") from None

    async def _request_head(self, first: bool) -> h11.Request | None:
        limits = self.limits
        # The first request's clock runs from the connection (the TLS handshake included).
        deadline = self.opened + limits.header_timeout if first else self.loop.time() + limits.idle_timeout
        begun = first
        while True:
            event = self._next_event()
            if isinstance(event, h11.Request):
                return event
            if event is not h11.NEED_DATA:
                return None  # the client closed, or a protocol state we do not continue from
            self.idle = not self.http.trailing_data[0]  # nothing of a request has arrived
            try:
                data = await self._receive(deadline)
            finally:
                self.idle = False
            if data is None:
                if begun and bool(self.http.trailing_data[0]):
                    raise _Refused(408, "the request headers did not arrive in time")
                return None  # an idle connection is simply closed
            if data and not begun:
                begun = True
                deadline = self.loop.time() + limits.header_timeout
            self.http.receive_data(data)

    def _check_head(self, request: h11.Request) -> int | None:
        """The declared length; refuses what the service never answers."""
        if request.method not in _METHODS:
            raise _Refused(405, "the service answers GET, HEAD and POST only", (("Allow", "GET, HEAD, POST"),))
        names = [name for name, _ in request.headers]
        if b"transfer-encoding" in names and b"content-length" in names:
            raise _Refused(400, "a request may not carry both Content-Length and Transfer-Encoding")
        for name, value in request.headers:
            if name == b"content-length":
                declared = int(value)  # h11 has checked it is one non-negative integer
                if declared > self.limits.max_body_bytes:
                    raise _too_large(self.limits.max_body_bytes)
                return declared
        return None

    async def _body(self, request: h11.Request) -> bytes:
        limits = self.limits
        self._check_head(request)
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
                self._hold(len(event.data))  # what arrived, not what was promised
                parts.append(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(parts)
            elif event is h11.NEED_DATA:
                by_rate = started + limits.body_grace + received / limits.min_body_rate
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

    async def _send(self, event, deadline: float | None = None) -> None:
        data = self.http.send(event)
        if data:
            self.writer.write(data)
            remaining = (deadline if deadline is not None else self.loop.time() + self.limits.send_grace) \
                - self.loop.time()
            try:
                await asyncio.wait_for(self.writer.drain(), max(0.1, remaining))
            except (TimeoutError, OSError, ssl.SSLError) as gone:
                raise _ClientGone from gone

    def _backend_request(self, request: h11.Request, body: bytes) -> h11.Request:
        headers = [(name, value) for name, value in request.headers
                   if name not in _REQUEST_HOP_HEADERS and not name.startswith(_PRIVATE_PREFIX)
                   and b"_" not in name]
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
            response, content = await self._ask_backend(request, body)
            status = response.status_code
            headers = [(n, v) for n, v in response.headers if n not in _RESPONSE_HOP_HEADERS]
            # The worker is free now; the client gets the answer at its own pace, within reason.
            deadline = self.loop.time() + self.limits.send_grace + len(content) / self.limits.min_send_rate
            await self._send(h11.Response(status_code=status, headers=headers, reason=response.reason), deadline)
            if content:
                await self._send(h11.Data(data=content), deadline)
                sent = len(content)
            await self._send(h11.EndOfMessage(), deadline)
        finally:
            _log_access(self.peer_address, request, status, sent, self.loop.time() - started)

    async def _ask_backend(self, request: h11.Request, body: bytes) -> tuple[h11.Response, bytes]:
        """The worker's complete answer (its head and body)."""
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_unix_connection(self.front.backend_path, limit=_READ_SIZE), 30)
        except (OSError, TimeoutError):
            raise _Refused(503, "the service is not available; retry shortly", (("Retry-After", "5"),)) from None
        try:
            backend = h11.Connection(h11.CLIENT, max_incomplete_event_size=_BACKEND_HEAD_LIMIT)
            writer.write(backend.send(self._backend_request(request, body)))
            if body:
                writer.write(backend.send(h11.Data(data=body)))
            writer.write(backend.send(h11.EndOfMessage()))
            deadline = self.loop.time() + self.limits.backend_timeout
            await asyncio.wait_for(writer.drain(), self.limits.backend_timeout)
            response = None
            parts: list[bytes] = []
            while True:
                event = await self._backend_event(backend, reader, deadline)
                if isinstance(event, h11.Response):
                    response = event
                elif isinstance(event, h11.Data):
                    parts.append(event.data)
                elif isinstance(event, h11.EndOfMessage) and response is not None:
                    return response, b"".join(parts)
                else:
                    raise h11.RemoteProtocolError("the worker's answer is not one HTTP response")
        except (TimeoutError, OSError, h11.ProtocolError) as error:
            # The worker may have committed before it ended: only a resubmission with the same
            # ClientMessageID (replayed, never applied twice) can tell the client the outcome.
            raise _Refused(504 if isinstance(error, TimeoutError) else 502,
                           "the service ended before it answered; resubmit the request with the same "
                           "ClientMessageID to learn its outcome") from None
        finally:
            writer.close()

    async def _backend_event(self, backend: h11.Connection, reader: asyncio.StreamReader, deadline: float):
        while True:
            event = backend.next_event()
            if event is h11.NEED_DATA:
                remaining = deadline - self.loop.time()
                if remaining <= 0:
                    raise TimeoutError
                backend.receive_data(await asyncio.wait_for(reader.read(_READ_SIZE), remaining))
                continue
            if isinstance(event, h11.InformationalResponse):
                continue
            if event is h11.PAUSED or isinstance(event, h11.ConnectionClosed):
                raise h11.RemoteProtocolError("the worker closed the connection or switched protocols")
            return event


class _NotReadingYet(asyncio.StreamReaderProtocol):
    """Reads nothing until the connection is counted and TLS (if any) is started: a ClientHello
    read into the plain stream would never reach the TLS layer."""

    def connection_made(self, transport) -> None:
        transport.pause_reading()
        super().connection_made(transport)


def _too_large(limit: int) -> _Refused:
    return _Refused(413, f"the request body exceeds {limit} bytes")


async def _write_refusal(writer: asyncio.StreamWriter, refused: _Refused, timeout: float) -> None:
    """A complete answer from the front; SOAP clients get a fault for the statuses they may see."""
    if refused.status in (413, 503):
        body = fault_envelope(structure_error(refused.text), "")
        content_type = "text/xml; charset=utf-8"
    elif refused.status in (502, 504):
        body = fault_envelope(RequestRejected(9001, refused.text, fault_code=SERVER_FAULT), "")
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


def _quiet_tls_errors(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """A failed handshake (no or a wrong client certificate, a scanner) is the client's
    problem: log it briefly, not as a server error with a stack."""
    error = context.get("exception")
    if isinstance(error, (ssl.SSLError, ConnectionError, TimeoutError)):
        log.debug("front: TLS connection failed: %s", type(error).__name__)
        return
    loop.default_exception_handler(context)


async def run_front(front: Front, host: str, port: int, *, stop: asyncio.Event,
                    backend_alive: Callable[[], bool], grace: float = 30.0) -> None:
    """Serve until ``stop`` is set or the backend dies, then let requests in progress finish."""
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_quiet_tls_errors)
    # Plain TCP here: the front starts TLS itself, after counting the connection, so that a
    # handshake in progress counts against the connection limits and its time limit.
    def protocol() -> _NotReadingYet:
        return _NotReadingYet(asyncio.StreamReader(limit=_READ_SIZE), front.handle)

    server = await loop.create_server(protocol, host, port, backlog=1024)
    log.info("front listening on %s:%d (%s)", host, port, "TLS" if front.tls else "plain HTTP")
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
