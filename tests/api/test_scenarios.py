"""The case API scenarios, end to end: through the Flask test client on SQLite
and PostgreSQL, and (a) through a real gunicorn on PostgreSQL."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.api import scenarios
from tests.support.gunicorn_server import gunicorn_server


@pytest.fixture
def call(client, token):
    def _call(method: str, path: str, who: tuple, body: dict | None = None):
        response = client.open(path, method=method, json=body if body is not None or method == "POST" else None,
                               headers={"Authorization": f"Bearer {token(*who)}"})
        return response.status_code, response.json, response.headers
    return _call


def test_unaccompanied_child_is_protected_then_returns_home_voluntarily(call):
    scenarios.unaccompanied_child_returns_home(call)


def test_stranded_migrant_with_a_valid_work_permit_cannot_be_forcibly_returned(call):
    scenarios.stranded_migrant_regularised(call)


@pytest.mark.gunicorn
@pytest.mark.slow
def test_unaccompanied_child_scenario_through_gunicorn_on_postgres(postgres_url, tmp_path):
    var_dir = tmp_path / "live-var"
    with gunicorn_server(postgres_url, var_dir, tmp_path / "gunicorn.log") as server:
        tokens: dict = {}

        def token_for(who: tuple) -> str:
            if who not in tokens:  # minted by the CLI from the server's own keys
                sub, org, role = who
                env = {**os.environ, "CASETRAIL_VAR_DIR": str(var_dir), "CASETRAIL_DATABASE_URL": postgres_url}
                tokens[who] = subprocess.run(
                    [sys.executable, "-m", "service.cli", "token", "--sub", sub, "--org", org, "--role", role],
                    env=env, capture_output=True, text=True, check=True).stdout.strip()
            return tokens[who]

        def call(method: str, path: str, who: tuple, body: dict | None = None):
            headers = {"Authorization": f"Bearer {token_for(who)}", "Content-Type": "application/json"}
            data = json.dumps(body or {}).encode() if method == "POST" else None
            response = server.request(method, path, headers, data)
            return response.status, response.json(), response.headers

        closed = scenarios.unaccompanied_child_returns_home(call)
        assert closed["version"] >= 15
