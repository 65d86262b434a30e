"""Running the service: gunicorn workers, or a single-process development server."""
from __future__ import annotations

import logging
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from pasi_core.authentication import is_loopback
from pasi_core.config import Settings
from pasi_core.errors import ConfigurationError

log = logging.getLogger("pasi_core.server")


def check_development_authentication(settings: Settings, host: str) -> None:
    if settings.development_authentication and not _is_loopback_host(host):
        raise ConfigurationError(
            "development authentication trusts the organization code a client claims; it is "
            f"only allowed on the loopback interface, not on {host!r}")


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

        def load(self):
            # Built in each worker after the fork: no database connection is shared.
            from pasi_core.application import create_wsgi_app
            return create_wsgi_app(settings)

    PasiGunicorn().run()


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - wsgiref's signature
        log.info("%s %s", self.address_string(), format % args)


def make_development_server(app, host: str, port: int):
    """A threaded wsgiref server: one process, for development and tests."""
    return make_server(host, port, app, server_class=_ThreadingWSGIServer,
                       handler_class=_QuietHandler)


def serve_single_process(settings: Settings, host: str, port: int) -> None:
    from pasi_core.application import create_wsgi_app

    server = make_development_server(create_wsgi_app(settings), host, port)
    log.info("serving on http://%s:%d (single process)", host, server.server_port)
    server.serve_forever()


def start_in_thread(app, host: str = "127.0.0.1", port: int = 0):
    """Start a development server on a background thread; returns (server, base URL)."""
    server = make_development_server(app, host, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://{host}:{server.server_port}"
