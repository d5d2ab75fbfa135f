"""Measure gunicorn sizing on this machine: `python deploy/measure.py [WxT ...]`.

Starts the production command (deploy/gunicorn.conf.py) on PostgreSQL in a fresh
schema for each workers x threads shape, drives it with wrk (apt-get install wrk)
and prints requests/s for /healthz and for an authenticated POST /cases. Rate
limits are switched off for the run: they would measure themselves.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("CASETRAIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/casetrail_test")
PORT = 8765
BODY = ('{"person": {"given_name": "Aziz", "family_name": "Karimi", "sex": "male", '
        '"date_of_birth": "2009-03-14", "nationality": "AFG"}, '
        '"encounter": {"date": "2026-01-20", "country": "KAZ", "place": "Zhibek Zholy", "type": "border"}, '
        '"categories": ["asylum_seeker"], "asylum_intention": true}')


def wrk(path: str, token: str | None = None, seconds: int = 10) -> float:
    args = ["wrk", "-t2", "-c16", f"-d{seconds}s"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if token:
            script.write('wrk.method = "POST"\nwrk.body = [[%s]]\n'
                         'wrk.headers["Content-Type"] = "application/json"\n'
                         'wrk.headers["Authorization"] = "Bearer %s"\n' % (BODY, token))
    if token:
        args += ["-s", script.name]
    run = subprocess.run(args + [f"http://127.0.0.1:{PORT}{path}"], capture_output=True, text=True)
    out = run.stdout
    if "Requests/sec" not in out:
        print(f"    wrk failed on {path}: {run.stderr.strip() or out.strip()}")
        return 0.0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        print(f"    ({non2xx.group(1)} non-2xx answers on {path})")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def measure(workers: int, threads: int) -> tuple[float, float]:
    schema = "bench_" + uuid.uuid4().hex[:8]
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    tmp = Path(tempfile.mkdtemp())
    env = {**os.environ, "CASETRAIL_DATABASE_URL": f"{PG}?schema={schema}", "CASETRAIL_VAR_DIR": str(tmp / "var"),
           "PROMETHEUS_MULTIPROC_DIR": str(tmp / "prom"), "CASETRAIL_INPROCESS_PROJECTIONS": "0",
           "CASETRAIL_RATELIMIT_WRITES": "off", "CASETRAIL_RATELIMIT_TOKEN": "off",
           "GUNICORN_BIND": f"127.0.0.1:{PORT}", "GUNICORN_WORKERS": str(workers),
           "GUNICORN_THREADS": str(threads), "GUNICORN_LOGLEVEL": "warning"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"], cwd=ROOT,
                              env=env, stderr=open(tmp / "gunicorn.log", "wb"))
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"gunicorn did not answer /healthz within 30 s; see {tmp}/gunicorn.log")
        token = subprocess.run([sys.executable, "-m", "service.cli", "token", "--sub", "bench", "--org", "sms",
                                "--role", "caseworker"], env=env, capture_output=True, text=True,
                               cwd=ROOT).stdout.strip()
        wrk("/healthz", seconds=2)  # warm-up: every worker builds its app on first use
        return wrk("/healthz"), wrk("/cases", token)
    finally:
        server.terminate()
        server.wait(30)
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    for shape in sys.argv[1:] or ["1x8", "2x4", "3x4", "4x2"]:
        w, t = map(int, shape.split("x"))
        health, writes = measure(w, t)
        print(f"{shape}: /healthz {health:,.0f} req/s   POST /cases {writes:,.0f} req/s", flush=True)
