"""schemathesis' own `object_level_authorization` check, run the way a partner would
run it: the CLI against a real gunicorn, two users of two organisations as WFC
peers (each with a token of its own org), the objects created by one read and
changed with the other's token. The in-process equivalent is in test_contract.py."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from tests.support.gunicorn_server import gunicorn_server


@pytest.mark.gunicorn
@pytest.mark.slow
def test_schemathesis_finds_no_object_crossing_an_org_boundary(sqlite_url, tmp_path):
    var_dir = tmp_path / "live-var"
    # Rate limits would answer most of the run with 429 and leave the logic untested.
    env = {**os.environ, "CASETRAIL_VAR_DIR": str(var_dir), "CASETRAIL_DATABASE_URL": sqlite_url,
           "CASETRAIL_RATELIMIT_WRITES": "off"}
    with gunicorn_server(sqlite_url, var_dir, tmp_path / "gunicorn.log", env={"CASETRAIL_RATELIMIT_WRITES": "off"}) \
            as server:
        def bearer(sub: str, org: str) -> dict:
            token = subprocess.run([sys.executable, "-m", "service.cli", "token", "--sub", sub, "--org", org,
                                    "--role", "supervisor"], env=env, capture_output=True, text=True,
                                   check=True).stdout.strip()
            return {"name": org, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}]}

        (tmp_path / "wfc.json").write_text(json.dumps({"auth": [bearer("a", "org-a"), bearer("b", "org-b")]}))
        (tmp_path / "schemathesis.toml").write_text(
            f'[auth.wfc]\npath = "{tmp_path / "wfc.json"}"\nuser = "org-a"\npeers = ["org-a", "org-b"]\n')
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "--config-file", str(tmp_path / "schemathesis.toml"), "run",
             server.url + "/openapi.json", "--checks", "object_level_authorization",
             "--max-examples", "15", "--include-path-regex", "^/cases", "--no-color",
             # A fixed seed: the stateful phase must reach objects through links every run
             # (a random one sometimes created none and so checked nothing across orgs).
             "--seed", "20261126"],
            capture_output=True, text=True, cwd=tmp_path, timeout=480)
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-4000:]
    links = re.search(r"API Links:\s+(\d+) covered", report)
    print(links.group(0) if links else "no links line")
    assert links and int(links.group(1)) > 0, report[-4000:]  # objects were created and followed
