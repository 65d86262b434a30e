"""The registry of PASI clients and their certificates, organizations and roles.

``pasi-core clients add|list|disable|enable|grant|revoke`` manage it; the
certificate authenticator reads it on every request (nothing is cached,
so disabling a client takes effect at once in every worker).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from pasi_core.kernel.caller import KNOWN_ROLES, normalize_organization_code
from pasi_core.kernel.clients import CertificateFacts, RegisteredCertificate
from pasi_core.kernel.errors import PasiError
from persistence import models as t
from persistence.database import READ_ONLY


class RegistryError(PasiError):
    """A registry command cannot be carried out (unknown client, duplicate, ...)."""


@dataclass(frozen=True)
class ClientSummary:
    name: str
    enabled: bool
    organizations: tuple[str, ...]
    roles: tuple[str, ...]
    certificates: tuple[tuple[str, str, bool, datetime], ...]
    """(fingerprint, subject, enabled, not valid after)"""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def lookup(session: Session, fingerprint: str) -> RegisteredCertificate | None:
    row = session.execute(select(t.ClientCertificate, t.PasiClient).join(
        t.PasiClient, t.PasiClient.id == t.ClientCertificate.client_id).where(
        t.ClientCertificate.fingerprint == fingerprint.lower())).first()
    if row is None:
        return None
    certificate, client = row
    organizations = session.execute(select(t.ClientOrganization.organization_code).where(
        t.ClientOrganization.client_id == client.id)).scalars().all()
    roles = session.execute(select(t.ClientRole.role).where(
        t.ClientRole.client_id == client.id)).scalars().all()
    return RegisteredCertificate(certificate.fingerprint, certificate.is_enabled, client.name,
                                 client.is_enabled, frozenset(organizations), frozenset(roles),
                                 certificate.not_valid_before_utc, certificate.not_valid_after_utc)


class SqlClientDirectory:
    """The registry as the authenticator reads it: a read-only lookup per
    request, nothing cached, so disabling a client takes effect at once in
    every worker."""

    def __init__(self, sessions):
        self._sessions = sessions

    def lookup(self, fingerprint: str) -> RegisteredCertificate | None:
        with self._sessions() as session:
            session.connection(execution_options=READ_ONLY)
            return lookup(session, fingerprint)


def _client(session: Session, name: str) -> t.PasiClient:
    client = session.execute(select(t.PasiClient).where(t.PasiClient.name == name)).scalar_one_or_none()
    if client is None:
        raise RegistryError(f"no client named {name!r}")
    return client


def _check_roles(roles) -> list[str]:
    unknown = sorted(set(roles) - set(KNOWN_ROLES))
    if unknown:
        raise RegistryError(f"unknown role(s) {', '.join(unknown)}; known roles: "
                            + ", ".join(sorted(KNOWN_ROLES)))
    return sorted(set(roles))


def _check_organizations(session: Session, organizations) -> list[str]:
    codes = sorted({normalize_organization_code(code) for code in organizations})
    known = set(session.execute(select(t.Organization.code).where(
        t.Organization.code.in_(codes))).scalars()) if codes else set()
    missing = [code for code in codes if code not in known]
    if missing:
        raise RegistryError(f"unknown organization(s) {', '.join(missing)}: load them first "
                            "(pasi-core load)")
    return codes


def add_client(session: Session, name: str, certificate: CertificateFacts | None,
               organizations=(), roles=()) -> None:
    if session.execute(select(t.PasiClient.id).where(t.PasiClient.name == name)).first():
        raise RegistryError(f"a client named {name!r} already exists")
    codes, role_names = _check_organizations(session, organizations), _check_roles(roles)
    client = t.PasiClient(name=name, is_enabled=True, created_utc=_now())
    session.add(client)
    session.flush()
    session.add_all([t.ClientOrganization(client_id=client.id, organization_code=c) for c in codes])
    session.add_all([t.ClientRole(client_id=client.id, role=r) for r in role_names])
    if certificate is not None:
        add_certificate(session, name, certificate)


def add_certificate(session: Session, name: str, certificate: CertificateFacts) -> None:
    client = _client(session, name)
    existing = session.get(t.ClientCertificate, certificate.fingerprint)
    if existing is not None:
        raise RegistryError(f"certificate {certificate.fingerprint} is already registered")
    session.add(t.ClientCertificate(
        fingerprint=certificate.fingerprint, client_id=client.id, subject=certificate.subject[:400],
        not_valid_after_utc=certificate.not_valid_after_utc,
        not_valid_before_utc=certificate.not_valid_before_utc, is_enabled=True,
        registered_utc=_now()))


def set_enabled(session: Session, name: str, enabled: bool, fingerprint: str | None = None) -> None:
    """Enable or disable a client, or only one of its certificates."""
    client = _client(session, name)
    if fingerprint is None:
        client.is_enabled = enabled
        return
    result = session.execute(update(t.ClientCertificate).where(
        t.ClientCertificate.client_id == client.id,
        t.ClientCertificate.fingerprint == fingerprint.lower()).values(is_enabled=enabled))
    changed = getattr(result, "rowcount", 0)
    if not changed:
        raise RegistryError(f"client {name!r} has no certificate {fingerprint}")


def grant(session: Session, name: str, organizations=(), roles=()) -> None:
    client = _client(session, name)
    have_orgs = set(session.execute(select(t.ClientOrganization.organization_code).where(
        t.ClientOrganization.client_id == client.id)).scalars())
    have_roles = set(session.execute(select(t.ClientRole.role).where(
        t.ClientRole.client_id == client.id)).scalars())
    session.add_all([t.ClientOrganization(client_id=client.id, organization_code=c)
                     for c in _check_organizations(session, organizations) if c not in have_orgs])
    session.add_all([t.ClientRole(client_id=client.id, role=r)
                     for r in _check_roles(roles) if r not in have_roles])


def revoke(session: Session, name: str, organizations=(), roles=()) -> None:
    client = _client(session, name)
    codes = [normalize_organization_code(c) for c in organizations]
    if codes:
        session.execute(delete(t.ClientOrganization).where(
            t.ClientOrganization.client_id == client.id,
            t.ClientOrganization.organization_code.in_(codes)))
    if roles:
        session.execute(delete(t.ClientRole).where(
            t.ClientRole.client_id == client.id, t.ClientRole.role.in_(list(roles))))


def list_clients(session: Session) -> list[ClientSummary]:
    summaries = []
    for client in session.execute(select(t.PasiClient).order_by(t.PasiClient.name)).scalars():
        organizations = tuple(sorted(session.execute(select(t.ClientOrganization.organization_code).where(
            t.ClientOrganization.client_id == client.id)).scalars()))
        roles = tuple(sorted(session.execute(select(t.ClientRole.role).where(
            t.ClientRole.client_id == client.id)).scalars()))
        certificates = tuple((c.fingerprint, c.subject, c.is_enabled, c.not_valid_after_utc)
                             for c in session.execute(select(t.ClientCertificate).where(
                                 t.ClientCertificate.client_id == client.id).order_by(
                                 t.ClientCertificate.registered_utc)).scalars())
        summaries.append(ClientSummary(client.name, client.is_enabled, organizations, roles, certificates))
    return summaries


def demo_organizations(session: Session, school: str | None, authority: str | None) -> tuple[str, str]:
    """The school and authority ``pasi-core dev-certs`` registers demo clients for: the ones
    named, or the first school loaded and its authority; O.1 must be loaded too."""
    school = school or session.execute(select(t.Organization.code).where(
        t.Organization.kind == "School").order_by(t.Organization.code)).scalars().first()
    if school is None:
        raise RegistryError("no school is loaded yet: run `pasi-core seed-demo` (or load your "
                            "organizations) before `pasi-core dev-certs`")
    authority = authority or session.execute(select(t.Organization.authority_code).where(
        t.Organization.code == school)).scalar_one_or_none()
    if authority is None or session.get(t.Organization, "O.1") is None:
        raise RegistryError("the demo school needs its authority, and O.1 must be loaded")
    return school, authority
