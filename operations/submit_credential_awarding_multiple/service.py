"""The service layer of SubmitCredentialAwardingMultiple, inside one unit of work.

Every ASN is decided on its own (a request can partly succeed) against the
store and the ASNs before it; the awards are then written together with
their transcript triggers.  The repository locks the students first, so a
concurrent award of the same student waits and then finds it (44010).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from operations.unit_of_work import UnitOfWork, allocate
from pasi_core.kernel.caller import Caller
from pasi_core.kernel.rejections import Rejection, Violation, reject_all

from .model import Award, AwardingOrder
from .rules import Decision, decide


@dataclass(frozen=True)
class AwardOutcome:
    asn: str
    credential_type: str | None
    credential_number: str
    """The new credential number, or "0" when nothing was awarded."""
    version: int
    rejections: tuple[Rejection, ...] = ()
    award: Award | None = None

    @property
    def awarded(self) -> bool:
        return not self.rejections


def award_credentials(uow: UnitOfWork, caller: Caller, asns: Sequence[str], *,
                      now: datetime, today: date) -> list[AwardOutcome]:
    """Decide and write the awards; one outcome per ASN, in request order.

    ``now`` is when (UTC); ``today`` PASI's "current date", the province's, which is the
    Awarded On Date."""
    records = uow.credentials.load_student_records(asns)
    order = AwardingOrder.from_code_tables(uow.code_tables.load())
    decisions: list[tuple[str, Decision]] = []
    seen: set[str] = set()
    for asn in asns:
        if asn in seen:
            decisions.append((asn, Decision(None, (Violation(99020, {"StateProvinceId": asn}),))))
            continue
        seen.add(asn)
        decisions.append((asn, decide(asn, records.get(asn), order, today)))
    awards = [decision.award for _, decision in decisions if decision.award is not None]
    numbers = iter(allocate(uow.credential_numbers, len(awards)))
    versions = iter(allocate(uow.versions, len(awards)))
    outcomes, written = [], []
    for asn, decision in decisions:
        if decision.award is None:
            outcomes.append(AwardOutcome(asn, decision.credential_type, "0", 0,
                                         reject_all(decision.violations)))
            continue
        number, version = next(numbers), next(versions)
        written.append((decision.award, number, version))
        outcomes.append(AwardOutcome(asn, decision.credential_type, number, version,
                                     award=decision.award))
    uow.credentials.save_awards(written, updated_by=caller.organization_code, now=now)
    return outcomes
