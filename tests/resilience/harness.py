"""What the resilience tests drive: the production gunicorn (deploy/gunicorn.conf.py)
and `casetrail project` as separate processes, a private PostgreSQL cluster that a
test may stop (the machine's shared server must never be stopped), keep-alive HTTP
clients, tokens from the embedded issuer, and the figures each test prints.

Every process started here is stopped in a `finally`, and every wait is bounded.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from auth.issuer import TokenIssuer
from auth.keys import SigningKeys
from tests.support.ports import free_port, stop, wait_for_http

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_BIN = Path(os.environ.get("CASETRAIL_PG_BIN", "/usr/lib/postgresql/15/bin"))


def env_int(name: str, default: int) -> int:
    """Sizes are bounded for CI; a bigger run sets the variable."""
    return int(os.environ.get(name, default))


def figures(title: str, values: dict) -> None:
    """Print a test's figures in one greppable block (`pytest -s` shows them;
    docs/reliability.md records the last run's)."""
    print(f"\nFIGURES {title}: " + json.dumps(values, sort_keys=False))


# ---- HTTP --------------------------------------------------------------------------
@dataclass
class Answer:
    status: int  # 0: no answer (connection refused, reset or timed out)
    headers: dict
    body: bytes
    seconds: float

    def json(self):
        return json.loads(self.body)

    @property
    def version(self) -> int | None:
        etag = self.headers.get("etag")
        return int(etag.strip('"')) if etag and etag.strip('"').isdigit() else None


class Client:
    """One keep-alive connection, as a partner front-end would hold. A broken
    connection is reopened on the next call; the call that broke answers status 0."""

    def __init__(self, base_url: str, timeout: float = 15.0):
        host, port = base_url.removeprefix("http://").split(":")
        self.host, self.port, self.timeout = host, int(port), timeout
        self._conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | dict | None = None,
                headers: dict | None = None) -> Answer:
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        headers = {**({"Content-Type": "application/json"} if body is not None else {}), **(headers or {})}
        started = time.monotonic()
        try:
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._conn.request(method, path, body=body, headers=headers)
            response = self._conn.getresponse()
            data = response.read()
            answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data,
                            time.monotonic() - started)
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return answer
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return Answer(0, {"error": type(exc).__name__}, b"", time.monotonic() - started)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# ---- tokens --------------------------------------------------------------------------
def issuer_for(var_dir: Path):
    """The embedded issuer over the server's own key directory (as `casetrail token`)."""

    return TokenIssuer(SigningKeys(var_dir / "keys", 900), "casetrail", "casetrail", 900)


def bearer(issuer, sub: str, org: str, *roles: str) -> dict:
    return {"Authorization": "Bearer " + issuer.issue(sub, org, list(roles), client_id=f"{org}-client")}


# ---- processes -------------------------------------------------------------------------
@dataclass
class Production:
    """gunicorn and (optionally) the projection runner, as deployed."""

    url: str
    database_url: str
    var_dir: Path
    env: dict
    log_path: Path
    server: subprocess.Popen
    runner: subprocess.Popen | None = None
    _log: object = field(default=None, repr=False)

    def workers(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.server.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def start_runner(self) -> subprocess.Popen:
        self.runner = subprocess.Popen([str(BIN / "casetrail"), "project"], cwd=ROOT, env=self.env,
                                       stdout=self._log, stderr=subprocess.STDOUT)
        return self.runner

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


@contextmanager
def production(database_url: str, tmp_path: Path, runner: bool = True, workers: int = 2, threads: int = 4,
               extra_env: dict | None = None) -> Iterator[Production]:
    var_dir = tmp_path / "var"
    port = free_port()
    env = {**os.environ, "CASETRAIL_DATABASE_URL": database_url, "CASETRAIL_VAR_DIR": str(var_dir),
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"), "CASETRAIL_INPROCESS_PROJECTIONS": "0",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers),
           "GUNICORN_THREADS": str(threads), "GUNICORN_GRACEFUL_TIMEOUT": "5", "GUNICORN_LOGLEVEL": "warning",
           # Rate limits are tested in tests/api/test_hardening.py; here they would turn
           # a deliberate storm from one client into 429s and hide what is measured.
           "CASETRAIL_RATELIMIT_WRITES": "off", "CASETRAIL_RATELIMIT_TOKEN": "off",
           "PYTHONPATH": str(ROOT), **(extra_env or {})}
    log_path = tmp_path / "server.log"
    log = open(log_path, "ab")
    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    prod = Production(f"http://127.0.0.1:{port}", database_url, var_dir, env, log_path, server, None, log)
    try:
        wait_for_http(prod.url + "/healthz", server, timeout=90)
        if runner:
            prod.start_runner()
        yield prod
    finally:
        if prod.runner is not None:
            stop(prod.runner)
        stop(server, timeout=20)
        log.close()


# ---- a private PostgreSQL cluster --------------------------------------------------------
@dataclass
class Cluster:
    """A PostgreSQL of this test's own, which it may stop and start at will."""

    data_dir: Path
    socket_dir: Path
    port: int
    log_path: Path
    as_postgres: list[str]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str, timeout: float = 60) -> None:
        subprocess.run([*self.as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), *args],
                       check=True, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        self._ctl("-w", "-t", "60", "-l", str(self.log_path), "-o",
                  f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c max_connections=100",
                  "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-w", "-t", "60", "-m", mode, "stop")

    def running(self) -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex(("127.0.0.1", self.port)) == 0


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    if not (PG_BIN / "initdb").exists():
        import pytest

        pytest.skip(f"no PostgreSQL binaries in {PG_BIN}")
    # initdb refuses to run as root: run the server as the postgres user, in a
    # directory it owns (outside pytest's tmp_path, which postgres cannot enter).
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    base = Path(tempfile.mkdtemp(prefix="casetrail-pg-"))
    os.chmod(base, 0o755)
    data_dir, socket_dir = base / "data", base / "run"
    socket_dir.mkdir()
    if as_postgres:
        shutil.chown(base, "postgres")
        shutil.chown(socket_dir, "postgres")
    cluster = Cluster(data_dir, socket_dir, free_port(), base / "postgres.log", as_postgres)
    try:
        subprocess.run([*as_postgres, str(PG_BIN / "initdb"), "-D", str(data_dir), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8", "--no-sync"],
                       check=True, timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cluster.start()
        yield cluster
    finally:
        if (data_dir / "postmaster.pid").exists():
            try:
                cluster.stop("immediate")
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(base, ignore_errors=True)


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
