"""How a published operation declares itself to the one SOAP pipeline.

Each operation package has an ``endpoint.py`` holding one
:class:`SoapOperation`: its name and endpoint, the role it needs, its
spyne contract (for the WSDL), and four plain functions: ``read`` (the
validated operation element to plain data), ``canonical`` (the request in
the canonical form its replay hash is taken over), ``run`` (the service
layer, inside a unit of work) and ``render`` (the plain result to the
response element).  :mod:`pasi_core.soap.pipeline` does everything else,
the same way for every operation: transport checks, authentication,
parsing, schema validation, authorization, limits, replay, the audit row
and the one rendering whose bytes are both stored and sent.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from lxml import etree

from operations.unit_of_work import UnitOfWork
from pasi_core.contract.codec import CallerFacts
from pasi_core.kernel.audit import RecordOutcome
from pasi_core.kernel.caller import Caller
from pasi_core.kernel.clock import local_date
from pasi_core.kernel.settings import Settings

Payload = TypeVar("Payload")
Result = TypeVar("Result")


@dataclass(frozen=True)
class RecordList:
    """A list element under the request element whose items are records."""

    container: str
    """The list element's local name, a child of the request element (``ExamMarks``)."""
    items_are_global: bool = True
    """Whether the items are global elements of the schema (validatable alone)."""


@dataclass(frozen=True)
class RequestContext:
    caller: Caller
    message_id: str
    now: datetime
    """UTC, naive: when the request arrived."""
    settings: Settings

    @property
    def today(self) -> date:
        """PASI's "current date": the province's date when the request arrived."""
        return local_date(self.now, self.settings.time_zone)


@dataclass(frozen=True)
class Summary:
    """What the audit row says of a handled request (no student data)."""

    record_count: int
    accepted_count: int
    outcomes: tuple[RecordOutcome, ...]


@dataclass(frozen=True)
class SoapOperation(Generic[Payload, Result]):
    name: str
    endpoint: str
    namespace: str
    """The endpoint's target namespace: the operation element is ``{namespace}name``."""
    required_role: str
    contract: type
    """The spyne service class declaring the operation (used for the WSDL only)."""
    read: Callable[[etree._Element], tuple[CallerFacts, Payload]]
    run: Callable[[UnitOfWork, RequestContext, Payload], Result]
    render: Callable[[str, Result], etree._Element | bytes]
    """The response element, or its UTF-8 bytes when written directly (a large read)."""
    summarize: Callable[[Result], Summary]
    canonical: Callable[[Payload], Any]
    record_lists: tuple[RecordList, ...] = ()
    """The request's lists of records: each holds at most PASI_MAX_RECORDS_PER_REQUEST
    items, and each item is validated on its own (pasi_core/soap/validation.py)."""
    writes: bool = True
    """False for Get services: a read-only unit of work, no replay record."""

    @property
    def request_tag(self) -> str:
        return f"{{{self.namespace}}}{self.name}"
