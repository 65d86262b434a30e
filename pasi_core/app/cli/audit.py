"""``audit verify`` and ``audit purge``."""
from __future__ import annotations

from pasi_core.kernel.clock import utc_now
from pasi_core.kernel.settings import Settings
from persistence import audit_log

from .common import ready_engine


def cmd_audit(args, settings: Settings) -> int:
    engine = ready_engine(settings)
    if args.action == "verify":
        report = audit_log.verify(engine, expect_head=args.expect_head)
        for problem in report.problems[:50]:
            where = f"row {problem.sequence}" if problem.sequence is not None else "chain"
            print(f"BROKEN {where} ({problem.message_id or '-'}): {problem.problem}")
        if report.problems:
            print(f"audit log NOT intact: {len(report.problems)} problem(s) in {report.rows} rows")
            return 1
        print(f"audit log intact: {report.rows} rows; head {report.head_sequence} {report.head_hash}")
        print("record the head hash elsewhere; later `pasi-core audit verify --expect-head HASH` "
              "proves nothing before it was rewritten")
        return 0
    payloads, replays = audit_log.purge(engine, now=utc_now(),
                                        payload_days=settings.audit_payload_retention_days,
                                        replay_days=settings.replay_retention_days)
    print(f"purged {payloads} kept payload(s) older than {settings.audit_payload_retention_days} days "
          f"and {replays} replay response(s) older than {settings.replay_retention_days} days")
    return 0


def add_commands(commands) -> None:
    audit = commands.add_parser("audit", help="verify the audit chain, purge kept payloads")
    actions = audit.add_subparsers(dest="action", required=True)
    verify = actions.add_parser("verify", help="check that no audit row was changed or removed")
    verify.add_argument("--expect-head", help="a head hash recorded earlier that must still be in the chain")
    actions.add_parser("purge", help="delete payloads and replay responses past their retention")
    audit.set_defaults(handler=cmd_audit)
