"""Where the time of one SubmitDiplomaExamMark batch goes, phase by phase.

Runs the WSGI application in-process (no HTTP) on the benchmark province
and times each phase of the pipeline with wrappers; prints one line per
run.  Phases: parse (lxml, hardened parser), validate (XSD), read (codec:
XML to plain data), load (the batch's queries), rules, plan (side
effects), save (bulk writes), and "other" (spyne dispatch, response
serialization, commit, audit row).

    python benchmarks/submit_breakdown.py [--database-url URL] [--records 1000] [--runs 5]
"""
from __future__ import annotations

import argparse
import functools
import io
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from submit_exam_marks import clear_marks, envelope, province

import pasi_core  # noqa: F401
from operations.submit_diploma_exam_mark import handler
from pasi_core.app.application import create_wsgi_app
from pasi_core.kernel.settings import Settings
from pasi_core.soap import protocol
from pasi_core.soap.authentication import DevelopmentAuthenticator
from persistence import exam_mark_repository, schema
from persistence.database import create_database_engine, session_factory
from persistence.reference_loader import load_document

TIMINGS: dict[str, float] = {}


def timed(name, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            TIMINGS[name] = TIMINGS.get(name, 0.0) + time.perf_counter() - started
    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='pasi-breakdown-')}/b.sqlite3"
    engine = create_database_engine(url)
    schema.drop_everything(engine)
    schema.upgrade(engine)
    load_document(session_factory(engine), province(args.records, datetime.now(UTC).replace(tzinfo=None)))
    app = create_wsgi_app(Settings(public_url="http://localhost", max_request_bytes=64 * 2**20),
                          engine=engine, authenticator=DevelopmentAuthenticator())

    protocol.HardenedSoap11.create_in_document = timed("parse", protocol.HardenedSoap11.create_in_document)
    protocol.HardenedSoap11.validate_body = timed("validate", protocol.HardenedSoap11.validate_body)
    protocol.HardenedSoap11.deserialize = timed("read", protocol.HardenedSoap11.deserialize)
    handler.repository.load_book = timed("load", exam_mark_repository.load_book)
    handler.check_record = timed("rules", handler.check_record)
    handler.plan_change = timed("plan", handler.plan_change)
    handler.repository.save_changes = timed("save", exam_mark_repository.save_changes)

    def call(payload: bytes) -> None:
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/PASIService", "QUERY_STRING": "",
                   "CONTENT_TYPE": "text/xml", "CONTENT_LENGTH": str(len(payload)),
                   "wsgi.input": io.BytesIO(payload), "REMOTE_ADDR": "127.0.0.1",
                   "SERVER_NAME": "localhost", "SERVER_PORT": "80", "wsgi.url_scheme": "http"}
        b"".join(app(environ, lambda status, headers, exc_info=None: None))

    call(envelope(1, -1))
    clear_marks(engine)
    print(f"{engine.dialect.name}, {args.records} records; milliseconds per phase")
    for run in range(args.runs):
        TIMINGS.clear()
        payload = envelope(args.records, run)
        started = time.perf_counter()
        call(payload)
        total = (time.perf_counter() - started) * 1000
        clear_marks(engine)
        phases = {name: round(seconds * 1000) for name, seconds in TIMINGS.items()}
        phases["other"] = round(total - sum(TIMINGS.values()) * 1000)
        print(f"total {total:4.0f}  " + "  ".join(f"{k} {v}" for k, v in phases.items()))


if __name__ == "__main__":
    main()
