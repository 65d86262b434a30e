"""What the read services of exam marks need from the store."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from pasi_core.kernel.caller import Caller

from .model import MarkAccessFacts, MarkPlacement, ReadMark


class ExamMarkReader(Protocol):
    def marks(self, ref_ids: Iterable[str]) -> dict[str, ReadMark]:
        """The stored marks among ``ref_ids`` (lower case), with their components."""
        ...

    def placements(self, ref_ids: Iterable[str]) -> dict[str, MarkPlacement]:
        """For each stored mark among ``ref_ids``, its ASN and its components' sittings."""
        ...

    def enrolled_at_callers_schools(self, caller: Caller, asns: Iterable[str],
                                    school_years: tuple[int, int]) -> set[str]:
        """The ASNs among ``asns`` enrolled in ``school_years`` at the caller's school (an
        authority: at any of its schools).  By the ASN itself, not its linked ASNs."""
        ...

    def sittings_at_callers_schools(self, caller: Caller, sitting_ref_ids: Iterable[str]) -> set[str]:
        """The sittings among ``sitting_ref_ids`` whose writing centre is the caller's school
        (an authority: any of its schools)."""
        ...

    def access_facts(self, ref_ids: Iterable[str], *, with_registrations: bool = True,
                     known: Mapping[str, MarkPlacement] | None = None) -> dict[str, MarkAccessFacts]:
        """For each stored mark among ``ref_ids``, what decides who may read it; without
        ``with_registrations`` the people's registrations are left out (an empty tuple).
        ``known``: the placements already at hand, which need no query."""
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
