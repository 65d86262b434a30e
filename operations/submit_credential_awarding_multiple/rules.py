"""The rules of SubmitCredentialAwardingMultiple, one function per rule number,
in the evaluation order reference §2.4 suggests:

1. 9002 (the ASN exists), 2. 44013 and 44014 (deactivated or secondary ASN,
assessed for Alberta Education too), 3. 44011 (an achieved credential that is
only ever awarded singly blocks the run), 4. the choice by the Credential
Awarding Order: 99021 (ours: nothing to award), 44010 (already awarded), 44012
(a higher-order or equivalent credential is awarded), 5. the awarded school
year: 44008 (cannot be determined), 44004 (unreasonable).

Each step needs the previous one to pass, so a record stops at the first
step that fails (reporting every rule of that step).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pasi_core.kernel.rejections import Violation
from pasi_core.kernel.school_years import school_year_of
from pasi_core.kernel.students import display_asn, is_well_formed_asn

from .model import COSC, GED_PASSING_VALUES, HSED_ALTERNATIVE_2, Award, AwardingOrder, StudentRecord


@dataclass(frozen=True)
class Decision:
    award: Award | None
    violations: tuple[Violation, ...]
    credential_type: str | None = None
    """The type chosen (or refused), for the answer."""


def rule_9002_invalid_asn(asn: str, record: StudentRecord | None) -> list[Violation]:
    if record is None or not is_well_formed_asn(asn):
        return [Violation(9002, {"StateProvinceId": asn})]
    return []


def rule_44013_deactivated_asn(record: StudentRecord) -> list[Violation]:
    if record.student.is_deactivated:
        return [Violation(44013, {"StateProvinceId": record.asn})]
    return []


def rule_44014_secondary_asn(record: StudentRecord) -> list[Violation]:
    if record.student.is_secondary:
        return [Violation(44014, {"SecondaryASN": record.asn, "Primary ASN": record.student.primary_asn})]
    return []


def rule_44011_credential_awarded_singly_only(record: StudentRecord, order: AwardingOrder) -> list[Violation]:
    if any(not order.in_order(code) for code in record.achieved_not_awarded()):
        return [Violation(44011, {})]
    return []


def choose_credential(record: StudentRecord, order: AwardingOrder) -> tuple[str | None, list[Violation]]:
    """The credential to award (reference §4.2): the highest-order achieved credential
    not yet awarded that no awarded credential blocks.  A CHSA holder who achieved ADEX
    and HSED is awarded HSED (CHSA blocks ADEX, allows HSED).  44012 when every candidate
    is blocked by a higher-order or equivalent award; 44010 when everything achieved is
    already awarded; 99021 (ours) when nothing is achieved."""
    achieved = sorted((code for code in record.achieved if order.in_order(code)), key=order.rank)
    if not achieved:
        return None, [Violation(99021, {"StateProvinceID": record.asn})]
    candidates = [code for code in achieved if code not in record.active_awards]
    if not candidates:
        highest = achieved[0]
        return highest, [Violation(44010, {"StateProvinceID": record.asn,
                                           "Credential": order.description(highest)})]
    for candidate in candidates:
        if not any(order.blocks(awarded, candidate) for awarded in record.active_awards):
            return candidate, []
    return candidates[0], [Violation(44012, {})]


def awarded_school_year(record: StudentRecord, credential_type: str) -> int | None:
    """Reference §2.3: COSC from the latest school enrolment; HSED by its GED route
    from the latest passing GED official mark; otherwise the latest official mark
    with credit awarded."""
    if credential_type == COSC:
        return max(record.enrolment_school_years, default=None)
    if HSED_ALTERNATIVE_2 in record.achieved.get(credential_type, ()):
        years = [m.school_year for m in record.official_marks
                 if m.is_ged and (m.mark_value or "") in GED_PASSING_VALUES]
    else:
        years = [m.school_year for m in record.official_marks if m.credits_awarded > 0]
    return max(years, default=None)


def rule_44008_school_year_undeterminable(year: int | None) -> list[Violation]:
    return [Violation(44008, {})] if year is None else []


def rule_44004_unreasonable_school_year(record: StudentRecord, year: int) -> list[Violation]:
    if record.birth_date is not None and year <= school_year_of(record.birth_date):
        return [Violation(44004, {"Awarded School Year": f"{year - 1}/{year}"})]
    return []


def decide(asn: str, record: StudentRecord | None, order: AwardingOrder, today: date) -> Decision:
    violations = rule_9002_invalid_asn(asn, record)
    if violations or record is None:
        return Decision(None, tuple(violations))
    violations = rule_44013_deactivated_asn(record) + rule_44014_secondary_asn(record)
    if violations:
        return Decision(None, tuple(violations))
    violations = rule_44011_credential_awarded_singly_only(record, order)
    if violations:
        return Decision(None, tuple(violations))
    chosen, violations = choose_credential(record, order)
    if violations or chosen is None:
        return Decision(None, tuple(violations), chosen)
    year = awarded_school_year(record, chosen)
    violations = rule_44008_school_year_undeterminable(year)
    if year is not None and not violations:
        violations = rule_44004_unreasonable_school_year(record, year)
    if violations or year is None:
        return Decision(None, tuple(violations), chosen)
    requirement_sets = record.achieved.get(chosen, ())
    return Decision(Award(asn, chosen, requirement_sets[0] if requirement_sets else None, year, today,
                          record.legal_last_name, record.legal_first_name, record.legal_middle_name),
                    (), chosen)


__all__ = ["Decision", "Violation", "awarded_school_year", "choose_credential", "decide", "display_asn"]
