"""Running ``pasi-core`` as an operator does: a separate process, settings from the
environment, a throw-away SQLite file; exit codes and messages checked."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.support.servers import PROJECT_ROOT

CONSOLE_SCRIPT = Path(sys.executable).with_name("pasi-core")


def command() -> list[str]:
    if CONSOLE_SCRIPT.exists():
        return [str(CONSOLE_SCRIPT)]
    return [sys.executable, "-m", "pasi_core.app.cli"]


class Cli:
    """Runs ``pasi-core`` in a scratch directory against its own SQLite file."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.database = workdir / "pasi.sqlite3"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PASI_")}
        env.update(PASI_DATABASE_URL=f"sqlite:///{self.database}", PYTHONPATH=str(PROJECT_ROOT))
        env.update(extra)
        return env

    def __call__(self, *args: str, cwd: Path | None = None, timeout: int = 300,
                 **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(command() + list(args), cwd=cwd or self.workdir, env=self.env(**env),
                              capture_output=True, text=True, timeout=timeout)

    def count(self, table: str) -> int:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def tables(self) -> set[str]:
        with sqlite3.connect(self.database) as connection:
            return {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}

    def write(self, name: str, document) -> Path:
        path = self.workdir / name
        path.write_text(json.dumps(document, indent=1))
        return path


def succeeded(result: subprocess.CompletedProcess) -> bool:
    return result.returncode == 0 and "Traceback" not in result.stderr


def explain(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
