"""The PASISystem reads of a student's records: credentials and placed document orders.
Reads only, never locking."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from operations.construct_document_order.model import ORDERED
from operations.get_student_credentials.model import CredentialRecord, OrderItemRecord, OrderRecord
from pasi_core.kernel.students import Student, is_well_formed_asn
from persistence import models as t
from persistence.bulk import select_in
from persistence.exam_mark_repository import load_people


class SqlStudentRecordReader:
    """:class:`operations.get_student_credentials.ports.StudentRecordReader` on SQLAlchemy."""

    def __init__(self, session: Session):
        self._session = session

    def people(self, asns: Iterable[str]) -> dict[str, Student]:
        return load_people(self._session, {asn for asn in asns if is_well_formed_asn(asn)})

    def credentials_of(self, asns: Iterable[str]) -> list[CredentialRecord]:
        rows = select_in(self._session, lambda match: select(t.StudentCredential).where(
            match(t.StudentCredential.asn)), asns)
        return [CredentialRecord(
            c.credential_number, c.asn, c.credential_type, c.requirement_set, c.awarded_on_date,
            c.school_year, c.is_deleted, c.delete_reason, c.legacy_credential_number, c.version,
            c.created_utc) for c in (row.StudentCredential for row in rows)]

    def placed_orders_of(self, asns: Iterable[str]) -> list[OrderRecord]:
        session = self._session
        item_rows = select_in(session, lambda match: select(t.DocumentOrderItem).where(
            match(t.DocumentOrderItem.asn)), asns)
        items: dict[int, list[OrderItemRecord]] = defaultdict(list)
        for row in item_rows:
            i = row.DocumentOrderItem
            items[i.order_id].append(OrderItemRecord(
                i.item_number, i.asn, i.document_type, i.credential_number, i.delivery_method,
                i.document_language, i.number_of_copies, i.amount_collected, i.status,
                i.status_change_reason, i.special_handling, i.processed_utc, i.sent_utc,
                i.print_job_id, i.mailing_sequence_number))
        orders = select_in(session, lambda match: select(t.DocumentOrder).where(
            match(t.DocumentOrder.id), t.DocumentOrder.order_status == ORDERED,
            t.DocumentOrder.is_deleted.is_(False)), items)
        return sorted((OrderRecord(
            o.id, o.order_status, o.order_received_method, o.billing_information_id,
            o.requestor_name, o.order_placed_utc, o.version, o.updated_utc,
            tuple(sorted(items[o.id], key=lambda item: item.item_number)))
            for o in (row.DocumentOrder for row in orders)), key=lambda order: order.order_id)
