"""``documents``: credential document production from the command line.

``process`` renders every Ordered credential item (or puts it on System Hold), ``print`` gathers
the Ready for Delivery items into print jobs (items become Sent for Delivery), ``deliver`` sends
the print jobs to the print service provider, ``notify`` hands the outbox over, ``run`` does all
four; ``status`` shows the items by status (or one item), ``set-status`` is Change Order Item
Status, ``check-templates`` checks edited templates before they are used.  The job runner does
``run`` every PASI_DOCUMENTS_INTERVAL seconds.
"""
from __future__ import annotations

import argparse

from operations.credential_documents import service
from operations.credential_documents.model import STATUS_LABELS, STATUSES, ItemKey
from operations.credential_documents.rules import DocumentStatusRefused, allowed_changes
from pasi_core.app.document_production import production, run_round
from pasi_core.documents.templates import load_templates
from pasi_core.kernel.clock import local_time, utc_now
from pasi_core.kernel.settings import Settings

from .common import units_of_work


def item_key(text: str) -> ItemKey:
    order, _, item = text.partition("-")
    if not (order.isdigit() and item.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not ORDER-ITEM (e.g. 42-1)")
    return ItemKey(int(order), int(item))


def status_code(text: str) -> str:
    by_label = {label.casefold(): code for code, label in STATUS_LABELS.items()}
    code = text if text in STATUSES else by_label.get(text.casefold())
    if code is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not an Order Item Status; one of "
                                         + ", ".join(STATUSES))
    return code


def cmd_process(args, settings: Settings) -> int:
    summary = service.process_ordered(units_of_work(settings), production(settings).documents, clock=utc_now,
                                      operator=args.operator, time_zone=settings.time_zone)
    print(f"processed {summary.processed} item(s): Ready for Delivery; {summary.held} put on System Hold")
    return 0


def cmd_print(args, settings: Settings) -> int:
    jobs = service.print_ready(units_of_work(settings), production(settings).documents, clock=utc_now,
                               operator=args.operator, time_zone=settings.time_zone)
    if not jobs:
        print("no item is Ready for Delivery")
    for job in jobs:
        counts = ", ".join(f"{place} {count}" for place, count in job.envelope_counts.items())
        print(f"{job.name} ({job.kind}): {job.item_count} item(s) Sent for Delivery; envelopes: {counts}")
    return 0


def cmd_deliver(args, settings: Settings) -> int:
    made = production(settings)
    if args.retry_failed:
        again = service.retry_failed_deliveries(units_of_work(settings), clock=utc_now)
        print(f"{again} print job(s) whose delivery had failed will be tried again")
    summary = service.deliver_print_jobs(units_of_work(settings), made.documents.files, made.target, clock=utc_now)
    print(f"print jobs delivered to {made.target.description}: {summary.delivered}; waiting to retry: "
          f"{summary.retrying}; failed for good: {summary.failed}")
    return 0 if not summary.failed else 1


def cmd_notify(args, settings: Settings) -> int:
    sent = service.deliver_messages(units_of_work(settings), production(settings).sink, clock=utc_now)
    print(f"outbox: {sent} message(s) delivered to {settings.outbox_dir}")
    return 0


def cmd_run(args, settings: Settings) -> int:
    made = production(settings)
    summary = run_round(units_of_work(settings), made, operator=args.operator)
    print(f"processed {summary.processed.processed} item(s), {summary.processed.held} put on System Hold; "
          f"{summary.print_jobs} print job(s); delivered {summary.delivery.delivered} to {made.target.description}"
          f" ({summary.delivery.retrying} waiting to retry, {summary.delivery.failed} failed); "
          f"{summary.messages} outbox message(s) delivered")
    return 0 if not summary.delivery.failed else 1


def cmd_status(args, settings: Settings) -> int:
    new_unit_of_work = units_of_work(settings)
    if args.item is not None:
        with new_unit_of_work(read_only=True) as uow:
            details = uow.document_items.details(args.item)
        if details is None:
            print(f"there is no credential order item {args.item}")
            return 1
        item = details.item
        print(f"item {item.key}: {STATUS_LABELS[item.status]} ({item.status})"
              + (f", reason: {details.status_change_reason}" if details.status_change_reason else ""))
        print(f"  credential {item.credential.credential_number if item.credential else '-'}, language "
              f"{item.language}, delivery {item.delivery_method}, special handling {details.special_handling or '-'}")
        if details.print_job_id:
            print(f"  print job {details.print_job_id}, envelope {details.mailing_sequence}")
        for error in details.errors:
            print(f"  error {error.code}: {error.description}")
        for stored in details.files:
            print(f"  file {stored.kind}: {stored.path} ({stored.size} bytes, sha256 {stored.sha256[:16]}...)")
        for change in details.history:
            print(f"  {local_time(change.changed_utc, settings.time_zone):%Y-%m-%d %H:%M} "
                  f"{change.from_status or '-'} -> {change.to_status} by {change.changed_by}"
                  + (f" ({change.reason})" if change.reason else ""))
        allowed = allowed_changes(item.status)
        print("  may be changed to: " + (", ".join(STATUS_LABELS[s] for s in allowed) if allowed else "nothing"))
        return 0
    with new_unit_of_work(read_only=True) as uow:
        counts = uow.document_items.status_counts()
        jobs = uow.document_items.recent_print_jobs(10)
    for status in STATUSES:
        print(f"{STATUS_LABELS[status]:<20} {counts.get(status, 0)}")
    for job in jobs:
        print(f"{job.name} {job.kind}: {job.status}, {job.item_count} item(s), {job.attempts} attempt(s)"
              + (f", last error: {job.last_error}" if job.last_error else ""))
    return 0


def cmd_set_status(args, settings: Settings) -> int:
    try:
        note = service.change_item_status(units_of_work(settings), args.item, args.status, args.reason,
                                          operator=args.operator, clock=utc_now, time_zone=settings.time_zone)
    except DocumentStatusRefused as refused:
        print(f"not changed: {refused.message}")
        return 1
    print(note)
    return 0


def cmd_check_templates(args, settings: Settings) -> int:
    templates = load_templates(args.folder or settings.document_templates)
    print(f"templates are usable: {templates.credential.name}, {templates.first_run_letter.name}, "
          f"{templates.reprint_letter.name}; {len(templates.titles)} credential titles")
    return 0


def add_commands(commands) -> None:
    documents = commands.add_parser("documents", help="credential documents: process, print, deliver, status")
    actions = documents.add_subparsers(dest="action", required=True)
    for name, text, handler in (
            ("process", "render every Ordered credential item, or put it on System Hold", cmd_process),
            ("print", "gather Ready for Delivery items into print jobs (they become Sent for Delivery)", cmd_print),
            ("run", "process, print, deliver and notify, as the job runner does", cmd_run)):
        command = actions.add_parser(name, help=text)
        command.add_argument("--operator", help="who runs it (named in the audit log)")
        command.set_defaults(handler=handler)
    deliver = actions.add_parser("deliver", help="send the print jobs to the print service provider")
    deliver.add_argument("--retry-failed", action="store_true",
                         help="first give the jobs whose delivery failed for good new attempts")
    deliver.set_defaults(handler=cmd_deliver)
    actions.add_parser("notify", help="hand the outbox's messages over").set_defaults(handler=cmd_notify)
    status = actions.add_parser("status", help="items by status, the recent print jobs; or one item")
    status.add_argument("item", nargs="?", type=item_key, help="ORDER-ITEM, e.g. 42-1")
    status.set_defaults(handler=cmd_status)
    change = actions.add_parser("set-status", help="Change Order Item Status")
    change.add_argument("item", type=item_key, help="ORDER-ITEM, e.g. 42-1")
    change.add_argument("status", type=status_code, help="the new status (code or label, e.g. Cancelled)")
    change.add_argument("--reason", help="Status Change Reason (ReturnedBadAddress expires the address)")
    change.add_argument("--operator", required=True, help="who changes it (named in the audit log)")
    change.set_defaults(handler=cmd_set_status)
    check = actions.add_parser("check-templates", help="check document templates")
    check.add_argument("folder", nargs="?", help="a folder of edited templates (default PASI_DOCUMENT_TEMPLATES)")
    check.set_defaults(handler=cmd_check_templates)
