"""The ``pasi-core`` command line, run as an operator runs it: a separate process,
settings from the environment, a throw-away SQLite file, exit codes and messages."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support import province
from tests.support.cli import explain, succeeded
from tests.support.servers import PROJECT_ROOT

STANDARD_CODE_VALUES = len(json.loads(
    (PROJECT_ROOT / "persistence" / "data" / "standard-code-tables.json").read_text())["CodeTables"])


# --- init-db -------------------------------------------------------------------------------
def test_init_db_creates_the_schema_and_loads_the_standard_code_tables(cli):
    result = cli("init-db")

    assert succeeded(result), explain(result)
    assert "database ready at revision" in result.stdout
    assert f"CodeTables: {STANDARD_CODE_VALUES} inserted, 0 updated, 0 unchanged" in result.stdout
    assert {"student", "exam_mark", "alembic_version"} <= cli.tables()
    assert cli.count("code_value") == STANDARD_CODE_VALUES


def test_init_db_run_twice_changes_nothing_the_second_time(cli):
    assert succeeded(first := cli("init-db")), explain(first)

    second = cli("init-db")

    assert succeeded(second), explain(second)
    assert f"CodeTables: 0 inserted, 0 updated, {STANDARD_CODE_VALUES} unchanged" in second.stdout
    assert cli.count("code_value") == STANDARD_CODE_VALUES


# --- load ----------------------------------------------------------------------------------
def test_load_of_a_good_file_reports_what_it_inserted(cli):
    assert succeeded(init := cli("init-db")), explain(init)
    path = cli.write("province.json", province.document())

    result = cli("load", str(path))

    assert succeeded(result), explain(result)
    assert f"loaded {path}" in result.stdout
    students = len(province.document()["Students"])
    assert f"Students: {students} inserted, 0 updated, 0 unchanged" in result.stdout
    assert cli.count("student") == students
    assert cli.count("exam_mark") == 2


def test_load_of_the_same_file_again_reports_everything_unchanged(cli):
    assert succeeded(init := cli("init-db")), explain(init)
    path = cli.write("province.json", province.document())
    assert succeeded(first := cli("load", str(path))), explain(first)

    second = cli("load", str(path))

    assert succeeded(second), explain(second)
    assert f"Students: 0 inserted, 0 updated, {len(province.document()['Students'])} unchanged" in second.stdout
    assert " 0 unchanged" not in second.stdout, second.stdout


def test_load_of_a_bad_file_exits_2_names_the_entry_and_field_and_loads_nothing(cli):
    assert succeeded(init := cli("init-db")), explain(init)
    document = province.document()
    document["Students"][1]["StateProvinceId"] = "10000000X"
    path = cli.write("bad.json", document)

    result = cli("load", str(path))

    assert result.returncode == 2, explain(result)
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("pasi-core load: the reference data was not loaded")
    assert "Students[1].StateProvinceId: '10000000X' does not match" in result.stderr
    assert result.stdout == ""
    assert cli.count("student") == 0
    assert cli.count("organization") == 0


def test_load_of_a_file_with_an_unresolved_reference_exits_2_and_loads_nothing(cli):
    assert succeeded(init := cli("init-db")), explain(init)
    document = province.document()
    document["SchoolEnrolments"][3]["OrganizationCode"] = "S.0999"
    path = cli.write("bad.json", document)

    result = cli("load", str(path))

    assert result.returncode == 2, explain(result)
    assert "SchoolEnrolments[3].OrganizationCode: S.0999 is not a school" in result.stderr
    assert cli.count("student") == 0


def test_load_of_a_file_with_a_repeated_enrolment_exits_2_without_a_traceback(cli):
    """The database would refuse the second row; the operator must get the entry, not a stack."""
    assert succeeded(init := cli("init-db")), explain(init)
    document = province.document()
    document["SchoolEnrolments"].append(dict(document["SchoolEnrolments"][0]))
    path = cli.write("repeated.json", document)

    result = cli("load", str(path))

    assert result.returncode == 2, explain(result)
    assert "Traceback" not in result.stderr, result.stderr
    assert f"SchoolEnrolments[{len(document['SchoolEnrolments']) - 1}]" in result.stderr
    assert cli.count("student") == 0


def test_load_of_text_that_is_not_json_exits_2_with_line_and_column(cli):
    assert succeeded(init := cli("init-db")), explain(init)
    path = cli.workdir / "broken.json"
    path.write_text('{"FormatVersion": 1,\n "Students": [}\n')

    result = cli("load", str(path))

    assert result.returncode == 2, explain(result)
    assert "pasi-core load: not valid JSON at line 2, column 15" in result.stderr


def test_load_of_a_missing_file_exits_2_and_names_it(cli):
    assert succeeded(init := cli("init-db")), explain(init)

    result = cli("load", "nowhere.json")

    assert result.returncode == 2, explain(result)
    assert result.stderr.strip() == "pasi-core load: file not found: nowhere.json"


def test_load_before_init_db_says_to_run_init_db(cli):
    path = cli.write("province.json", province.document())

    result = cli("load", str(path))

    assert result.returncode == 2, explain(result)
    assert "Traceback" not in result.stderr
    assert "the database schema is missing or out of date" in result.stderr
    assert "run `pasi-core init-db` first" in result.stderr
    assert "student" not in cli.tables()


# --- seed-demo -----------------------------------------------------------------------------
SEED_ARGS = ("seed-demo", "--students", "300", "--seed", "7", "--today", "2026-03-02")


def test_seed_demo_writes_and_loads_a_province_of_the_requested_size(cli):
    result = cli(*SEED_ARGS, "--out", "demo.json")

    assert succeeded(result), explain(result)
    assert "wrote demo.json" in result.stdout
    assert "Students: 300 inserted" in result.stdout
    assert cli.count("student") == 300
    document = json.loads((cli.workdir / "demo.json").read_text())
    assert len(document["Students"]) == 300
    assert cli.count("exam_mark") == len(document["DiplomaExamMarks"]) > 0


def test_seed_demo_with_the_same_seed_and_date_writes_a_byte_identical_file(cli):
    assert succeeded(first := cli(*SEED_ARGS, "--out", "first.json")), explain(first)
    other = cli.workdir / "other"
    other.mkdir()

    second = cli(*SEED_ARGS, "--out", "second.json", cwd=other,
                 PASI_DATABASE_URL=f"sqlite:///{other / 'other.sqlite3'}")

    assert succeeded(second), explain(second)
    assert (cli.workdir / "first.json").read_bytes() == (other / "second.json").read_bytes()


def test_seed_demo_with_another_seed_writes_a_different_province(cli):
    assert succeeded(first := cli(*SEED_ARGS, "--out", "seven.json", "--no-load")), explain(first)

    second = cli("seed-demo", "--students", "300", "--seed", "8", "--today", "2026-03-02",
                 "--out", "eight.json", "--no-load")

    assert succeeded(second), explain(second)
    seven, eight = (json.loads((cli.workdir / name).read_text()) for name in ("seven.json", "eight.json"))
    assert len(eight["Students"]) == 300
    assert {s["StateProvinceId"] for s in seven["Students"]} != {
        s["StateProvinceId"] for s in eight["Students"]}
    assert not cli.database.exists() or "student" not in cli.tables()


def test_the_file_seed_demo_wrote_loads_again_unchanged(cli):
    assert succeeded(seeded := cli(*SEED_ARGS, "--out", "demo.json")), explain(seeded)

    result = cli("load", "demo.json")

    assert succeeded(result), explain(result)
    assert "Students: 0 inserted, 0 updated, 300 unchanged" in result.stdout
    assert " 0 unchanged" not in result.stdout, result.stdout
    assert cli.count("student") == 300


# --- export-contract -----------------------------------------------------------------------
def contract_copy(root: Path) -> Path:
    for folder in ("wsdl", "schemas"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder)
    return root


def test_export_contract_check_passes_on_the_committed_files(cli):
    result = cli("export-contract", "--check", cwd=PROJECT_ROOT)

    assert succeeded(result), explain(result)
    assert "the committed WSDL and schemas match the code" in result.stdout


def test_export_contract_check_fails_and_names_a_schema_file_that_was_altered(cli):
    root = contract_copy(cli.workdir / "project")
    common = root / "schemas" / "pasi-common-2026.xsd"
    original = common.read_text(encoding="utf-8")
    altered = original.replace('<xs:maxLength value="30"/>', '<xs:maxLength value="31"/>', 1)
    assert altered != original
    common.write_text(altered, encoding="utf-8")

    result = cli("export-contract", "--check", "--root", str(root))

    assert result.returncode == 1, explain(result)
    assert "Traceback" not in result.stderr
    assert "the committed contract differs from what the code publishes" in result.stdout
    assert "schemas/pasi-common-2026.xsd: differs" in result.stdout
    assert '<xs:maxLength value="31"/>' in result.stdout  # the diff shows the change
    assert "pasi-service-2026.xsd" not in result.stdout
    assert "PASIService.wsdl" not in result.stdout
    assert common.read_text(encoding="utf-8") == altered, "--check must not rewrite files"


def test_export_contract_check_fails_and_names_a_missing_file(cli):
    root = contract_copy(cli.workdir / "project")
    (root / "schemas" / "reference-data.schema.json").unlink()

    result = cli("export-contract", "--check", "--root", str(root))

    assert result.returncode == 1, explain(result)
    assert "schemas/reference-data.schema.json: missing" in result.stdout


def test_export_contract_writes_files_that_then_pass_the_check(cli):
    root = cli.workdir / "fresh"

    written = cli("export-contract", "--root", str(root))

    assert succeeded(written), explain(written)
    for relative in ("wsdl/PASIService.wsdl", "schemas/pasi-service-2026.xsd",
                     "schemas/pasi-common-2026.xsd", "schemas/reference-data.schema.json"):
        assert (root / relative).read_bytes() == (PROJECT_ROOT / relative).read_bytes(), relative
    checked = cli("export-contract", "--check", "--root", str(root))
    assert succeeded(checked), explain(checked)


# --- serve -----------------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::"])
def test_serve_with_dev_auth_refuses_to_start_on_a_non_loopback_interface(cli, host):
    assert succeeded(init := cli("init-db")), explain(init)

    result = cli("serve", "--dev-auth", "--host", host, "--port", "0", "--workers", "0", timeout=60)

    assert result.returncode != 0, explain(result)
    assert "Traceback" not in result.stderr
    assert "only allowed on the loopback interface" in result.stderr
    assert repr(host) in result.stderr


def test_serve_refuses_a_non_loopback_interface_when_dev_auth_comes_from_the_environment(cli):
    assert succeeded(init := cli("init-db")), explain(init)

    result = cli("serve", "--host", "0.0.0.0", "--port", "0", "--workers", "0", timeout=60,
                 PASI_DEV_AUTH="1")

    assert result.returncode != 0, explain(result)
    assert "only allowed on the loopback interface" in result.stderr


def test_serve_before_init_db_says_to_run_init_db(cli):
    result = cli("serve", "--dev-auth", "--host", "127.0.0.1", "--port", "0", "--workers", "0",
                 timeout=60)

    assert result.returncode == 2, explain(result)
    assert "run `pasi-core init-db` first" in result.stderr
