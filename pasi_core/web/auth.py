"""Sign in, sign out, and the landing page."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from operations.bulk_award_and_order import service as bulk_service
from operations.staff_accounts import service as accounts
from operations.staff_accounts.model import MANAGE_CREDENTIALS

from .pages import context, now, remote_address, requires, user

blueprint = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only a path of this application: never another site (an open redirect)."""
    root = request.script_root + "/"
    if not target or not target.startswith(root) or target.startswith("//") or "\\" in target:
        return None
    return target


@blueprint.get("/sign-in")
def sign_in():
    if user() is not None:
        return redirect(url_for("auth.home"))
    return render_template("sign_in.html", title="Sign in", next=_safe_next(request.args.get("next")))


@blueprint.post("/sign-in")
def sign_in_post():
    name = request.form.get("user_name", "")
    password = request.form.get("password", "")
    target = _safe_next(request.form.get("next"))
    errors = {}
    if not name.strip():
        errors["user_name"] = "Enter your user name."
    if not password:
        errors["password"] = "Enter your password."
    signed_in = None
    if not errors:
        signed_in = accounts.sign_in(context().new_unit_of_work, name, password, now=now(),
                                     remote_address=remote_address())
        if signed_in is None:
            errors["form"] = ("The user name or password is not right, or the account is locked or "
                              "disabled. Try again in a few minutes, or ask your administrator.")
    if signed_in is None:
        return render_template("sign_in.html", title="Sign in", errors=errors, user_name=name,
                               next=target), 400 if errors.keys() - {"form"} else 401
    session.clear()  # a fresh session: nothing from before sign-in carries over
    session["token"] = signed_in.token
    session.permanent = True
    return redirect(target or url_for("auth.home"))


@blueprint.post("/sign-out")
def sign_out():
    accounts.sign_out(context().new_unit_of_work, session.get("token"), now=now(),
                      remote_address=remote_address())
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.sign_in"))


@blueprint.get("/")
@requires(MANAGE_CREDENTIALS)
def home():
    runs = bulk_service.recent_runs(context().new_unit_of_work, limit=10)
    return render_template("home.html", title="Student Records", runs=runs)
