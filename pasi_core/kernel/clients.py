"""Registered PASI clients as the authenticator sees them (plain data)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CertificateFacts:
    """What registering a client certificate records of it."""

    fingerprint: str
    subject: str
    not_valid_after_utc: datetime
    not_valid_before_utc: datetime | None = None


@dataclass(frozen=True)
class RegisteredCertificate:
    fingerprint: str
    certificate_enabled: bool
    client_name: str
    client_enabled: bool
    organizations: frozenset[str]
    roles: frozenset[str]
    not_valid_before_utc: datetime | None = None
    not_valid_after_utc: datetime | None = None

    def is_valid_at(self, moment: datetime) -> bool:
        """Within the certificate's validity dates (UTC, naive)."""
        if self.not_valid_before_utc is not None and moment < self.not_valid_before_utc:
            return False
        return self.not_valid_after_utc is None or moment <= self.not_valid_after_utc
