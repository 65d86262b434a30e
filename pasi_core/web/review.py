"""List Credentials to Review (reference pasi-credentials.md §1.3), with CSV export, and the
Order action for credentials "Awarded but Not Ordered"."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from operations.bulk_award_and_order import service as bulk_service
from operations.credentials_to_review import service
from operations.credentials_to_review.model import AWARDED_NOT_ORDERED, CATEGORIES
from operations.staff_accounts.model import MANAGE_CREDENTIALS
from pasi_core.kernel.credential_numbers import normalize

from .pages import context, now, operator, requires

blueprint = Blueprint("review", __name__)
SHOWN = 500
"""Rows shown on the page; the CSV holds them all."""


def _units():
    return context().new_unit_of_work


@blueprint.get("/")
@requires(MANAGE_CREDENTIALS)
def review():
    category = request.args.get("category", "")
    if not category:
        return render_template("review.html", title="List Credentials to Review", categories=CATEGORIES,
                               category="", rows=None, errors={})
    if category not in CATEGORIES:
        return render_template("review.html", title="List Credentials to Review", categories=CATEGORIES,
                               category="", rows=None,
                               errors={"category": "Choose what to find from the list."}), 400
    rows = service.find(_units(), category, operator=operator(), now=now())
    return render_template("review.html", title="List Credentials to Review", categories=CATEGORIES,
                           category=category, rows=rows[:SHOWN], total=len(rows), shown=SHOWN, errors={},
                           orderable=category == AWARDED_NOT_ORDERED,
                           delivery_labels=bulk_service.DELIVERY_LABELS)


@blueprint.get("/<category>.csv")
@requires(MANAGE_CREDENTIALS)
def review_csv(category: str):
    if category not in CATEGORIES:
        return redirect(url_for("review.review"))
    rows = service.find(_units(), category, operator=operator(), now=now())
    name, content = service.csv_file(rows, category, now(), context().settings.time_zone)
    return Response(content, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blueprint.post("/order")
@requires(MANAGE_CREDENTIALS)
def order():
    numbers = [normalize(n.strip()) for n in request.form.getlist("credential_number") if n.strip()]
    delivery = request.form.get("delivery_method", "automated")
    try:
        results = service.order_credentials(_units(), numbers, delivery, operator=operator(), now=now(),
                                            time_zone=context().settings.time_zone)
    except bulk_service.BulkAwardError as refused:
        flash(refused.message, "error")
        return redirect(url_for("review.review", category=AWARDED_NOT_ORDERED))
    ordered = [r for r in results if r.ordered]
    refused_now = [r for r in results if not r.ordered]
    if ordered:
        flash(f"Ordered {len(ordered)} credential(s).", "info")
    for result in refused_now:
        flash(f"Credential {result.credential_number} was not ordered: "
              + "; ".join(f"{r.rule_id} {r.message}" for r in result.rejections), "error")
    return redirect(url_for("review.review", category=AWARDED_NOT_ORDERED))
