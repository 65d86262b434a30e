"""Credential document production on SQLAlchemy (operations/credential_documents/ports.py).

Items are claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two processors (or
two job runners) take different items; on SQLite the writing transaction admits one at a time.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from operations.credential_documents import model as m
from persistence import models as t
from persistence.bulk import bulk_insert, is_postgresql, select_in

Item = t.DocumentOrderItem
PRINTED_STATUSES = (m.SENT, m.FAILED_DELIVERY, m.DELIVERED_IN_ERROR)


def _address(lines: str | None, city, province, postal, country) -> m.MailingAddress | None:
    if not (lines or city or province or postal or country):
        return None
    return m.MailingAddress(tuple((lines or "").split("\n")), city, province, postal, country)


def _credential(row: t.StudentCredential | None) -> m.AwardedCredential | None:
    if row is None:
        return None
    return m.AwardedCredential(row.credential_number, row.credential_type, row.awarded_first_name,
                               row.awarded_middle_name, row.awarded_last_name, row.awarded_on_date, row.is_deleted)


def _print_job(row: t.PrintJob, files: Sequence[t.PrintJobFile]) -> m.PrintJob:
    return m.PrintJob(
        row.id, row.kind, row.status, row.created_utc, row.item_count,
        {m.CANADA: row.envelopes_canada, m.UNITED_STATES: row.envelopes_united_states,
         m.INTERNATIONAL: row.envelopes_international},
        tuple(m.StoredFile(f.kind, f.path, f.sha256, f.size) for f in sorted(files, key=lambda f: f.path)),
        row.attempts, row.next_attempt_utc, row.delivered_utc, row.last_error)


def _message(row: t.OutboxMessage) -> m.OutboxMessage:
    return m.OutboxMessage(row.id, row.kind, row.audience, row.event_key, row.asn, json.loads(row.payload),
                           row.created_utc)


class SqlDocumentItemRepository:
    def __init__(self, session: Session):
        self._session = session

    # --- reading items ------------------------------------------------------------------
    def _credential_items(self):
        return (select(Item).join(t.DocumentOrder, t.DocumentOrder.id == Item.order_id)
                .where(t.DocumentOrder.is_deleted.is_(False), t.DocumentOrder.order_status == "Ordered",
                       Item.credential_number.is_not(None)))

    def claim_items(self, status: str, limit: int, today: date) -> list[m.DocumentItem]:
        statement = self._credential_items().where(Item.status == status).order_by(
            Item.order_id, Item.item_number).limit(limit)
        if is_postgresql(self._session):
            statement = statement.with_for_update(of=Item, skip_locked=True)
        rows = self._session.execute(statement).scalars().all()
        return self._items(rows, today)

    def _items(self, rows: Sequence[t.DocumentOrderItem], today: date) -> list[m.DocumentItem]:
        numbers = [r.credential_number for r in rows if r.credential_number]
        credentials = {row.StudentCredential.credential_number: row.StudentCredential for row in select_in(
            self._session,
            lambda match: select(t.StudentCredential).where(match(t.StudentCredential.credential_number)), numbers)}
        printed_before = {(row.credential_number, row.order_id, row.item_number) for row in select_in(
            self._session, lambda match: select(Item.credential_number, Item.order_id, Item.item_number).where(
                match(Item.credential_number), Item.print_job_id.is_not(None)), numbers)}
        without_address = [r.asn for r in rows if not (r.address_lines or r.country)]
        current: dict[str, t.StudentAddress] = {}
        for row in select_in(self._session, lambda match: select(t.StudentAddress).where(
                match(t.StudentAddress.asn), t.StudentAddress.effective_date <= today,
                or_(t.StudentAddress.expiry_date.is_(None), t.StudentAddress.expiry_date > today)), without_address):
            address = row.StudentAddress
            if address.asn not in current or address.effective_date > current[address.asn].effective_date:
                current[address.asn] = address
        result = []
        for row in rows:
            address = _address(row.address_lines, row.city, row.province_state, row.postal_code, row.country)
            from_student = False
            if address is None and row.recipient_is_student and row.asn in current:
                fallback = current[row.asn]
                address = _address(fallback.address_lines, fallback.city, fallback.province_state,
                                   fallback.postal_code, fallback.country)
                from_student = True
            first_run = not any(number == row.credential_number and (order, item) != (row.order_id, row.item_number)
                                for number, order, item in printed_before)
            result.append(m.DocumentItem(
                m.ItemKey(row.order_id, row.item_number), row.asn, row.document_type, row.delivery_method,
                row.document_language, row.number_of_copies, row.recipient_name, address, from_student,
                _credential(credentials.get(row.credential_number or "")), first_run, row.file_generation, row.status))
        return result

    # --- processing ---------------------------------------------------------------------
    def _history(self, key: m.ItemKey, from_status: str | None, to_status: str, reason: str | None, by: str,
                 now: datetime) -> dict:
        return {"order_id": key.order_id, "item_number": key.item_number, "from_status": from_status,
                "to_status": to_status, "reason": reason, "changed_by": by[:200], "changed_utc": now}

    def _set(self, key: m.ItemKey, **values) -> None:
        self._session.execute(update(Item).where(Item.order_id == key.order_id,
                                                 Item.item_number == key.item_number).values(**values))

    def hold(self, holds: Sequence[m.Hold], *, by: str, now: datetime) -> None:
        if not holds:
            return
        generations = {(row.order_id, row.item_number): row.file_generation for row in self._session.execute(
            select(Item.order_id, Item.item_number, Item.file_generation).where(
                Item.order_id.in_({h.key.order_id for h in holds})))}
        self._session.execute(update(Item), [
            {"order_id": h.key.order_id, "item_number": h.key.item_number, "status": m.SYSTEM_HOLD,
             "status_change_reason": h.reason} for h in holds])
        bulk_insert(self._session, t.table(t.DocumentError), [
            {"order_id": h.key.order_id, "item_number": h.key.item_number,
             "generation": generations.get((h.key.order_id, h.key.item_number), 0), "code": e.code,
             "description": e.description[:300], "created_utc": now, "is_deleted": False}
            for h in holds for e in h.errors])
        bulk_insert(self._session, t.table(t.DocumentItemStatusChange),
                    [self._history(h.key, m.ORDERED, m.SYSTEM_HOLD, h.reason, by, now) for h in holds])

    def record_processed(self, processed: Sequence[m.Processed], *, by: str, now: datetime) -> None:
        if not processed:
            return
        plain, readdressed = [], []
        for done in processed:
            key, address = done.item.key, done.item.address
            values: dict = {"order_id": key.order_id, "item_number": key.item_number,
                            "status": m.READY_FOR_DELIVERY, "status_change_reason": None,
                            "special_handling": done.special_handling, "processed_utc": now}
            if done.item.address_from_student and address is not None:
                # The item keeps the address it was printed for (the student's may change later).
                values.update(address_lines="\n".join(address.lines)[:410], city=address.city,
                              province_state=address.province_state, postal_code=address.postal_code,
                              country=address.country)
                readdressed.append(values)
            else:
                plain.append(values)
        for group in (plain, readdressed):
            if group:  # one executemany by primary key per shape of row
                self._session.execute(update(Item), group)
        bulk_insert(self._session, t.table(t.DocumentFile), [
            {"order_id": d.item.key.order_id, "item_number": d.item.key.item_number, "generation": d.item.generation,
             "kind": f.kind, "path": f.path, "sha256": f.sha256, "size": f.size, "created_utc": now,
             "is_deleted": False} for d in processed for f in d.files])
        bulk_insert(self._session, t.table(t.DocumentItemStatusChange), [
            change for d in processed for change in (
                self._history(d.item.key, m.ORDERED, m.PROCESSED, None, by, now),
                self._history(d.item.key, m.PROCESSED, m.READY_FOR_DELIVERY, None, by, now))])

    # --- printing -----------------------------------------------------------------------
    def create_print_job(self, kind: str, envelopes: Sequence[m.Envelope], counts: dict[str, int], *,
                         now: datetime) -> int:
        return self._session.execute(insert(t.PrintJob).values(
            kind=kind, status=m.JOB_READY, created_utc=now, item_count=sum(len(e.items) for e in envelopes),
            envelopes_canada=counts[m.CANADA], envelopes_united_states=counts[m.UNITED_STATES],
            envelopes_international=counts[m.INTERNATIONAL], attempts=0).returning(t.PrintJob.id)).scalar_one()

    def attach_print_files(self, job_id: int, files: Sequence[m.StoredFile]) -> None:
        self._session.execute(insert(t.PrintJobFile), [
            {"job_id": job_id, "path": f.path, "kind": f.kind, "sha256": f.sha256, "size": f.size} for f in files])

    def record_sent(self, job_id: int, envelopes: Sequence[m.Envelope], *, by: str, now: datetime) -> None:
        sent = [(item.key, envelope.sequence) for envelope in envelopes for item in envelope.items]
        # One executemany by primary key, not an UPDATE round trip per item.
        self._session.execute(update(Item), [
            {"order_id": key.order_id, "item_number": key.item_number, "status": m.SENT, "status_change_reason": None,
             "sent_utc": now, "print_job_id": job_id, "mailing_sequence_number": sequence} for key, sequence in sent])
        bulk_insert(self._session, t.table(t.DocumentItemStatusChange),
                    [self._history(key, m.READY_FOR_DELIVERY, m.SENT, None, by, now) for key, _ in sent])

    def _jobs(self, statement) -> list[m.PrintJob]:
        rows = self._session.execute(statement).scalars().all()
        files: dict[int, list[t.PrintJobFile]] = {row.id: [] for row in rows}
        for row in select_in(self._session, lambda match: select(t.PrintJobFile).where(match(t.PrintJobFile.job_id)),
                             list(files)):
            files[row.PrintJobFile.job_id].append(row.PrintJobFile)
        return [_print_job(row, files[row.id]) for row in rows]

    def print_jobs_due(self, now: datetime) -> list[m.PrintJob]:
        statement = select(t.PrintJob).where(
            t.PrintJob.status.in_((m.JOB_READY, m.JOB_RETRY)),
            or_(t.PrintJob.next_attempt_utc.is_(None), t.PrintJob.next_attempt_utc <= now)).order_by(t.PrintJob.id)
        if is_postgresql(self._session):
            statement = statement.with_for_update(skip_locked=True)
        return self._jobs(statement)

    def record_delivery(self, job_id: int, *, status: str, attempts: int, error: str | None,
                        next_attempt: datetime | None, now: datetime) -> None:
        values: dict = {"status": status, "attempts": attempts, "last_error": error, "next_attempt_utc": next_attempt}
        if status == m.JOB_DELIVERED:
            values["delivered_utc"] = now
        self._session.execute(update(t.PrintJob).where(t.PrintJob.id == job_id).values(**values))

    def retry_failed_jobs(self) -> int:
        failed = update(t.PrintJob).where(t.PrintJob.status == m.JOB_FAILED).values(
            status=m.JOB_RETRY, attempts=0, next_attempt_utc=None)
        return getattr(self._session.execute(failed), "rowcount", 0) or 0

    def print_job(self, job_id: int) -> m.PrintJob | None:
        jobs = self._jobs(select(t.PrintJob).where(t.PrintJob.id == job_id))
        return jobs[0] if jobs else None

    def recent_print_jobs(self, limit: int) -> list[m.PrintJob]:
        return self._jobs(select(t.PrintJob).order_by(t.PrintJob.id.desc()).limit(limit))

    # --- one item -----------------------------------------------------------------------
    def details(self, key: m.ItemKey, *, lock: bool = False) -> m.ItemDetails | None:
        statement = self._credential_items().where(Item.order_id == key.order_id, Item.item_number == key.item_number)
        if lock:
            statement = statement.with_for_update(of=Item)
        row = self._session.execute(statement).scalars().first()
        if row is None:
            return None
        item = self._items([row], date.today())[0]
        files = self._session.execute(select(t.DocumentFile).where(
            t.DocumentFile.order_id == key.order_id, t.DocumentFile.item_number == key.item_number,
            t.DocumentFile.is_deleted.is_(False)).order_by(t.DocumentFile.kind)).scalars().all()
        errors = self._session.execute(select(t.DocumentError).where(
            t.DocumentError.order_id == key.order_id, t.DocumentError.item_number == key.item_number,
            t.DocumentError.is_deleted.is_(False)).order_by(t.DocumentError.id)).scalars().all()
        history = self._session.execute(select(t.DocumentItemStatusChange).where(
            t.DocumentItemStatusChange.order_id == key.order_id,
            t.DocumentItemStatusChange.item_number == key.item_number).order_by(
            t.DocumentItemStatusChange.id)).scalars().all()
        return m.ItemDetails(
            item, row.status_change_reason, row.special_handling, row.processed_utc, row.print_job_id,
            row.mailing_sequence_number, tuple(m.StoredFile(f.kind, f.path, f.sha256, f.size) for f in files),
            tuple(m.DocumentError(e.code, e.description) for e in errors),
            tuple(m.StatusChange(h.from_status, h.to_status, h.reason, h.changed_by, h.changed_utc) for h in history))

    def change_status(self, key: m.ItemKey, status: str, reason: str | None, *, by: str, now: datetime) -> None:
        current = self._session.execute(select(Item.status).where(
            Item.order_id == key.order_id, Item.item_number == key.item_number)).scalar_one()
        self._set(key, status=status, status_change_reason=reason)
        self._session.execute(insert(t.DocumentItemStatusChange),
                              [self._history(key, current, status, reason, by, now)])

    def reset_for_reprocessing(self, key: m.ItemKey) -> None:
        for table in (t.DocumentFile, t.DocumentError):
            self._session.execute(update(table).where(
                table.order_id == key.order_id, table.item_number == key.item_number).values(is_deleted=True))
        self._set(key, file_generation=Item.file_generation + 1, special_handling=None, processed_utc=None,
                  sent_utc=None, print_job_id=None, mailing_sequence_number=None)

    def expire_addresses(self, asn: str, address: m.MailingAddress, today: date) -> int:
        rows = self._session.execute(select(t.StudentAddress).where(
            t.StudentAddress.asn == asn, or_(t.StudentAddress.expiry_date.is_(None),
                                             t.StudentAddress.expiry_date > today))).scalars().all()
        matching = [row.id for row in rows if address.same_place(_address(
            row.address_lines, row.city, row.province_state, row.postal_code, row.country)
            or m.MailingAddress((), None, None, None, None))]
        if matching:
            self._session.execute(update(t.StudentAddress).where(t.StudentAddress.id.in_(matching)).values(
                expiry_date=today))
        return len(matching)

    # --- outbox -------------------------------------------------------------------------
    def add_message(self, kind: str, audience: str, event_key: str, asn: str | None, payload: dict, *,
                    now: datetime) -> bool:
        return self.add_messages([m.NewMessage(kind, audience, event_key, asn, payload)], now=now) == 1

    def add_messages(self, messages: Sequence[m.NewMessage], *, now: datetime) -> int:
        known = {row.event_key for row in select_in(
            self._session, lambda match: select(t.OutboxMessage.event_key).where(match(t.OutboxMessage.event_key)),
            [message.event_key for message in messages])}
        new, seen = [], set(known)
        for message in messages:
            if message.event_key not in seen:
                seen.add(message.event_key)
                new.append({"kind": message.kind, "audience": message.audience, "event_key": message.event_key,
                            "asn": message.asn, "payload": json.dumps(message.payload, sort_keys=True),
                            "created_utc": now, "delivered_utc": None})
        bulk_insert(self._session, t.table(t.OutboxMessage), new)
        return len(new)

    def undelivered_messages(self, limit: int) -> list[m.OutboxMessage]:
        statement = select(t.OutboxMessage).where(t.OutboxMessage.delivered_utc.is_(None)).order_by(
            t.OutboxMessage.id).limit(limit)
        if is_postgresql(self._session):
            statement = statement.with_for_update(skip_locked=True)
        return [_message(row) for row in self._session.execute(statement).scalars()]

    def mark_messages_delivered(self, ids: Sequence[int], now: datetime) -> None:
        self._session.execute(update(t.OutboxMessage).where(t.OutboxMessage.id.in_(list(ids))).values(
            delivered_utc=now))

    def recent_notices(self, limit: int) -> list[m.OutboxMessage]:
        return [_message(row) for row in self._session.execute(select(t.OutboxMessage).where(
            t.OutboxMessage.audience == m.TO_STUDENT_RECORDS).order_by(t.OutboxMessage.id.desc()).limit(limit))
            .scalars()]

    # --- lists --------------------------------------------------------------------------
    def status_counts(self) -> dict[str, int]:
        statement = (select(Item.status, func.count()).join(t.DocumentOrder, t.DocumentOrder.id == Item.order_id)
                     .where(t.DocumentOrder.is_deleted.is_(False), t.DocumentOrder.order_status == "Ordered",
                            Item.credential_number.is_not(None)).group_by(Item.status))
        return {status: count for status, count in self._session.execute(statement)}

    def items_with_status(self, status: str, *, offset: int, limit: int) -> list[m.ItemRow]:
        rows = self._session.execute(self._credential_items().where(Item.status == status).order_by(
            Item.order_id, Item.item_number).offset(offset).limit(limit)).scalars().all()
        return [m.ItemRow(m.ItemKey(r.order_id, r.item_number), r.asn, r.recipient_name, r.credential_number,
                          r.document_type, r.delivery_method, r.document_language, r.status, r.status_change_reason,
                          r.print_job_id) for r in rows]

