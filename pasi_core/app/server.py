"""Running the service: gunicorn workers, or a single-process development server."""
from __future__ import annotations

import logging
import os
import ssl
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from pasi_core.kernel.errors import ConfigurationError
from pasi_core.kernel.settings import Settings
from pasi_core.soap.authentication import is_loopback
from pasi_core.soap.certificates import PEER_CERTIFICATE_KEY

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
    """Server-side TLS that requires a client certificate signed by the client CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=settings.client_ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    if settings.tls_certificate is None:
        raise ConfigurationError("terminating TLS needs a server certificate (PASI_TLS_CERT)")
    context.load_cert_chain(settings.tls_certificate, settings.tls_key)
    return context


def _is_loopback_host(host: str) -> bool:
    return host == "localhost" or is_loopback(host)


def serve_with_gunicorn(settings: Settings, host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    class PasiGunicorn(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "sync")
            self.cfg.set("timeout", 300)
            self.cfg.set("graceful_timeout", 30)
            self.cfg.set("max_requests", 10_000)
            self.cfg.set("max_requests_jitter", 500)
            self.cfg.set("control_socket_disable", True)
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
            return create_wsgi_app(settings)

    PasiGunicorn().run()


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


def serve_single_process(settings: Settings, host: str, port: int) -> None:
    from pasi_core.app.application import create_wsgi_app

    tls = tls_context(settings) if settings.terminates_tls else None
    server = make_development_server(create_wsgi_app(settings), host, port, tls)
    log.info("serving on http://%s:%d (single process)", host, server.server_port)
    server.serve_forever()


def start_in_thread(app, host: str = "127.0.0.1", port: int = 0):
    """Start a development server on a background thread; returns (server, base URL)."""
    server = make_development_server(app, host, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://{host}:{server.server_port}"
