"""The Student Records screens (issue 11): a Flask application served by ``pasi-core serve``
under ``/student-records/``, beside the SOAP endpoints.

Server-rendered HTML that works without JavaScript (a small script only adds live progress and
fills the School list as an Authority is chosen).  Like the SOAP boundary, it reaches the store
only through the service layer's unit of work; every action is audited with the user's name.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from operations.credential_documents.ports import DocumentFiles
from operations.unit_of_work import UnitOfWorkFactory
from pasi_core.kernel.clock import utc_now
from pasi_core.kernel.settings import Settings

from . import auth, bulk, documents, pages, review

MOUNT = "/student-records"


def create_student_records_app(settings: Settings, new_unit_of_work: UnitOfWorkFactory,
                               clock: Callable[[], datetime] = utc_now,
                               document_files: DocumentFiles | None = None) -> Flask:
    app = Flask(__name__)
    secure = urlsplit(settings.public_url).scheme == "https"
    app.config.update(
        # One process without a configured key (tests, development) may make its own.
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        SESSION_COOKIE_NAME="pasi_student_records",
        SESSION_COOKIE_PATH=MOUNT,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session it belongs to
        WTF_CSRF_SSL_STRICT=secure,
        MAX_CONTENT_LENGTH=1024 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions["pasi"] = pages.Context(settings, new_unit_of_work, clock, document_files)
    CSRFProtect(app)
    pages.install(app)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(bulk.blueprint, url_prefix="/bulk")
    app.register_blueprint(review.blueprint, url_prefix="/review")
    app.register_blueprint(documents.blueprint, url_prefix="/documents")
    return app
