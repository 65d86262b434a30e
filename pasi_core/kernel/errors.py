"""The project's one exception root.

Each subclass carries structured attributes (rule number, path, entry)
rather than only a string, so callers can act on them and tests can
assert on them.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class PasiError(Exception):
    """Root of every error this project raises on purpose."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConfigurationError(PasiError):
    """A setting is missing or invalid; raised at start-up, never mid-request."""


class ReferenceDataError(PasiError):
    """A reference-data file cannot be loaded.

    ``entry`` names the entry (for example ``Students[3]``), ``field`` the
    field within it, so an operator can find the line to fix.
    """

    def __init__(self, message: str, *, entry: str | None = None, field: str | None = None):
        location = ".".join(part for part in (entry, field) if part)
        super().__init__(f"{location}: {message}" if location else message)
        self.entry = entry
        self.field = field
        self.reason = message
        self.problems: list[tuple[str, str | None, str]] = []
        """Every problem found, (entry, field, reason), when a file had several."""


@dataclass(frozen=True)
class ErrorDetail:
    """One problem of a refused request: where (a path of element names), what, which line."""

    path: str | None
    text: str
    line: int | None = None


SCHEMA_FAULT = "Client.SchemaValidationError"
"""The fault code of rule 3001 (docs/contract.md), whoever finds the error."""


class RequestRejected(PasiError):
    """A whole request is refused by a request-level rule (3001, 3002, 100x, 5001).

    Becomes a SOAP fault at the boundary, whose ``fault_code`` classifies it
    (docs/contract.md lists them).  ``errors`` lists the individual problems
    when there are several, as for schema validation.
    """

    def __init__(self, rule_id: int, message: str, *, fault_code: str,
                 errors: Iterable[ErrorDetail] = ()):
        super().__init__(message)
        self.rule_id = rule_id
        self.fault_code = fault_code
        self.errors = list(errors)


class ConcurrentUpdateDetected(PasiError):
    """Another transaction changed rows this unit of work relied on; retry it."""
