"""What the read services of exam marks need from the store."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from pasi_core.kernel.caller import Caller

from .model import MarkAccessFacts, ReadMark


class ExamMarkReader(Protocol):
    def marks(self, ref_ids: Iterable[str]) -> dict[str, ReadMark]:
        """The stored marks among ``ref_ids`` (lower case), with their components."""
        ...

    def access_facts(self, ref_ids: Iterable[str], *, with_registrations: bool = True,
                     known: Mapping[str, ReadMark] | None = None) -> dict[str, MarkAccessFacts]:
        """For each stored mark among ``ref_ids``, what decides who may read it; without
        ``with_registrations`` the people's registrations are left out (an empty tuple).
        ``known``: the marks already read, whose owners and sittings need no query."""
        ...

    def sync_horizon(self) -> int:
        """The smallest PASICoreVersion that may still be uncommitted (persistence/versions.py)."""
        ...

    def changed_marks(self, school_year: int, *, after: int, before: int, limit: int,
                      caller: Caller) -> list[tuple[str, int]]:
        """(RefId, PASICoreVersion) of the marks of ``school_year``'s exams whose version is in
        (after, before), in version order, at most ``limit``.  For a school or an authority only
        marks possibly visible to it (a superset: the service decides exactly)."""
        ...
