"""The one harness for tests that run the real server (``pasi-core serve``) as clients do.

:func:`serving` starts it in a process group of its own, waits (generously:
the machine may be busy) until ``/health`` answers, and always stops the
whole group afterwards, even when start-up failed, so no gunicorn master or
worker outlives its test.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 180.0
"""Seconds a server may take to answer /health: importing and building the app takes
seconds on a loaded two-core machine."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cli_command() -> list[str]:
    return [sys.executable, "-m", "pasi_core.app.cli"]


@dataclass
class ServedProcess:
    process: subprocess.Popen
    base_url: str
    port: int
    log_path: Path

    @property
    def service_url(self) -> str:
        return f"{self.base_url}/PASIService"

    def log_tail(self, characters: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-characters:]
        except OSError:
            return ""

    def workers(self) -> list[int]:
        """The gunicorn worker processes, by pid: ``serve`` is the front, its child the
        gunicorn arbiter, whose children are the workers."""
        return [worker for arbiter in children(self.process.pid) for worker in children(arbiter)]

    def wait_until_healthy(self, timeout: float = READY_TIMEOUT, session: requests.Session | None = None,
                           workers: int | None = None) -> None:
        wait_until_healthy(self, timeout, session, workers)


def wait_until_healthy(server: ServedProcess, timeout: float = READY_TIMEOUT,
                       session: requests.Session | None = None, workers: int | None = None) -> None:
    """``/health`` answers 200 (and, if given, that many workers run); any failure to
    connect or to answer in time counts as "not yet"."""
    client = session or requests.Session()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"the server exited ({server.process.returncode}): {server.log_tail()}")
        if workers is None or len(server.workers()) >= workers:
            with contextlib.suppress(requests.RequestException):
                if client.get(f"{server.base_url}/health", timeout=10).status_code == 200:
                    return
        time.sleep(0.2)
    raise AssertionError(f"the server did not become healthy in {timeout:.0f} s: {server.log_tail()}")


def stop(process: subprocess.Popen, grace: float = 30.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)


@contextlib.contextmanager
def serving(arguments: Sequence[str], *, env: dict[str, str], log_path: Path, cwd: Path = PROJECT_ROOT,
            scheme: str = "http", host: str = "127.0.0.1", session: requests.Session | None = None,
            workers: int | None = None, wait: bool = True) -> Iterator[ServedProcess]:
    """``pasi-core serve ARGUMENTS --host HOST --port <free>``, healthy, stopped afterwards."""
    port = free_port()
    env = with_document_folders(env, log_path.parent)
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [*cli_command(), "serve", "--host", host, "--port", str(port), *arguments],
            cwd=cwd, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    name = "localhost" if scheme == "https" else host
    server = ServedProcess(process, f"{scheme}://{name}:{port}", port, log_path)
    try:
        if wait:
            server.wait_until_healthy(session=session, workers=workers)
        yield server
    finally:
        stop(process)


def with_document_folders(env: dict[str, str], folder: Path) -> dict[str, str]:
    """Keep a served test's documents, print jobs and outbox in its own folder (never the
    checkout's var/), and the job runner's document rounds off unless the test turns them on."""
    defaults = {"PASI_DOCUMENTS_DIR": str(folder / "documents"), "PASI_OUTBOX_DIR": str(folder / "outbox"),
                "PASI_PRINT_DELIVERY": f"folder:{folder / 'print-provider'}", "PASI_DOCUMENTS_INTERVAL": "0"}
    return {**defaults, **env}


def children(pid: int) -> list[int]:
    """Live (not zombie) child processes of ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _parent(int(entry)) == pid and _state(int(entry)) != "Z":
            found.append(int(entry))
    return found


def _stat_fields(pid: int) -> list[str]:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return stat.rsplit(")", 1)[1].split()


def _parent(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def _state(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return fields[0] if fields else None
