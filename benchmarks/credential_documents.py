"""Benchmark: credential documents for the July run: N credential order items (default 33,000)
from Ordered to Sent and delivered.

Loads a province where every student has achieved the Alberta High School Diploma (95 % with a
mailing address), awards and orders them with the bulk job (not timed), then times the document
chain the job runner runs: process (validate, render the credential and its First-Run Credential
Letter as PDFs, or System Hold), print (one print file in mailing order, the instruction sheet, the
manifest; items Sent, outbox messages), deliver (to a drop folder) and the outbox's hand-over.

    python benchmarks/credential_documents.py                     # SQLite in a temporary file
    python benchmarks/credential_documents.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bulk_award import province

import pasi_core  # noqa: F401
from operations.bulk_award_and_order import service as bulk
from operations.bulk_award_and_order.selection import Criteria
from operations.credential_documents import service
from pasi_core.documents.delivery import FolderDelivery
from pasi_core.documents.files import DocumentFolder
from pasi_core.documents.outbox import FolderMessageSink
from pasi_core.documents.rendering import PdfRenderer
from pasi_core.documents.templates import load_templates
from persistence import schema
from persistence.database import create_database_engine, session_factory
from persistence.reference_loader import load_document
from persistence.unit_of_work import SqlUnitOfWorkFactory


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--students", type=int, default=33_000)
    parser.add_argument("--keep", action="store_true", help="keep the PDFs (default: removed afterwards)")
    parser.add_argument("--workers", type=int, default=2, help="rendering processes (PASI_DOCUMENT_WORKERS)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pasi-documents-bench-"))
    url = args.database_url or f"sqlite:///{workdir}/documents.sqlite3"
    engine = create_database_engine(url)
    schema.drop_everything(engine)
    schema.upgrade(engine)
    started = time.perf_counter()
    load_document(session_factory(engine), province(args.students))
    units = SqlUnitOfWorkFactory(session_factory(engine))
    found = bulk.search(units, Criteria(), operator="benchmark", now=now())
    bulk.start_run(units, found.run_id, "automated", operator="benchmark", now=now())
    bulk.process_run(units, found.run_id, clock=now)
    print(f"database: {engine.dialect.name}; {args.students} students loaded, awarded and ordered in "
          f"{time.perf_counter() - started:.0f} s (not timed); {os.cpu_count()} CPUs; peak RSS so far "
          f"{peak_mb():.0f} MB")

    renderer = PdfRenderer(load_templates(), clock=now, workers=args.workers)
    documents = service.Documents(renderer, DocumentFolder(workdir / "documents"))
    timings = {}
    started = time.perf_counter()
    processed = service.process_ordered(units, documents, clock=now)
    timings["process"] = time.perf_counter() - started
    started = time.perf_counter()
    jobs = service.print_ready(units, documents, clock=now)
    timings["print"] = time.perf_counter() - started
    started = time.perf_counter()
    delivered = service.deliver_print_jobs(units, documents.files, FolderDelivery(workdir / "provider"), clock=now)
    timings["deliver"] = time.perf_counter() - started
    started = time.perf_counter()
    messages = service.deliver_messages(units, FolderMessageSink(workdir / "outbox"), clock=now)
    timings["notify"] = time.perf_counter() - started
    renderer.close()
    total = sum(timings.values())
    pages = 2 * processed.processed  # each item: its letter and one credential
    print(f"process: {processed.processed} items rendered (credential + letter) by {args.workers} process(es), "
          f"{processed.held} on System Hold, in {timings['process']:.1f} s "
          f"({processed.processed / timings['process']:.0f} items/s)")
    print(f"print: {len(jobs)} print job(s), {sum(j.item_count for j in jobs)} items, {pages} pages, "
          f"in {timings['print']:.1f} s")
    print(f"deliver: {delivered.delivered} job(s) in {timings['deliver']:.1f} s; notify: {messages} messages in "
          f"{timings['notify']:.1f} s")
    print(f"total: {total:.1f} s for {processed.processed + processed.held} items (target 600 s); "
          f"documents folder {folder_bytes(workdir / 'documents') / 1e6:.0f} MB; peak RSS {peak_mb():.0f} MB")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"kept: {workdir}")


if __name__ == "__main__":
    main()
