"""``init-db``, ``load``, ``seed-demo``: the schema and the reference data."""
from __future__ import annotations

from datetime import date

from pasi_core.app import demo
from pasi_core.kernel.settings import Settings
from persistence import schema
from persistence.database import session_factory
from persistence.reference_loader import STANDARD_CODE_TABLES, load_document, load_file

from .common import engine_of, ready_engine, safe_url


def cmd_init_db(args, settings: Settings) -> int:
    engine = engine_of(settings)
    schema.upgrade(engine)
    report = load_file(session_factory(engine), STANDARD_CODE_TABLES)
    print(f"database ready at revision {schema.current_revision(engine)} ({safe_url(settings)})")
    print(report.summary())
    return 0


def cmd_load(args, settings: Settings) -> int:
    report = load_file(session_factory(ready_engine(settings)), args.file)
    print(f"loaded {args.file}")
    print(report.summary())
    return 0


def cmd_seed_demo(args, settings: Settings) -> int:
    today = date.fromisoformat(args.today) if args.today else None
    document = demo.generate(students=args.students, seed=args.seed, today=today)
    if args.out:
        demo.write(document, args.out)
        print(f"wrote {args.out}")
    if args.no_load:
        return 0
    engine = engine_of(settings)
    schema.upgrade(engine)
    report = load_document(session_factory(engine), document)
    print(f"loaded the demo province ({args.students} students, seed {args.seed}) into {safe_url(settings)}")
    print(report.summary())
    return 0


def add_commands(commands) -> None:
    init_db = commands.add_parser("init-db", help="create or upgrade the schema and load the standard code tables")
    init_db.set_defaults(handler=cmd_init_db)

    load = commands.add_parser("load", help="load a reference-data JSON file (all or nothing)")
    load.add_argument("file")
    load.set_defaults(handler=cmd_load)

    seed = commands.add_parser("seed-demo", help="generate and load a synthetic province")
    seed.add_argument("--students", type=int, default=2000)
    seed.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same province)")
    seed.add_argument("--today", help="reference date YYYY-MM-DD for exam sessions (default: today)")
    seed.add_argument("--out", help="also write the generated file here")
    seed.add_argument("--no-load", action="store_true", help="only write --out, load nothing")
    seed.set_defaults(handler=cmd_seed_demo)
