"""The production command for real: gunicorn with deploy/gunicorn.conf.py (two
workers, multiprocess metrics) and `casetrail project` beside it, on PostgreSQL,
driven over HTTP like a partner front-end would."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.cli import COMMANDS
from store.database import libpq_url, postgres_schema
from tests.deploy.production import GUNICORN_COMMAND, PROJECTION_COMMAND, ROOT
from tests.support.ports import free_port, stop, wait_for_http

pytestmark = [pytest.mark.gunicorn, pytest.mark.postgres]
BIN = Path(sys.executable).parent


class Http:
    def __init__(self, base: str):
        self.base = base

    def __call__(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read()


def samples(text: str) -> dict[tuple, float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def metric(http: Http, name: str, **labels) -> float:
    status, _, body = http("GET", "/metrics")
    assert status == 200
    return samples(body.decode()).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def production(postgres_url, tmp_path):
    port = free_port()
    env = {**os.environ, "CASETRAIL_DATABASE_URL": postgres_url, "CASETRAIL_VAR_DIR": str(tmp_path / "var"),
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"), "CASETRAIL_INPROCESS_PROJECTIONS": "0",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4",
           "GUNICORN_GRACEFUL_TIMEOUT": "10", "PYTHONPATH": str(ROOT)}
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen([str(BIN / GUNICORN_COMMAND[0]), *GUNICORN_COMMAND[1:]], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    runner = None
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", server, timeout=60)

        if "project" in COMMANDS:  # the read views' runner, as its own process
            runner = subprocess.Popen([str(BIN / PROJECTION_COMMAND[0]), *PROJECTION_COMMAND[1:]], cwd=ROOT,
                                      env=env, stdout=log, stderr=subprocess.STDOUT)
        token = subprocess.run([str(BIN / "casetrail"), "token", "--sub", "officer-1", "--org", "sms", "--role",
                                "caseworker"], env=env, check=True, capture_output=True, text=True).stdout.strip()
        server.args_env = env  # for the checks that read the database directly
        yield Http(f"http://127.0.0.1:{port}"), {"Authorization": f"Bearer {token}"}, server, runner
    finally:
        if runner is not None:
            stop(runner)
        stop(server, timeout=20)
        log.close()


def test_a_case_through_the_production_server_is_counted_and_served_with_security_headers(production):
    http, auth, server, runner = production
    today = date.today()
    opening = {"person": {"given_name": "Aziz", "family_name": "Karimi", "sex": "male", "date_of_birth": "2010-03-14",
                          "nationality": "AFG"},
               "encounter": {"date": (today - timedelta(days=1)).isoformat(), "country": "KAZ",
                             "place": "Zhibek Zholy border crossing", "type": "border"},
               "categories": ["asylum_seeker", "unaccompanied_child"], "asylum_intention": True}
    status, headers, body = http("POST", "/cases", opening, {**auth, "X-Request-ID": "partner-req-1"})
    assert status == 201, body
    case_id = json.loads(body)["id"]
    assert headers["X-Request-ID"] == "partner-req-1"
    assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY" and headers["ETag"]

    assert http("POST", f"/cases/{case_id}/asylum", {"event": "lodged"}, auth)[0] in (200, 201)
    refused = http("POST", f"/cases/{case_id}/returns", {"kind": "forced", "destination_country": "AFG",
                                                           "planned_date": (today + timedelta(days=9)).isoformat()}, auth)
    assert refused[0] == 409 and json.loads(refused[2])["type"].endswith("/non-refoulement")
    status, headers, body = http("GET", f"/cases/{case_id}", None, auth)
    assert status == 200 and json.loads(body)["id"] == case_id
    assert headers["Cache-Control"] == "no-store"
    assert http("GET", "/cases")[0] == 401  # no token

    # Whichever worker answers the scrape, it reports what every worker counted.
    for _ in range(4):
        assert metric(http, "casetrail_events_appended_total", event_type="CaseOpened") == 1
        assert metric(http, "casetrail_rule_refusals_total", rule="non-refoulement") == 1
        assert metric(http, "casetrail_authentication_failures_total", reason="missing") == 1
        assert metric(http, "casetrail_http_requests_total", method="POST", route="/cases", status="201") == 1
    status, _, body = http("GET", "/metrics")
    assert case_id not in body.decode()

    if runner is not None:  # the separate runner brings the case into the read views
        assert eventually(lambda: in_views(http, auth, production_url(server), case_id)), \
            "the projection runner did not project the case within 20 s"
        # The lag is computed at scrape time from the tracking table: zero once caught up.
        assert eventually(lambda: lag_of(http, "case_summaries") == 0.0)


def lag_of(http: Http, projection: str) -> float | None:
    body = http("GET", "/metrics")[2].decode()
    return samples(body).get(("casetrail_projection_lag_events", (("projection", projection),)))


def eventually(check, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def production_url(server) -> str:
    return server.args_env["CASETRAIL_DATABASE_URL"]


def in_views(http: Http, auth: dict, database_url: str, case_id: str) -> bool:
    status, _, body = http("GET", "/cases", None, auth)
    if status != 405:
        return status == 200 and any(item["id"] == case_id for item in json.loads(body)["items"])
    # No list endpoint yet: ask the runner's tracking table whether it got there.
    import psycopg


    with psycopg.connect(libpq_url(database_url), options=f"-c search_path={postgres_schema(database_url)}") as conn:
        row = conn.execute("SELECT min(notification_id) FROM projection_tracking").fetchone()
    return bool(row and row[0])


def test_counters_survive_a_worker_dying_and_sigterm_stops_gracefully(production):
    http, auth, server, _ = production
    for _ in range(6):
        assert http("GET", "/healthz")[0] == 200
    before = metric(http, "casetrail_http_requests_total", method="GET", route="/healthz", status="200")
    assert before >= 6
    workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
    os.kill(int(workers[0]), signal.SIGKILL)  # gunicorn replaces it; child_exit marks it dead
    time.sleep(1.5)
    assert metric(http, "casetrail_http_requests_total", method="GET", route="/healthz", status="200") >= before
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=15) == 0
