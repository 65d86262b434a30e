"""Where the time of one SubmitDiplomaExamMark batch goes, phase by phase.

Runs the WSGI application in-process (no HTTP) on the benchmark province and times each
step of the pipeline (pasi_core/soap/pipeline.py) by wrapping the function that does it;
prints one line per run, then the median of each phase.  The wrapped steps:

- parse:     hardened lxml parse of the body and the envelope checks
- validate:  XSD validation (libxml2), record by record
- read:      the codec, validated XML to plain data
- hash:      the canonical request and its replay hash
- replay:    looking up the ClientMessageID
- load:      the batch's set-based queries (locks first on PostgreSQL)
- codes:     the code tables (once per unit of work)
- versions:  a block of PASICoreVersion numbers
- rules:     every rule for every record (with each record's inputs looked up)
- plan:      side effects of each accepted record, and the book updated
- save:      the writes (``save:<table>`` the bulk insert of one table, inside save)
- render:    the response element to bytes
- summarize: the audit row's per-record outcomes
- envelope:  the SOAP envelope around the response
- remember:  the replay row
- audit:     the audit row
- commit:    COMMIT
- other:     the rest (transport, authentication, dispatch, the envelope around the response)

With ``--memory`` a thread samples the resident memory every millisecond and it prints, per
run, the highest resident memory seen during each phase (above the resident memory before the
request: where the peak is reached) and what is left after the request.

With ``--statements`` it also prints, per phase, each SQL statement SQLAlchemy sent (its first
words), how many times a request sent it and its median time from the driver's execute to
SQLAlchemy's having the cursor back (the round trip, PostgreSQL's work and the driver's),
beside the phase's whole time: what of a phase is the database and what is Python.

With ``--rules`` it times each rule of every record on its own and prints, per rule, the
median microseconds a record spends in it, and how many records it rejected: where the rules
phase goes.  Timing each call adds its own cost, measured on an empty rule and printed as well.

    python benchmarks/submit_breakdown.py [--database-url URL] [--records 1000] [--runs 7] [--memory]
                                          [--statements] [--rules] [--profile FILE]
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import gc
import os
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import refresh_statistics
from submit_exam_marks import clear_marks, envelope, in_process_caller, province_engine

import pasi_core  # noqa: F401
from operations.submit_diploma_exam_mark import endpoint, rules, service
from pasi_core.app.application import create_wsgi_app
from pasi_core.app.memory import freeze_start_up_heap, release_free_memory
from pasi_core.kernel.settings import Settings
from pasi_core.soap import pipeline
from pasi_core.soap.authentication import DevelopmentAuthenticator
from pasi_core.soap.validation import RequestSchema
from persistence import (
    audit_log,
    code_tables,
    exam_mark_repository,
    replay,
    versions,
)
from persistence import unit_of_work as sql_unit_of_work

TIMINGS: dict[str, float] = defaultdict(float)
CURRENT_PHASE = ["other"]
"""The innermost phase running now (what the memory sampler charges)."""
COLLECTING: dict[int, float] = {}
STATEMENTS: dict[tuple[str, str], list[float]] = defaultdict(list)
"""(phase, statement) -> the seconds of each execution in this request."""


def time_statements(engine) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def started(conn, cursor, statement, parameters, context, executemany):
        conn.info["statement_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def finished(conn, cursor, statement, parameters, context, executemany):
        words = " ".join(statement.split())[:90]
        STATEMENTS[(CURRENT_PHASE[0], words)].append(time.perf_counter() - conn.info.pop("statement_started"))


def time_collections(phase: str, info: dict) -> None:
    """gc callback: the collector's own time, by generation (``gc0``-``gc2``), whatever phase
    it interrupted (the phases include it too)."""
    if phase == "start":
        COLLECTING[info["generation"]] = time.perf_counter()
    else:
        started = COLLECTING.pop(info["generation"], None)
        if started is not None:
            TIMINGS[f"gc{info['generation']}"] += time.perf_counter() - started
NESTED = {"save:", "gc"}
"""Phases measured inside another phase (not subtracted again for "other")."""


def wrap(owner, name: str, phase: str | None = None) -> None:
    """Replace ``owner.name`` with a timed version of itself (phase defaults to the name)."""
    function = getattr(owner, name)

    @functools.wraps(function)
    def timed(*args, **kwargs):
        key = phase or name
        if key == "save:":
            key += args[1].name
        outer, CURRENT_PHASE[0] = CURRENT_PHASE[0], key
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            TIMINGS[key] += time.perf_counter() - started
            CURRENT_PHASE[0] = outer

    if isinstance(owner, type) or hasattr(owner, "__file__"):  # a class or a module
        setattr(owner, name, timed)
    else:
        object.__setattr__(owner, name, timed)  # the operation is a frozen dataclass


PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


class MemorySampler:
    """A thread reading the process's resident memory every millisecond (as often as the
    interpreter lets it run) and keeping, per phase, the highest value seen while that phase
    ran: where the request's peak is reached."""

    def __init__(self) -> None:
        self.highest: dict[str, int] = defaultdict(int)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        with open("/proc/self/statm") as statm:
            while not self._stop.wait(0.001):
                statm.seek(0)
                resident = int(statm.read().split()[1]) * PAGE_KIB
                phase = CURRENT_PHASE[0]
                if resident > self.highest[phase]:
                    self.highest[phase] = resident


def resident_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_KIB


RULE_NANOSECONDS: dict[str, int] = defaultdict(int)
RULE_REJECTIONS: dict[str, int] = defaultdict(int)
CHECKED = [0]


def check_record_rule_by_rule(check) -> list:
    """service.check_record, with each rule's time kept apart (same rules, same order)."""
    violations: list = []
    clock = time.perf_counter_ns
    for rule in rules.RULES:
        started = clock()
        found = list(rule(check))
        RULE_NANOSECONDS[rule.__name__] += clock() - started
        if found:
            RULE_REJECTIONS[rule.__name__] += 1
            violations += found
    CHECKED[0] += 1
    return violations


def timing_cost_ns() -> float:
    """What timing one rule adds: the same loop around a rule that does nothing."""
    def nothing(check):
        return iter(())
    clock, spent, calls = time.perf_counter_ns, 0, 100_000
    for _ in range(calls):
        started = clock()
        list(nothing(None))
        spent += clock() - started
    return spent / calls


def instrument() -> None:
    operation = endpoint.SUBMIT_DIPLOMA_EXAM_MARK
    wrap(pipeline, "parse_operation", "parse")
    wrap(RequestSchema, "validate")
    wrap(operation, "read")
    wrap(pipeline, "request_hash", "hash")
    wrap(pipeline, "stored_answer", "replay")
    wrap(operation, "render")
    wrap(pipeline, "_serialized", "render")
    wrap(exam_mark_repository.SqlExamMarkRepository, "load_book", "load")
    wrap(service, "MarkCheck", "rules")  # each record's inputs, looked up once
    wrap(service, "check_record", "rules")
    wrap(service, "plan_change", "plan")
    wrap(service, "record_in_book", "plan")
    wrap(exam_mark_repository.SqlExamMarkRepository, "save_changes", "save")
    wrap(exam_mark_repository, "bulk_insert", "save:")
    wrap(code_tables.SqlCodeTableSource, "load", "codes")
    wrap(versions.SqlVersionSource, "allocate", "versions")
    wrap(operation, "summarize")
    wrap(pipeline, "response_envelope", "envelope")
    wrap(replay.SqlReplayStore, "remember")
    wrap(audit_log.SqlAuditLog, "append", "audit")
    wrap(sql_unit_of_work.SqlUnitOfWork, "commit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--memory", action="store_true",
                        help="also print the highest resident memory seen during each phase")
    parser.add_argument("--profile", metavar="FILE",
                        help="also write a cProfile of the measured requests to FILE (pstats format)")
    parser.add_argument("--statements", action="store_true",
                        help="also print each phase's SQL statements: count and median time")
    parser.add_argument("--rules", action="store_true",
                        help="also print each rule's time per record (the rules phase, rule by rule)")
    args = parser.parse_args()
    engine = province_engine(args.database_url, max(args.records, 1000), "pasi-breakdown-")
    if args.rules:
        service.check_record = check_record_rule_by_rule  # before instrument() wraps it
    instrument()
    if args.statements:
        time_statements(engine)
    gc.callbacks.append(time_collections)
    app = create_wsgi_app(Settings(public_url="http://localhost", max_request_bytes=64 * 2**20),
                          engine=engine, authenticator=DevelopmentAuthenticator())
    freeze_start_up_heap()  # as `pasi-core serve` does once the application is built

    call = in_process_caller(app)

    # Warm up, then give the planner the statistics of tables that hold a batch.
    for run in (-2, -1):
        answer = call(envelope(args.records, run))
        if run == -2:
            refresh_statistics(engine)
        clear_marks(engine)
    if b"PASICoreVersion>0<" in answer:
        sys.exit("a warm-up record was refused: the benchmark needs every record accepted")
    print(f"{engine.dialect.name}, {args.records} records; milliseconds per phase")
    runs: list[dict[str, float]] = []
    profiler = cProfile.Profile() if args.profile else None
    statements: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    rule_runs: list[tuple[dict[str, float], dict[str, int]]] = []
    for run in range(args.runs):
        TIMINGS.clear()
        STATEMENTS.clear()
        RULE_NANOSECONDS.clear()
        RULE_REJECTIONS.clear()
        CHECKED[0] = 0
        payload = envelope(args.records, run)
        release_free_memory()  # what earlier runs left free goes back first, as after any large request
        rss_before = resident_kib()
        sampler = MemorySampler() if args.memory else contextlib.nullcontext()
        collections_before = [s["collections"] for s in gc.get_stats()]
        with sampler:
            if profiler:
                profiler.enable()
            started = time.perf_counter()
            call(payload)
            total = (time.perf_counter() - started) * 1000
            if profiler:
                profiler.disable()
        if CHECKED[0]:
            rule_runs.append(({name: ns / CHECKED[0] / 1000 for name, ns in RULE_NANOSECONDS.items()},
                              dict(RULE_REJECTIONS)))
        for key, times in STATEMENTS.items():
            statements[key].append((len(times), sum(times) * 1000))
        clear_marks(engine)
        phases = {name: seconds * 1000 for name, seconds in TIMINGS.items()}
        phases["other"] = total - sum(v for k, v in phases.items()
                                      if not any(k.startswith(n) for n in NESTED))
        phases["total"] = total
        runs.append(phases)
        collections = [s["collections"] - before
                       for s, before in zip(gc.get_stats(), collections_before)]
        print(f"total {total:5.0f}  collections {collections}  " + "  ".join(
            f"{k} {v:.0f}" for k, v in phases.items() if k != "total"))
        if isinstance(sampler, MemorySampler):
            print(f"  resident MB above the {rss_before / 1024:.0f} before the request, highest while: " +
                  "  ".join(f"{k} {(v - rss_before) / 1024:.0f}" for k, v in sorted(
                      sampler.highest.items(), key=lambda item: -item[1])[:8]) +
                  f"; after: {(resident_kib() - rss_before) / 1024:.0f}")
    print("median  " + "  ".join(f"{k} {statistics.median(r.get(k, 0.0) for r in runs):.1f}"
                                 for k in runs[0]))
    if profiler:
        profiler.dump_stats(args.profile)
        print(f"profile of the measured requests: {args.profile} (python -m pstats {args.profile})")
    if args.statements:
        print("statements per request (median of the runs): phase, count, ms in all, statement")
        for (phase, words), seen in sorted(statements.items(), key=lambda item: item[0][0]):
            print(f"  {phase:9} {statistics.median(n for n, _ in seen):3.0f} "
                  f"{statistics.median(ms for _, ms in seen):6.2f}  {words}")
    if rule_runs:
        overhead = timing_cost_ns() / 1000
        medians = {rule.__name__: statistics.median(per.get(rule.__name__, 0.0) for per, _ in rule_runs)
                   for rule in rules.RULES}
        print(f"rules per record (median of the runs), microseconds; timing one rule adds "
              f"{overhead:.2f} us, included below")
        print(f"  all {len(medians)} rules: {sum(medians.values()):.1f} us "
              f"({sum(medians.values()) - overhead * len(medians):.1f} without the timing)")
        for name, micros in sorted(medians.items(), key=lambda item: -item[1]):
            rejected = statistics.median(rejections.get(name, 0) for _, rejections in rule_runs)
            print(f"  {micros:6.2f}  {name}" + (f"  (rejected {rejected:.0f})" if rejected else ""))


if __name__ == "__main__":
    main()
