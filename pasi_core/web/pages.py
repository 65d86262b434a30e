"""What every Student Records page shares: who is signed in, the permission check, the error
pages, and the security headers."""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError

from operations.credential_documents.ports import DocumentFiles
from operations.staff_accounts import service as accounts
from operations.staff_accounts.model import StaffUser
from operations.unit_of_work import UnitOfWorkFactory
from pasi_core.kernel.clock import local_time
from pasi_core.kernel.errors import PasiError
from pasi_core.kernel.settings import Settings

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


@dataclass(frozen=True)
class Context:
    settings: Settings
    new_unit_of_work: UnitOfWorkFactory
    clock: Callable[[], datetime]
    document_files: DocumentFiles | None = None
    """Where the credential PDFs are read from for their preview."""


def context() -> Context:
    return current_app.extensions["pasi"]


def now() -> datetime:
    return context().clock()


def user() -> StaffUser | None:
    return g.get("user")


def operator() -> str:
    signed_in = user()
    if signed_in is None:
        raise PasiError("no one is signed in")
    return signed_in.user_name


def remote_address() -> str | None:
    return request.remote_addr


class UnexpectedError(Exception):
    """PASIprep's "unexpected error" page: what a user without the permission sees."""


def requires(permission: str):
    """Signed in (else to the sign-in page) and holding ``permission`` (else the unexpected
    error page, as PASIprep answers a user without a screen's permission)."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            signed_in = user()
            if signed_in is None:
                return redirect(url_for("auth.sign_in", next=_here() if request.method == "GET" else None))
            if not signed_in.may(permission):
                log.info("permission refused user=%s permission=%s path=%s", signed_in.user_name,
                         permission, request.path)
                raise UnexpectedError()
            return view(*args, **kwargs)
        return guarded
    return decorate


def _here() -> str:
    """This page's path (and query) from the site's root, to come back to after sign-in."""
    query = request.query_string.decode("ascii", "replace")
    return request.script_root + request.path + (f"?{query}" if query else "")


def _load_user() -> None:
    g.user = accounts.current_user(context().new_unit_of_work, session.get("token"), now=now())
    if g.user is None and "token" in session:
        session.pop("token", None)


def _headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # A PDF preview may be framed by this site's own item page; nothing else may be framed.
    response.headers["X-Frame-Options"] = "SAMEORIGIN" if g.get("framed_by_this_site") else "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"  # pages name students
    return response


def _province_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return f"{local_time(moment, context().settings.time_zone):%Y-%m-%d %H:%M}"


def install(app: Flask) -> None:
    app.before_request(_load_user)
    app.after_request(_headers)
    app.jinja_env.filters["province_time"] = _province_time
    app.jinja_env.globals["current_user"] = user

    @app.errorhandler(UnexpectedError)
    def unexpected(_error):
        return render_template("error.html", title="Unexpected error",
                               message="An unexpected error has occurred. If this continues, contact "
                                       "the PASI help desk."), 403

    @app.errorhandler(CSRFError)
    def stale_form(error):
        log.info("form refused path=%s reason=%s", request.path, error.description)
        return render_template("error.html", title="The form has expired",
                               message="This form was not sent from this page, or it has expired. Go "
                                       "back, reload the page and try again."), 400

    @app.errorhandler(404)
    def not_found(_error):
        return render_template("error.html", title="Page not found",
                               message="There is no such page in Student Records."), 404

    @app.errorhandler(405)
    def wrong_method(_error):
        return render_template("error.html", title="Page not found",
                               message="There is no such page in Student Records."), 405

    @app.errorhandler(500)
    def server_error(_error):
        return render_template("error.html", title="Unexpected error",
                               message="An unexpected error has occurred. If this continues, contact "
                                       "the PASI help desk."), 500
