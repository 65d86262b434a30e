"""The security commands as an operator runs them: dev-certs, clients, serve over
mutual TLS (gunicorn), audit verify."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import requests
import zeep
from zeep.transports import Transport

from tests.support.cli import Cli, explain, succeeded
from tests.support.servers import free_port, serving


def _prepared(cli: Cli) -> None:
    for args in (["init-db"], ["seed-demo", "--students", "200", "--seed", "3"]):
        result = cli(*args)
        assert succeeded(result), explain(result)


def test_dev_certs_registers_three_clients_and_clients_manages_them(cli):
    _prepared(cli)
    made = cli("dev-certs", "certs")
    assert succeeded(made), explain(made)
    for stem in ("ca", "server", "school", "authority", "ministry"):
        assert (cli.workdir / "certs" / f"{stem}.pem").exists()
    assert "session.cert" in made.stdout and "trust_env = False" in made.stdout
    listing = cli("clients", "list").stdout
    assert "Ministry (O.1) (enabled)" in listing and "Demo school SIS (S.0101)" in listing
    assert listing.count("certificate ") == 3

    assert succeeded(cli("clients", "disable", "Ministry (O.1)"))
    assert "Ministry (O.1) (DISABLED)" in cli("clients", "list").stdout
    assert succeeded(cli("clients", "enable", "Ministry (O.1)"))
    assert succeeded(cli("clients", "grant", "Demo school SIS (S.0101)", "--org", "S.0102"))
    assert "organizations: S.0101, S.0102" in cli("clients", "list").stdout
    assert succeeded(cli("clients", "revoke", "Demo school SIS (S.0101)", "--org", "S.0102"))
    unknown_role = cli("clients", "grant", "Demo school SIS (S.0101)", "--role", "Superuser")
    assert unknown_role.returncode == 2 and "unknown role(s) Superuser" in unknown_role.stderr
    unknown_org = cli("clients", "add", "Nobody", "--org", "S.9999")
    assert unknown_org.returncode == 2 and "unknown organization(s) S.9999" in unknown_org.stderr
    again = cli("clients", "add", "Ministry (O.1)")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_serve_refuses_to_start_without_a_way_to_authenticate_clients(cli):
    _prepared(cli)
    refused = cli("serve", "--port", str(free_port()), "--workers", "0", timeout=60)
    assert refused.returncode == 2 and "no way to authenticate clients" in refused.stderr
    partial = cli("serve", "--tls-cert", "x.pem", timeout=60)
    assert partial.returncode == 2 and "PASI_CLIENT_CA" in partial.stderr


def test_the_demo_serves_https_with_client_certificates(cli):
    _prepared(cli)
    assert succeeded(cli("dev-certs", "certs"))
    certs = cli.workdir / "certs"
    session = requests.Session()
    session.trust_env = False
    session.cert = (str(certs / "school.pem"), str(certs / "school.key"))
    session.verify = str(certs / "ca.pem")
    with serving(["--workers", "2", "--tls-cert", str(certs / "server.pem"),
                  "--tls-key", str(certs / "server.key"), "--client-ca", str(certs / "ca.pem")],
                 env=cli.env(), cwd=cli.workdir, log_path=cli.workdir / "serve.log", scheme="https",
                 session=session) as server:
        base = server.base_url
        client = zeep.Client(f"{base}/PASIService?wsdl", transport=Transport(session=session))
        response = client.service.SubmitDiplomaExamMark(request={
            "CallerInfo": {"ClientMessageID": uuid.uuid4().hex[:12],
                           "SentUtcTime": datetime.now(UTC), "OrganizationCode": "S.0101",
                           "Software": {"Manufacturer": "A", "Product": "B", "Version": "1",
                                        "BuildNumber": "1"}},
            "ExamMarks": {"ExamMarkInfo": [{
                "RefId": str(uuid.uuid4()), "StateProvinceId": "000000000",
                "ExamRefId": str(uuid.uuid4()), "ExamMarkStatus": "RE", "IsRescored": False,
                "IsDeleted": False, "PASICoreVersion": 0, "ComponentMarks": {"ComponentMarkInfo": []}}]}})
        (answer,) = response.SubmitResponses.SubmitResponse
        assert 9059 in [r.RuleId for r in answer.Rejections.Rejection]
        anonymous = requests.Session()
        anonymous.trust_env = False
        anonymous.verify = str(certs / "ca.pem")
        refused = anonymous.post(f"{base}/PASIService", data=b"<x/>", timeout=60,
                                 headers={"Content-Type": "text/xml; charset=utf-8"})
        assert refused.status_code == 500 and b"1001</" in refused.content, refused.text[:300]
    verified = cli("audit", "verify")
    assert succeeded(verified) and "audit log intact: 2 rows" in verified.stdout
