"""``clients`` (the registry of client certificates) and ``dev-certs`` (development TLS)."""
from __future__ import annotations

from pathlib import Path

from pasi_core.app import dev_certs
from pasi_core.kernel.caller import (
    MINISTRY_CLIENT_USER,
    PASI_SYSTEM_USER,
    SUBMIT_ACADEMIC_RECORD_USER,
    VIEW_TRANSCRIPT_USER,
)
from pasi_core.kernel.settings import Settings
from pasi_core.soap import certificates
from persistence import client_registry as registry
from persistence.database import session_factory

from .common import ready_engine


def _certificate_facts(path: str):
    return certificates.facts(certificates.load_certificate(Path(path).read_bytes()))


def _list(session) -> None:
    for client in registry.list_clients(session):
        state = "enabled" if client.enabled else "DISABLED"
        print(f"{client.name} ({state})")
        print(f"  organizations: {', '.join(client.organizations) or '-'}")
        print(f"  roles: {', '.join(client.roles) or '-'}")
        for fingerprint, subject, enabled, expires in client.certificates:
            flag = "" if enabled else " DISABLED"
            print(f"  certificate {fingerprint} {subject} (valid until {expires:%Y-%m-%d}){flag}")


def cmd_clients(args, settings: Settings) -> int:
    with session_factory(ready_engine(settings))() as session, session.begin():
        if args.action == "list":
            _list(session)
        elif args.action == "add":
            facts = _certificate_facts(args.cert) if args.cert else None
            registry.add_client(session, args.name, facts, args.org, args.role)
            print(f"registered client {args.name!r}"
                  + (f" with certificate {facts.fingerprint}" if facts else ""))
        elif args.action == "add-certificate":
            facts = _certificate_facts(args.cert)
            registry.add_certificate(session, args.name, facts)
            print(f"added certificate {facts.fingerprint} to {args.name!r}")
        elif args.action in ("enable", "disable"):
            registry.set_enabled(session, args.name, args.action == "enable", args.cert_fingerprint)
            target = f"certificate {args.cert_fingerprint} of " if args.cert_fingerprint else ""
            print(f"{args.action}d {target}{args.name!r}")
        elif args.action == "grant":
            registry.grant(session, args.name, args.org, args.role)
            print(f"granted {args.name!r}: {', '.join(args.org + args.role) or 'nothing'}")
        elif args.action == "revoke":
            registry.revoke(session, args.name, args.org, args.role)
            print(f"revoked from {args.name!r}: {', '.join(args.org + args.role) or 'nothing'}")
    return 0


ZEEP_TLS_SNIPPET = """
# zeep over mutual TLS, as the demo school:
import requests, zeep
from zeep.transports import Transport
session = requests.Session()
session.trust_env = False      # else REQUESTS_CA_BUNDLE in the environment overrides verify
session.cert = ("{directory}/school.pem", "{directory}/school.key")
session.verify = "{directory}/ca.pem"
client = zeep.Client("https://localhost:{port}/PASIService?wsdl", transport=Transport(session=session))
# then client.service.SubmitDiplomaExamMark(request={{"CallerInfo": {{..., "OrganizationCode": "{school}"}}, ...}})
"""


def cmd_dev_certs(args, settings: Settings) -> int:
    with session_factory(ready_engine(settings))() as session, session.begin():
        school, authority = registry.demo_organizations(session, args.school, args.authority)
        sis = [SUBMIT_ACADEMIC_RECORD_USER, VIEW_TRANSCRIPT_USER]
        plan = {"school": (f"Demo school SIS ({school})", [school], sis),
                "authority": (f"Demo authority SIS ({authority})", [authority], sis),
                "ministry": ("Ministry (O.1)", ["O.1"],
                             [*sis, MINISTRY_CLIENT_USER, PASI_SYSTEM_USER])}
        issued = dev_certs.generate(args.directory, {stem: name for stem, (name, _, _) in plan.items()},
                                    key_type=args.key_type)
        known = {client.name for client in registry.list_clients(session)}
        for stem, (name, organizations, roles) in plan.items():
            facts = _certificate_facts(str(issued[stem].certificate))
            if name in known:
                registry.add_certificate(session, name, facts)
                registry.grant(session, name, organizations, roles)
            else:
                registry.add_client(session, name, facts, organizations, roles)
            print(f"{name}: {issued[stem].certificate} (registered, {', '.join(organizations)})")
    directory = Path(args.directory)
    print(f"CA: {directory / 'ca.pem'}  server: {directory / 'server.pem'} / {directory / 'server.key'}")
    print(f"serve with:  pasi-core serve --tls-cert {directory}/server.pem --tls-key {directory}/server.key "
          f"--client-ca {directory}/ca.pem")
    print(ZEEP_TLS_SNIPPET.format(directory=directory, school=school, port=args.port))
    return 0


def add_commands(commands) -> None:
    clients = commands.add_parser("clients", help="the registry of client certificates")
    actions = clients.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="list clients, organizations, roles, certificates")
    add = actions.add_parser("add", help="register a client")
    add.add_argument("name")
    add.add_argument("--cert", help="its client certificate (PEM or DER)")
    add.add_argument("--org", action="append", default=[], help="an organization it may represent")
    add.add_argument("--role", action="append", default=[], help="a PASI client system role")
    add_certificate = actions.add_parser("add-certificate", help="register another certificate")
    add_certificate.add_argument("name")
    add_certificate.add_argument("cert")
    for action in ("enable", "disable"):
        toggle = actions.add_parser(action, help=f"{action} a client (or one certificate)")
        toggle.add_argument("name")
        toggle.add_argument("--cert-fingerprint", help=f"{action} only this certificate")
    for action in ("grant", "revoke"):
        change = actions.add_parser(action, help=f"{action} organizations or roles")
        change.add_argument("name")
        change.add_argument("--org", action="append", default=[])
        change.add_argument("--role", action="append", default=[])
    clients.set_defaults(handler=cmd_clients)

    certs = commands.add_parser("dev-certs", help="development: a local CA, server and client "
                                                  "certificates, registered as demo clients")
    certs.add_argument("directory")
    certs.add_argument("--school", help="the demo school (default: the first school loaded)")
    certs.add_argument("--authority", help="the demo authority (default: the school's)")
    certs.add_argument("--port", type=int, default=8000, help="port shown in the printed example")
    certs.add_argument("--key-type", choices=dev_certs.KEY_TYPES, default="ec",
                       help="ec (P-256, the default) or rsa (2048 bits, for clients that cannot use EC)")
    certs.set_defaults(handler=cmd_dev_certs)
