"""Helpers for mapping validated XML to plain data and plain results back to XML.

Every operation has a codec (``operations/<operation>/codec.py``): once the
body has passed XSD validation, its reader maps the operation element
straight to plain data, and its renderer builds the response element from
the plain result.  spyne publishes the contract (WSDL and XSD) from the
types in ``contract.py``; it is not in the request path, where turning XML
into spyne objects and back cost more than everything else (measured:
about 250 ms of a 1,000-record SubmitDiplomaExamMark, docs/benchmarks.md).
The shapes are those of the published types: a test validates every
response against the committed XSD.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from lxml import etree

from pasi_core.contract import namespaces
from pasi_core.kernel.rejections import Rejection

_C = f"{{{namespaces.COMMON}}}"


@dataclass(frozen=True)
class CallerFacts:
    """The CallerInfo fields the service uses (authorization and audit)."""

    client_message_id: str
    organization_code: str | None
    user_name: str | None = None


def read_caller_info(element: etree._Element) -> CallerFacts:
    client_message_id, organization_code, user_name = "", None, None
    for child in element:
        tag = child.tag
        if tag == _C + "ClientMessageID":
            client_message_id = child.text or ""
        elif tag == _C + "OrganizationCode":
            organization_code = child.text
        elif tag == _C + "User":
            user_name = child.findtext(_C + "Name")
    return CallerFacts(client_message_id, organization_code, user_name)


def text_of(element: etree._Element) -> str:
    """An element's text; the schema already guarantees what it may hold."""
    return element.text or ""


def parse_xsd_boolean(text: str) -> bool:
    return text.strip() in ("true", "1")


def parse_xsd_datetime(text: str) -> datetime:
    """An ``xs:dateTime`` as naive UTC (the form every stored time has).

    A value without a zone is taken as UTC.  Values whose UTC instant falls
    outside the years 1-9999 (``0001-01-01T00:00:00+14:00``) are clamped to
    the first or last representable instant rather than refused: the XSD
    allows them and the instant is only ever stored.
    """
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if "." in text:  # Python reads at most six fraction digits
        head, _, rest = text.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits):]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        return datetime.max if moment.year == 9999 else datetime.min


def utc_text(moment: datetime) -> str:
    """A stored (naive UTC) time as an ``xs:dateTime`` in UTC, to the millisecond."""
    return moment.isoformat(timespec="milliseconds") + "Z"


def parse_decimal(text: str) -> Decimal:
    return Decimal(text.strip())


def sub(parent: etree._Element, tag: str, text: object | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text if isinstance(text, str) else str(text)
    return element


def add_rejections(parent: etree._Element, rejections: tuple[Rejection, ...],
                   namespace: str = namespaces.COMMON) -> None:
    """The ``Rejections`` list every response item carries.  The list element
    belongs to its parent type's namespace; its items are common types."""
    holder = sub(parent, f"{{{namespace}}}Rejections")
    for rejection in rejections:
        entry = sub(holder, _C + "Rejection")
        sub(entry, _C + "RuleId", rejection.rule_id)
        sub(entry, _C + "Message", rejection.message)
        if rejection.path is not None:
            sub(entry, _C + "FieldPath", rejection.path)
