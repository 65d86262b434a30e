"""``pasi-core export-contract``: the committed contract files and the drift check."""
from __future__ import annotations

import difflib
import json
from pathlib import Path

from pasi_core.app.rule_docs import render_markdown
from pasi_core.contract.wsdl import schema_documents
from pasi_core.soap.publish import ENDPOINTS, endpoint_wsdl
from persistence.reference_schema import REFERENCE_DATA_SCHEMA

COMMITTED_BASE_URL = "http://localhost:8000"
"""The address written in the committed WSDL; deployments publish their own at ?wsdl."""


def contract_files() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for name in ENDPOINTS:
        wsdl = endpoint_wsdl(name, COMMITTED_BASE_URL)
        files[f"wsdl/{name}.wsdl"] = wsdl
        for file_name, content in schema_documents(wsdl).items():
            if f"schemas/{file_name}" in files and files[f"schemas/{file_name}"] != content:
                raise ValueError(f"{file_name} differs between endpoints")
            files[f"schemas/{file_name}"] = content
    files["schemas/reference-data.schema.json"] = (
        json.dumps(REFERENCE_DATA_SCHEMA, indent=2, sort_keys=True) + "\n").encode()
    files["docs/rules.md"] = render_markdown().encode()
    return files


def write_contract(root: Path) -> list[Path]:
    written = []
    for relative, content in contract_files().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)
    return written


def check_contract(root: Path) -> list[str]:
    """Human-readable differences between the committed files and the code's contract."""
    differences = []
    for relative, content in contract_files().items():
        path = root / relative
        if not path.exists():
            differences.append(f"{relative}: missing")
            continue
        committed = path.read_bytes()
        if committed != content:
            diff = difflib.unified_diff(committed.decode().splitlines(), content.decode().splitlines(),
                                        f"committed/{relative}", f"code/{relative}", lineterm="", n=1)
            differences.append(f"{relative}: differs")
            differences.extend("    " + line for line in list(diff)[:40])
    return differences
