"""Authenticators turn a request's transport facts into a :class:`Caller`.

Until client certificates are registered (a later issue), the only
authenticator is :class:`DevelopmentAuthenticator`: it believes
``CallerInfo.OrganizationCode`` and grants that organization's usual
roles, and it only ever answers clients on the loopback interface.
Without it every request is refused with rule 1001.
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


class RejectAllAuthenticator:
    """The default until client certificates exist: nobody is registered."""

    def authenticate(self, transport: TransportFacts, organization_code: str | None) -> Caller:
        raise reject(1001, CLIENT_AUTHENTICATION_FAULT)


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
