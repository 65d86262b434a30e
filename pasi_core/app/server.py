"""Running the service: the front (pasi_core/app/front.py) before gunicorn workers on a
private socket, or a single-process development server."""
from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import ssl
import tempfile
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from pasi_core.kernel.errors import ConfigurationError
from pasi_core.kernel.settings import Settings
from pasi_core.soap.authentication import is_loopback
from pasi_core.soap.certificates import PEER_CERTIFICATE_KEY, CertificateError, certificate_from_header

from . import front

log = logging.getLogger("pasi_core.app.server")


def check_development_authentication(settings: Settings, host: str) -> None:
    if settings.development_authentication and not _is_loopback_host(host):
        raise ConfigurationError(
            "development authentication trusts the organization code a client claims; it is "
            f"only allowed on the loopback interface, not on {host!r}")


def check_serving_mode(settings: Settings, host: str) -> None:
    """Clients must be identifiable: TLS here, a trusted TLS proxy, or development mode."""
    check_development_authentication(settings, host)
    if not (settings.terminates_tls or settings.trusted_proxies or settings.development_authentication):
        raise ConfigurationError(
            "no way to authenticate clients: terminate TLS with --tls-cert/--tls-key/--client-ca, "
            "or name the TLS proxy with --trusted-proxy, or (development, loopback) use --dev-auth")
    for path in (settings.tls_certificate, settings.tls_key, settings.client_ca):
        if path and not os.path.exists(path):
            raise ConfigurationError(f"{path}: no such file")


def tls_context(settings: Settings) -> ssl.SSLContext:
    """Server-side TLS that verifies any client certificate against the client CA.

    A certificate is optional at the handshake: the Student Records screens are for people
    with passwords, not certificates.  Every SOAP request without a registered certificate is
    refused (1001) before its body is read; a certificate the CA did not sign fails the
    handshake itself."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=settings.client_ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_OPTIONAL
    if settings.tls_certificate is None:
        raise ConfigurationError("terminating TLS needs a server certificate (PASI_TLS_CERT)")
    context.load_cert_chain(settings.tls_certificate, settings.tls_key)
    return context


def _is_loopback_host(host: str) -> bool:
    return host == "localhost" or is_loopback(host)


def serve_with_gunicorn(settings: Settings, bind: str, workers: int, *, behind_front: bool = False) -> None:
    """gunicorn's sync workers on ``bind``.  Behind the front they only ever see complete
    requests, so a worker is never held by a slow client."""
    from gunicorn.app.base import BaseApplication

    class PasiGunicorn(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", bind)
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "sync")
            self.cfg.set("timeout", 300)
            self.cfg.set("graceful_timeout", 30)
            self.cfg.set("max_requests", 10_000)
            self.cfg.set("max_requests_jitter", 500)
            self.cfg.set("control_socket_disable", True)
            # The front passes the peer's certificate in a header of a few kilobytes.
            self.cfg.set("limit_request_field_size", 32 * 1024)
            # Nothing a client sends decides the scheme or the peer: the front says it.
            self.cfg.set("forwarded_allow_ips", "")
            self.cfg.set("secure_scheme_headers", {})
            self.cfg.set("forwarder_headers", "")  # no SCRIPT_NAME or PATH_INFO from a header
            if behind_front:
                return  # the front writes the access log
            self.cfg.set("accesslog", "-")
            # The access log names the path and status only, never a payload.
            self.cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s %(b)s %(M)sms')
            if settings.terminates_tls:
                self.cfg.set("certfile", settings.tls_certificate)
                self.cfg.set("keyfile", settings.tls_key)
                self.cfg.set("ca_certs", settings.client_ca)
                self.cfg.set("cert_reqs", ssl.CERT_REQUIRED)

        def load(self):
            # Built in each worker after the fork: no database connection is shared.
            from pasi_core.app.application import create_wsgi_app
            from pasi_core.app.memory import freeze_start_up_heap
            app = create_wsgi_app(settings)
            freeze_start_up_heap()
            return trust_front_headers(app) if behind_front else app

    PasiGunicorn().run()


def trust_front_headers(app):
    """The worker side of the front: the peer's address, scheme and verified certificate come
    from the front's ``X-Pasi-Peer-*`` headers.  Only the front can reach the worker's socket,
    and it strips those headers from what clients send."""

    def wsgi(environ: dict, start_response):
        address = environ.pop("HTTP_X_PASI_PEER_ADDRESS", "")
        scheme = environ.pop("HTTP_X_PASI_SCHEME", "http")
        certificate = environ.pop("HTTP_X_PASI_PEER_CERTIFICATE", None)
        environ["REMOTE_ADDR"] = address
        environ["wsgi.url_scheme"] = "https" if scheme == "https" else "http"
        if certificate:
            with contextlib.suppress(CertificateError):  # the front sends what TLS verified
                environ[PEER_CERTIFICATE_KEY] = certificate_from_header(certificate)
        return app(environ, start_response)

    return wsgi


def _end_with_parent() -> None:
    """Linux: the backend gets SIGTERM when the front dies, even by SIGKILL."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _spawn(work, parent: int) -> int:
    """Fork a child that runs ``work()`` and exits; it ends when the front dies."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        _end_with_parent()
        if os.getppid() == parent:
            work()
            code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        log.exception("a child of serve failed")
    finally:
        os._exit(code)


def serve_behind_front(settings: Settings, host: str, port: int, workers: int, *, job_runner: bool = True) -> int:
    """``pasi-core serve``: gunicorn on a private Unix socket, the job runner, and the front on
    ``host:port``.  The front starts the job runner again whenever it stops."""
    tls = tls_context(settings) if settings.terminates_tls else None
    socket_dir = tempfile.mkdtemp(prefix="pasi-core-")  # mode 0700: only this user connects
    backend_path = os.path.join(socket_dir, "backend.sock")
    parent = os.getpid()
    backend = _spawn(lambda: serve_with_gunicorn(settings, f"unix:{backend_path}", workers, behind_front=True),
                     parent)
    runner = _JobRunnerChild(settings, parent) if job_runner else None
    try:
        return asyncio.run(_front_main(settings, host, port, tls, backend, backend_path, runner))
    finally:
        if runner is not None:
            runner.stop()
        _stop_backend(backend)
        shutil.rmtree(socket_dir, ignore_errors=True)


class _JobRunnerChild:
    """The job runner as a child process, started again (after a pause) whenever it exits."""

    RESTART_AFTER = 5.0

    def __init__(self, settings: Settings, parent: int):
        self._settings, self._parent = settings, parent
        self.pid: int | None = None
        self._exited_at: float | None = None
        self._start()

    def _start(self) -> None:
        from pasi_core.app import job_runner
        self.pid = _spawn(lambda: job_runner.run(self._settings), self._parent)
        self._exited_at = None

    def check(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(ChildProcessError):
                done, status = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    log.error("the job runner exited (status %s); it is started again in %.0f s", status,
                              self.RESTART_AFTER)
                    self.pid, self._exited_at = None, time.monotonic()
        elif self._exited_at is not None and time.monotonic() - self._exited_at >= self.RESTART_AFTER:
            self._start()

    def stop(self) -> None:
        if self.pid is not None:
            _stop_backend(self.pid)
            self.pid = None


async def _front_main(settings: Settings, host: str, port: int, tls: ssl.SSLContext | None,
                      backend: int, backend_path: str, runner: _JobRunnerChild | None) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    exited: list[int] = []

    def backend_alive() -> bool:
        if runner is not None:
            runner.check()
        if not exited:
            with contextlib.suppress(ChildProcessError):
                pid, status = os.waitpid(backend, os.WNOHANG)
                if pid:
                    exited.append(status)
        return not exited

    if not await front.wait_for_backend(backend_path, timeout=300, backend_alive=backend_alive):
        log.error("the gunicorn workers did not start; see the messages above")
        return 1
    limits = front.raise_file_limit(front.FrontLimits.from_settings(settings))
    await front.run_front(front.Front(backend_path, limits, tls), host, port, stop=stop,
                          backend_alive=backend_alive)
    if exited:
        log.error("the gunicorn arbiter exited (status %s); the front stops too", exited[0])
        return 1
    return 0


def _stop_backend(pid: int, grace: float = 40.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        log.info("%s %s", self.address_string(), format % args)

    def get_environ(self):
        environ = super().get_environ()
        if isinstance(self.connection, ssl.SSLSocket):
            environ["wsgi.url_scheme"] = "https"
            der = self.connection.getpeercert(binary_form=True)
            if der:
                environ[PEER_CERTIFICATE_KEY] = der
        return environ


class _TLSThreadingWSGIServer(_ThreadingWSGIServer):
    """Handshakes in the request thread, so a slow or failing client blocks nobody."""

    tls: ssl.SSLContext

    def get_request(self):
        sock, address = super().get_request()
        return self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def finish_request(self, request, client_address):
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return  # no (valid) client certificate: the handshake itself refuses the client
        super().finish_request(request, client_address)


def make_development_server(app, host: str, port: int, tls: ssl.SSLContext | None = None):
    """A threaded wsgiref server: one process, for development and tests (TLS optional)."""
    if tls is None:
        return make_server(host, port, app, server_class=_ThreadingWSGIServer,
                           handler_class=_QuietHandler)
    server_class = type("TLSServer", (_TLSThreadingWSGIServer,), {"tls": tls})
    return make_server(host, port, app, server_class=server_class, handler_class=_QuietHandler)


def serve_single_process(settings: Settings, host: str, port: int, *, job_runner: bool = True) -> None:
    from pasi_core.app import job_runner as jobs
    from pasi_core.app.application import create_wsgi_app
    from pasi_core.app.memory import freeze_start_up_heap

    if job_runner:
        threading.Thread(target=jobs.run, args=(settings,), name="job-runner", daemon=True).start()
    tls = tls_context(settings) if settings.terminates_tls else None
    app = create_wsgi_app(settings)
    freeze_start_up_heap()
    server = make_development_server(app, host, port, tls)
    log.info("serving on http://%s:%d (single process)", host, server.server_port)
    server.serve_forever()


def start_in_thread(app, host: str = "127.0.0.1", port: int = 0):
    """Start a development server on a background thread; returns (server, base URL)."""
    server = make_development_server(app, host, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://{host}:{server.server_port}"
