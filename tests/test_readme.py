"""The README's commands and its zeep example work as written.

This runs what a newcomer runs: ``init-db``, ``seed-demo --out``, ``serve
--dev-auth`` (real clock, real gunicorn worker), then the README's Python
snippet, pointed at this server.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.test_concurrency import _free_port

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def readme_snippet() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Calling it with zeep", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_names_the_two_commands_and_ci_runs_the_test_one():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "./run-demo" in readme and "./run-tests" in readme
    assert "./run-tests" in (PROJECT_ROOT / ".ci" / "run").read_text()


def test_the_readme_zeep_example_registers_1000_demo_students(tmp_path):
    env = dict(os.environ, PASI_DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
               PASI_LOG_LEVEL="WARNING")
    demo_file = tmp_path / "demo-province.json"
    cli = [sys.executable, "-m", "pasi_core.cli"]
    for command in (["init-db"], ["seed-demo", "--students", "2000", "--out", str(demo_file)]):
        done = subprocess.run(cli + command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    port = _free_port()
    server = subprocess.Popen(cli + ["serve", "--dev-auth", "--port", str(port), "--workers", "1"],
                              cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        snippet = readme_snippet().replace("http://127.0.0.1:8000", base).replace(
            "var/demo-province.json", str(demo_file))
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(compile(snippet, "README.md", "exec"), {})
    finally:
        server.terminate()
        server.wait(timeout=30)
    printed = output.getvalue()
    assert "accepted 1000 of 1000" in printed, printed
    assert "rejections by rule {}" in printed
