"""The ``pasi-core`` command line."""
from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from pasi_core.kernel.errors import PasiError
from pasi_core.kernel.settings import Settings

log = logging.getLogger("pasi_core.app.cli")


def _engine(settings: Settings):
    from persistence.database import create_database_engine
    return create_database_engine(settings.database_url)


def cmd_init_db(args, settings: Settings) -> int:
    from persistence import schema
    from persistence.database import session_factory
    from persistence.reference_loader import STANDARD_CODE_TABLES, load_file

    engine = _engine(settings)
    schema.upgrade(engine)
    report = load_file(session_factory(engine), STANDARD_CODE_TABLES)
    print(f"database ready at revision {schema.current_revision(engine)} ({_safe_url(settings)})")
    print(report.summary())
    return 0


def _require_schema(engine) -> None:
    from persistence import schema
    if not schema.is_up_to_date(engine):
        raise PasiError("the database schema is missing or out of date: run `pasi-core init-db` first")


def cmd_load(args, settings: Settings) -> int:
    from persistence.database import session_factory
    from persistence.reference_loader import load_file

    engine = _engine(settings)
    _require_schema(engine)
    report = load_file(session_factory(engine), args.file)
    print(f"loaded {args.file}")
    print(report.summary())
    return 0


def cmd_seed_demo(args, settings: Settings) -> int:
    from pasi_core.app import demo
    from persistence import schema
    from persistence.database import session_factory
    from persistence.reference_loader import load_document

    today = date.fromisoformat(args.today) if args.today else None
    document = demo.generate(students=args.students, seed=args.seed, today=today)
    if args.out:
        demo.write(document, args.out)
        print(f"wrote {args.out}")
    if args.no_load:
        return 0
    engine = _engine(settings)
    schema.upgrade(engine)
    report = load_document(session_factory(engine), document)
    print(f"loaded the demo province ({args.students} students, seed {args.seed}) into "
          f"{_safe_url(settings)}")
    print(report.summary())
    return 0


def cmd_serve(args, settings: Settings) -> int:
    from pasi_core.app import server

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
    _require_schema(_engine(settings))
    print(f"PASIService WSDL: {settings.public_url}/PASIService?wsdl", flush=True)
    if args.workers == 0:
        server.serve_single_process(settings, args.host, args.port)
    else:
        server.serve_with_gunicorn(settings, args.host, args.port, args.workers)
    return 0


def cmd_clients(args, settings: Settings) -> int:
    from pasi_core.soap import certificates
    from persistence import client_registry as registry
    from persistence.database import session_factory

    engine = _engine(settings)
    _require_schema(engine)
    with session_factory(engine)() as session, session.begin():
        if args.action == "list":
            for client in registry.list_clients(session):
                state = "enabled" if client.enabled else "DISABLED"
                print(f"{client.name} ({state})")
                print(f"  organizations: {', '.join(client.organizations) or '-'}")
                print(f"  roles: {', '.join(client.roles) or '-'}")
                for fingerprint, subject, enabled, expires in client.certificates:
                    flag = "" if enabled else " DISABLED"
                    print(f"  certificate {fingerprint} {subject} (valid until {expires:%Y-%m-%d}){flag}")
            return 0
        if args.action == "add":
            facts = (certificates.facts(certificates.load_certificate(Path(args.cert).read_bytes()))
                     if args.cert else None)
            registry.add_client(session, args.name, facts, args.org, args.role)
            print(f"registered client {args.name!r}" + (f" with certificate {facts.fingerprint}" if facts else ""))
        elif args.action == "add-certificate":
            facts = certificates.facts(certificates.load_certificate(Path(args.cert).read_bytes()))
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


def cmd_dev_certs(args, settings: Settings) -> int:
    from sqlalchemy import select

    from pasi_core.app import dev_certs
    from pasi_core.kernel.caller import MINISTRY_CLIENT_USER, PASI_SYSTEM_USER, SUBMIT_ACADEMIC_RECORD_USER
    from pasi_core.soap import certificates
    from persistence import client_registry as registry
    from persistence import models as t
    from persistence.database import session_factory

    engine = _engine(settings)
    _require_schema(engine)
    with session_factory(engine)() as session, session.begin():
        school = args.school or session.execute(select(t.Organization.code).where(
            t.Organization.kind == "School").order_by(t.Organization.code)).scalars().first()
        if school is None:
            raise PasiError("no school is loaded yet: run `pasi-core seed-demo` (or load your "
                            "organizations) before `pasi-core dev-certs`")
        authority = args.authority or session.execute(select(t.Organization.authority_code).where(
            t.Organization.code == school)).scalar_one_or_none()
        ministry = session.get(t.Organization, "O.1")
        if authority is None or ministry is None:
            raise PasiError("the demo school needs its authority, and O.1 must be loaded")
        plan = {"school": (f"Demo school SIS ({school})", [school], [SUBMIT_ACADEMIC_RECORD_USER]),
                "authority": (f"Demo authority SIS ({authority})", [authority], [SUBMIT_ACADEMIC_RECORD_USER]),
                "ministry": ("Ministry (O.1)", ["O.1"],
                             [SUBMIT_ACADEMIC_RECORD_USER, MINISTRY_CLIENT_USER, PASI_SYSTEM_USER])}
        issued = dev_certs.generate(args.directory, {stem: name for stem, (name, _, _) in plan.items()})
        known = {client.name for client in registry.list_clients(session)}
        for stem, (name, organizations, roles) in plan.items():
            facts = certificates.facts(certificates.load_certificate(issued[stem].certificate.read_bytes()))
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


def cmd_bulk_award(args, settings: Settings) -> int:
    from tqdm import tqdm

    from operations.bulk_award_and_order import job
    from operations.bulk_award_and_order.selection import Criteria
    from pasi_core.kernel.clock import utc_now
    from persistence.database import session_factory
    from persistence.unit_of_work import SqlUnitOfWorkFactory

    engine = _engine(settings)
    _require_schema(engine)
    sessions = SqlUnitOfWorkFactory(session_factory(engine))
    out_dir = Path(args.out_dir)
    if args.action == "report":
        summary = job.write_reports(sessions, args.run_id, out_dir=out_dir, now=utc_now())
        _print_summary(summary)
        return 0
    if args.action == "resume":
        run_id = args.run_id
    else:
        criteria = Criteria(args.authority, args.school, tuple(args.credential_type))
        if args.action == "search":
            result = job.search(sessions, criteria, out_dir=out_dir, now=utc_now())
            _print_search(result, sessions)
            return 0
        run_id, result = job.start_run(sessions, criteria, args.delivery_method, now=utc_now(),
                                       out_dir=out_dir)
        _print_search(result, sessions)
        print(f"Delivery Method: {job.DELIVERY_METHODS[args.delivery_method]}")
        print(f"started bulk run {run_id}; if it is interrupted, continue it with "
              f"`pasi-core bulk-award resume {run_id}`")
    with tqdm(desc="awarding and ordering", unit="student", disable=None) as bar:
        summary = job.resume_run(sessions, run_id, clock=utc_now, out_dir=out_dir,
                                 progress=bar.update)
    _print_summary(summary)
    return 0


def _print_search(result, new_unit_of_work) -> None:
    from operations.bulk_award_and_order.job import awarding_order
    with new_unit_of_work(read_only=True) as uow:
        order = awarding_order(uow)
    for label, value in result.criteria.describe(order):
        print(f"{label}: {value}")
    print(f"Total number of records to be processed: {len(result.selected)}")
    if result.pre_processing_csv:
        print(f"Pre-Processing CSV: {result.pre_processing_csv}")


def _print_summary(summary) -> None:
    print(f"Awarding and Ordering Summary (run {summary.run_id})")
    print(f"Total numbers of records selected: {summary.selected}")
    print(f"  awarded and ordered: {summary.awarded_and_ordered}")
    print(f"  awarded, not ordered: {summary.awarded_not_ordered}")
    print(f"Total number of records not processed successfully: {summary.not_awarded}")
    for path in summary.files:
        print(f"CSV: {path}")


def cmd_audit(args, settings: Settings) -> int:
    from pasi_core.kernel.clock import utc_now
    from persistence import audit_log

    engine = _engine(settings)
    _require_schema(engine)
    if args.action == "verify":
        report = audit_log.verify(engine, expect_head=args.expect_head)
        for problem in report.problems[:50]:
            where = f"row {problem.sequence}" if problem.sequence is not None else "chain"
            print(f"BROKEN {where} ({problem.message_id or '-'}): {problem.problem}")
        if report.problems:
            print(f"audit log NOT intact: {len(report.problems)} problem(s) in {report.rows} rows")
            return 1
        print(f"audit log intact: {report.rows} rows; head {report.head_sequence} {report.head_hash}")
        print("record the head hash elsewhere; later `pasi-core audit verify --expect-head HASH` "
              "proves nothing before it was rewritten")
        return 0
    payloads, replays = audit_log.purge(engine, now=utc_now(),
                                        payload_days=settings.audit_payload_retention_days,
                                        replay_days=settings.replay_retention_days)
    print(f"purged {payloads} kept payload(s) older than {settings.audit_payload_retention_days} days "
          f"and {replays} replay response(s) older than {settings.replay_retention_days} days")
    return 0


def cmd_export_contract(args, settings: Settings) -> int:
    from pasi_core.app.contract_files import check_contract, write_contract

    root = Path(args.root)
    if args.check:
        differences = check_contract(root)
        if differences:
            print("the committed contract differs from what the code publishes:")
            for line in differences:
                print(f"  {line}")
            print("run `pasi-core export-contract` and review the diff")
            return 1
        print("the committed WSDL and schemas match the code")
        return 0
    for path in write_contract(root):
        print(f"wrote {path}")
    return 0


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url
    return make_url(settings.database_url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pasi-core", description=(
        "PASI Core mirror: SOAP service for diploma exam marks and credentials. "
        "Settings come from the environment (PASI_DATABASE_URL, PASI_PUBLIC_URL, ...); "
        "see README.md."))
    commands = parser.add_subparsers(dest="command", required=True)

    init_db = commands.add_parser("init-db", help="create or upgrade the schema and load the standard code tables")
    init_db.set_defaults(handler=cmd_init_db)

    load = commands.add_parser("load", help="load a reference-data JSON file (all or nothing)")
    load.add_argument("file")
    load.set_defaults(handler=cmd_load)

    seed = commands.add_parser("seed-demo", help="generate and load a synthetic province")
    seed.add_argument("--students", type=int, default=2000)
    seed.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same province)")
    seed.add_argument("--today", help="reference date YYYY-MM-DD for exam sessions (default: today)")
    seed.add_argument("--out", help="also write the generated file here")
    seed.add_argument("--no-load", action="store_true", help="only write --out, load nothing")
    seed.set_defaults(handler=cmd_seed_demo)

    serve = commands.add_parser("serve", help="run the SOAP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2,
                       help="gunicorn worker processes; 0 runs a single-process development server")
    serve.add_argument("--public-url", help="base URL published in the WSDL (default PASI_PUBLIC_URL)")
    serve.add_argument("--dev-auth", action="store_true",
                       help="development only: trust CallerInfo.OrganizationCode from loopback clients")
    serve.add_argument("--tls-cert", help="terminate TLS: the server certificate (PEM)")
    serve.add_argument("--tls-key", help="terminate TLS: the server's private key (PEM)")
    serve.add_argument("--client-ca", help="terminate TLS: CA bundle that signs client certificates")
    serve.add_argument("--trusted-proxy", action="append", default=[],
                       help="behind a TLS proxy: its address or network (repeatable); only it may "
                            "pass the client certificate header")
    serve.set_defaults(handler=cmd_serve)

    clients = commands.add_parser("clients", help="the registry of client certificates")
    client_actions = clients.add_subparsers(dest="action", required=True)
    client_actions.add_parser("list", help="list clients, organizations, roles, certificates")
    add = client_actions.add_parser("add", help="register a client")
    add.add_argument("name")
    add.add_argument("--cert", help="its client certificate (PEM or DER)")
    add.add_argument("--org", action="append", default=[], help="an organization it may represent")
    add.add_argument("--role", action="append", default=[], help="a PASI client system role")
    add_certificate = client_actions.add_parser("add-certificate", help="register another certificate")
    add_certificate.add_argument("name")
    add_certificate.add_argument("cert")
    for action in ("enable", "disable"):
        toggle = client_actions.add_parser(action, help=f"{action} a client (or one certificate)")
        toggle.add_argument("name")
        toggle.add_argument("--cert-fingerprint", help=f"{action} only this certificate")
    for action in ("grant", "revoke"):
        change = client_actions.add_parser(action, help=f"{action} organizations or roles")
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
    certs.set_defaults(handler=cmd_dev_certs)

    bulk = commands.add_parser("bulk-award", help="Award and Order Credentials in Bulk (Student Records)")
    bulk_actions = bulk.add_subparsers(dest="action", required=True)
    for action, text in (("search", "select the students and write the Pre-Processing CSV (changes nothing)"),
                         ("run", "select, award and order; write the Post-Processing CSVs")):
        command = bulk_actions.add_parser(action, help=text)
        command.add_argument("--authority", help="a school authority code (A.nnnn)")
        command.add_argument("--school", help="a school code (S.nnnn)")
        command.add_argument("--credential-type", action="append", default=[],
                             help="a credential type code (repeatable; default: every type in the "
                                  "awarding order)")
        command.add_argument("--out-dir", default="var/bulk-award", help="where the CSV files go")
        if action == "run":
            command.add_argument("--delivery-method", choices=["automated", "manual"],
                                 default="automated",
                                 help="Automated Mail with a cardboard insert (default) or Manual Mail")
    for action, text in (("resume", "continue an interrupted run"),
                         ("report", "write a run's Post-Processing CSVs again")):
        command = bulk_actions.add_parser(action, help=text)
        command.add_argument("run_id", type=int)
        command.add_argument("--out-dir", default="var/bulk-award")
    bulk.set_defaults(handler=cmd_bulk_award)

    audit = commands.add_parser("audit", help="verify the audit chain, purge kept payloads")
    audit_actions = audit.add_subparsers(dest="action", required=True)
    verify = audit_actions.add_parser("verify", help="check that no audit row was changed or removed")
    verify.add_argument("--expect-head", help="a head hash recorded earlier that must still be in the chain")
    audit_actions.add_parser("purge", help="delete payloads and replay responses past their retention")
    audit.set_defaults(handler=cmd_audit)

    export = commands.add_parser("export-contract", help="write (or --check) wsdl/ and schemas/")
    export.add_argument("--check", action="store_true")
    export.add_argument("--root", default=".", help="project root holding wsdl/ and schemas/")
    export.set_defaults(handler=cmd_export_contract)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_environment()
        logging.basicConfig(level=settings.log_level,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)
        return args.handler(args, settings)
    except PasiError as error:
        print(f"pasi-core {args.command}: {error.message}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        # The driver's text can quote row values (student data): name the error only.
        print(f"pasi-core {args.command}: database error ({type(error).__name__}); "
              "nothing was changed", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
