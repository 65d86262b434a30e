"""The three CSV files of a bulk run (docs/bulk-award.md describes the columns).

PASI's column lists are not public; these are built from the documented data
elements of the student, the credential and the document order item.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pasi_core.kernel.credential_numbers import display
from pasi_core.kernel.school_years import display_school_year
from pasi_core.kernel.students import display_asn

PRE_PROCESSING_COLUMNS = [
    "ASN", "Legal Last Name", "Legal First Name", "Legal Middle Name", "Authority Code",
    "Authority Name", "School Code", "School Name", "Credential Type Code", "Credential Type",
    "Credential Requirement Set", "Credential Progress Status", "Expected Awarded School Year"]
SUCCESSFUL_COLUMNS = PRE_PROCESSING_COLUMNS + [
    "Credential Number", "Awarded On Date", "Awarded School Year", "Document Order ID",
    "Document Order Item Number", "Delivery Method", "Document Language", "Order Item Status",
    "Outcome", "Order Rule Numbers", "Order Rule Messages"]
UNSUCCESSFUL_COLUMNS = PRE_PROCESSING_COLUMNS + ["Failed Step", "Rule Numbers", "Rule Messages"]


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

    def cells(self) -> list[str]:
        return [display_asn(self.asn), self.last_name, self.first_name or "", self.middle_name or "",
                self.authority_code or "", self.authority_name or "", self.school_code or "",
                self.school_name or "", self.credential_type, self.credential_description,
                self.requirement_set or "", "Achieved, Not Awarded",
                display_school_year(self.expected_school_year) if self.expected_school_year else ""]


def file_name(started: datetime, kind: str) -> str:
    return f"{started:%Y-%m-%d %H.%M.%S} - Bulk Credential Award and Order - {kind}.csv"


def write(path: Path, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def rules_cells(rejections: Sequence[Sequence]) -> list[str]:
    return ["; ".join(str(r[0]) for r in rejections), " | ".join(str(r[1]) for r in rejections)]


def credential_cells(number: str, awarded_on, school_year: int) -> list[str]:
    return [display(number), awarded_on.isoformat(), display_school_year(school_year)]
