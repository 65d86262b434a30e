"""Credential documents for Student Records (issue 12): order items by status, one item with a
preview of its PDFs, its errors and history, and PASIprep's Change Order Item Status form; the
print jobs and their delivery notices."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from operations.credential_documents import service
from operations.credential_documents.model import (
    FAILED_DELIVERY,
    REASON_RETURNED_BAD_ADDRESS,
    STATUS_LABELS,
    STATUSES,
    ItemKey,
)
from operations.credential_documents.rules import DocumentStatusRefused, allowed_changes
from operations.staff_accounts.model import MANAGE_CREDENTIALS

from .pages import context, operator, requires

blueprint = Blueprint("documents", __name__)
PAGE_SIZE = 100
PDF_POLICY = "default-src 'none'; frame-ancestors 'self'"
"""A PDF may be shown in this site's own preview frame, and nowhere else."""


def _key(text: str) -> ItemKey:
    order, _, item = text.partition("-")
    if not (order.isdigit() and item.isdigit()):
        abort(404)
    return ItemKey(int(order), int(item))


@blueprint.get("/")
@requires(MANAGE_CREDENTIALS)
def overview():
    with context().new_unit_of_work(read_only=True) as uow:
        counts = uow.document_items.status_counts()
        jobs = uow.document_items.recent_print_jobs(20)
        notices = uow.document_items.recent_notices(20)
    return render_template("documents/overview.html", title="Credential Documents", counts=counts,
                           statuses=STATUSES, labels=STATUS_LABELS, jobs=jobs, notices=notices,
                           interval=context().settings.documents_interval)


@blueprint.get("/items")
@requires(MANAGE_CREDENTIALS)
def items():
    status = request.args.get("status", "")
    if status not in STATUSES:
        flash("Choose an Order Item Status from the list.", "error")
        return redirect(url_for("documents.overview"))
    page = request.args.get("page", "1")
    page_number = int(page) if page.isdigit() and int(page) >= 1 else 1
    with context().new_unit_of_work(read_only=True) as uow:
        rows = uow.document_items.items_with_status(status, offset=(page_number - 1) * PAGE_SIZE,
                                                    limit=PAGE_SIZE + 1)
        total = uow.document_items.status_counts().get(status, 0)
    return render_template("documents/items.html", title=f"Order items: {STATUS_LABELS[status]}", status=status,
                           labels=STATUS_LABELS, rows=rows[:PAGE_SIZE], page=page_number,
                           has_next=len(rows) > PAGE_SIZE, total=total)


def _details_page(key: ItemKey, errors: dict[str, str], form: dict[str, str], code: int = 200):
    with context().new_unit_of_work(read_only=True) as uow:
        details = uow.document_items.details(key)
    if details is None:
        abort(404)
    return render_template("documents/item.html", title=f"Order item {key}", key=key, details=details,
                           labels=STATUS_LABELS, allowed=allowed_changes(details.item.status), errors=errors,
                           form=form, returned_bad_address=REASON_RETURNED_BAD_ADDRESS,
                           failed_delivery=FAILED_DELIVERY), code


@blueprint.get("/items/<item_key>")
@requires(MANAGE_CREDENTIALS)
def item(item_key: str):
    return _details_page(_key(item_key), {}, {})


@blueprint.post("/items/<item_key>/status")
@requires(MANAGE_CREDENTIALS)
def change_status(item_key: str):
    key = _key(item_key)
    status = request.form.get("status", "")
    reason = request.form.get("reason", "")
    form = {"status": status, "reason": reason}
    if not status:
        return _details_page(key, {"status": "Choose the new Order Item Status."}, form, 400)
    try:
        note = service.change_item_status(context().new_unit_of_work, key, status, reason, operator=operator(),
                                          clock=context().clock, time_zone=context().settings.time_zone)
    except DocumentStatusRefused as refused:
        return _details_page(key, {"status": refused.message}, form, 400)
    except service.DocumentProductionError as refused:
        return _details_page(key, {"reason": refused.message}, form, 400)
    flash(note, "info")
    return redirect(url_for("documents.item", item_key=str(key)))


@blueprint.get("/items/<item_key>/files/<kind>.pdf")
@requires(MANAGE_CREDENTIALS)
def item_file(item_key: str, kind: str):
    key = _key(item_key)
    files = context().document_files
    with context().new_unit_of_work(read_only=True) as uow:
        details = uow.document_items.details(key)
    stored = next((f for f in details.files if f.kind == kind), None) if details else None
    if stored is None or files is None:
        abort(404)
    try:
        content = files.read(stored.path)
    except OSError:
        abort(404)
    response = Response(content, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{key}-{kind}.pdf"', "Content-Security-Policy": PDF_POLICY})
    g.framed_by_this_site = True
    return response
