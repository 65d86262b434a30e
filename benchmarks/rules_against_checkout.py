"""Benchmark: the rules and the planning of SubmitDiplomaExamMark, this checkout against another.

The live benchmarks compare the service with its floor; on a shared machine, two versions of the
service measured minutes apart differ by more than a rules change saves. This one removes that
noise: one process sends one batch through the service (to capture the batch and the book its
queries loaded), then replays that same batch through the per-record loop of the service layer
(``MarkCheck``, ``check_record``, ``plan_change``, ``record_in_book``) of *both* versions,
alternated, each time on a fresh copy of the book. It asserts that both give the same outcome for
every record (rules refused, or the change planned: kind, version, fee link) and prints the
median time of each.

The other checkout is typically a worktree of an earlier commit:

    git worktree add /tmp/before HEAD~1
    python benchmarks/rules_against_checkout.py /tmp/before [--records 1000] [--rounds 30] [--reader]
        [--database-url URL]

With ``--reader`` it also times the two versions' readers (validated XML to records) on the
batch's request, after checking that they read the same records.
"""
from __future__ import annotations

import argparse
import copy
import importlib.util
import itertools
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lxml import etree
from submit_exam_marks import envelope, in_process_caller, province_engine

import pasi_core  # noqa: F401
from operations.submit_diploma_exam_mark import changes, codec, rules, service
from pasi_core.app.application import create_wsgi_app
from pasi_core.kernel.settings import Settings
from pasi_core.soap.authentication import DevelopmentAuthenticator
from persistence import exam_mark_repository

OPERATION_PACKAGE = Path("operations") / "submit_diploma_exam_mark"
SOAP_BODY = "{http://schemas.xmlsoap.org/soap/envelope/}Body"


def load_other_package(checkout: Path) -> str:
    """Import the other checkout's operation package under a name of its own; return the name.

    Its modules import each other relatively, so they stay together; what they import from
    ``pasi_core`` and ``operations.unit_of_work`` comes from this checkout (the kernel is shared)."""
    folder = checkout / OPERATION_PACKAGE
    if not (folder / "rules.py").is_file():
        sys.exit(f"{checkout} has no {OPERATION_PACKAGE}/rules.py")
    name = "other_submit_diploma_exam_mark"
    spec = importlib.util.spec_from_file_location(name, folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return name


class Capture:
    """What one request's service layer saw: the book as loaded, the records, the check's settings."""

    def __init__(self) -> None:
        self.book = None
        self.records: list = []
        self.settings: dict = {}
        load_book = exam_mark_repository.SqlExamMarkRepository.load_book
        make_check = service.MarkCheck

        def capturing_load_book(repository, records, codes):
            book = load_book(repository, records, codes)
            self.book = copy.deepcopy(book)  # before the batch's own changes are recorded in it
            return book

        def capturing_check(**settings):
            self.records.append(settings["submitted"])
            self.settings = {k: v for k, v in settings.items() if k not in ("submitted", "book")}
            return make_check(**settings)

        exam_mark_repository.SqlExamMarkRepository.load_book = capturing_load_book  # type: ignore[method-assign]
        service.MarkCheck = capturing_check  # type: ignore[misc,assignment]


def replay(capture: Capture, rules_module: ModuleType, changes_module: ModuleType) -> tuple[float, list]:
    """One pass of the service layer's per-record loop over the captured batch: (ms, outcomes)."""
    book = copy.deepcopy(capture.book)
    versions = itertools.count(1)
    outcomes: list = []
    started = time.perf_counter()
    for submitted in capture.records:
        check = rules_module.MarkCheck(submitted=submitted, book=book, **capture.settings)
        violations = rules_module.check_record(check)
        if violations:
            outcomes.append((submitted.mark.ref_id, tuple(v.rule_id for v in violations)))
            continue
        change = changes_module.plan_change(check, lambda: next(versions))
        changes_module.record_in_book(book, change)
        outcomes.append((submitted.mark.ref_id, change.kind, change.version, change.fee_link))
    return (time.perf_counter() - started) * 1000, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other_checkout", type=Path)
    parser.add_argument("--database-url")
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--reader", action="store_true", help="also compare the two readers")
    args = parser.parse_args()
    other = load_other_package(args.other_checkout.resolve())
    other_rules = importlib.import_module(f"{other}.rules")
    other_changes = importlib.import_module(f"{other}.changes")
    other_codec = importlib.import_module(f"{other}.codec")

    engine = province_engine(args.database_url, max(args.records, 1000), "pasi-rules-")
    capture = Capture()
    app = create_wsgi_app(Settings(public_url="http://localhost", max_request_bytes=64 * 2**20),
                          engine=engine, authenticator=DevelopmentAuthenticator())
    payload = envelope(args.records, 0)
    answer = in_process_caller(app)(payload)
    if capture.book is None or len(capture.records) != args.records:
        sys.exit("the request did not reach the service layer:\n" + answer[:2000].decode())

    times: dict[str, list[float]] = {"other": [], "this": []}
    expected = None
    for _ in range(args.rounds):
        for name, modules in (("other", (other_rules, other_changes)), ("this", (rules, changes))):
            ms, outcomes = replay(capture, *modules)
            expected = expected if expected is not None else outcomes
            if outcomes != expected:
                sys.exit("the two checkouts decided differently on the same batch")
            times[name].append(ms)
    before, after = statistics.median(times["other"]), statistics.median(times["this"])
    accepted = sum(1 for outcome in expected or () if len(outcome) == 4)
    print(f"{engine.dialect.name}, {args.records} records ({accepted} accepted), {args.rounds} rounds "
          f"alternated; rules and plan, median ms")
    print(f"  {args.other_checkout}: {before:.1f} ({before / args.records * 1000:.1f} us a record)")
    print(f"  this checkout: {after:.1f} ({after / args.records * 1000:.1f} us a record); "
          f"ratio {after / before:.2f}")

    if args.reader:
        operation = etree.fromstring(payload).find(SOAP_BODY)[0]
        if (other_codec.canonical(other_codec.read_request(operation)[1])
                != codec.canonical(codec.read_request(operation)[1])):
            sys.exit("the two readers read the batch differently")
        read_times: dict[str, list[float]] = {"other": [], "this": []}
        for _ in range(args.rounds):
            for name, module in (("other", other_codec), ("this", codec)):
                started = time.perf_counter()
                module.read_request(operation)
                read_times[name].append((time.perf_counter() - started) * 1000)
        print(f"reader, median ms: {args.other_checkout} {statistics.median(read_times['other']):.1f}, "
              f"this checkout {statistics.median(read_times['this']):.1f}")


if __name__ == "__main__":
    main()
