"""A real gunicorn serving the production entry point (`service.wsgi`) on
127.0.0.1, for tests that must see what a client on the network sees (headers,
workers, real sockets)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from tests.support.ports import free_port, stop, wait_for_http

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass(frozen=True)
class LiveServer:
    url: str
    database_url: str
    var_dir: Path
    log_path: Path

    def request(self, method: str, path: str, headers: dict | None = None, body: bytes | None = None,
                timeout: float = 10) -> HttpResponse:
        """One HTTP request; 4xx and 5xx are returned, not raised."""
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return HttpResponse(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as exc:
            return HttpResponse(exc.code, dict(exc.headers), exc.read())

    def get(self, path: str, headers: dict | None = None) -> HttpResponse:
        return self.request("GET", path, headers)


@contextmanager
def gunicorn_server(database_url: str, var_dir: Path, log_path: Path, env: dict | None = None,
                    workers: int = 2, attempts: int = 3) -> Iterator[LiveServer]:
    """Start gunicorn, wait for /healthz, yield the server, stop it afterwards."""
    environment = {**os.environ, "CASETRAIL_DATABASE_URL": database_url, "CASETRAIL_VAR_DIR": str(var_dir),
                   "PYTHONPATH": str(ROOT), **(env or {})}
    for attempt in range(attempts):
        port = free_port()
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "service.wsgi:create_app_waiting_for_database()",
                 "--bind", f"127.0.0.1:{port}",
                 "--workers", str(workers), "--worker-class", "gthread", "--threads", "4",
                 "--graceful-timeout", "5", "--timeout", "30"],
                cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_http(f"http://127.0.0.1:{port}/healthz", process)
        except RuntimeError:
            stop(process)
            # Retry: another process may have taken the port, or two workers booting
            # on a fresh PostgreSQL schema raced creating the event store's tables.
            if attempt + 1 == attempts:
                raise RuntimeError(f"gunicorn did not start; see {log_path}:\n{log_path.read_text()[-3000:]}")
            continue
        except BaseException:
            stop(process)
            raise
        try:
            yield LiveServer(f"http://127.0.0.1:{port}", database_url, var_dir, log_path)
        finally:
            stop(process)
        return
