"""GetStudentCredentials: for each ASN, every credential of the person (all linked ASNs), the
rescinded ones included, each saying whether it is the active one of its type.

For each ASN: rule 9002 when it does not exist, 9009 when it is deactivated (nothing else is
returned for it).  A Secondary ASN answers for the whole person, like the Submit services.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace

from operations.unit_of_work import UnitOfWork
from pasi_core.kernel.rejections import Rejection, Violation, reject
from pasi_core.kernel.students import Student, asns_of_people

from .model import CredentialRecord, StudentAnswer


def get_student_credentials(uow: UnitOfWork, asns: Sequence[str]) -> list[StudentAnswer]:
    reader = uow.student_records
    people = reader.people(asns)
    persons = persons_of(asns, people)
    everyone = {asn for person in persons.values() for asn in person}
    credentials = with_active_flags(reader.credentials_of(everyone))
    by_asn: dict[str, list[CredentialRecord]] = defaultdict(list)
    for credential in credentials:
        by_asn[credential.asn].append(credential)
    return answer_each(asns, people, lambda asn: StudentAnswer(asn, credentials=tuple(sorted(
        (c for linked in persons[asn] for c in by_asn.get(linked, ())),
        key=lambda c: (c.created_utc, c.credential_number)))))


def persons_of(asns: Sequence[str], people: dict[str, Student]) -> dict[str, frozenset[str]]:
    """Each requested ASN that exists -> every ASN of its person."""
    linked = asns_of_people(people.values())
    return {asn: linked[asn] for asn in asns if asn in linked}


def answer_each(asns: Sequence[str], people: dict[str, Student],
                answer: Callable[[str], StudentAnswer]) -> list[StudentAnswer]:
    """One answer per requested ASN, in request order: its rejection, or ``answer(asn)``."""
    answers = []
    for asn in asns:
        student = people.get(asn)
        rejection = _rejection(asn, student)
        answers.append(StudentAnswer(asn, rejections=(rejection,)) if rejection else answer(asn))
    return answers


def _rejection(asn: str, student: Student | None) -> Rejection | None:
    if student is None:
        return reject(Violation(9002, {"StateProvinceId": asn}, "StateProvinceId"))
    if student.is_deactivated:
        return reject(Violation(9009, {"StateProvinceId": asn}, "StateProvinceId"))
    return None


def with_active_flags(credentials: list[CredentialRecord]) -> list[CredentialRecord]:
    """Mark the active credential of each type of each ASN: the most recent, when it is not
    deleted (what awarding reads as "already awarded", rule 44010)."""
    latest: dict[tuple[str, str], CredentialRecord] = {}
    for credential in credentials:
        key = (credential.asn, credential.credential_type)
        current = latest.get(key)
        if current is None or (credential.created_utc, credential.credential_number) > (
                current.created_utc, current.credential_number):
            latest[key] = credential
    active = {c.credential_number for c in latest.values() if not c.is_deleted}
    return [replace(c, is_active=c.credential_number in active) for c in credentials]
