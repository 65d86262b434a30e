"""Types every endpoint shares: CallerInfo, SubmitResponse, Rejection, PASIFault."""
from __future__ import annotations

from spyne import ComplexModel

from pasi_core.contract import namespaces
from pasi_core.contract.strict import (
    DateTime,
    Integer32,
    Long,
    Unicode,
    list_of,
    named_string,
    optional,
    required,
)

NS = namespaces.COMMON

# PASI's text rule for CallerInfo strings: printable Latin-1 only, no control
# characters, no leading, trailing or doubled spaces.  Written so that both
# XSD and Python regular expressions read it the same way.
PASI_TEXT_PATTERN = "[!-~\u00a1-\u00ff]+( [!-~\u00a1-\u00ff]+)*"
GUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

Text30 = named_string("Text30", NS, max_len=30, pattern=PASI_TEXT_PATTERN)
Text50 = named_string("Text50", NS, max_len=50, pattern=PASI_TEXT_PATTERN)
Text100 = named_string("Text100", NS, max_len=100, pattern=PASI_TEXT_PATTERN)
Guid = named_string("Guid", NS, max_len=36, min_len=36, pattern=GUID_PATTERN)
OrganizationCode = named_string("OrganizationCode", NS, max_len=6, min_len=3,
                                pattern="[SAOsao]\\.[0-9]{1,4}")
PASICoreVersion = Long(ge=0, type_name="PASICoreVersion", __namespace__=NS)


class Software(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("Manufacturer", required(Text100)),
        ("Product", required(Text100)),
        ("Version", required(Text30)),
        ("BuildNumber", required(Text30)),
    ]


class User(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("Name", optional(Text100)),
        ("LocalID", optional(Text50)),
        ("IPAddress", optional(Text50)),
    ]


class CallerInfo(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("ClientMessageID", required(Text50)),
        ("SentUtcTime", required(DateTime)),
        ("Software", required(Software)),
        # Optional in the schema so that a missing code is PASI's rule 5001, not 3001.
        ("OrganizationCode", optional(OrganizationCode)),
        ("User", optional(User)),
    ]


class Rejection(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("RuleId", required(Integer32)),
        ("Message", required(Unicode)),
        ("FieldPath", optional(Unicode)),
    ]


class SubmitResponse(ComplexModel):
    """The outcome of one submitted record, in request order."""

    __namespace__ = NS
    _type_info = [
        ("Id", required(Unicode)),
        ("PASICoreVersion", required(Long)),
        ("Rejections", list_of(Rejection, at_least_one=False)),
    ]


class MultipleSubmitResponse(ComplexModel):
    __namespace__ = NS
    _type_info = [
        ("MessageID", required(Unicode)),
        ("SubmitResponses", list_of(SubmitResponse, at_least_one=False)),
    ]


class FaultError(ComplexModel):
    """One problem found in a refused request (each schema error, for instance)."""

    __namespace__ = NS
    _type_info = [
        ("Path", optional(Unicode)),
        ("Line", optional(Integer32)),
        ("Text", required(Unicode)),
    ]


class PASIFault(ComplexModel):
    """The ``detail`` of every SOAP fault this service returns."""

    __namespace__ = NS
    _type_info = [
        ("RuleId", required(Integer32)),
        ("Message", required(Unicode)),
        ("MessageID", required(Unicode)),
        ("Errors", list_of(FaultError, at_least_one=False)),
    ]
