"""What the PASISystem reads of a student's records need from the store."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from pasi_core.kernel.students import Student

from .model import CredentialRecord, OrderRecord


class StudentRecordReader(Protocol):
    def people(self, asns: Iterable[str]) -> dict[str, Student]:
        """The students named and every ASN linked to them (Primary and Secondaries)."""
        ...

    def credentials_of(self, asns: Iterable[str]) -> list[CredentialRecord]:
        """Every credential (deleted ones too) awarded to these ASNs."""
        ...

    def placed_orders_of(self, asns: Iterable[str]) -> list[OrderRecord]:
        """The undeleted Ordered document orders holding an item for these ASNs, each with only
        those ASNs' undeleted items."""
        ...
