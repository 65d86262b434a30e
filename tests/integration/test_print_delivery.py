"""Print jobs handed to the print service provider: the drop folder, and SFTP against a real SFTP
server (asyncssh's) started here, with host-key checking and key authentication."""
from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path

import asyncssh
import pytest

from operations.credential_documents.ports import DeliveryFailed
from pasi_core.documents.delivery import FolderDelivery, SftpDelivery, delivery_target
from pasi_core.kernel.errors import ConfigurationError


class SftpServer:
    """An SFTP server on 127.0.0.1 in a thread of its own, serving ``root``; stopped on exit."""

    def __init__(self, root: Path, authorized_key: asyncssh.SSHKey):
        self.root = root
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.authorized = asyncssh.import_authorized_keys(authorized_key.export_public_key().decode())
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncssh.listen(
            "127.0.0.1", 0, server_host_keys=[self.host_key], authorized_client_keys=self.authorized,
            sftp_factory=lambda channel: asyncssh.SFTPServer(channel, chroot=str(self.root)), allow_scp=False))
        self.port = self.server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

    def __enter__(self) -> SftpServer:
        self.thread.start()
        assert self.ready.wait(60), "the SFTP server did not start"
        return self

    def __exit__(self, *exc) -> None:
        async def stop():
            self.server.close()
            await self.server.wait_closed()
        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(60)
        self.loop.close()

    def known_hosts_line(self, key: asyncssh.SSHKey | None = None) -> str:
        return f"[127.0.0.1]:{self.port} {(key or self.host_key).export_public_key().decode().strip()}\n"


@pytest.fixture
def job_files(tmp_path):
    files = []
    for name, content in (("print-job-000001-documents.pdf", b"%PDF-1.4 documents"),
                          ("print-job-000001-manifest.json", b'{"envelopes": 2}')):
        path = tmp_path / name
        path.write_bytes(content)
        files.append((name, str(path)))
    return files


@pytest.fixture
def client(tmp_path):
    key = asyncssh.generate_private_key("ssh-ed25519")
    path = tmp_path / "client_key"
    key.write_private_key(str(path))
    return key, str(path)


@pytest.fixture
def sftp(tmp_path, client):
    root = tmp_path / "provider"
    (root / "incoming").mkdir(parents=True)
    with SftpServer(root, client[0]) as server:
        known_hosts = tmp_path / "known_hosts"
        known_hosts.write_text(server.known_hosts_line())
        yield server, str(known_hosts)


def test_a_print_job_is_uploaded_whole_and_a_second_delivery_replaces_it(sftp, client, job_files):
    server, known_hosts = sftp
    target = SftpDelivery("127.0.0.1", server.port, "printer", "/incoming", client_key=client[1],
                          known_hosts=known_hosts)
    target.deliver("print-job-000001", job_files)
    delivered = server.root / "incoming" / "print-job-000001"
    assert sorted(p.name for p in delivered.iterdir()) == sorted(name for name, _ in job_files)
    assert (delivered / "print-job-000001-documents.pdf").read_bytes() == b"%PDF-1.4 documents"
    target.deliver("print-job-000001", job_files[:1])
    assert [p.name for p in delivered.iterdir()] == ["print-job-000001-documents.pdf"]
    assert not list((server.root / "incoming").glob(".incoming-*"))


def test_a_server_with_another_host_key_gets_nothing(sftp, client, job_files, tmp_path):
    server, _ = sftp
    impostor = tmp_path / "other_known_hosts"
    impostor.write_text(server.known_hosts_line(asyncssh.generate_private_key("ssh-ed25519")))
    target = SftpDelivery("127.0.0.1", server.port, "printer", "/incoming", client_key=client[1],
                          known_hosts=str(impostor))
    with pytest.raises(DeliveryFailed, match="HostKeyNotVerifiable"):
        target.deliver("print-job-000001", job_files)
    assert not list((server.root / "incoming").iterdir())


def test_a_client_key_the_server_does_not_know_is_refused(sftp, job_files, tmp_path):
    server, known_hosts = sftp
    stranger = tmp_path / "stranger_key"
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(stranger))
    target = SftpDelivery("127.0.0.1", server.port, "printer", "/incoming", client_key=str(stranger),
                          known_hosts=known_hosts)
    with pytest.raises(DeliveryFailed, match="PermissionDenied"):
        target.deliver("print-job-000001", job_files)


def test_a_provider_that_is_down_is_a_delivery_failure(client, job_files, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("")
    target = SftpDelivery("127.0.0.1", port, "printer", "/incoming", client_key=client[1],
                          known_hosts=str(known_hosts))
    with pytest.raises(DeliveryFailed, match=r"ConnectionRefusedError|OSError"):
        target.deliver("print-job-000001", job_files)


def test_the_drop_folder_gets_whole_jobs(tmp_path, job_files):
    target = FolderDelivery(tmp_path / "drop")
    target.deliver("print-job-000001", job_files)
    assert sorted(p.name for p in (tmp_path / "drop" / "print-job-000001").iterdir()) == sorted(
        name for name, _ in job_files)
    with pytest.raises(DeliveryFailed, match="FileNotFoundError"):
        target.deliver("print-job-000002", [("missing.pdf", str(tmp_path / "missing.pdf"))])
    assert not (tmp_path / "drop" / "print-job-000002").exists()
    assert not list((tmp_path / "drop").glob(".incoming-*"))


def test_the_delivery_setting_is_checked(tmp_path, client):
    assert isinstance(delivery_target(f"folder:{tmp_path}", client_key=None, known_hosts=None), FolderDelivery)
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("")
    sftp = delivery_target("sftp://printer@print.example:2222/drop", client_key=client[1],
                           known_hosts=str(known_hosts))
    assert isinstance(sftp, SftpDelivery) and (sftp.host, sftp.port, sftp.remote_folder) == (
        "print.example", 2222, "/drop")
    for setting, message in (("ftp://x/y", "must be folder:"), ("sftp://print.example/drop", "names its user"),
                             ("sftp://a:secret@print.example/drop", "no password"), ("folder:", "needs a path")):
        with pytest.raises(ConfigurationError, match=message):
            delivery_target(setting, client_key=client[1], known_hosts=str(known_hosts))
    with pytest.raises(ConfigurationError, match="PASI_PRINT_SFTP_KEY"):
        delivery_target("sftp://printer@print.example/drop", client_key=None, known_hosts=None)
