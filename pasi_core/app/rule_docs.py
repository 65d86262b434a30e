"""Generates docs/rules.md from the rule catalogue and the rule functions."""
from __future__ import annotations

import importlib
import re

from pasi_core.kernel.rule_catalogue import CATALOGUE

RULE_MODULES = ("operations.submit_diploma_exam_mark.rules",
                "operations.submit_credential_awarding_multiple.rules",
                "operations.construct_document_order.rules",
                "operations.is_data_available.rules")
_FUNCTION = re.compile(r"^rule_(\d+)_")


def rule_functions() -> dict[int, list[str]]:
    """Rule number -> the functions that check it (``module.function``)."""
    found: dict[int, list[str]] = {}
    for module_name in RULE_MODULES:
        module = importlib.import_module(module_name)
        for name in sorted(vars(module)):
            match = _FUNCTION.match(name)
            if match and callable(getattr(module, name)):
                found.setdefault(int(match.group(1)), []).append(f"{module_name}.{name}")
    return found


def render_markdown() -> str:
    checked_by = rule_functions()
    lines = [
        "# Rule catalogue",
        "",
        "Generated from `pasi_core/rule_catalogue.py` by `pasi-core export-contract`; do not edit.",
        "Rule numbers and documented messages are PASI's (the source column links the page).",
        "**ours (message)**: PASI's page for the rule is lost, the check is known, the message is",
        "written by us in PASI's style. **ours (rule)**: a check PASI makes but numbers nowhere;",
        "our numbers are 99000-99999. Request-level rules (1001-5001, 9001) are SOAP faults; all",
        "others are per-record rejections.",
        "",
        "| Rule | Name | Message | Checked by | Origin |",
        "|---|---|---|---|---|",
    ]
    for number in sorted(CATALOGUE):
        rule = CATALOGUE[number]
        origin = ("ours (rule)" if rule.rule_is_ours else
                  "ours (message)" if rule.message_is_ours else "PASI")
        source = f"[{origin}]({rule.source})" if rule.source else origin
        functions = "<br>".join(f"`{f.split('.')[1]}.{f.rsplit('.', 1)[1]}`"
                                for f in checked_by.get(number, [])) or (
            "boundary (fault)" if number < 9000 or number == 9001 else "")
        message = rule.template.replace("|", "\\|")
        lines.append(f"| {number} | {rule.name} | {message} | {functions} | {source} |")
    return "\n".join(lines) + "\n"
