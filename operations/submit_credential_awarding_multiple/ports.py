"""What the SubmitCredentialAwardingMultiple service layer needs from the store."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from .model import Award, StudentRecord


class CredentialRepository(Protocol):
    def load_student_records(self, asns: Iterable[str], *, for_update: bool = True
                             ) -> dict[str, StudentRecord]:
        """The students named (well-formed ASNs only), with their achievements,
        active awards, enrolments and official marks.  ``for_update`` locks the
        students first where the database needs it, so concurrent awards of one
        student serialize and the second finds the first (44010)."""
        ...

    def save_awards(self, awards: Sequence[tuple[Award, str, int]], *, updated_by: str,
                    now: datetime) -> None:
        """Insert (award, credential number, version) rows, a transcript trigger each."""
        ...
