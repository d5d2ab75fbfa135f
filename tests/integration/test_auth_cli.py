"""`casetrail org add`, `client add`, `rotate-keys` and `token`, on SQLite and
PostgreSQL; and the whole default set-up end to end through gunicorn."""
from __future__ import annotations

import base64
import os
import subprocess
import sys
import urllib.parse
import uuid

import pytest

from auth.keys import SigningKeys
from service.cli import main


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CASETRAIL_DATABASE_URL", database_url)
    monkeypatch.setenv("CASETRAIL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("CASETRAIL_OAUTH_JWKS_URL", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def parse(out: str) -> dict:
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def test_org_add_then_client_add_prints_the_id_and_secret_once(cli):
    assert cli("org", "add", "iom-kz", "--name", "IOM Kazakhstan")[0] == 0
    code, out, err = cli("client", "add", "--org", "iom-kz", "--role", "caseworker", "--role", "supervisor",
                         "--name", "field app")
    assert code == 0
    printed = parse(out)
    assert printed["client_id"].startswith("iom-kz-") and len(printed["client_secret"]) >= 40
    assert "cannot be shown again" in err
    assert cli("org", "list")[1].strip() == "iom-kz\tIOM Kazakhstan"


def test_a_client_of_an_unregistered_organisation_is_refused(cli):
    code, out, err = cli("client", "add", "--org", "nobody", "--role", "caseworker")
    assert code == 1 and "client_secret" not in out and "org add" in err


def test_an_unknown_role_is_refused(cli):
    cli("org", "add", "sms", "--name", "State Migration Service")
    code, out, _ = cli("client", "add", "--org", "sms", "--role", "root")
    assert code == 2 and "client_secret" not in out
    assert cli("token", "--sub", "u1", "--org", "sms", "--role", "root")[0] == 2


def test_an_organisation_cannot_be_added_twice(cli):
    assert cli("org", "add", "sms", "--name", "State Migration Service")[0] == 0
    assert cli("org", "add", "sms", "--name", "Again")[0] == 1


def test_token_ttl_cannot_outlive_the_key_retention(cli):
    assert cli("token", "--sub", "u1", "--org", "sms", "--role", "caseworker", "--ttl", "60")[0] == 0
    assert cli("token", "--sub", "u1", "--org", "sms", "--role", "caseworker", "--ttl", "86400")[0] == 2


def test_rotate_keys_makes_a_new_active_key(cli, tmp_path):
    before = SigningKeys(tmp_path / "var" / "keys").active().kid
    code, out, _ = cli("rotate-keys")
    after = SigningKeys(tmp_path / "var" / "keys").active().kid
    assert code == 0 and after != before and after in out


def test_auth_commands_refuse_to_run_with_an_external_provider(cli, monkeypatch):
    monkeypatch.setenv("CASETRAIL_OAUTH_JWKS_URL", "https://idp.example/jwks")
    for argv in (("org", "add", "x", "--name", "X"), ("client", "add", "--org", "x", "--role", "caseworker"),
                 ("rotate-keys",), ("token", "--sub", "u", "--org", "x", "--role", "caseworker")):
        assert cli(*argv)[0] == 2, argv


@pytest.mark.gunicorn
def test_the_default_set_up_end_to_end_cli_client_then_token_endpoint_then_api(live_server):
    """What docs/authentication.md tells an operator to do, through a real server."""
    env = {**os.environ, "CASETRAIL_DATABASE_URL": live_server.database_url,
           "CASETRAIL_VAR_DIR": str(live_server.var_dir)}

    def casetrail(*argv: str) -> str:
        return subprocess.run([sys.executable, "-m", "service.cli", *argv], env=env, capture_output=True,
                              text=True, check=True).stdout

    casetrail("org", "add", "unhcr", "--name", "UNHCR")
    credentials = parse(casetrail("client", "add", "--org", "unhcr", "--role", "caseworker"))
    basic = base64.b64encode(f"{credentials['client_id']}:{credentials['client_secret']}".encode()).decode()
    response = live_server.request("POST", "/oauth/token", {
        "Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
        urllib.parse.urlencode({"grant_type": "client_credentials"}).encode())
    assert response.status == 200, response.body
    token = response.json()["access_token"]
    missing_case = f"/cases/{uuid.uuid4()}"  # 404 once authenticated, 401 otherwise
    assert live_server.get(missing_case, {"Authorization": f"Bearer {token}"}).status == 404
    # A token from `casetrail token` works against the same server too.
    cli_token = casetrail("token", "--sub", "u1", "--org", "unhcr", "--role", "caseworker").strip()
    assert live_server.get(missing_case, {"Authorization": f"Bearer {cli_token}"}).status == 404
    # So does one signed after `casetrail rotate-keys` (picked up by both workers).
    casetrail("rotate-keys")
    rotated = casetrail("token", "--sub", "u1", "--org", "unhcr", "--role", "caseworker").strip()
    for _ in range(4):  # several requests, so both workers are likely asked
        assert live_server.get(missing_case, {"Authorization": f"Bearer {rotated}"}).status == 404
        assert live_server.get(missing_case, {"Authorization": f"Bearer {cli_token}"}).status == 404
