"""Credential document production, put together from the settings: the renderer and its
templates, the documents folder, the print delivery target and the outbox's sink; and one round
of the whole chain, as ``pasi-core documents run`` and the job runner do it."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from operations.credential_documents import service
from operations.credential_documents.ports import DeliveryTarget, MessageSink
from operations.unit_of_work import UnitOfWorkFactory
from pasi_core.documents.delivery import delivery_target
from pasi_core.documents.files import DocumentFolder
from pasi_core.documents.outbox import FolderMessageSink
from pasi_core.documents.rendering import PdfRenderer
from pasi_core.documents.templates import load_templates
from pasi_core.kernel.clock import utc_now
from pasi_core.kernel.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Production:
    documents: service.Documents
    target: DeliveryTarget
    sink: MessageSink
    time_zone: str


def production(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Production:
    """Everything from the settings; a bad template or target is a ConfigurationError here."""
    renderer = PdfRenderer(load_templates(settings.document_templates), clock=clock, time_zone=settings.time_zone,
                           workers=settings.document_workers)
    return Production(
        service.Documents(renderer, DocumentFolder(settings.documents_dir)),
        delivery_target(settings.print_delivery, client_key=settings.print_sftp_key,
                        known_hosts=settings.print_sftp_known_hosts),
        FolderMessageSink(settings.outbox_dir), settings.time_zone)


@dataclass(frozen=True)
class RoundSummary:
    processed: service.ProcessSummary
    print_jobs: int
    delivery: service.DeliverySummary
    messages: int


def run_round(new_unit_of_work: UnitOfWorkFactory, made: Production, *, clock: Callable[[], datetime] = utc_now,
              operator: str | None = None, stopping: Callable[[], bool] = lambda: False) -> RoundSummary:
    """Ordered items to Sent: process, print, deliver the print jobs, hand the outbox over."""
    processed = service.process_ordered(new_unit_of_work, made.documents, clock=clock, operator=operator,
                                        stopping=stopping, time_zone=made.time_zone)
    jobs = [] if stopping() else service.print_ready(new_unit_of_work, made.documents, clock=clock,
                                                     operator=operator, time_zone=made.time_zone)
    delivery = service.deliver_print_jobs(new_unit_of_work, made.documents.files, made.target, clock=clock)
    messages = service.deliver_messages(new_unit_of_work, made.sink, clock=clock)
    return RoundSummary(processed, len(jobs), delivery, messages)
