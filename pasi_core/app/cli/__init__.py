"""The ``pasi-core`` command line: one module per command group."""
from __future__ import annotations

import argparse
import logging
import sys

from sqlalchemy.exc import SQLAlchemyError

from pasi_core.kernel.errors import PasiError
from pasi_core.kernel.settings import Settings

from . import audit, bulk_award, clients, contract, database, documents, serve, users

GROUPS = (database, serve, clients, users, bulk_award, documents, audit, contract)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pasi-core", description=(
        "PASI Core mirror: SOAP service for diploma exam marks and credentials. "
        "Settings come from the environment (PASI_DATABASE_URL, PASI_PUBLIC_URL, ...); "
        "see README.md."))
    commands = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.add_commands(commands)
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
