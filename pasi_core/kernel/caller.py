"""Who is calling: the one value every caller-dependent rule reads.

Rules never look at ``CallerInfo`` directly; they read a :class:`Caller`
built by an authenticator, so the source of identity (development
authenticator today, client certificates later) can change without
touching a rule.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

SUBMIT_ACADEMIC_RECORD_USER = "Submit Academic Record User"
MINISTRY_CLIENT_USER = "Ministry Client User"
PASI_SYSTEM_USER = "PASI System User"
HELLO_WORLD_USER = "Hello World User"
SUBMIT_TRANSCRIPT_USER = "Submit Transcript User"
VIEW_TRANSCRIPT_USER = "View Transcript User"
K12_ORGANIZATION_CLIENT = "K-12 Organization Client"

KNOWN_ROLES = frozenset({SUBMIT_ACADEMIC_RECORD_USER, MINISTRY_CLIENT_USER, PASI_SYSTEM_USER,
                         HELLO_WORLD_USER, SUBMIT_TRANSCRIPT_USER, VIEW_TRANSCRIPT_USER,
                         K12_ORGANIZATION_CLIENT})
"""PASI client system roles a registered client may be granted."""

ALBERTA_EDUCATION = "O.1"
"""The Ministry organization named by rules 40541, 40554, 40559 and 62024."""

ORGANIZATION_CODE = re.compile(r"^(?P<kind>[SAO])\.(?P<number>[0-9]{1,4})$")


def normalize_organization_code(code: str) -> str:
    """``s.0982`` and ``S.0982`` name the same school; PASI shows upper case."""
    code = code.strip()
    return code[:1].upper() + code[1:]


@dataclass(frozen=True)
class Caller:
    organization_code: str
    roles: frozenset[str]
    client_name: str = "anonymous"

    @property
    def organization_kind(self) -> str:
        return self.organization_code[:1]

    @property
    def is_ministry(self) -> bool:
        """Any Ministry organization (``O.n``): Alberta Education for rules 9009 and 9011."""
        return self.organization_kind == "O"

    @property
    def is_alberta_education(self) -> bool:
        """The organization O.1 that rules 40541, 40554, 40559 and 62024 name."""
        return self.organization_code == ALBERTA_EDUCATION

    @property
    def is_school(self) -> bool:
        return self.organization_kind == "S"

    @property
    def is_authority(self) -> bool:
        return self.organization_kind == "A"

    def has_role(self, role: str) -> bool:
        return role in self.roles
