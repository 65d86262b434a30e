"""``bulk-award``: Award and Order Credentials in Bulk from the command line.

``search`` records the selection under an id and writes the Pre-Processing CSV; ``run`` takes
that id and processes exactly those students; ``resume`` goes on with an interrupted run (and
retries refused orders); ``report`` writes a run's Post-Processing CSVs again; ``cancel``
gives a selection up; ``list`` shows the recent selections and runs.
"""
from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from operations.bulk_award_and_order import service
from operations.bulk_award_and_order.selection import Criteria
from pasi_core.kernel.clock import local_time, utc_now
from pasi_core.kernel.settings import Settings

from .common import units_of_work

DEFAULT_OUT_DIR = "var/bulk-award"


def _print_selection(chosen: service.Selection, new_unit_of_work) -> None:
    with new_unit_of_work(read_only=True) as uow:
        order = service.awarding_order(uow)
    for label, value in chosen.criteria.describe(order):
        print(f"{label}: {value}")
    print(f"Total number of records to be processed: {chosen.count}")


def _print_summary(summary: service.RunSummary) -> None:
    print(f"Awarding and Ordering Summary (run {summary.run_id}, {summary.status})")
    print(f"Total numbers of records selected: {summary.selected}")
    print(f"  awarded and ordered: {summary.awarded_and_ordered}")
    print(f"  awarded, not ordered: {summary.awarded_not_ordered}")
    print(f"Total number of records not processed successfully: {summary.unsuccessful}")
    if summary.not_processed:
        print(f"  not processed yet (the run was interrupted): {summary.not_processed}")
    for path in summary.files:
        print(f"CSV: {path}")


def cmd_search(args, settings: Settings) -> int:
    new_unit_of_work = units_of_work(settings)
    chosen = service.search(new_unit_of_work, Criteria(args.authority, args.school, tuple(args.credential_type)),
                            operator=args.operator, now=utc_now())
    _print_selection(chosen, new_unit_of_work)
    path = service.write_pre_processing_csv(new_unit_of_work, chosen, Path(args.out_dir),
                                            time_zone=settings.time_zone)
    print(f"Pre-Processing CSV: {path}")
    print(f"selection {chosen.run_id}; process exactly these records with "
          f"`pasi-core bulk-award run {chosen.run_id} --operator NAME`")
    return 0


def _process(new_unit_of_work, run_id: int, settings: Settings, out_dir: Path, *, resume: bool) -> int:
    with tqdm(desc="awarding and ordering", unit="student", disable=None) as bar:
        service.process_run(new_unit_of_work, run_id, clock=utc_now, time_zone=settings.time_zone,
                            progress=bar.update, retry_failed_orders=resume, chunk=settings.bulk_chunk_size)
    _print_summary(service.write_reports(new_unit_of_work, run_id, out_dir=out_dir,
                                         time_zone=settings.time_zone))
    return 0


def cmd_run(args, settings: Settings) -> int:
    new_unit_of_work = units_of_work(settings)
    chosen = service.selection(new_unit_of_work, args.selection_id)
    _print_selection(chosen, new_unit_of_work)
    start = service.start_run(new_unit_of_work, args.selection_id, args.delivery_method,
                              operator=args.operator, now=utc_now())
    if not start.started:
        print(f"selection {args.selection_id} was started before; nothing more is started "
              f"(continue it with `pasi-core bulk-award resume {args.selection_id}`)")
        _print_summary(service.summarize(new_unit_of_work, args.selection_id))
        return 1
    print(f"Delivery Method: {service.DELIVERY_LABELS[args.delivery_method]}")
    if start.staleness.changed:
        print(f"since the search, {start.staleness.no_longer_eligible} selected student(s) are no longer "
              f"eligible (their award will say why) and {start.staleness.newly_eligible} other student(s) "
              "became eligible; they are not part of this run (search again for them)")
    print(f"started bulk run {args.selection_id}; if it is interrupted, continue it with "
          f"`pasi-core bulk-award resume {args.selection_id}`")
    return _process(new_unit_of_work, args.selection_id, settings, Path(args.out_dir), resume=False)


def cmd_resume(args, settings: Settings) -> int:
    return _process(units_of_work(settings), args.run_id, settings, Path(args.out_dir), resume=True)


def cmd_report(args, settings: Settings) -> int:
    _print_summary(service.write_reports(units_of_work(settings), args.run_id, out_dir=Path(args.out_dir),
                                         time_zone=settings.time_zone))
    return 0


def cmd_cancel(args, settings: Settings) -> int:
    if service.cancel(units_of_work(settings), args.selection_id, now=utc_now()):
        print(f"selection {args.selection_id} cancelled: nothing was awarded or ordered")
        return 0
    print(f"selection {args.selection_id} was already started, finished or cancelled")
    return 1


def cmd_list(args, settings: Settings) -> int:
    for run in service.recent_runs(units_of_work(settings), limit=args.limit):
        when = local_time(run.searched_utc, settings.time_zone)
        print(f"{run.run_id}\t{run.status}\t{when:%Y-%m-%d %H:%M}\t{run.operator or '-'}\t"
              f"{run.criteria.authority or 'all authorities'} / {run.criteria.school or 'all schools'} / "
              f"{', '.join(run.criteria.credential_types)}")
    return 0


def _criteria_arguments(command) -> None:
    command.add_argument("--authority", help="a school authority code (A.nnnn)")
    command.add_argument("--school", help="a school code (S.nnnn)")
    command.add_argument("--credential-type", action="append", default=[],
                         help="a credential type code (repeatable; default: every type in the awarding order)")


def add_commands(commands) -> None:
    bulk = commands.add_parser("bulk-award", help="Award and Order Credentials in Bulk (Student Records)")
    actions = bulk.add_subparsers(dest="action", required=True)

    search = actions.add_parser("search", help="select the students, record the selection and write the "
                                               "Pre-Processing CSV (awards nothing)")
    _criteria_arguments(search)
    search.add_argument("--operator", required=True, help="who searches (named in the audit log)")
    search.add_argument("--out-dir", default=DEFAULT_OUT_DIR, help="where the CSV files go")
    search.set_defaults(handler=cmd_search)

    run = actions.add_parser("run", help="award and order exactly the students of a selection")
    run.add_argument("selection_id", type=int, help="the id `search` printed")
    run.add_argument("--operator", required=True, help="who runs it (named in the audit log)")
    run.add_argument("--delivery-method", choices=sorted(service.DELIVERY_METHODS), default="automated",
                     help="Automated Mail with a cardboard insert (default) or Manual Mail")
    run.add_argument("--out-dir", default=DEFAULT_OUT_DIR)
    run.set_defaults(handler=cmd_run)

    for name, text, handler in (("resume", "continue an interrupted run; retry refused orders", cmd_resume),
                                ("report", "write a run's Post-Processing CSVs again", cmd_report)):
        command = actions.add_parser(name, help=text)
        command.add_argument("run_id", type=int)
        command.add_argument("--out-dir", default=DEFAULT_OUT_DIR)
        command.set_defaults(handler=handler)

    cancel = actions.add_parser("cancel", help="give a selection up (nothing is awarded)")
    cancel.add_argument("selection_id", type=int)
    cancel.set_defaults(handler=cmd_cancel)

    listing = actions.add_parser("list", help="the recent selections and runs")
    listing.add_argument("--limit", type=int, default=20)
    listing.set_defaults(handler=cmd_list)
