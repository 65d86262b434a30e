"""The README's two commands and its zeep example work as written.

``./run-demo`` is run for real (its own directory and port), and the
README's Python snippet is run against it, over mutual TLS.
"""
from __future__ import annotations

import os
import re
import subprocess
import time

import pytest
import requests

from tests.support.servers import PROJECT_ROOT, free_port, stop


def readme_snippet() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Calling it with zeep", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def readme_shell(heading: str) -> list[str]:
    """The commands of the ``sh`` block under ``heading``, without their comments."""
    section = (PROJECT_ROOT / "README.md").read_text().split(f"## {heading}\n", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_readme_names_the_two_commands_and_ci_runs_the_test_one():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "./run-demo" in readme and "./run-tests" in readme
    assert "./run-tests" in (PROJECT_ROOT / ".ci" / "run").read_text()


@pytest.mark.slow
def test_run_demo_serves_https_and_the_readme_example_registers_1000_students(tmp_path):
    """As a reader would: ./run-demo, then the snippet pasted into ``.venv/bin/python``
    (the environment run-demo made), against the demo it serves."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASI_")}
    env.update(DEMO_DIR=str(tmp_path), PORT=str(port), WORKERS="1", PASI_LOG_LEVEL="WARNING")
    output = tmp_path / "run-demo.log"
    with open(output, "wb") as log_file:
        demo = subprocess.Popen([str(PROJECT_ROOT / "run-demo")], cwd=PROJECT_ROOT, env=env,
                                stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"https://localhost:{port}"
    try:
        session = requests.Session()
        session.trust_env = False
        deadline = time.monotonic() + 600  # a fresh clone installs .venv first
        while time.monotonic() < deadline and demo.poll() is None:
            if (tmp_path / "certs" / "ministry.pem").exists():
                session.cert = (str(tmp_path / "certs/ministry.pem"), str(tmp_path / "certs/ministry.key"))
                session.verify = str(tmp_path / "certs/ca.pem")
                try:
                    if session.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except requests.exceptions.SSLError:
                    raise  # the server answers but its certificate is refused: no point waiting
                except requests.exceptions.RequestException:
                    pass
            time.sleep(0.5)
        else:
            raise AssertionError("run-demo did not come up: " + output.read_text(errors="replace")[-3000:])
        snippet = (readme_snippet().replace("https://localhost:8000", base)
                   .replace("var/", f"{tmp_path}/"))
        pasted = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "python")], input=snippet,
                                cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
        _sign_in_as_printed(output.read_text(errors="replace"), base, str(tmp_path / "certs/ca.pem"))
        shell = _run_readme_commands(tmp_path, env)
    finally:
        stop(demo)
    printed = pasted.stdout
    assert pasted.returncode == 0, pasted.stderr[-3000:]
    assert "accepted 1000 of 1000" in printed, printed
    assert "rejections by rule {}" in printed
    version = re.search(r"is now at version (\d+)", printed).group(1)
    assert f"Normal at version {version}" in printed, printed
    assert "changed since the batch began: 1000 next time ask from" in printed, printed
    assert "awarded and ordered" in shell["bulk-award run"]
    # The demo's job runner may have done a round first: whoever printed, the items were sent.
    sent = re.search(r"Sent for Delivery\s+(\d+)", shell["documents status"])
    assert sent and int(sent.group(1)) > 0, shell["documents status"]
    assert list((tmp_path / "print-provider").iterdir()), "the print job reached the provider's folder"


def _run_readme_commands(demo_dir, env: dict[str, str]) -> dict[str, str]:
    """The README's command-line sections, line by line as a reader pastes them, on the demo."""
    env = dict(env, PASI_DATABASE_URL=f"sqlite:///{demo_dir}/pasi-core.sqlite3",
               PASI_DOCUMENTS_DIR=str(demo_dir / "documents"), PASI_OUTBOX_DIR=str(demo_dir / "outbox"),
               PASI_PRINT_DELIVERY=f"folder:{demo_dir / 'print-provider'}")
    (demo_dir / ".venv").symlink_to(PROJECT_ROOT / ".venv")  # the README's .venv/bin/pasi-core, here
    printed: dict[str, str] = {}
    for line in readme_shell("Credentials in bulk from the command line") + readme_shell("Credential documents"):
        ran = subprocess.run(["bash", "-c", line], cwd=demo_dir, env=env, capture_output=True, text=True,
                             timeout=900)
        assert ran.returncode == 0, (line, ran.stdout[-2000:], ran.stderr[-2000:])
        printed.setdefault(" ".join(line.split()[1:3]), ran.stdout)
    return printed


def _sign_in_as_printed(output: str, base: str, ca: str) -> None:
    """run-demo prints how Student Records signs in: that user and password open the screens."""
    found = re.search(r"Student Records: (\S+)/student-records/  user: (\S+)  password: (\S+)", output)
    assert found, output[-3000:]
    assert found.group(1) == base
    browser = requests.Session()
    browser.trust_env = False
    browser.verify = ca  # no client certificate: a person with a password
    form = browser.get(f"{base}/student-records/sign-in", timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    home = browser.post(f"{base}/student-records/sign-in", timeout=60, headers={"Referer": form.url}, data={
        "csrf_token": token, "user_name": found.group(2), "password": found.group(3)})
    assert home.status_code == 200 and "Award and Order Credentials in Bulk" in home.text, home.text[:500]
