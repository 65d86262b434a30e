"""The use cases of credential document production, each inside units of work:

- :func:`process_ordered` (Process Credential Order Items / the Credential Processing Agent),
- :func:`print_ready` (Print Document Order Item / the Physical Print Job Processor),
- :func:`deliver_print_jobs` (Deliver Print Job, with retries and notices),
- :func:`change_item_status` (Change Order Item Status),
- :func:`deliver_messages` (the outbox, for myPass and Student Records).

Each step commits in batches; an interrupted step leaves only whole batches done, and running
it again picks up where it stopped without a second file, print or message for any item.
"""
from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from operations.unit_of_work import UnitOfWork, UnitOfWorkFactory
from pasi_core.kernel.audit import AuditEntry
from pasi_core.kernel.clock import PROVINCE_TIME_ZONE, local_date
from pasi_core.kernel.code_tables import CodeTables
from pasi_core.kernel.errors import PasiError

from . import rules
from .model import (
    AUTOMATED_MAIL_JOB,
    CREDENTIAL_ISSUED,
    CREDENTIAL_UNDELIVERABLE,
    FAILED_DELIVERY,
    JOB_DELIVERED,
    JOB_FAILED,
    JOB_READY,
    JOB_RETRY,
    ORDERED,
    PRINT_JOB_DELIVERED,
    PRINT_JOB_DELIVERY_FAILED,
    READY_FOR_DELIVERY,
    REASON_RETURNED_BAD_ADDRESS,
    RETURN_TO_STUDENT_RECORDS_JOB,
    SENT,
    SPECIAL_HANDLING_NOT_REQUIRED,
    SPECIAL_HANDLING_OUTSTANDING,
    STATUS_LABELS,
    TO_MYPASS,
    TO_PRINT_PROVIDER,
    TO_STUDENT_RECORDS,
    DocumentItem,
    Envelope,
    Hold,
    ItemKey,
    NewMessage,
    PrintJob,
    Processed,
)
from .ports import DeliveryFailed, DeliveryTarget, DocumentFiles, DocumentRenderer, MessageSink

log = logging.getLogger(__name__)

ENDPOINT = "StudentRecords"
ORGANIZATION = "O.1"
PROCESSING_AGENT = "Credential Processing Agent"
PRINT_PROCESSOR = "Physical Print Job Processor"
PROCESS_BATCH = 100
"""Items rendered per transaction: small enough that a busy SQLite is held briefly."""
MAX_DELIVERY_ATTEMPTS = 5
DELIVERY_LEASE = timedelta(minutes=10)
"""How long a delivery in progress keeps others off its print job (a crash frees it after)."""
MAX_REASON_LENGTH = 100
PRINT_FILE, INSTRUCTION_SHEET, MANIFEST = "PrintFile", "PrinterInstructionSheet", "Manifest"
ENGLISH, FRENCH = "EN", "FR"


class DocumentProductionError(PasiError):
    """A document step cannot be done as asked (an unknown item, a bad reason, ...)."""


@dataclass(frozen=True)
class ProcessSummary:
    processed: int
    held: int


@dataclass(frozen=True)
class DeliverySummary:
    delivered: int
    retrying: int
    failed: int


@dataclass(frozen=True)
class Documents:
    """The adapters document production works with."""

    renderer: DocumentRenderer
    files: DocumentFiles


def credential_title(tables: CodeTables, overrides: Mapping[tuple[str, str], str], credential_type: str,
                     language: str) -> str | None:
    """The credential's name in the document's language: the templates' own title, else the
    Credential Type code table's (its French description for French)."""
    override = overrides.get((credential_type, language))
    if override:
        return override
    if not tables.has("CredentialType", credential_type):
        return None
    if language == FRENCH:
        return tables.attribute("CredentialType", credential_type, "FrenchDescription") or None
    return tables.short_description("CredentialType", credential_type) or None


def item_file_path(item: DocumentItem, kind: str) -> str:
    """Fixed by the item and its generation: a run interrupted after writing is overwritten, never
    doubled, when it runs again."""
    return f"items/{item.key.order_id}/{item.key.order_id}-{item.key.item_number}-g{item.generation}-{kind}.pdf"


def process_ordered(new_unit_of_work: UnitOfWorkFactory, documents: Documents, *,
                    clock: Callable[[], datetime], batch: int = PROCESS_BATCH,
                    stopping: Callable[[], bool] = lambda: False, operator: str | None = None,
                    time_zone: str = PROVINCE_TIME_ZONE) -> ProcessSummary:
    """Validate every Ordered credential item and render it, batch by batch, until none is left."""
    processed = held = 0
    overrides = documents.renderer.title_overrides
    while not stopping():
        with new_unit_of_work() as uow:
            now = clock()
            items = uow.document_items.claim_items(ORDERED, batch, local_date(now, time_zone))
            if not items:
                break
            tables = uow.code_tables.load()
            holds: list[Hold] = []
            printable: list[tuple[DocumentItem, str]] = []
            for item in items:
                title = (credential_title(tables, overrides, item.credential.credential_type, item.language)
                         if item.credential is not None else None)
                errors = rules.document_errors(item, title_known=title is not None)
                if errors:
                    holds.append(Hold(item.key, rules.hold_reason(errors), tuple(errors)))
                else:
                    assert title is not None
                    printable.append((item, title))
            # The whole batch is rendered at once: the renderer may spread it over processes.
            rendered = documents.renderer.render_items(printable, now)
            done_items = [Processed(item, tuple(documents.files.write(item_file_path(item, kind), content, kind)
                                                for kind, content in files.items()),
                                    SPECIAL_HANDLING_OUTSTANDING if rules.returned_to_student_records(
                                        item.delivery_method) else SPECIAL_HANDLING_NOT_REQUIRED)
                          for (item, _), files in zip(printable, rendered, strict=True)]
            uow.document_items.hold(holds, by=PROCESSING_AGENT, now=now)
            uow.document_items.record_processed(done_items, by=PROCESSING_AGENT, now=now)
            held += len(holds)
            done = len(done_items)
            processed += done
            _audit(uow, "ProcessCredentialOrderItems", operator, now, len(items), done)
            uow.commit()
    if processed or held:
        log.info("credential documents: %d item(s) processed, %d put on System Hold", processed, held)
    return ProcessSummary(processed, held)


def print_ready(new_unit_of_work: UnitOfWorkFactory, documents: Documents, *, clock: Callable[[], datetime],
                operator: str | None = None, time_zone: str = PROVINCE_TIME_ZONE) -> list[PrintJob]:
    """Gather every Ready for Delivery item into print jobs (one for the print service provider to
    mail, one for what comes back to Student Records), and mark them Sent for Delivery."""
    overrides = documents.renderer.title_overrides
    with new_unit_of_work() as uow:
        now = clock()
        items = uow.document_items.claim_items(READY_FOR_DELIVERY, 10**9, local_date(now, time_zone))
        if not items:
            return []
        tables = uow.code_tables.load()
        returned = [i for i in items if rules.returned_to_student_records(i.delivery_method)]
        mailed = [i for i in items if not rules.returned_to_student_records(i.delivery_method)]
        groups = ((AUTOMATED_MAIL_JOB, mailed), (RETURN_TO_STUDENT_RECORDS_JOB, returned))
        jobs = []
        for kind, group in groups:
            if group:
                jobs.append(_print_group(uow, documents, tables, overrides, kind, group, now))
        _audit(uow, "PrintDocumentOrderItems", operator, now, len(items), len(items))
        uow.commit()
    for job in jobs:
        log.info("print job %s: %d item(s) in %d envelope(s)", job.name, job.item_count,
                 sum(job.envelope_counts.values()))
    return jobs


def _print_group(uow: UnitOfWork, documents: Documents, tables: CodeTables,
                 overrides: Mapping[tuple[str, str], str], kind: str, group: list[DocumentItem],
                 now: datetime) -> PrintJob:
    envelope_list = rules.envelopes(rules.mailing_order(group))
    counts = rules.envelope_counts(envelope_list)
    job_id = uow.document_items.create_print_job(kind, envelope_list, counts, now=now)
    job = PrintJob(job_id, kind, JOB_READY, now, len(group), counts, ())
    titles = {}
    for item in group:
        assert item.credential is not None
        key = (item.credential.credential_type, item.language)
        if key not in titles:
            titles[key] = credential_title(tables, overrides, *key) or item.credential.credential_type
    folder = f"print-jobs/{job.name}"
    stored = [
        documents.files.write(f"{folder}/{job.name}-documents.pdf",
                              documents.renderer.render_print_file(envelope_list, titles, job.name), PRINT_FILE),
        documents.files.write(f"{folder}/{job.name}-printer-instructions.pdf",
                              documents.renderer.render_instruction_sheet(job, envelope_list), INSTRUCTION_SHEET),
        documents.files.write(f"{folder}/{job.name}-manifest.json", _manifest(job, envelope_list), MANIFEST),
    ]
    uow.document_items.attach_print_files(job_id, stored)
    uow.document_items.record_sent(job_id, envelope_list, by=PRINT_PROCESSOR, now=now)
    uow.document_items.add_messages([
        NewMessage(CREDENTIAL_ISSUED, TO_MYPASS, f"{CREDENTIAL_ISSUED}:{item.key}", item.asn, _item_payload(item, SENT))
        for envelope in envelope_list for item in envelope.items], now=now)
    return PrintJob(job_id, kind, JOB_READY, now, len(group), counts, tuple(stored))


def _manifest(job: PrintJob, envelope_list: Sequence[Envelope]) -> bytes:
    """What the print service provider checks a delivery against (no names or addresses)."""
    return json.dumps({
        "printJob": job.name, "kind": job.kind, "createdUtc": job.created_utc.isoformat() + "Z",
        "items": job.item_count, "envelopes": len(envelope_list), "envelopeCounts": job.envelope_counts,
        "envelopeList": [{"sequence": e.sequence, "destination": e.destination,
                          "orderItems": [str(i.key) for i in e.items],
                          "copies": sum(i.copies for i in e.items)} for e in envelope_list],
    }, indent=1).encode()


def _item_payload(item: DocumentItem, status: str) -> dict:
    return {"documentOrderId": item.key.order_id, "documentOrderItemNumber": item.key.item_number,
            "stateProvinceId": item.asn, "orderItemStatus": status,
            "credentialNumber": item.credential.credential_number if item.credential else None,
            "credentialType": item.credential.credential_type if item.credential else None,
            "documentLanguage": item.language}


def deliver_print_jobs(new_unit_of_work: UnitOfWorkFactory, files: DocumentFiles, target: DeliveryTarget, *,
                       clock: Callable[[], datetime], max_attempts: int = MAX_DELIVERY_ATTEMPTS) -> DeliverySummary:
    """Send every due print job to the print service provider; a failure is retried later (a
    growing wait), and after the last attempt Student Records gets a failure notice."""
    delivered = retrying = failed = 0
    with new_unit_of_work() as uow:
        now = clock()
        due = uow.document_items.print_jobs_due(now)
        # Leased, then delivered outside the transaction: a slow upload holds no lock.
        for job in due:
            uow.document_items.record_delivery(job.id, status=job.status, attempts=job.attempts, error=job.last_error,
                                               next_attempt=now + DELIVERY_LEASE, now=now)
        uow.commit()
    for job in due:
        try:
            target.deliver(job.name, [(f.path.rsplit("/", 1)[-1], files.absolute(f.path)) for f in job.files])
        except DeliveryFailed as failure:
            reason = str(failure)[:400]
            attempts = job.attempts + 1
            final = attempts >= max_attempts
            with new_unit_of_work() as uow:
                now = clock()
                uow.document_items.record_delivery(
                    job.id, status=JOB_FAILED if final else JOB_RETRY, attempts=attempts, error=reason,
                    next_attempt=None if final else now + timedelta(minutes=min(2 ** attempts, 60)), now=now)
                if final:
                    uow.document_items.add_message(
                        PRINT_JOB_DELIVERY_FAILED, TO_STUDENT_RECORDS, f"{PRINT_JOB_DELIVERY_FAILED}:{job.id}", None,
                        {"printJob": job.name, "target": target.description, "attempts": attempts, "error": reason},
                        now=now)
                uow.commit()
            log.warning("print job %s: delivery attempt %d to %s failed: %s", job.name, attempts,
                        target.description, reason)
            failed += final
            retrying += not final
            continue
        with new_unit_of_work() as uow:
            now = clock()
            uow.document_items.record_delivery(job.id, status=JOB_DELIVERED, attempts=job.attempts + 1, error=None,
                                               next_attempt=None, now=now)
            notice = {"printJob": job.name, "kind": job.kind, "target": target.description,
                      "items": job.item_count, "envelopeCounts": job.envelope_counts}
            # The Print Job Notification: to Student Records, and to the provider with its counts.
            uow.document_items.add_message(PRINT_JOB_DELIVERED, TO_STUDENT_RECORDS, f"{PRINT_JOB_DELIVERED}:{job.id}",
                                           None, notice, now=now)
            uow.document_items.add_message(PRINT_JOB_DELIVERED, TO_PRINT_PROVIDER,
                                           f"{PRINT_JOB_DELIVERED}:{job.id}:{TO_PRINT_PROVIDER}", None, notice,
                                           now=now)
            _audit(uow, "DeliverPrintJob", None, now, job.item_count, job.item_count)
            uow.commit()
        log.info("print job %s delivered to %s", job.name, target.description)
        delivered += 1
    return DeliverySummary(delivered, retrying, failed)


def retry_failed_deliveries(new_unit_of_work: UnitOfWorkFactory, *, clock: Callable[[], datetime],
                            operator: str | None = None) -> int:
    """After the target is fixed: the jobs whose delivery failed for good are tried again."""
    with new_unit_of_work() as uow:
        count = uow.document_items.retry_failed_jobs()
        if count:
            _audit(uow, "RetryPrintJobDelivery", operator, clock(), count, count)
        uow.commit()
    return count


def change_item_status(new_unit_of_work: UnitOfWorkFactory, key: ItemKey, status: str, reason: str | None, *,
                       operator: str, clock: Callable[[], datetime], time_zone: str = PROVINCE_TIME_ZONE) -> str:
    """Change Order Item Status, as PASIprep offers it; returns what was done, for the screen."""
    if not operator or not operator.strip():
        raise DocumentProductionError("a status is changed by a named Student Records user")
    reason = _clean_reason(reason)
    with new_unit_of_work() as uow:
        details = uow.document_items.details(key, lock=True)
        if details is None:
            raise DocumentProductionError(f"There is no credential order item {key}.")
        item = details.item
        rules.check_status_change(item.status, status)
        now = clock()
        today = local_date(now, time_zone)
        note = f"Item {key} is now {STATUS_LABELS[status]}."
        if status == ORDERED:
            uow.document_items.reset_for_reprocessing(key)
        if status == FAILED_DELIVERY:
            if reason == REASON_RETURNED_BAD_ADDRESS and item.address is not None:
                expired = uow.document_items.expire_addresses(item.asn, item.address, today)
                note += f" {expired} matching address(es) of the student expired."
            uow.document_items.add_message(CREDENTIAL_UNDELIVERABLE, TO_MYPASS, f"{CREDENTIAL_UNDELIVERABLE}:{key}",
                                           item.asn, _item_payload(item, FAILED_DELIVERY), now=now)
        uow.document_items.change_status(key, status, reason, by=operator, now=now)
        _audit(uow, "ChangeOrderItemStatus", operator, now, 1, 1)
        uow.commit()
    return note


def _clean_reason(reason: str | None) -> str | None:
    reason = " ".join((reason or "").split())
    if not reason:
        return None
    if len(reason) > MAX_REASON_LENGTH:
        raise DocumentProductionError(f"A Status Change Reason has at most {MAX_REASON_LENGTH} characters.")
    if not reason.isprintable():
        raise DocumentProductionError("A Status Change Reason cannot hold control characters.")
    return reason


def deliver_messages(new_unit_of_work: UnitOfWorkFactory, sink: MessageSink, *, clock: Callable[[], datetime],
                     batch: int = 500) -> int:
    """Hand the outbox to its sink, oldest first; a message the sink refuses waits for next time."""
    sent = 0
    while True:
        with new_unit_of_work() as uow:
            messages = uow.document_items.undelivered_messages(batch)
            delivered = []
            try:
                for message in messages:
                    sink.send(message)
                    delivered.append(message.id)
            finally:
                if delivered:
                    uow.document_items.mark_messages_delivered(delivered, clock())
                    uow.commit()
        sent += len(delivered)
        if len(delivered) < batch:
            return sent


def _audit(uow: UnitOfWork, operation: str, operator: str | None, now: datetime, records: int,
           accepted: int) -> None:
    uow.audit.append(AuditEntry(
        message_id=str(uuid.uuid4()), received_utc=now, endpoint=ENDPOINT, operation=operation,
        organization_code=ORGANIZATION, client_name="Student Records documents", client_message_id=None,
        remote_address=None, outcome="ok", rule_id=None, record_count=records, accepted_count=accepted,
        duration_ms=0, request_hash=None, record_outcomes=None, operator=operator))

