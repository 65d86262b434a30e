"""Settings, read once from the environment at start-up.

Every setting has a safe default for the embedded (SQLite, loopback)
mode; production sets ``PASI_DATABASE_URL`` and ``PASI_PUBLIC_URL``.
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pasi_core.kernel.errors import ConfigurationError

DEFAULT_DATABASE_PATH = Path("var") / "pasi-core.sqlite3"


def _int(env: dict[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {value}")
    return value


def _flag(env: dict[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=lambda: f"sqlite:///{DEFAULT_DATABASE_PATH}")
    public_url: str = "http://127.0.0.1:8000"
    """Base URL clients use; the WSDL's soap:address is built from it at start-up."""

    max_request_bytes: int = 32 * 1024 * 1024
    """Largest accepted HTTP body; 10,000 exam marks with components is about 6 MiB."""

    max_records_per_request: int = 10_000
    max_exam_marks_per_student: int = 100
    """Rule 40553: most Exam Mark records (deleted ones included) one ASN may hold."""

    development_authentication: bool = False
    """Trust ``CallerInfo.OrganizationCode`` from loopback clients (development only)."""

    tls_certificate: str | None = None
    tls_key: str | None = None
    client_ca: str | None = None
    """Terminate TLS here: the server's certificate and key, and the CA that signs client
    certificates (a client certificate is then required)."""

    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks of TLS proxies whose client-certificate header is believed."""
    client_certificate_header: str = "X-SSL-Client-Cert"
    """The header a trusted proxy puts the verified client certificate in (PEM, URL-escaped)."""

    audit_payloads: bool = False
    """Keep full request and response bodies (student data) beside the audit rows."""
    audit_payload_retention_days: int = 30
    replay_retention_days: int = 30
    """How long a ClientMessageID's response is kept for replay-safe resubmission."""

    log_level: str = "INFO"

    header_timeout: int = 15
    """Seconds a client has for the TLS handshake, and again for a request's line and headers
    (``serve``'s front)."""
    idle_timeout: int = 30
    """Seconds a kept-alive connection may wait for its next request."""
    body_silence_timeout: int = 15
    """Longest pause while a request body arrives; after 30 s a body must also keep up
    ``min_body_rate``."""
    min_body_rate: int = 32 * 1024
    """Bytes a second a request body must average once its first 30 seconds have passed."""
    max_connections: int = 4096
    """Client connections the front holds open at once (TLS handshakes included)."""
    max_connections_per_address: int = 256
    """Of those, from one peer address."""
    max_buffered_bytes: int = 256 * 1024 * 1024
    """Request bodies the front holds in memory at once, all connections together."""

    sync_max_per_type: int = 10_000
    """IsDataAvailable: changes answered per notification type in one call; the client pages on
    from the MaxPASICoreVersion returned (PASI's cap is 150,000)."""
    sync_max_total: int = 40_000
    """IsDataAvailable: changes answered in one call, all types together (PASI's: about 600,000)."""

    bulk_chunk_size: int = 500
    """Students awarded (then ordered) per transaction in a bulk run; a smaller chunk loses less
    work to an interruption, a larger one commits less often."""

    secret_key: str | None = None
    """Signs the Student Records session cookies; every worker must share it (``serve`` keeps
    one in ``secret_key_file`` when PASI_SECRET_KEY is not set)."""
    secret_key_file: str = str(Path("var") / "secret-key")

    documents_dir: str = str(Path("var") / "documents")
    """Where credential PDFs and print jobs are kept (PASI_DOCUMENTS_DIR)."""
    document_templates: str | None = None
    """A folder of edited document templates that replace the package's (PASI_DOCUMENT_TEMPLATES)."""
    print_delivery: str = "folder:" + str(Path("var") / "print-provider")
    """Where print jobs go: folder:<path> or sftp://user@host[:port]/folder (PASI_PRINT_DELIVERY)."""
    print_sftp_key: str | None = None
    print_sftp_known_hosts: str | None = None
    outbox_dir: str = str(Path("var") / "outbox")
    """Where the outbox's messages are written for myPass and Student Records (PASI_OUTBOX_DIR)."""
    document_workers: int = 2
    """Processes that render credential PDFs in parallel (PASI_DOCUMENT_WORKERS)."""
    documents_interval: int = 60
    """Seconds between the job runner's document rounds (process, print, deliver, notify); 0: never
    (PASI_DOCUMENTS_INTERVAL)."""

    time_zone: str = "America/Edmonton"
    """The province's time zone: "the current date" and every date or time shown to a person."""

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        defaults = cls()
        settings = cls(
            database_url=env.get("PASI_DATABASE_URL") or defaults.database_url,
            public_url=(env.get("PASI_PUBLIC_URL") or defaults.public_url).rstrip("/"),
            max_request_bytes=_int(env, "PASI_MAX_REQUEST_BYTES", defaults.max_request_bytes, 1024),
            max_records_per_request=_int(env, "PASI_MAX_RECORDS_PER_REQUEST",
                                         defaults.max_records_per_request),
            max_exam_marks_per_student=_int(env, "PASI_MAX_EXAM_MARKS_PER_STUDENT",
                                            defaults.max_exam_marks_per_student),
            development_authentication=_flag(env, "PASI_DEV_AUTH"),
            tls_certificate=env.get("PASI_TLS_CERT") or None,
            tls_key=env.get("PASI_TLS_KEY") or None,
            client_ca=env.get("PASI_CLIENT_CA") or None,
            trusted_proxies=tuple(p.strip() for p in env.get("PASI_TRUSTED_PROXIES", "").split(",")
                                  if p.strip()),
            client_certificate_header=env.get("PASI_CLIENT_CERT_HEADER")
            or defaults.client_certificate_header,
            audit_payloads=_flag(env, "PASI_AUDIT_PAYLOADS"),
            audit_payload_retention_days=_int(env, "PASI_AUDIT_PAYLOAD_RETENTION_DAYS",
                                              defaults.audit_payload_retention_days),
            replay_retention_days=_int(env, "PASI_REPLAY_RETENTION_DAYS",
                                       defaults.replay_retention_days),
            log_level=env.get("PASI_LOG_LEVEL", defaults.log_level).upper(),
            header_timeout=_int(env, "PASI_HEADER_TIMEOUT", defaults.header_timeout),
            idle_timeout=_int(env, "PASI_IDLE_TIMEOUT", defaults.idle_timeout),
            body_silence_timeout=_int(env, "PASI_BODY_TIMEOUT", defaults.body_silence_timeout),
            min_body_rate=_int(env, "PASI_MIN_BODY_RATE", defaults.min_body_rate),
            max_connections=_int(env, "PASI_MAX_CONNECTIONS", defaults.max_connections),
            max_connections_per_address=_int(env, "PASI_MAX_CONNECTIONS_PER_ADDRESS",
                                             defaults.max_connections_per_address),
            max_buffered_bytes=_int(env, "PASI_MAX_BUFFERED_BYTES", defaults.max_buffered_bytes,
                                    1024 * 1024),
            time_zone=env.get("PASI_TIME_ZONE") or defaults.time_zone,
            secret_key=env.get("PASI_SECRET_KEY") or None,
            secret_key_file=env.get("PASI_SECRET_KEY_FILE") or defaults.secret_key_file,
            sync_max_per_type=_int(env, "PASI_SYNC_MAX_PER_TYPE", defaults.sync_max_per_type),
            sync_max_total=_int(env, "PASI_SYNC_MAX_TOTAL", defaults.sync_max_total),
            bulk_chunk_size=_int(env, "PASI_BULK_CHUNK_SIZE", defaults.bulk_chunk_size),
            documents_dir=env.get("PASI_DOCUMENTS_DIR") or defaults.documents_dir,
            document_templates=env.get("PASI_DOCUMENT_TEMPLATES") or None,
            print_delivery=env.get("PASI_PRINT_DELIVERY") or defaults.print_delivery,
            print_sftp_key=env.get("PASI_PRINT_SFTP_KEY") or None,
            print_sftp_known_hosts=env.get("PASI_PRINT_SFTP_KNOWN_HOSTS") or None,
            outbox_dir=env.get("PASI_OUTBOX_DIR") or defaults.outbox_dir,
            documents_interval=_int(env, "PASI_DOCUMENTS_INTERVAL", defaults.documents_interval, 0),
            document_workers=_int(env, "PASI_DOCUMENT_WORKERS", defaults.document_workers),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        parts = urlsplit(self.public_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigurationError(
                f"PASI_PUBLIC_URL must be an absolute http(s) URL, got {self.public_url!r}")
        if parts.query or parts.fragment:
            raise ConfigurationError("PASI_PUBLIC_URL must not carry a query or fragment")
        if self.max_buffered_bytes < self.max_request_bytes:
            raise ConfigurationError("PASI_MAX_BUFFERED_BYTES must be at least PASI_MAX_REQUEST_BYTES "
                                     "(the front must be able to hold one whole request)")
        tls = (self.tls_certificate, self.tls_key, self.client_ca)
        if any(tls) and not all(tls):
            raise ConfigurationError("terminating TLS needs all of PASI_TLS_CERT, PASI_TLS_KEY and "
                                     "PASI_CLIENT_CA (client certificates are required)")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(f"PASI_TIME_ZONE: {self.time_zone!r} is not a time zone "
                                     "name such as America/Edmonton") from None
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ConfigurationError(f"PASI_TRUSTED_PROXIES: {proxy!r} is not an address "
                                         "or network") from None

    @property
    def terminates_tls(self) -> bool:
        return bool(self.tls_certificate)

    def is_trusted_proxy(self, address: str | None) -> bool:
        if not address or not self.trusted_proxies:
            return False
        try:
            peer = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        return any(peer in ipaddress.ip_network(p, strict=False) for p in self.trusted_proxies)

    def with_changes(self, **changes) -> Settings:
        updated = replace(self, **changes)
        updated.validate()
        return updated
