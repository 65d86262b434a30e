"""Award and Order Credentials in Bulk (reference pasi-credentials.md §1): PASIprep's three
steps.  1. Search records the selection and shows its criteria and count (Export to CSV);
2. Confirmation shows them read-only with the Delivery Method (Back, Cancel, Continue); Continue
queues exactly that selection for the job runner, once; 3. the run's page shows live progress,
then the Awarding and Ordering Summary with the two Post-Processing exports."""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for

from operations.background_jobs import service as jobs
from operations.background_jobs.model import BULK_AWARD_RUN
from operations.bulk_award_and_order import ports as states
from operations.bulk_award_and_order import reports, service
from operations.bulk_award_and_order.selection import Criteria
from operations.staff_accounts.model import MANAGE_CREDENTIALS

from .pages import context, now, operator, requires

blueprint = Blueprint("bulk", __name__)

ORGANIZATION_IN_TEXT = re.compile(r"(?:^|\()\s*([SsAa]\.\d{1,4})\s*\)?\s*$")
SELECT_ALL = "ALL"
FOLLOW_UP_SHOWN = 200
"""Awarded-but-not-ordered records listed on the summary (all of them are in the Successful CSV)."""


def _units():
    return context().new_unit_of_work


def _authority_code(text: str) -> str | None:
    """The code in what the Authority field holds: ``Name (A.0001)`` as the list shows it, or
    the code typed alone."""
    match = ORGANIZATION_IN_TEXT.search(text.strip())
    return match.group(1).upper() if match else None


def _labels(criteria: Criteria, options: service.SearchOptions) -> dict[str, str]:
    """The criteria as the Confirmation step shows them (read-only)."""
    authorities = {a.code: a.name for a in options.authorities}
    schools = {s.code: s.name for s in service.schools_of(_units(), criteria.authority)} if criteria.authority else {}
    every_type = [code for code, _ in options.credential_types]
    described = dict(options.credential_types)
    if not criteria.credential_types or sorted(criteria.credential_types) == sorted(every_type):
        types = "-All Credential Types-"
    else:
        types = ", ".join(described.get(code, code) for code in criteria.credential_types)
    return {
        "Authority": f"{authorities.get(criteria.authority, '')} ({criteria.authority})" if criteria.authority
        else "-All Authorities-",
        "School": f"{schools.get(criteria.school, '')} ({criteria.school})" if criteria.school
        else "-All Schools-",
        "Credential Type": types,
    }


def _step1(form: dict, errors: dict | None = None, status: int = 200, result: dict | None = None):
    options = service.search_options(_units())
    authority = _authority_code(form.get("authority", "")) if form.get("authority") else None
    known = {a.code for a in options.authorities}
    schools = service.schools_of(_units(), authority) if authority in known else []
    return render_template("bulk/search.html", title="Award and Order Credentials in Bulk", step=1,
                           options=options, form=form, schools=schools, errors=errors or {},
                           result=result), status


def _form_from(criteria: Criteria, options: service.SearchOptions) -> dict:
    names = {a.code: a.name for a in options.authorities}
    every_type = [code for code, _ in options.credential_types]
    types = list(criteria.credential_types)
    return {"authority": f"{names.get(criteria.authority, '')} ({criteria.authority})" if criteria.authority else "",
            "school": criteria.school or "",
            "credential_types": [SELECT_ALL] + every_type if sorted(types) == sorted(every_type) else types}


@blueprint.get("/")
@requires(MANAGE_CREDENTIALS)
def search_form():
    form = {"authority": request.args.get("authority", ""), "school": request.args.get("school", ""),
            "credential_types": request.args.getlist("credential_type")}
    return _step1(form)[0]


def _criteria_from(form: dict, options: service.SearchOptions) -> tuple[Criteria | None, dict]:
    errors = {}
    authority = None
    if form["authority"].strip():
        authority = _authority_code(form["authority"])
        if authority not in {a.code for a in options.authorities}:
            errors["authority"] = "Choose an Authority from the list, or leave it blank for every authority."
            authority = None
    school = form["school"].strip().upper() or None
    if authority and not school:
        errors["school"] = "This field is required."
    elif authority and school not in {s.code for s in service.schools_of(_units(), authority)}:
        errors["school"] = "Choose a School of the Authority."
    elif not authority:
        school = None  # with no Authority, every school is searched
    every_type = [code for code, _ in options.credential_types]
    chosen = form["credential_types"]
    types = every_type if SELECT_ALL in chosen else [c for c in every_type if c in chosen]
    if not types:
        errors["credential_types"] = "Select at least one Credential Type (or Select All)."
    if errors:
        return None, errors
    return Criteria(authority, school, tuple(types)), {}


@blueprint.post("/")
@requires(MANAGE_CREDENTIALS)
def search():
    form = {"authority": request.form.get("authority", ""), "school": request.form.get("school", ""),
            "credential_types": request.form.getlist("credential_type")}
    if request.form.get("action") == "choose-authority":
        return _step1(form)  # no JavaScript: reload with the chosen authority's schools
    options = service.search_options(_units())
    criteria, errors = _criteria_from(form, options)
    if criteria is None:
        return _step1(form, errors, 400)
    chosen = service.search(_units(), criteria, operator=operator(), now=now())
    return redirect(url_for("bulk.selection", selection_id=chosen.run_id))


def _details(selection_id: int):
    try:
        return service.run_details(_units(), selection_id)
    except service.BulkAwardError:
        abort(404)


def _count(selection_id: int) -> int:
    return service.summarize(_units(), selection_id).selected


@blueprint.get("/selections/<int:selection_id>")
@requires(MANAGE_CREDENTIALS)
def selection(selection_id: int):
    details = _details(selection_id)
    if details.status in (states.RUNNING, states.FINISHED):
        return redirect(url_for("bulk.run", run_id=selection_id))
    options = service.search_options(_units())
    result = {"id": selection_id, "labels": _labels(details.criteria, options), "count": _count(selection_id),
              "cancelled": details.status == states.CANCELLED}
    return _step1(_form_from(details.criteria, options), result=result)[0]


@blueprint.get("/selections/<int:selection_id>/confirm")
@requires(MANAGE_CREDENTIALS)
def confirm(selection_id: int):
    details = _details(selection_id)
    if details.status in (states.RUNNING, states.FINISHED):
        return redirect(url_for("bulk.run", run_id=selection_id))
    if details.status == states.CANCELLED:
        flash("That selection was cancelled; nothing was awarded or ordered. Search again.", "info")
        return redirect(url_for("bulk.search_form"))
    options = service.search_options(_units())
    form = _form_from(details.criteria, options)
    back = url_for("bulk.search_form", authority=form["authority"], school=form["school"],
                   credential_type=form["credential_types"])
    return render_template("bulk/confirm.html", title="Award and Order Credentials in Bulk", step=2,
                           selection_id=selection_id, labels=_labels(details.criteria, options),
                           count=_count(selection_id), delivery_labels=service.DELIVERY_LABELS, back=back,
                           delivery=request.args.get("delivery", "automated"))


@blueprint.post("/selections/<int:selection_id>/continue")
@requires(MANAGE_CREDENTIALS)
def continue_(selection_id: int):
    _details(selection_id)
    delivery = request.form.get("delivery_method", "")
    if delivery not in service.DELIVERY_METHODS:
        flash("Choose a Delivery Method.", "error")
        return redirect(url_for("bulk.confirm", selection_id=selection_id))
    try:
        start = service.start_run(_units(), selection_id, delivery, operator=operator(), now=now(),
                                  queue_job=True)
    except service.BulkAwardError as refused:
        flash(refused.message, "error")
        return redirect(url_for("bulk.search_form"))
    if not start.started:
        flash("This selection was already confirmed: nothing more was started.", "info")
    elif start.staleness.changed:
        flash(f"Since the search, {start.staleness.no_longer_eligible} selected record(s) are no longer "
              f"eligible (they will be in the Un-successful file with the reason) and "
              f"{start.staleness.newly_eligible} other record(s) became eligible (search again for them).",
              "info")
    return redirect(url_for("bulk.run", run_id=selection_id))


@blueprint.post("/selections/<int:selection_id>/cancel")
@requires(MANAGE_CREDENTIALS)
def cancel(selection_id: int):
    _details(selection_id)
    if service.cancel(_units(), selection_id, now=now(), operator=operator()):
        flash("Cancelled: no credential was awarded or ordered.", "info")
    else:
        flash("That selection had already been confirmed or cancelled; nothing was changed.", "info")
    return redirect(url_for("bulk.search_form"))


def _csv(file: service.CsvDownload, run_id: int, kind: str) -> Response:
    """Sent as it is made, a chunk of students at a time: the worker never holds the whole file
    (the front still gathers the worker's answer before sending it on, as bytes).  The export
    is audited once the whole file has been made (a failure half-way ends in a 502 and no
    export recorded)."""
    body = service.exported(_units(), file, run_id, kind, operator=operator(), now=now())
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{file.name}"'})


@blueprint.get("/selections/<int:selection_id>/pre-processing.csv")
@requires(MANAGE_CREDENTIALS)
def pre_processing_csv(selection_id: int):
    _details(selection_id)
    file = service.pre_processing_csv(_units(), selection_id, time_zone=context().settings.time_zone)
    return _csv(file, selection_id, "Pre-Processing")


def _progress(run_id: int) -> dict:
    summary = service.summarize(_units(), run_id)
    job = jobs.job_for(_units(), BULK_AWARD_RUN, run_id)
    return {"run": run_id, "status": summary.status, "job": job.status if job else None,
            "selected": summary.selected, "processed": summary.processed,
            "awarded": summary.successful, "ordered": summary.awarded_and_ordered,
            "awarded_not_ordered": summary.awarded_not_ordered, "not_awarded": summary.not_awarded,
            "finished": summary.status == states.FINISHED}


@blueprint.get("/runs/<int:run_id>")
@requires(MANAGE_CREDENTIALS)
def run(run_id: int):
    details = _details(run_id)
    if details.status in (states.SEARCHED, states.CANCELLED):
        return redirect(url_for("bulk.selection", selection_id=run_id))
    progress = _progress(run_id)
    options = service.search_options(_units())
    follow_up: list[dict[str, str]] = []
    if progress["finished"] and progress["awarded_not_ordered"]:
        # Alternate scenario 2 on the screen: the records awarded but not ordered, and why.
        follow_up = [dict(zip(reports.SUCCESSFUL_COLUMNS, row, strict=True))
                     for row in service.awarded_not_ordered(_units(), run_id, FOLLOW_UP_SHOWN)]
    return render_template("bulk/run.html", title="Award and Order Credentials in Bulk",
                           step=3 if progress["finished"] else 2, run_id=run_id, details=details,
                           labels=_labels(details.criteria, options), progress=progress,
                           delivery=service.DELIVERY_LABELS.get(
                               {v: k for k, v in service.DELIVERY_METHODS.items()}.get(details.delivery_method or "",
                                                                                      ""), ""),
                           follow_up=follow_up)


@blueprint.get("/runs/<int:run_id>/progress.json")
@requires(MANAGE_CREDENTIALS)
def progress(run_id: int):
    _details(run_id)
    return jsonify(_progress(run_id))


@blueprint.get("/runs/<int:run_id>/<any(successful, unsuccessful):kind>.csv")
@requires(MANAGE_CREDENTIALS)
def post_processing_csv(run_id: int, kind: str):
    details = _details(run_id)
    if details.status != states.FINISHED:
        abort(404)
    name = "Successful" if kind == "successful" else "Un-successful"
    file = service.post_processing_csv(_units(), run_id, name, time_zone=context().settings.time_zone)
    return _csv(file, run_id, name)


@blueprint.get("/schools")
@requires(MANAGE_CREDENTIALS)
def schools():
    """The School list for the chosen Authority (the page's script fills the select with it)."""
    authority = _authority_code(request.args.get("authority", ""))
    options = service.search_options(_units())
    if authority not in {a.code for a in options.authorities}:
        return jsonify([])
    return jsonify([{"code": s.code, "name": s.name} for s in service.schools_of(_units(), authority)])
