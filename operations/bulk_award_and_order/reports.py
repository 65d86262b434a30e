"""The three CSV files of a bulk run (docs/bulk-award.md describes the columns).

PASI's column lists are not public; these are built from the documented data elements of the
student, the credential and the document order item.  Dates and file names are the province's
(America/Edmonton).  No cell can become a spreadsheet formula (OWASP CSV injection): a cell
that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a
leading apostrophe.
"""
from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pasi_core.kernel.clock import PROVINCE_TIME_ZONE, local_time
from pasi_core.kernel.code_tables import CodeTables
from pasi_core.kernel.credential_numbers import display
from pasi_core.kernel.school_years import display_school_year
from pasi_core.kernel.students import display_asn

from .ports import AwardedCredential, OrderedItem, Profile

PRE_PROCESSING_COLUMNS = [
    "ASN", "Legal Last Name", "Legal First Name", "Legal Middle Name", "Authority Code",
    "Authority Name", "School Code", "School Name", "Credential Type Code", "Credential Type",
    "Credential Requirement Set", "Credential Progress Status", "Expected Awarded School Year"]
SUCCESSFUL_COLUMNS = PRE_PROCESSING_COLUMNS + [
    "Credential Number", "Credential Status", "Awarded On Date", "Awarded School Year",
    "Document Order ID", "Document Order Item Number", "Delivery Method", "Document Language",
    "Order Item Status", "Outcome", "Order Rule Numbers", "Order Rule Messages"]
UNSUCCESSFUL_COLUMNS = PRE_PROCESSING_COLUMNS + ["Failed Step", "Rule Numbers", "Rule Messages"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Row:
    asn: str
    last_name: str
    first_name: str | None
    middle_name: str | None
    authority_code: str | None
    authority_name: str | None
    school_code: str | None
    school_name: str | None
    credential_type: str
    credential_description: str
    requirement_set: str | None
    expected_school_year: int | None

    @classmethod
    def of(cls, asn: str, profile: Profile | None, credential_type: str, description: str,
           requirement_set: str | None, expected_school_year: int | None) -> Row:
        placement = profile.placement if profile else None
        return cls(asn, profile.last_name if profile else "", profile.first_name if profile else None,
                   profile.middle_name if profile else None,
                   placement.authority_code if placement else None,
                   placement.authority_name if placement else None,
                   placement.school_code if placement else None,
                   placement.school_name if placement else None,
                   credential_type, description, requirement_set, expected_school_year)

    def cells(self) -> list[str]:
        return [display_asn(self.asn), self.last_name, self.first_name or "", self.middle_name or "",
                self.authority_code or "", self.authority_name or "", self.school_code or "",
                self.school_name or "", self.credential_type, self.credential_description,
                self.requirement_set or "", "Achieved, Not Awarded",
                display_school_year(self.expected_school_year) if self.expected_school_year else ""]


def successful_cells(credential: AwardedCredential, item: OrderedItem | None, codes: CodeTables,
                     rejections: Sequence[Sequence]) -> list[str]:
    """The credential as it stands now and its order item, if there is one."""
    ordered = item is not None
    return [display(credential.credential_number), "Awarded", credential.awarded_on_date.isoformat(),
            display_school_year(credential.school_year),
            str(item.order_id) if item else "", str(item.item_number) if item else "",
            codes.short_description("DeliveryMethod", item.delivery_method) if item else "",
            codes.short_description("DocumentLanguage", item.document_language) if item else "",
            codes.short_description("OrderItemStatus", item.status) if item else "",
            "Awarded and ordered" if ordered else "Awarded, not ordered",
            *(rules_cells(rejections) if rejections and not ordered else ["", ""])]


def file_name(moment_utc: datetime, kind: str, time_zone: str = PROVINCE_TIME_ZONE) -> str:
    """``2026-07-20 09.00.00 - Bulk Credential Award and Order - Successful.csv`` (province time)."""
    return f"{local_time(moment_utc, time_zone):%Y-%m-%d %H.%M.%S} - Bulk Credential Award and Order - {kind}.csv"


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never evaluates."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


@contextmanager
def csv_file(path: Path, columns: Sequence[str]) -> Iterator[Callable[[Iterable[Sequence[str]]], None]]:
    """A CSV file written as its rows come (the same bytes as :func:`to_bytes`): yields the
    function that appends rows.  The rows go to ``<name>.partial``, renamed to ``path`` only
    when the block ends normally: a failure half-way leaves no file that looks complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            yield lambda rows: writer.writerows([safe_cell(cell) for cell in row] for row in rows)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def to_bytes(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """UTF-8 with a byte-order mark (Excel opens it cleanly), one header row, CRLF lines."""
    return b"".join(stream(columns, [rows]))


def stream(columns: Sequence[str], row_chunks: Iterable[Iterable[Sequence[str]]]) -> Iterator[bytes]:
    """The bytes of :func:`to_bytes`, a chunk of rows at a time: the header (after the
    byte-order mark) first, then one piece per chunk."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)

    def taken() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(columns)
    yield "\ufeff".encode() + taken().encode("utf-8")
    for rows in row_chunks:
        writer.writerows([safe_cell(cell) for cell in row] for row in rows)
        yield taken().encode("utf-8")


def rules_cells(rejections: Sequence[Sequence]) -> list[str]:
    return ["; ".join(str(r[0]) for r in rejections), " | ".join(str(r[1]) for r in rejections)]
