"""``export-contract``: write, or check, the committed WSDL, XSD and generated docs."""
from __future__ import annotations

from pathlib import Path

from pasi_core.app.contract_files import check_contract, write_contract
from pasi_core.kernel.settings import Settings


def cmd_export_contract(args, settings: Settings) -> int:
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


def add_commands(commands) -> None:
    export = commands.add_parser("export-contract", help="write (or --check) wsdl/ and schemas/")
    export.add_argument("--check", action="store_true")
    export.add_argument("--root", default=".", help="project root holding wsdl/ and schemas/")
    export.set_defaults(handler=cmd_export_contract)
