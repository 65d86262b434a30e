"""Authenticators turn a request's transport facts into a :class:`Caller`.

:class:`CertificateAuthenticator` is PASI's own model: the client presents a
registered X.509 certificate (mutual TLS, here or at a trusted proxy); the
registry says whether it and its client are enabled, which organizations
the client may represent and which roles it holds.  Rules 1001, 1002, 1003,
5001 and 1008 are checked here, 1007 per operation, all before any
business rule.

:class:`DevelopmentAuthenticator` believes ``CallerInfo.OrganizationCode``
and grants that organization's usual roles; it only ever answers clients on
the loopback interface, is off unless asked for, and says so in the log.
"""
from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import Protocol

from pasi_core import rule_catalogue
from pasi_core.caller import (
    MINISTRY_CLIENT_USER, ORGANIZATION_CODE, PASI_SYSTEM_USER, SUBMIT_ACADEMIC_RECORD_USER,
    Caller, normalize_organization_code)
from pasi_core.errors import RequestRejected

log = logging.getLogger("pasi_core.authentication")

CLIENT_AUTHENTICATION_FAULT = "Client.AuthenticationFailed"
CLIENT_AUTHORIZATION_FAULT = "Client.AccessDenied"


@dataclass(frozen=True)
class TransportFacts:
    """What the transport tells us about the peer, independent of the payload."""

    remote_address: str | None
    client_certificate_fingerprint: str | None = None
    """SHA-256 of the verified client certificate, when one was presented."""


class Authenticator(Protocol):
    def authenticate(self, transport: TransportFacts, organization_code: str | None) -> Caller:
        """Return the caller or raise :class:`RequestRejected` (1001-1008, 5001)."""


def reject(rule_id: int, fault_code: str, **params) -> RequestRejected:
    return RequestRejected(rule_id, rule_catalogue.render(rule_id, params), fault_code=fault_code)


def require_organization_code(organization_code: str | None) -> str:
    if organization_code is None or not organization_code.strip():
        raise reject(5001, CLIENT_AUTHORIZATION_FAULT)
    code = normalize_organization_code(organization_code)
    if not ORGANIZATION_CODE.match(code):
        raise reject(1008, CLIENT_AUTHORIZATION_FAULT)
    return code


def is_loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class CertificateAuthenticator:
    """Registered client certificates, as PASI authenticates its clients."""

    def __init__(self, session_factory):
        self._session_factory = session_factory

    def authenticate(self, transport: TransportFacts, organization_code: str | None) -> Caller:
        from persistence.client_registry import lookup

        if not transport.client_certificate_fingerprint:
            raise reject(1001, CLIENT_AUTHENTICATION_FAULT)
        with self._session_factory() as session:
            registered = lookup(session, transport.client_certificate_fingerprint)
        if registered is None:
            raise reject(1001, CLIENT_AUTHENTICATION_FAULT)
        if not registered.certificate_enabled:
            raise reject(1002, CLIENT_AUTHENTICATION_FAULT)
        if not registered.client_enabled:
            raise reject(1003, CLIENT_AUTHENTICATION_FAULT)
        code = require_organization_code(organization_code)
        if code not in registered.organizations:
            raise reject(1008, CLIENT_AUTHORIZATION_FAULT)
        return Caller(organization_code=code, roles=registered.roles,
                      client_name=registered.client_name)


class DevelopmentAuthenticator:
    """Trusts the organization code a loopback client claims.  Development only."""

    ROLES_BY_KIND = {
        "S": frozenset({SUBMIT_ACADEMIC_RECORD_USER}),
        "A": frozenset({SUBMIT_ACADEMIC_RECORD_USER}),
        "O": frozenset({SUBMIT_ACADEMIC_RECORD_USER, MINISTRY_CLIENT_USER, PASI_SYSTEM_USER}),
    }

    def __init__(self) -> None:
        log.warning("development authentication is ON: loopback clients are trusted to name "
                    "their own organization; never use this outside a developer machine")

    def authenticate(self, transport: TransportFacts, organization_code: str | None) -> Caller:
        if not is_loopback(transport.remote_address):
            raise reject(1001, CLIENT_AUTHENTICATION_FAULT)
        code = require_organization_code(organization_code)
        return Caller(organization_code=code, roles=self.ROLES_BY_KIND[code[0]],
                      client_name=f"development client for {code}")


def authorize_operation(caller: Caller, operation: str, required_role: str) -> None:
    if not caller.has_role(required_role):
        raise reject(1007, CLIENT_AUTHORIZATION_FAULT, Operation=operation)
