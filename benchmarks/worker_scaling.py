"""Benchmark: records/s with one worker and with two, 4 clients whose batches share sittings.

Starts ``pasi-core serve --dev-auth --workers N`` (the front and N gunicorn workers, as in
production) on the given database, alternately with 1 and 2 workers, several rounds; in each
round it loads fresh reference data (benchmarks/load.py: students enrolled at one school, an
exam open for registration and one written, sittings without a capacity and one full one) and
runs benchmarks/load.py's closed-loop clients against it for the measured seconds.  All
clients register on the same sittings and post results on the same sittings, about one record
in ten refused on purpose (3004, 9023, 9059, 40540, 40552).

A first short run, not counted, warms the database.  Printed per run: workers, records/s,
latency p50/p95, and the machine's idle CPU during the clients' run (from /proc/stat; the
server, PostgreSQL and the clients share the machine's cores, so a run with almost no idle CPU
is bound by the cores, not by the service's locks); then the ratio of the two medians (two
workers over one), each round's own ratio, and any unexpected rejection or fault (the run is only valid without them).

    python benchmarks/worker_scaling.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from load import Client, Stats, load_reference_data, percentile, run_clients  # noqa: E402
from submit_exam_marks import free_port, wait_until_healthy  # noqa: E402


def start_server(database_url: str, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, PASI_DATABASE_URL=database_url, PASI_LOG_LEVEL="WARNING")
    process = subprocess.Popen([sys.executable, "-m", "pasi_core.app.cli", "serve", "--dev-auth",
                                "--port", str(port), "--workers", str(workers)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    if wait_until_healthy(url, 120):
        return process, url
    stop(process)
    raise RuntimeError("the server did not start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cpu_ticks() -> tuple[int, int]:
    """(idle, all) clock ticks of every CPU since boot."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    return fields[3] + fields[4], sum(fields)  # idle + iowait


def run_load(url: str, args, seed: int) -> Stats:
    client_args = argparse.Namespace(seed=seed, organization="O.1", base_url=url,
                                     records_per_request=args.records_per_request)
    per_client = max(50, args.records_per_request * 8)
    province = load_reference_data(args.database_url, "O.1", per_client * args.clients, seed)
    stats = Stats()
    clients = [Client(i, province, province.students[i::args.clients], client_args, stats)
               for i in range(args.clients)]
    idle_before, all_before = cpu_ticks()
    stats.seconds = run_clients(clients, args.warmup, args.seconds)  # type: ignore[attr-defined]
    idle_after, all_after = cpu_ticks()
    stats.idle = (idle_after - idle_before) / max(1, all_after - all_before)  # type: ignore[attr-defined]
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--records-per-request", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    # One run not counted: the first against a database pays for its cold caches and planner
    # statistics (3.5x in one first round, 1.7x in the next).
    process, url = start_server(args.database_url, 2)
    try:
        run_load(url, argparse.Namespace(**{**vars(args), "seconds": 5}), seed=999)
    finally:
        stop(process)
    rates: dict[int, list[float]] = {1: [], 2: []}
    problems = 0
    for round_number in range(args.rounds):
        order = (1, 2) if round_number % 2 == 0 else (2, 1)
        for workers in order:
            process, url = start_server(args.database_url, workers)
            try:
                stats = run_load(url, args, seed=1000 + round_number * 10 + workers)
            finally:
                stop(process)
            seconds = stats.seconds  # type: ignore[attr-defined]
            rate = stats.records / seconds
            rates[workers].append(rate)
            latencies = stats.latencies or [0.0]
            unexpected = sum(stats.unexpected.values()) + sum(stats.failures.values())
            problems += unexpected
            print(f"round {round_number} workers {workers}: {rate:7.1f} records/s  "
                  f"{len(stats.latencies) / seconds:5.1f} requests/s  latency p50 "
                  f"{percentile(latencies, 0.5) * 1000:.0f} ms p95 {percentile(latencies, 0.95) * 1000:.0f} ms"
                  f"  idle CPU {stats.idle:.0%}"  # type: ignore[attr-defined]
                  f"  unexpected {dict(stats.unexpected)}  faults {dict(stats.failures)}", flush=True)
    one, two = statistics.median(rates[1]), statistics.median(rates[2])
    print(f"{args.clients} clients, {args.records_per_request} records per request: median "
          f"{one:.1f} records/s with 1 worker, {two:.1f} with 2: {two / one:.2f}x")
    print("per round: " + ", ".join(f"{b / a:.2f}x" for a, b in zip(rates[1], rates[2])))
    if problems:
        sys.exit(f"{problems} unexpected outcomes: the figures above do not count")


if __name__ == "__main__":
    main()
