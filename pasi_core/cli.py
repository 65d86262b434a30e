"""The ``pasi-core`` command line."""
from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from pasi_core.config import Settings
from pasi_core.errors import PasiError

log = logging.getLogger("pasi_core.cli")


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
    from persistence import demo, schema
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
    from pasi_core import server

    if args.dev_auth:
        settings = settings.with_changes(development_authentication=True)
    if args.public_url:
        settings = settings.with_changes(public_url=args.public_url)
    elif settings.public_url == Settings().public_url:
        settings = settings.with_changes(public_url=f"http://{args.host}:{args.port}")
    server.check_development_authentication(settings, args.host)
    _require_schema(_engine(settings))
    if not settings.development_authentication:
        log.warning("no client may authenticate yet (client certificates are not implemented): "
                    "every request will be refused with rule 1001; use --dev-auth on loopback")
    print(f"PASIService WSDL: {settings.public_url}/PASIService?wsdl", flush=True)
    if args.workers == 0:
        server.serve_single_process(settings, args.host, args.port)
    else:
        server.serve_with_gunicorn(settings, args.host, args.port, args.workers)
    return 0


def cmd_export_contract(args, settings: Settings) -> int:
    from pasi_core.contract.export import check_contract, write_contract

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
    serve.set_defaults(handler=cmd_serve)

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
