"""Who is calling: rules 1001-1008 and 5001, before any business rule.

Authentication runs in two steps.  :meth:`Authenticator.identify` reads only
the transport (the verified client certificate), so an unknown, disabled or
invalid certificate (1001, 1002, 1003, 1004) is refused *before the body is
read or parsed*: an unregistered client can make the service do no work.
:func:`authorize` then checks the organization the request names
(``CallerInfo.OrganizationCode``: 5001, 1008) and the operation's role (1007).

:class:`CertificateAuthenticator` is PASI's own model: the client presents a
registered X.509 certificate (mutual TLS, here or at a trusted proxy); the
registry says whether it and its client are enabled, which organizations it
may represent and which roles it holds.  :class:`DevelopmentAuthenticator`
believes ``CallerInfo.OrganizationCode`` from loopback clients only, is off
unless asked for, and says so in the log.
"""
from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pasi_core.kernel import rule_catalogue
from pasi_core.kernel.caller import (
    MINISTRY_CLIENT_USER,
    ORGANIZATION_CODE,
    PASI_SYSTEM_USER,
    SUBMIT_ACADEMIC_RECORD_USER,
    VIEW_TRANSCRIPT_USER,
    Caller,
    normalize_organization_code,
)
from pasi_core.kernel.clients import RegisteredCertificate
from pasi_core.kernel.errors import RequestRejected

log = logging.getLogger(__name__)

CLIENT_AUTHENTICATION_FAULT = "Client.AuthenticationFailed"
CLIENT_AUTHORIZATION_FAULT = "Client.AccessDenied"


@dataclass(frozen=True)
class TransportFacts:
    """What the transport tells us about the peer, independent of the payload."""

    remote_address: str | None
    client_certificate_fingerprint: str | None = None
    """SHA-256 of the verified client certificate, when one was presented."""
    certificate_problem: str | None = None
    """Why the certificate information could not be believed (sent twice, unreadable)."""


@dataclass(frozen=True)
class IdentifiedClient:
    """A client whose certificate checked out; the organization is not known yet."""

    name: str
    organizations: frozenset[str] | None
    """The organizations it may represent; None: any (development only)."""
    roles: Callable[[str], frozenset[str]]
    """Its roles when representing an organization."""


class ClientDirectory(Protocol):
    def lookup(self, fingerprint: str) -> RegisteredCertificate | None: ...


class Authenticator(Protocol):
    def identify(self, transport: TransportFacts) -> IdentifiedClient:
        """The client, or :class:`RequestRejected` (1001-1004)."""
        ...


def reject(rule_id: int, fault_code: str, **params: object) -> RequestRejected:
    return RequestRejected(rule_id, rule_catalogue.render(rule_id, params), fault_code=fault_code)


def is_loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class CertificateAuthenticator:
    """Registered client certificates, as PASI authenticates its clients."""

    def __init__(self, directory: ClientDirectory, clock: Callable[[], datetime]):
        self._directory = directory
        self._clock = clock

    def identify(self, transport: TransportFacts) -> IdentifiedClient:
        if transport.certificate_problem:
            raise reject(1004, CLIENT_AUTHENTICATION_FAULT)
        if not transport.client_certificate_fingerprint:
            raise reject(1001, CLIENT_AUTHENTICATION_FAULT)
        registered = self._directory.lookup(transport.client_certificate_fingerprint)
        if registered is None:
            raise reject(1001, CLIENT_AUTHENTICATION_FAULT)
        if not registered.certificate_enabled:
            raise reject(1002, CLIENT_AUTHENTICATION_FAULT)
        if not registered.client_enabled:
            raise reject(1003, CLIENT_AUTHENTICATION_FAULT)
        if not registered.is_valid_at(self._clock()):
            raise reject(1004, CLIENT_AUTHENTICATION_FAULT)
        roles = registered.roles
        return IdentifiedClient(registered.client_name, registered.organizations,
                                lambda _organization: roles)


class DevelopmentAuthenticator:
    """Trusts the organization code a loopback client claims.  Development only."""

    ROLES_BY_KIND = {
        "S": frozenset({SUBMIT_ACADEMIC_RECORD_USER, VIEW_TRANSCRIPT_USER}),
        "A": frozenset({SUBMIT_ACADEMIC_RECORD_USER, VIEW_TRANSCRIPT_USER}),
        "O": frozenset({SUBMIT_ACADEMIC_RECORD_USER, VIEW_TRANSCRIPT_USER, MINISTRY_CLIENT_USER,
                        PASI_SYSTEM_USER}),
    }

    def __init__(self) -> None:
        log.warning("development authentication is ON: loopback clients are trusted to name "
                    "their own organization; never use this outside a developer machine")

    def identify(self, transport: TransportFacts) -> IdentifiedClient:
        if not is_loopback(transport.remote_address):
            raise reject(1001, CLIENT_AUTHENTICATION_FAULT)
        return IdentifiedClient("development client", None,
                                lambda code: self.ROLES_BY_KIND.get(code[:1], frozenset()))


def authorize(client: IdentifiedClient, organization_code: str | None, operation: str,
              required_role: str) -> Caller:
    """The caller this request acts as (5001, 1008, 1007)."""
    if organization_code is None or not organization_code.strip():
        raise reject(5001, CLIENT_AUTHORIZATION_FAULT)
    code = normalize_organization_code(organization_code)
    if not ORGANIZATION_CODE.match(code):
        raise reject(1008, CLIENT_AUTHORIZATION_FAULT)
    if client.organizations is not None and code not in client.organizations:
        raise reject(1008, CLIENT_AUTHORIZATION_FAULT)
    name = client.name if client.organizations is not None else f"development client for {code}"
    caller = Caller(organization_code=code, roles=client.roles(code), client_name=name)
    if not caller.has_role(required_role):
        raise reject(1007, CLIENT_AUTHORIZATION_FAULT, Operation=operation)
    return caller
