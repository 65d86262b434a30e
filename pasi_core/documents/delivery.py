"""Where print jobs go: the print service provider's drop folder, or its SFTP server.

Both hand a job over whole or not at all: the files go into ``.incoming-<job>`` and are renamed
to ``<job>`` once all are there, so the provider never picks up half a job, and delivering a job
again (after a crash between the upload and its record) replaces it rather than doubling it.

``PASI_PRINT_DELIVERY`` chooses: ``folder:<path>`` (the embedded default, ``folder:var/print-provider``)
or ``sftp://<user>@<host>[:<port>]/<remote folder>`` with ``PASI_PRINT_SFTP_KEY`` (the client's
private key) and ``PASI_PRINT_SFTP_KNOWN_HOSTS`` (the server's host key: never trusted on first
use).
"""
from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

import asyncssh

from operations.credential_documents.ports import DeliveryFailed, DeliveryTarget
from pasi_core.kernel.errors import ConfigurationError

SFTP_TIMEOUT_SECONDS = 60.0


class FolderDelivery:
    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        self.description = f"folder {self.root}"

    def deliver(self, job_name: str, files: Sequence[tuple[str, str]]) -> None:
        incoming, final = self.root / f".incoming-{job_name}", self.root / job_name
        try:
            shutil.rmtree(incoming, ignore_errors=True)
            incoming.mkdir(parents=True)
            for name, source in files:
                shutil.copyfile(source, incoming / name)
            if final.exists():
                shutil.rmtree(final)
            incoming.rename(final)
        except OSError as problem:
            shutil.rmtree(incoming, ignore_errors=True)
            raise DeliveryFailed(f"{type(problem).__name__}: {problem.strerror or problem}") from None


class SftpDelivery:
    def __init__(self, host: str, port: int, username: str, remote_folder: str, *, client_key: str,
                 known_hosts: str, timeout: float = SFTP_TIMEOUT_SECONDS):
        self.host, self.port, self.username = host, port, username
        self.remote_folder = remote_folder.rstrip("/") or "."
        self.client_key, self.known_hosts, self.timeout = client_key, known_hosts, timeout
        self.description = f"sftp://{username}@{host}:{port}/{self.remote_folder.lstrip('/')}"

    def deliver(self, job_name: str, files: Sequence[tuple[str, str]]) -> None:
        try:
            asyncio.run(asyncio.wait_for(self._deliver(job_name, files), self.timeout))
        except (OSError, TimeoutError) as problem:
            raise DeliveryFailed(f"{type(problem).__name__}: {getattr(problem, 'strerror', None) or problem}") from None
        except asyncssh.Error as problem:
            raise DeliveryFailed(f"{type(problem).__name__}: {problem.reason}") from None

    async def _deliver(self, job_name: str, files: Sequence[tuple[str, str]]) -> None:
        async with asyncssh.connect(self.host, self.port, username=self.username, client_keys=[self.client_key],
                                    known_hosts=self.known_hosts, agent_path=None, password=None,
                                    kbdint_auth=False) as connection, connection.start_sftp_client() as sftp:
            incoming = f"{self.remote_folder}/.incoming-{job_name}"
            final = f"{self.remote_folder}/{job_name}"
            if await sftp.exists(incoming):
                await sftp.rmtree(incoming)
            await sftp.makedirs(incoming)
            for name, source in files:
                await sftp.put(source, f"{incoming}/{name}")
            if await sftp.exists(final):
                await sftp.rmtree(final)
            await sftp.rename(incoming, final)


def delivery_target(setting: str, *, client_key: str | None, known_hosts: str | None) -> DeliveryTarget:
    """The target ``PASI_PRINT_DELIVERY`` names."""
    if setting.startswith("folder:"):
        folder = setting.removeprefix("folder:")
        if not folder:
            raise ConfigurationError("PASI_PRINT_DELIVERY: folder: needs a path, e.g. folder:var/print-provider")
        return FolderDelivery(folder)
    parts = urlsplit(setting)
    if parts.scheme != "sftp":
        raise ConfigurationError(f"PASI_PRINT_DELIVERY must be folder:<path> or sftp://user@host/folder, "
                                 f"got {setting!r}")
    if not parts.hostname or not parts.username or parts.password:
        raise ConfigurationError("PASI_PRINT_DELIVERY: an sftp:// target names its user and host (and no "
                                 "password: the client authenticates with PASI_PRINT_SFTP_KEY)")
    if not client_key or not known_hosts:
        raise ConfigurationError("an sftp:// print delivery needs PASI_PRINT_SFTP_KEY (the client's private key) "
                                 "and PASI_PRINT_SFTP_KNOWN_HOSTS (the server's host key)")
    for name, path in (("PASI_PRINT_SFTP_KEY", client_key), ("PASI_PRINT_SFTP_KNOWN_HOSTS", known_hosts)):
        if not Path(path).is_file():
            raise ConfigurationError(f"{name}: {path} is not a file")
    try:
        port = parts.port or 22
    except ValueError:
        raise ConfigurationError(f"PASI_PRINT_DELIVERY: bad port in {setting!r}") from None
    return SftpDelivery(parts.hostname, port, unquote(parts.username), unquote(parts.path) or ".",
                        client_key=client_key, known_hosts=known_hosts)
