"""IsDataAvailable: for each registered notification type, the RefIds and versions changed
since the version the client gives, in version order, capped and paged (docs/read-services.md).

No change is skipped: only versions below the store's horizon are answered (every version below
it is committed or rolled back, persistence/versions.py), and the version to ask from next
(``max_version``) never passes a change not yet answered.  A school or an authority is told
only of marks it may read (the access model of GetDiplomaExamMark).  The answer comes at once:
the request's Wait Time In Minutes is accepted and not waited for (a waiting request would hold
a worker), so a client polls.
"""
from __future__ import annotations

from datetime import date, datetime

from operations.get_diploma_exam_mark.service import readable
from operations.unit_of_work import UnitOfWork
from pasi_core.kernel.caller import Caller
from pasi_core.kernel.errors import SCHEMA_FAULT, ErrorDetail, RequestRejected
from pasi_core.kernel.rejections import reject
from pasi_core.kernel.rule_catalogue import render

from .model import ChangedRecord, RegisteredType, SyncLimits, SyncRequest, TypeResult
from .rules import SERVED, check_notification_types, parse


def is_data_available(uow: UnitOfWork, caller: Caller, request: SyncRequest, *, today: date,
                      now: datetime, limits: SyncLimits) -> list[TypeResult]:
    refuse_invalid_types([registered.notification_type for registered in request.types])
    reader = uow.exam_mark_reads
    horizon = reader.sync_horizon()
    budget = limits.total
    results = []
    for registered in request.types:
        result = _changes_of(uow, caller, registered, horizon=horizon, cap=min(limits.per_type, budget),
                             chunk=limits.chunk, today=today, now=now)
        budget -= len(result.changes)
        results.append(result)
    return results


def refuse_invalid_types(requested: list[str]) -> None:
    """Rules 3005, 3006 and 3008, as PASI returns them: one 3001 fault listing each."""
    violations = check_notification_types(requested)
    if not violations:
        return
    rejections = [reject(violation) for violation in violations]
    errors = [ErrorDetail("IsDataAvailable/request/NotificationTypes", f"{r.rule_id}: {r.message}")
              for r in rejections]
    if any(r.rule_id == 3005 for r in rejections):
        errors.append(ErrorDetail(None, "this service synchronizes: " + ", ".join(sorted(SERVED))
                                  + " (each with its school year, e.g. DiplomaExamMark.2024)"))
    raise RequestRejected(3001, render(3001, {"AdditionalDetails": "; ".join(
        f"{r.rule_id}: {r.message}" for r in rejections)}), fault_code=SCHEMA_FAULT, errors=errors)


def _changes_of(uow: UnitOfWork, caller: Caller, registered: RegisteredType, *, horizon: int,
                cap: int, chunk: int, today: date, now: datetime) -> TypeResult:
    parsed = parse(registered.notification_type)
    assert parsed is not None and parsed.school_year is not None  # refuse_invalid_types passed
    reader = uow.exam_mark_reads
    found: list[ChangedRecord] = []
    cursor = registered.max_version
    while len(found) < cap:
        batch = reader.changed_marks(parsed.school_year, after=cursor, before=horizon,
                                     limit=chunk, caller=caller)
        visible = readable(uow, caller, (ref for ref, _ in batch), today=today, now=now)
        for ref_id, version in batch:
            if ref_id in visible:
                found.append(ChangedRecord(ref_id, version))
            cursor = version
            if len(found) >= cap:
                break
        else:
            if len(batch) < chunk:
                # Nothing more below the horizon: every version up to it is answered.
                return TypeResult(registered.notification_type, tuple(found),
                                  max(cursor, horizon - 1), False)
    return TypeResult(registered.notification_type, tuple(found), cursor, True)
