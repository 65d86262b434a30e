"""``users``: the Student Records users who sign in to the screens; ``worker``: the job runner."""
from __future__ import annotations

import getpass
import secrets
import sys

from operations.staff_accounts import service as accounts
from operations.staff_accounts.model import MANAGE_CREDENTIALS, PERMISSIONS
from pasi_core.app import job_runner
from pasi_core.kernel.clock import local_time, utc_now
from pasi_core.kernel.errors import PasiError
from pasi_core.kernel.settings import Settings

from .common import ready_engine, units_of_work

DEMO_USER = "records"


def _password(args) -> str:
    """From standard input with --password-stdin (scripts), else asked twice (people)."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (at least 12 characters): ")
    if first != getpass.getpass("The same password again: "):
        raise PasiError("the two passwords differ; nothing was changed")
    return first


def cmd_users(args, settings: Settings) -> int:
    units = units_of_work(settings)
    if args.action == "list":
        for user in accounts.list_users(units):
            state = "enabled" if user.enabled else "DISABLED"
            locked = " LOCKED" if user.is_locked(utc_now()) else ""
            last = (f", last signed in {local_time(user.last_sign_in_utc, settings.time_zone):%Y-%m-%d %H:%M}"
                    if user.last_sign_in_utc else "")
            print(f"{user.user_name} ({user.full_name}) {state}{locked}{last}")
            print(f"  permissions: {', '.join(sorted(user.permissions)) or '-'}")
    elif args.action == "add":
        user = accounts.add_user(units, args.user_name, args.full_name, _password(args), args.permission,
                                 now=utc_now())
        print(f"added user {user.user_name} with permissions: {', '.join(sorted(user.permissions)) or '-'}")
    elif args.action == "set-password":
        accounts.set_password(units, args.user_name, _password(args), now=utc_now())
        print(f"password of {args.user_name} changed; their sessions are ended")
    elif args.action in ("enable", "disable"):
        accounts.set_enabled(units, args.user_name, args.action == "enable", now=utc_now())
        print(f"{args.user_name} {args.action}d" + ("; their sessions are ended" if args.action == "disable" else ""))
    elif args.action in ("grant", "revoke"):
        changes = {"grant" if args.action == "grant" else "revoke": args.permission}
        permissions = accounts.change_permissions(units, args.user_name, now=utc_now(), **changes)
        print(f"{args.user_name}: {', '.join(sorted(permissions)) or 'no permissions'}")
    elif args.action == "demo":
        return _demo_user(units, settings, args.url)
    return 0


def _demo_user(units, settings: Settings, url: str | None) -> int:
    """The demo's Student Records user, with a fresh random password printed each time."""
    password = secrets.token_urlsafe(12)
    existing = {user.user_name for user in accounts.list_users(units)}
    if DEMO_USER in existing:
        accounts.set_password(units, DEMO_USER, password, now=utc_now())
        accounts.set_enabled(units, DEMO_USER, True, now=utc_now())
        accounts.change_permissions(units, DEMO_USER, grant=[MANAGE_CREDENTIALS], now=utc_now())
    else:
        accounts.add_user(units, DEMO_USER, "Demo Student Records Officer", password, [MANAGE_CREDENTIALS],
                          now=utc_now())
    base = (url or settings.public_url).rstrip("/")
    print(f"Student Records: {base}/student-records/  user: {DEMO_USER}  password: {password}")
    return 0


def cmd_worker(args, settings: Settings) -> int:
    ready_engine(settings).dispose()
    job_runner.run(settings)
    return 0


def add_commands(commands) -> None:
    users = commands.add_parser("users", help="Student Records users (the screens' sign-in)")
    actions = users.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every user, enabled or not, with permissions").set_defaults(handler=cmd_users)
    add = actions.add_parser("add", help="add a user (the password is asked, or read with --password-stdin)")
    add.add_argument("user_name")
    add.add_argument("--full-name", required=True, help="shown on the screens")
    add.add_argument("--permission", action="append", default=[], choices=sorted(PERMISSIONS),
                     help=f"repeatable; the credential screens need {MANAGE_CREDENTIALS!r}")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(handler=cmd_users)
    password = actions.add_parser("set-password", help="set a new password (ends the user's sessions, unlocks)")
    password.add_argument("user_name")
    password.add_argument("--password-stdin", action="store_true")
    password.set_defaults(handler=cmd_users)
    for name, text in (("enable", "let a user sign in again"),
                       ("disable", "stop a user signing in (ends their sessions at once)")):
        command = actions.add_parser(name, help=text)
        command.add_argument("user_name")
        command.set_defaults(handler=cmd_users)
    for name in ("grant", "revoke"):
        command = actions.add_parser(name, help=f"{name} a permission")
        command.add_argument("user_name")
        command.add_argument("--permission", action="append", required=True, choices=sorted(PERMISSIONS))
        command.set_defaults(handler=cmd_users)
    demo = actions.add_parser("demo", help="development: (re)create the demo user 'records' with a new "
                                           "random password, and print how to sign in")
    demo.add_argument("--url", help="the service's base URL to print (default PASI_PUBLIC_URL)")
    demo.set_defaults(handler=cmd_users)

    worker = commands.add_parser("worker", help="run the job runner alone (serve starts one itself)")
    worker.set_defaults(handler=cmd_worker)
