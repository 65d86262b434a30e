"""The front (pasi_core/app/front.py) on real sockets, in this process, before a stand-in
worker on a Unix socket that records what it receives.  The attacks a review found, each as a
test: CONNECT, a client that never reads, a trickled body, Content-Length with chunking, handshakes
not counted, what reaches the log, headers with underscores."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pasi_core.app import dev_certs
from pasi_core.app.front import Front, FrontLimits, run_front, wait_for_backend

BIG_ANSWER = 8 * 1024 * 1024


@dataclass
class StandIn:
    """What the stand-in worker saw, and how its last big answer went."""

    heads: list[bytes] = field(default_factory=list)
    big_answer_written: threading.Event = field(default_factory=threading.Event)
    big_answer_error: list[str] = field(default_factory=list)


def _stand_in_worker(path: str, seen: StandIn, ready: threading.Event, stop: threading.Event) -> None:
    """A blocking one-at-a-time worker, like a gunicorn sync worker: /big answers 8 MiB."""
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(16)
    listener.settimeout(0.2)
    ready.set()
    while not stop.is_set():
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        with connection:
            connection.settimeout(30)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                data += chunk
            if b"\r\n\r\n" not in data:
                continue  # a readiness probe: connected and closed
            head, _, rest = data.partition(b"\r\n\r\n")
            seen.heads.append(head)
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(rest) < length:
                rest += connection.recv(65536)
            big = head.split(b" ", 2)[1].startswith(b"/big")
            body = b"x" * BIG_ANSWER if big else b"ok\n"
            try:
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                                   + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
                if big:
                    seen.big_answer_written.set()
            except OSError as error:
                seen.big_answer_error.append(type(error).__name__)
    listener.close()


@dataclass
class RunningFront:
    port: int
    seen: StandIn
    tls: bool


@contextlib.contextmanager
def running_front(tmp_path: Path, limits: FrontLimits, tls_context: ssl.SSLContext | None = None,
                  grace: float = 1, stopped: list | None = None) -> Iterator[RunningFront]:
    path = str(tmp_path / "backend.sock")
    seen, ready, stop_worker = StandIn(), threading.Event(), threading.Event()
    worker = threading.Thread(target=_stand_in_worker, args=(path, seen, ready, stop_worker), daemon=True)
    worker.start()
    assert ready.wait(60)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    loop = asyncio.new_event_loop()
    stopping = asyncio.Event()

    async def main() -> None:
        assert await wait_for_backend(path, timeout=60, backend_alive=lambda: True)
        await run_front(Front(path, limits, tls_context), "127.0.0.1", port, stop=stopping,
                        backend_alive=lambda: True, grace=grace)

    serving = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    serving.start()
    _wait_listening(port)
    if stopped is not None:
        stopped.append(lambda: loop.call_soon_threadsafe(stopping.set))
        stopped.append(serving)
    try:
        yield RunningFront(port, seen, tls_context is not None)
    finally:
        loop.call_soon_threadsafe(stopping.set)
        serving.join(60)
        stop_worker.set()
        worker.join(60)
        loop.close()


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=5):
            return
        time.sleep(0.05)
    raise AssertionError("the front did not start listening")


def _exchange(port: int, raw: bytes, timeout: float = 60) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        received = b""
        with contextlib.suppress(ConnectionError, TimeoutError):
            while chunk := sock.recv(65536):
                received += chunk
        return received


def _health(port: int) -> bytes:
    return _exchange(port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")


def test_connect_is_refused_and_the_front_goes_on_answering(tmp_path):
    with running_front(tmp_path, FrontLimits()) as front:
        answer = _exchange(front.port, b"CONNECT /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 405 ") and b"Allow: GET, HEAD, POST" in answer
        assert _health(front.port).endswith(b"\r\n\r\nok\n")
        assert not front.seen.heads or all(not h.startswith(b"CONNECT") for h in front.seen.heads)


def test_a_client_that_never_reads_does_not_hold_the_worker(tmp_path):
    with running_front(tmp_path, FrontLimits()) as front:
        reader = socket.create_connection(("127.0.0.1", front.port), timeout=60)
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        reader.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        # The worker writes its whole 8 MiB answer although the client reads none of it: the front
        # took it all.  (Had the front passed it on as it came, the worker would block here.)
        assert front.seen.big_answer_written.wait(120), front.seen.big_answer_error
        assert _health(front.port).endswith(b"\r\n\r\nok\n")
        reader.close()


def test_a_trickled_body_is_cut_off_once_it_falls_below_the_minimum_rate(tmp_path):
    limits = FrontLimits(body_grace=0.5, min_body_rate=1000, body_silence_timeout=30)
    with running_front(tmp_path, limits) as front, \
            socket.create_connection(("127.0.0.1", front.port), timeout=60) as sock:
        sock.sendall(b"POST /PASIService HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        answer = b""
        for _ in range(600):  # a byte every 0.1 s: 10 bytes a second, far below 1000
            try:
                sock.sendall(b"<")
            except OSError:
                break
            time.sleep(0.1)
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                answer += sock.recv(65536)
            sock.setblocking(True)
            if answer:
                break
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
        assert front.seen.heads == [], "nothing reached the worker"


def test_content_length_with_chunked_transfer_encoding_is_refused(tmp_path):
    with running_front(tmp_path, FrontLimits()) as front:
        answer = _exchange(front.port, b"POST /PASIService HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                                       b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert front.seen.heads == []


def test_chunked_bodies_count_against_the_buffer_budget(tmp_path):
    limits = FrontLimits(buffered_bytes=64 * 1024, max_body_bytes=64 * 1024)
    with running_front(tmp_path, limits) as front:
        held = socket.create_connection(("127.0.0.1", front.port), timeout=60)
        held.sendall(b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     + b"%x\r\n" % 60000 + b"y" * 60000 + b"\r\n")
        time.sleep(0.5)  # let the front take those bytes (the next request cannot fit beside them)
        answer = _exchange(front.port, b"POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                       + b"%x\r\n" % 10000 + b"z" * 10000 + b"\r\n0\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 5" in answer
        held.close()


@pytest.fixture(scope="module")
def server_tls(tmp_path_factory) -> ssl.SSLContext:
    certs = dev_certs.generate(tmp_path_factory.mktemp("front-certs"), {"school": "Front test"})
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(certs["ca"].certificate))
    context.verify_mode = ssl.CERT_OPTIONAL
    context.load_cert_chain(str(certs["server"].certificate), str(certs["server"].key))
    return context


def test_connections_still_in_their_tls_handshake_count_against_the_limits(tmp_path, server_tls):
    # The handshakes' time limit is short: the closed ones below are let go when it passes.
    limits = FrontLimits(max_connections_per_address=10, header_timeout=15)
    with running_front(tmp_path, limits, server_tls) as front:
        silent = [socket.create_connection(("127.0.0.1", front.port), timeout=60) for _ in range(10)]
        time.sleep(0.5)  # the front has accepted them all (none has started TLS)
        extra = socket.create_connection(("127.0.0.1", front.port), timeout=60)
        assert extra.recv(1) == b"", "past the limit a connection is closed before any TLS"
        for sock in silent:
            sock.close()
        extra.close()
        deadline = time.monotonic() + 60
        client = ssl.create_default_context()
        client.check_hostname, client.verify_mode = False, ssl.CERT_NONE
        while True:  # once they are gone, a client is served again
            try:
                with socket.create_connection(("127.0.0.1", front.port), timeout=60) as raw, \
                        client.wrap_socket(raw) as tls:
                    tls.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    assert tls.recv(65536).startswith(b"HTTP/1.1 200 ")
                    break
            except (ConnectionError, ssl.SSLError):
                assert time.monotonic() < deadline
                time.sleep(0.2)


def test_refusals_log_no_query_and_no_body(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="pasi_core.app.front")
    with running_front(tmp_path, FrontLimits()) as front:
        _exchange(front.port, b"GET /health?token=SECRET-QUERY HTTP/1.1 junk\r\nHost: x\r\n\r\n")
        _exchange(front.port, b"POST /PASIService HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                              b"zz<StateProvinceId>123456789</StateProvinceId>\r\n")
        _exchange(front.port, b"GET /health?asn=123456789 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "front refused" in text and "access" in text
    assert "SECRET-QUERY" not in text and "123456789" not in text and "StateProvinceId" not in text


def test_headers_with_underscores_and_the_fronts_own_never_reach_the_worker(tmp_path):
    with running_front(tmp_path, FrontLimits()) as front:
        _exchange(front.port, b"GET /health HTTP/1.1\r\nHost: x\r\nSCRIPT_NAME: /health\r\n"
                              b"X_Pasi_Peer_Address: 1.2.3.4\r\nX-PASI-peer-certificate: forged\r\n"
                              b"Connection: close\r\n\r\n")
        (head,) = front.seen.heads
        lowered = head.lower()
        assert b"script_name" not in lowered and b"x_pasi" not in lowered and b"forged" not in lowered
        assert b"x-pasi-peer-address: 127.0.0.1" in lowered


def test_stopping_closes_idle_kept_alive_connections_at_once(tmp_path):
    """A restart does not wait for idle clients: with a 10-minute idle timeout and grace, the
    front stops as soon as its kept-alive connection is idle (a timing-free bound: it would
    otherwise outlast the join below)."""
    stopped: list = []
    with running_front(tmp_path, FrontLimits(idle_timeout=600), grace=600, stopped=stopped) as front, \
            socket.create_connection(("127.0.0.1", front.port), timeout=120) as kept:
        kept.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while not answer.endswith(b"ok\n"):
            answer += kept.recv(65536)
        request_stop, serving = stopped
        request_stop()
        serving.join(120)
        assert not serving.is_alive(), "the front waited for an idle connection"
        assert kept.recv(65536) == b"", "the idle connection was closed"
