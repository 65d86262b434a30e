"""A non-Python SOAP client in CI: node-soap (the npm package ``soap``), built from the WSDLs the
live server publishes, over mutual TLS with the registered demo certificates.

The node script (``tests/e2e/clients/node/client.js``) creates a diploma exam registration as the
demo school, updates it with its new version, sends a record the rules reject and a request the
schema refuses, then, as the Ministry on PASISystem, awards a credential and orders its document;
last it reads back: the registration (GetDiplomaExamMark), the school's changes (IsDataAvailable),
the student's credentials and orders (GetStudentCredentials, GetDocumentOrders).
It prints what it saw as JSON; this test checks that and the rows the server stored.

Node and the pinned node_modules are required: the test fails, never skips, without them.  When
``node_modules`` is absent it runs ``npm ci`` (from ``package-lock.json``) first.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests

from tests.support.cli import Cli, explain, succeeded
from tests.support.servers import PROJECT_ROOT, serving

NODE_DIR = PROJECT_ROOT / "tests" / "e2e" / "clients" / "node"
NPM_CI_TIMEOUT = 900
NODE_TIMEOUT = 900
"""Seconds; generous, the machine has two cores and may be busy.  Nothing waits on timing."""
UNKNOWN_ASN = "000000000"
BAD_REF_ID = "not-a-guid"
UNKNOWN_REF_ID = "00000000-0000-4000-8000-000000000000"
MINISTRY = "O.1"
PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


def _pinned_soap_version() -> str:
    return json.loads((NODE_DIR / "package.json").read_text())["dependencies"]["soap"]


def _node_client_ready() -> str:
    """The path of ``node``, with node_modules installed at the pinned version (``npm ci`` if absent)."""
    node = shutil.which("node")
    assert node, "node (v20.19 or later) must be on PATH: the node-soap client is part of CI"
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=120).stdout.strip()
    major = int(version.lstrip("v").split(".")[0]) if version.startswith("v") else 0
    assert major >= 20, f"node {version!r} is too old for the pinned soap package (needs v20.19 or later)"
    installed = NODE_DIR / "node_modules" / "soap" / "package.json"
    if not installed.exists():
        npm = shutil.which("npm")
        assert npm, "npm must be on PATH to install the node-soap client (npm ci)"
        result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, capture_output=True,
                                text=True, timeout=NPM_CI_TIMEOUT)
        assert result.returncode == 0, f"npm ci failed in {NODE_DIR}:\n{result.stdout}\n{result.stderr}"
    assert installed.exists(), f"npm ci did not install soap in {NODE_DIR / 'node_modules'}"
    got = json.loads(installed.read_text())["version"]
    assert got == _pinned_soap_version(), (
        f"node_modules has soap {got}, package.json pins {_pinned_soap_version()}: run npm ci in {NODE_DIR}")
    return node


def _prepared(cli: Cli) -> tuple[dict, str]:
    """A demo province (and its JSON), registered client certificates; the demo school's code."""
    for args in (["init-db"], ["seed-demo", "--students", "200", "--seed", "3", "--out", "demo.json"]):
        result = cli(*args)
        assert succeeded(result), explain(result)
    made = cli("dev-certs", "certs")
    assert succeeded(made), explain(made)
    school = re.search(r"Demo school SIS \((S\.\d+)\)", made.stdout)
    assert school, made.stdout
    return json.loads((cli.workdir / "demo.json").read_text()), school.group(1)


def _registration(demo: dict, school: str) -> dict:
    """README's selection ("Calling it with zeep"): a student of the school with no marks, an exam of
    the next session, the sittings at the student's school; the update moves to another centre's."""
    now = datetime.now(UTC)

    def deadline(exam):
        return datetime.fromisoformat(exam["RegistrationDeadlineUtc"].replace("Z", "+00:00"))

    # An hour's margin: the registration must still be open when the request arrives.
    next_deadline = min(deadline(e) for e in demo["DiplomaExams"] if deadline(e) > now + timedelta(hours=1))
    exams = [e for e in demo["DiplomaExams"] if deadline(e) == next_deadline]
    with_marks = {m["StateProvinceId"] for m in demo["DiplomaExamMarks"]}
    school_of = {e["StateProvinceId"]: e["OrganizationCode"] for e in demo["SchoolEnrolments"]}
    students = [s["StateProvinceId"] for s in demo["Students"] if s["StateProvinceId"] not in with_marks
                and not s.get("IsDeactivated") and not s.get("PrimaryStateProvinceId")
                and school_of.get(s["StateProvinceId"]) == school]
    assert students, f"the demo has no student of {school} without marks"
    sitting = {(s["ExamRefId"], s["ComponentCode"], s["OrganizationCode"]): s["RefId"] for s in demo["ExamSittings"]}
    exam = max(exams, key=lambda e: len(e["Components"]))  # the first with a written part, if any
    components = [c["ComponentCode"] for c in exam["Components"]]
    centres = sorted({s["OrganizationCode"] for s in demo["ExamSittings"]
                      if s["ExamRefId"] == exam["RefId"] and s["OrganizationCode"] not in (school, MINISTRY)
                      and not s.get("IsSpecial")})
    other = next(c for c in centres if all((exam["RefId"], code, c) in sitting for code in components))
    return {"RefId": str(uuid.uuid4()), "StateProvinceId": students[0], "ExamRefId": exam["RefId"],
            "sittings": [sitting[(exam["RefId"], code, school)] for code in components],
            "updatedSittings": [sitting[(exam["RefId"], code, other)] for code in components],
            "otherCentre": other, "schoolYear": exam["SchoolYear"]}


def _award(demo: dict) -> dict:
    """A student the award will give an AHSD: achieved AHSD (and nothing else), official marks with
    credits, no credential yet, active and primary, with a current mailing address."""
    today = date.today().isoformat()
    achieved: dict[str, set[str]] = {}
    for a in demo["CredentialAchievements"]:
        if a["Status"] == "Achieved":
            achieved.setdefault(a["StateProvinceId"], set()).add(a["CredentialType"])
    credited = {m["StateProvinceId"] for m in demo["OfficialMarks"] if m.get("CreditsAwarded")}
    holding = {c["StateProvinceId"] for c in demo["StudentCredentials"]}
    current = {}
    for address in sorted(demo["StudentAddresses"], key=lambda a: a["EffectiveDate"]):
        if address["EffectiveDate"] <= today and (address.get("ExpiryDate") or "9999-12-31") > today:
            current[address["StateProvinceId"]] = address  # the latest to take effect wins
    candidates = [s for s in demo["Students"]
                  if achieved.get(s["StateProvinceId"]) == {"AHSD"} and s["StateProvinceId"] in credited
                  and s["StateProvinceId"] not in holding and s["StateProvinceId"] in current
                  and not s.get("IsDeactivated") and not s.get("PrimaryStateProvinceId")]
    assert candidates, "the demo has no student ready for an AHSD with a current address"
    student = candidates[0]
    name = " ".join(part for part in (student.get("LegalFirstName"), student["LegalLastName"]) if part)
    return {"StateProvinceId": student["StateProvinceId"], "RecipientName": name,
            "LegalLastName": student["LegalLastName"], "address": current[student["StateProvinceId"]]}


def _document_types(demo: dict) -> dict[str, str]:
    return {c["Code"]: c["Attributes"]["DocumentType"] for c in demo["CodeTables"]
            if c["CodeTable"] == "CredentialType" and c.get("Attributes", {}).get("DocumentType")}


def _node_env() -> dict[str, str]:
    """No proxy: axios (under node-soap) honours HTTP(S)_PROXY, and the server is on this machine."""
    return {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES}


def _rows(database: Path, sql: str, *parameters) -> list[dict]:
    with sqlite3.connect(database) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(r) for r in connection.execute(sql, parameters)]


# node-soap types what it reads by the WSDL, unevenly: xs:long and xs:int come back as numbers, the
# service's restricted simple types (PASISystem's PASICoreVersion, DocumentOrderId) as strings, and
# every value in a fault's detail as a string.  Compare numbers with int().
def _rules(answer: dict) -> list[int]:
    return [int(r["RuleId"]) for r in answer["Rejections"]]


def test_node_soap_registers_updates_is_refused_awards_and_orders_over_mutual_tls(cli):
    node = _node_client_ready()
    demo, school = _prepared(cli)
    registration = _registration(demo, school)
    award = _award(demo)
    document_types = _document_types(demo)
    certs = cli.workdir / "certs"

    session = requests.Session()
    session.trust_env = False
    session.cert = (str(certs / "school.pem"), str(certs / "school.key"))
    session.verify = str(certs / "ca.pem")
    with serving(["--workers", "2", "--tls-cert", str(certs / "server.pem"), "--tls-key", str(certs / "server.key"),
                  "--client-ca", str(certs / "ca.pem")],
                 env=cli.env(), cwd=cli.workdir, log_path=cli.workdir / "serve.log", scheme="https",
                 session=session) as server:
        plan = cli.write("node-plan.json", {
            "baseUrl": server.base_url, "schoolOrganizationCode": school, "ministryOrganizationCode": MINISTRY,
            "certs": {"ca": str(certs / "ca.pem"),
                      "school": {"cert": str(certs / "school.pem"), "key": str(certs / "school.key")},
                      "ministry": {"cert": str(certs / "ministry.pem"), "key": str(certs / "ministry.key")}},
            "registration": registration, "unknownAsn": UNKNOWN_ASN, "badRefId": BAD_REF_ID,
            "award": award, "documentTypes": document_types, "unknownRefId": UNKNOWN_REF_ID,
            "notificationType": f"DiplomaExamMark.{registration['schoolYear']}"})
        ran = subprocess.run([node, str(NODE_DIR / "client.js"), str(plan)], cwd=NODE_DIR, env=_node_env(),
                             capture_output=True, text=True, timeout=NODE_TIMEOUT)
        log = server.log_tail()
    context = f"node exit {ran.returncode}\nstdout:\n{ran.stdout}\nstderr:\n{ran.stderr}\nserver log:\n{log}"
    try:
        report = json.loads(ran.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"the node client printed no JSON\n{context}") from None
    assert ran.returncode == 0 and report["ok"], context
    assert report["soapVersion"] == _pinned_soap_version()
    steps = {entry["name"]: entry for entry in report["steps"]}
    assert list(steps) == ["wsdl", "create", "update", "rejected", "schemaFault", "award", "order", "read",
                           "sync", "credentials", "orders"], context

    # The clients were built from the served WSDLs.
    assert sorted(steps["wsdl"]["serviceOperations"]) == [
        "GetDiplomaExamMark", "IsDataAvailable", "SubmitDiplomaExamMark"]
    assert sorted(steps["wsdl"]["systemOperations"]) == [
        "ConstructDocumentOrder", "GetDocumentOrders", "GetStudentCredentials", "SubmitCredentialAwardingMultiple"]

    # (1) the create is accepted with a version.
    (created,) = steps["create"]["responses"]
    assert created["Id"] == registration["RefId"] and created["Rejections"] == [], context
    assert int(created["PASICoreVersion"]) > 0

    # (2) the update, sent with that version, is accepted with a higher one.
    (updated,) = steps["update"]["responses"]
    assert int(steps["update"]["sentVersion"]) == int(created["PASICoreVersion"])
    assert updated["Id"] == registration["RefId"] and updated["Rejections"] == [], context
    assert int(updated["PASICoreVersion"]) > int(created["PASICoreVersion"])

    # (3) the unknown ASN is rejected: rule 9059, version 0.
    (rejected,) = steps["rejected"]["responses"]
    assert int(rejected["PASICoreVersion"]) == 0 and 9059 in _rules(rejected), context
    assert [r["FieldPath"] for r in rejected["Rejections"] if int(r["RuleId"]) == 9059] == ["StateProvinceId"]

    # (4) the RefId that is not a GUID: a SOAP fault whose PASIFault is rule 3001, nothing applied.
    assert "unexpectedAnswer" not in steps["schemaFault"], context
    fault = steps["schemaFault"]["fault"]
    assert fault["faultcode"].endswith("Client.SchemaValidationError") and fault["httpStatus"] == 500, context
    assert str(fault["PASIFault"]["RuleId"]) == "3001"
    errors = fault["PASIFault"]["Errors"]
    assert errors and all(e["Path"].endswith("ExamMarkInfo/RefId") for e in errors), errors
    assert any(BAD_REF_ID in e["Text"] for e in errors), errors

    # (5) the award: an AHSD with a credential number and a version from the same sequence.
    (awarded,) = steps["award"]["responses"]
    assert awarded["StateProvinceId"] == award["StateProvinceId"] and awarded["Rejections"] == [], context
    assert awarded["CredentialType"] == "AHSD" and re.fullmatch(r"\d{10}", awarded["CredentialNumber"])
    assert int(awarded["PASICoreVersion"]) > int(updated["PASICoreVersion"])

    # (6) the order of its document: created, Ordered, for that credential.
    order = steps["order"]
    assert order["Rejections"] == [] and int(order["DocumentOrderId"]) > 0, context
    assert int(order["PASICoreVersion"]) > int(awarded["PASICoreVersion"])
    assert order["sentItem"]["DocumentType"] == document_types["AHSD"]
    assert order["sentItem"]["CredentialNumber"] == awarded["CredentialNumber"]

    # (7) the registration read back: Normal, with the update's version and sittings; Unknown.
    read, unknown = steps["read"]["items"]
    assert (read["RefId"], read["AvailabilityStatus"], read["StateProvinceId"]) == (
        registration["RefId"], "Normal", registration["StateProvinceId"]), context
    assert int(read["PASICoreVersion"]) == int(updated["PASICoreVersion"])
    assert read["sittings"] == registration["updatedSittings"]
    assert (unknown["RefId"], unknown["AvailabilityStatus"], unknown["PASICoreVersion"]) == (
        UNKNOWN_REF_ID, "Unknown", None)

    # (8) the school's changes of that school year include the registration, at its version.
    (synced,) = steps["sync"]["results"]
    assert synced["NotificationType"] == f"DiplomaExamMark.{registration['schoolYear']}", context
    assert {(c["Id"], int(c["PASICoreVersion"])) for c in synced["changes"]} >= {
        (registration["RefId"], int(updated["PASICoreVersion"]))}
    assert int(synced["MaxPASICoreVersion"]) >= int(updated["PASICoreVersion"])

    # (9, 10) the credential awarded in (5) and its order from (6).
    (student,) = steps["credentials"]["students"]
    assert student["Rejections"] == [] and student["credentials"] == [
        {"CredentialNumber": awarded["CredentialNumber"], "IsActive": True,
         "PASICoreVersion": student["credentials"][0]["PASICoreVersion"]}], context
    assert int(student["credentials"][0]["PASICoreVersion"]) == int(awarded["PASICoreVersion"])
    (ordered,) = steps["orders"]["students"]
    (placed,) = ordered["orders"]
    assert int(placed["DocumentOrderId"]) == int(order["DocumentOrderId"]) and placed["OrderStatus"] == "Ordered"
    assert placed["items"] == [{"CredentialNumber": awarded["CredentialNumber"], "OrderItemStatus": "Ordered"}]

    # What the server stored.
    database = cli.database
    (mark,) = _rows(database, "SELECT * FROM exam_mark WHERE asn = ?", registration["StateProvinceId"])
    assert (mark["ref_id"], mark["exam_ref_id"], mark["status"], mark["is_deleted"], mark["updated_by"]) == (
        registration["RefId"], registration["ExamRefId"], "RE", 0, school)
    assert mark["version"] == int(updated["PASICoreVersion"])
    components = _rows(database, "SELECT sitting_ref_id, status FROM exam_mark_component "
                                 "WHERE exam_mark_ref_id = ? ORDER BY position", registration["RefId"])
    assert components == [{"sitting_ref_id": s, "status": "RE"} for s in registration["updatedSittings"]]
    assert _rows(database, "SELECT ref_id FROM exam_mark WHERE ref_id IN (?, ?)", rejected["Id"], BAD_REF_ID) == []

    (credential,) = _rows(database, "SELECT * FROM student_credential WHERE asn = ?", award["StateProvinceId"])
    assert (credential["credential_number"], credential["credential_type"], credential["is_deleted"],
            credential["updated_by"], credential["awarded_last_name"]) == (
        awarded["CredentialNumber"], "AHSD", 0, MINISTRY, award["LegalLastName"])
    assert credential["version"] == int(awarded["PASICoreVersion"])
    assert len(_rows(database, "SELECT id FROM transcript_trigger WHERE source = 'StudentCredential' "
                               "AND source_ref_id = ?", awarded["CredentialNumber"])) == 1

    (stored_order,) = _rows(database, "SELECT * FROM document_order WHERE id = ?", int(order["DocumentOrderId"]))
    assert (stored_order["order_status"], stored_order["order_received_method"], stored_order["requestor_name"],
            stored_order["is_deleted"], stored_order["updated_by"]) == (
        "Ordered", "NotApplicable", "Alberta Education", 0, MINISTRY)
    assert stored_order["version"] == int(order["PASICoreVersion"])
    address = award["address"]
    (item,) = _rows(database, "SELECT * FROM document_order_item WHERE order_id = ?", int(order["DocumentOrderId"]))
    assert (item["item_number"], item["asn"], item["document_type"], item["credential_number"],
            item["delivery_method"], item["document_language"], item["number_of_copies"], item["status"]) == (
        1, award["StateProvinceId"], document_types["AHSD"], awarded["CredentialNumber"], "ManualMail", "EN", 1,
        "Ordered")
    assert (item["recipient_name"], item["address_lines"], item["city"], item["postal_code"]) == (
        award["RecipientName"], "\n".join(address["AddressLines"]), address["City"], address["PostalCode"])

    # One audit row per SOAP request (the WSDL fetches are not requests), with the ids the client saw.
    audit = _rows(database, "SELECT message_id, endpoint, operation, organization_code, client_message_id, "
                            "outcome, rule_id FROM request_audit ORDER BY sequence")
    seen = [(s["messageId"] if "messageId" in s else s["fault"]["PASIFault"]["MessageID"])
            for s in report["steps"][1:]]
    assert [a["message_id"] for a in audit] == seen
    assert [(a["endpoint"], a["operation"], a["outcome"], a["rule_id"]) for a in audit] == [
        ("PASIService", "SubmitDiplomaExamMark", "ok", None)] * 3 + [
        ("PASIService", "SubmitDiplomaExamMark", "Client.SchemaValidationError", 3001),
        ("PASISystem", "SubmitCredentialAwardingMultiple", "ok", None),
        ("PASISystem", "ConstructDocumentOrder", "ok", None),
        ("PASIService", "GetDiplomaExamMark", "ok", None), ("PASIService", "IsDataAvailable", "ok", None),
        ("PASISystem", "GetStudentCredentials", "ok", None), ("PASISystem", "GetDocumentOrders", "ok", None)]
    answered = [a for a in audit if a["outcome"] == "ok"]
    assert [a["client_message_id"] for a in answered] == [
        steps[name]["clientMessageId"] for name in ("create", "update", "rejected", "award", "order", "read",
                                                    "sync", "credentials", "orders")]
    assert [a["organization_code"] for a in answered] == [school] * 3 + [MINISTRY] * 2 + [school] * 2 + [
        MINISTRY] * 2
    verified = cli("audit", "verify")
    assert succeeded(verified) and f"audit log intact: {len(audit)} rows" in verified.stdout, explain(verified)
