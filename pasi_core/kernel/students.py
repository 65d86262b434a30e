"""Students as the rules see them: an ASN, its Primary link and its state."""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

ASN_FORMAT = re.compile(r"^[0-9]{9}$")
"""An Alberta Student Number is nine digits.  Its check-digit algorithm is not
public, so format and existence are all we check (spec §5)."""


def is_well_formed_asn(value: str) -> bool:
    return bool(ASN_FORMAT.match(value))


def display_asn(asn: str) -> str:
    """PASI shows an ASN as ``####-####-#``."""
    return f"{asn[:4]}-{asn[4:8]}-{asn[8:]}" if is_well_formed_asn(asn) else asn


@dataclass(frozen=True)
class Student:
    asn: str
    primary_asn: str | None = None
    """Set when this ASN is a Secondary ASN linked to a Primary one."""
    is_deactivated: bool = False

    @property
    def is_secondary(self) -> bool:
        return self.primary_asn is not None

    @property
    def logical_asn(self) -> str:
        """The Primary ASN: all linked ASNs of one person share it."""
        return self.primary_asn or self.asn


def asns_of_people(students: Iterable[Student]) -> dict[str, frozenset[str]]:
    """Each ASN -> every ASN of the same person (its Primary and the Primary's Secondaries)."""
    by_person: dict[str, set[str]] = defaultdict(set)
    listed = list(students)
    for student in listed:
        by_person[student.logical_asn].add(student.asn)
    return {student.asn: frozenset(by_person[student.logical_asn]) for student in listed}
