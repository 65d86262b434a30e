"""The unit of work of SubmitCredentialAwardingMultiple.

Every ASN is decided on its own (a request can partly succeed) against the
store and the ASNs before it; the awards are then written together with
their transcript triggers.  Students are locked first on PostgreSQL, so a
concurrent award of the same student waits and then finds it (44010).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy.orm import Session, sessionmaker

from pasi_core.caller import Caller
from pasi_core.rejections import Rejection, reject
from persistence import credential_numbers
from persistence import credential_repository as repository
from persistence.code_tables import load_code_tables
from persistence.replay import Idempotency, Replayed, run_once
from persistence.versions import allocate_versions

from .model import AwardingOrder, Award
from .rules import Decision, Violation, decide


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


def award_credentials(session_factory: sessionmaker[Session], caller: Caller, asns: Sequence[str], *,
                      now: datetime, idempotency: Idempotency | None = None
                      ) -> list[AwardOutcome] | Replayed:
    """One outcome per ASN, in request order (or the stored answer of a resubmission)."""
    return run_once(session_factory, idempotency,
                    lambda uow: award_in(uow.session, caller, asns, now=now, lock=uow.is_postgresql),
                    now)


def award_in(session: Session, caller: Caller, asns: Sequence[str], *, now: datetime,
             lock: bool) -> list[AwardOutcome]:
    """Decide and write the awards inside an open transaction (the bulk run uses this too)."""
    records = repository.load_student_records(session, asns, lock=lock)
    order = AwardingOrder.from_code_tables(load_code_tables(session))
    decisions: list[tuple[str, Decision]] = []
    seen: set[str] = set()
    for asn in asns:
        if asn in seen:
            decisions.append((asn, Decision(None, (Violation(99020, {"StateProvinceId": asn}),))))
            continue
        seen.add(asn)
        decisions.append((asn, decide(asn, records.get(asn), order, now.date())))
    awards = [decision.award for _, decision in decisions if decision.award is not None]
    numbers = iter(credential_numbers.allocate(session, len(awards)))
    versions = iter(allocate_versions(session, len(awards)))
    outcomes, written = [], []
    for asn, decision in decisions:
        if decision.award is None:
            outcomes.append(AwardOutcome(asn, decision.credential_type, "0", 0, tuple(
                reject(v.rule_id, v.params) for v in decision.violations)))
            continue
        number, version = next(numbers), next(versions)
        written.append((decision.award, number, version))
        outcomes.append(AwardOutcome(asn, decision.credential_type, number, version, award=decision.award))
    repository.save_awards(session, written, updated_by=caller.organization_code, now=now)
    return outcomes
