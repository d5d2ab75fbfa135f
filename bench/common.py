"""Shared plumbing of the benchmarks: a fresh schema per run, the two gunicorn
servers (the service and the plain baseline) under deploy/gunicorn.conf.py, wrk
with Lua scripts, pgbench, tokens, medians and RSS."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("CASETRAIL_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/casetrail_bench")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ensure_database() -> None:
    base = PG.rsplit("/", 1)[0] + "/postgres"
    name = PG.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(base, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def new_schema(prefix: str = "bench") -> str:
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return schema


def drop_schema(schema: str) -> None:
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Workspace:
    """One schema and one var dir (master key, signing keys) shared by every
    process of a run: the servers, the runner and the in-process seeders."""

    schema: str
    tmp: Path

    @property
    def database_url(self) -> str:
        return f"{PG}?schema={self.schema}"

    def env(self, **extra: str) -> dict:
        return {**os.environ, "CASETRAIL_DATABASE_URL": self.database_url,
                "CASETRAIL_VAR_DIR": str(self.tmp / "var"), "CASETRAIL_INPROCESS_PROJECTIONS": "0",
                "CASETRAIL_RATELIMIT_WRITES": "off", "CASETRAIL_RATELIMIT_TOKEN": "off",
                "CASETRAIL_TOKEN_TTL": "3600",
                "PYTHONPATH": str(ROOT), **extra}

    def apply_env(self) -> None:
        """Point this process at the workspace (for in-process seeding and timing)."""
        os.environ.update({k: v for k, v in self.env().items() if k.startswith("CASETRAIL_")})


@contextmanager
def workspace(prefix: str = "bench", keep: bool = False) -> Iterator[Workspace]:
    ensure_database()
    ws = Workspace(new_schema(prefix), Path(tempfile.mkdtemp(prefix="casetrail-bench-")))
    try:
        yield ws
    finally:
        if not keep:
            drop_schema(ws.schema)


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True,
                             text=True).stdout
        return [int(p) for p in out.split()]


def rss_mib(pid: int, field_name: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def gunicorn(ws: Workspace, app: str | None = None, extra_env: dict | None = None) -> Iterator[Server]:
    """deploy/gunicorn.conf.py as production runs it (2 workers x 4 gthreads unless
    GUNICORN_* say otherwise); `app` overrides the WSGI app (the plain baseline)."""
    port = free_port()
    log_path = ws.tmp / f"gunicorn-{port}.log"
    env = ws.env(GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_LOGLEVEL="warning",
                 PROMETHEUS_MULTIPROC_DIR=str(ws.tmp / f"prom-{port}"), **(extra_env or {}))
    command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"] + ([app] if app else [])
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=open(log_path, "wb"), start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {log_path}:\n{log_path.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(server.url + "/healthz", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not answer; see {log_path}")
                time.sleep(0.2)
        for _ in range(20):  # every worker builds its app on its first request
            urllib.request.urlopen(server.url + "/healthz", timeout=5)
        yield server
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)


def token(ws: Workspace, sub: str, org: str, *roles: str) -> str:
    args = [sys.executable, "-m", "service.cli", "token", "--sub", sub, "--org", org, "--ttl", "3600"]
    for role in roles:
        args += ["--role", role]
    out = subprocess.run(args, env=ws.env(), capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return out.stdout.strip()


def http(method: str, url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"null")


# ---- wrk ----------------------------------------------------------------------
@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx answers plus socket errors
    raw: str = field(repr=False, default="")
    cpu_ms: float | None = None  # CPU time of the server's workers per request


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def lua(method: str, paths: list[str], headers: dict, body: str | None = None) -> str:
    """A wrk script: each request goes to a random path of `paths`."""
    lines = [f'wrk.method = "{method}"']
    for name, value in headers.items():
        lines.append(f'wrk.headers["{name}"] = "{value}"')
    if body is not None:
        lines.append(f"wrk.body = [==[{body}]==]")
    lines.append("local paths = {" + ", ".join(f'"{p}"' for p in paths) + "}")
    lines.append("function init(args) math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1000000)) end")
    lines.append("function request() return wrk.format(nil, paths[math.random(#paths)]) end")
    return "\n".join(lines) + "\n"


def wrk(base_url: str, script: str, clients: int, seconds: float, server: Server | None = None) -> Load:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    threads = min(clients, 2)
    pids = server.worker_pids() if server is not None else []
    cpu_before = {pid: cpu_seconds([pid]) for pid in pids}
    run = subprocess.run(["wrk", f"-t{threads}", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--latency",
                          "--timeout", "10s", "-s", handle.name, base_url], capture_output=True, text=True)
    os.unlink(handle.name)
    out = run.stdout
    if "Requests/sec" not in out:
        raise RuntimeError(f"wrk failed: {run.stderr or out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1))
    p99 = _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    # A worker recycled meanwhile (gunicorn's max_requests) took its CPU time with it:
    # no figure then, rather than a wrong one.
    now = server.worker_pids() if server is not None else []
    cpu_ms = None
    if pids and total and set(pids) <= set(now):
        cpu_ms = sum(cpu_seconds([pid]) - cpu_before.get(pid, 0.0) for pid in now) * 1000 / total
    return Load(rps, p50, p99, total, errors, out, cpu_ms)


def pgbench(clients: int, seconds: float, schema: str) -> dict:
    """One INSERT per transaction, what PostgreSQL itself takes at this concurrency."""
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {schema}.pgbench_items (id BIGSERIAL PRIMARY KEY,"
                     " ref UUID NOT NULL, body JSONB NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now())")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(f"INSERT INTO {schema}.pgbench_items (ref, body) VALUES (gen_random_uuid(),"
                     " '{\"note\": \"a short note\"}');\n")
    name = PG.rsplit("/", 1)[1].split("?")[0]
    for attempt in range(3):  # other suites on the machine may hold every connection a moment
        run = subprocess.run(["pgbench", "-n", "-h", "127.0.0.1", "-U", "postgres", "-M", "prepared",
                              "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(max(1, round(seconds))),
                              "-f", handle.name, name], capture_output=True, text=True)
        tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", run.stdout)
        latency = re.search(r"latency average = ([\d.]+) ms", run.stdout)
        if tps:
            break
        log(f"pgbench failed ({(run.stderr or run.stdout).strip()[-200:]}); again in 2 s")
        time.sleep(2)
    os.unlink(handle.name)
    if not tps:
        return {"tps": None, "latency_avg_ms": None, "error": (run.stderr or run.stdout).strip()[-300:]}
    return {"tps": float(tps.group(1)), "latency_avg_ms": float(latency.group(1)) if latency else None}


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    with psycopg.connect(PG) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
        sync = conn.execute("SHOW synchronous_commit").fetchone()[0]
        fsync = conn.execute("SHOW fsync").fetchone()[0]
    load = os.getloadavg()
    import eventsourcing
    import flask
    import gunicorn as g
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem, 1), "postgres": pg_version,
            "fsync": fsync, "synchronous_commit": sync, "python": sys.version.split()[0],
            "flask": flask.__version__ if hasattr(flask, "__version__") else "?", "gunicorn": g.__version__,
            "eventsourcing": getattr(eventsourcing, "__version__", "9.5.6"), "psycopg": psycopg.__version__,
            "psycopg_impl": psycopg.pq.__impl__, "loadavg_at_start": [round(x, 2) for x in load]}


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")
