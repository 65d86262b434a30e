"""XML namespaces of the published contract.

They are ours (PASI's own are not public) and versioned by year.  Never
change one in place: a new shape means a new endpoint version with new
namespaces, while the old endpoint keeps working.
"""
COMMON = "urn:pasi-core-mirror:common:2026"
"""Types shared by every endpoint: CallerInfo, SubmitResponse, Rejection, PASIFault."""

PASI_SERVICE = "urn:pasi-core-mirror:pasi-service:2026"
"""The PASIService endpoint (schools, authorities, Ministry)."""

PASI_SYSTEM = "urn:pasi-core-mirror:pasi-system:2026"
"""The PASISystem endpoint (Ministry system-only operations)."""
