"""``serve``: the SOAP endpoints under gunicorn (or one development process)."""
from __future__ import annotations

from pasi_core.app import secret_key, server
from pasi_core.kernel.settings import Settings

from .common import ready_engine


def cmd_serve(args, settings: Settings) -> int:
    changes: dict[str, object] = {}
    if args.dev_auth:
        changes["development_authentication"] = True
    if args.tls_cert or args.tls_key or args.client_ca:
        changes.update(tls_certificate=args.tls_cert, tls_key=args.tls_key, client_ca=args.client_ca)
    if args.trusted_proxy:
        changes["trusted_proxies"] = tuple(args.trusted_proxy)
    settings = settings.with_changes(**changes)
    scheme = "https" if settings.terminates_tls else "http"
    if args.public_url:
        settings = settings.with_changes(public_url=args.public_url)
    elif settings.public_url == Settings().public_url:
        host = "localhost" if settings.terminates_tls and args.host in ("127.0.0.1", "::1") else args.host
        settings = settings.with_changes(public_url=f"{scheme}://{host}:{args.port}")
    server.check_serving_mode(settings, args.host)
    ready_engine(settings).dispose()  # no connection may cross the fork to the workers
    if settings.secret_key is None:
        settings = settings.with_changes(secret_key=secret_key.load_or_create(settings.secret_key_file))
    print(f"PASIService WSDL: {settings.public_url}/PASIService?wsdl", flush=True)
    print(f"Student Records: {settings.public_url}/student-records/", flush=True)
    if args.workers == 0:
        server.serve_single_process(settings, args.host, args.port, job_runner=not args.no_job_runner)
        return 0
    return server.serve_behind_front(settings, args.host, args.port, args.workers,
                                     job_runner=not args.no_job_runner)


def add_commands(commands) -> None:
    serve = commands.add_parser("serve", help="run the SOAP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2,
                       help="gunicorn worker processes behind the front; 0 runs a single-process "
                            "development server")
    serve.add_argument("--public-url", help="base URL published in the WSDL (default PASI_PUBLIC_URL)")
    serve.add_argument("--dev-auth", action="store_true",
                       help="development only: trust CallerInfo.OrganizationCode from loopback clients")
    serve.add_argument("--tls-cert", help="terminate TLS: the server certificate (PEM)")
    serve.add_argument("--tls-key", help="terminate TLS: the server's private key (PEM)")
    serve.add_argument("--client-ca", help="terminate TLS: CA bundle that signs client certificates")
    serve.add_argument("--trusted-proxy", action="append", default=[],
                       help="behind a TLS proxy: its address or network (repeatable); only it may "
                            "pass the client certificate header")
    serve.add_argument("--no-job-runner", action="store_true",
                       help="do not start the job runner (run `pasi-core worker` processes instead)")
    serve.set_defaults(handler=cmd_serve)
