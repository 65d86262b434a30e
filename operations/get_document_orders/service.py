"""GetDocumentOrders, by State Province Id (PASI's Get Document Orders): for each ASN, the
undeleted document orders in status Ordered that hold an item for the student, each with only
that student's items (any of the person's ASNs), with their statuses.  Rules 9002 and 9009 as
GetStudentCredentials.  PASI's second form, by Education Account, is not served (myPass
accounts are not kept here)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from operations.get_student_credentials.model import StudentAnswer
from operations.get_student_credentials.service import answer_each, persons_of
from operations.unit_of_work import UnitOfWork


def get_document_orders(uow: UnitOfWork, asns: Sequence[str]) -> list[StudentAnswer]:
    reader = uow.student_records
    people = reader.people(asns)
    persons = persons_of(asns, people)
    orders = reader.placed_orders_of({asn for person in persons.values() for asn in person})

    def answer(asn: str) -> StudentAnswer:
        person = persons[asn]
        mine = []
        for order in orders:
            items = tuple(item for item in order.items if item.asn in person)
            if items:
                mine.append(replace(order, items=items))
        return StudentAnswer(asn, orders=tuple(mine))

    return answer_each(asns, people, answer)
