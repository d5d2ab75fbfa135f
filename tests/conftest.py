"""Shared fixtures. Every storage test runs on SQLite and on PostgreSQL.

PostgreSQL comes from CASETRAIL_TEST_POSTGRES_URL (default: the local server's
`casetrail_test` database). Each test gets its own schema, dropped afterwards.
When CASETRAIL_REQUIRE_POSTGRES=1 (as in CI) an unreachable server fails the
PostgreSQL tests instead of skipping them.
"""
from __future__ import annotations

import os
import uuid

import pytest

from service.app import create_app
from service.config import Config
from tests.support.gunicorn_server import gunicorn_server

POSTGRES_URL = os.environ.get("CASETRAIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/casetrail_test")
REQUIRE_POSTGRES = os.environ.get("CASETRAIL_REQUIRE_POSTGRES") == "1"


def _postgres_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means unavailable
        return f"{type(exc).__name__}: {exc}"


_PG_PROBLEM: list = []


def postgres_or_skip() -> None:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_postgres_available())
    problem = _PG_PROBLEM[0]
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (CASETRAIL_REQUIRE_POSTGRES=1) but unreachable: {problem}")
        pytest.skip(f"PostgreSQL unreachable: {problem}")


@pytest.fixture
def postgres_url():
    """A PostgreSQL URL whose tables live in a fresh schema of their own."""
    postgres_or_skip()
    import psycopg

    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}schema={schema}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'casetrail.sqlite'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    """Run the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'casetrail.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def config(database_url, tmp_path):
    return Config(database_url=database_url, var_dir=tmp_path / "var")


@pytest.fixture
def app(config):
    app = create_app(config)
    app.config["TESTING"] = True
    yield app
    app.extensions["casetrail.services"].close()  # the runner thread first, then its connections


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def token(app):
    """token(sub, org, *roles) -> a valid access token from the embedded issuer."""
    issuer = app.extensions["casetrail.issuer"]

    def make(sub: str, org: str, *roles: str, **extra) -> str:
        return issuer.issue(sub, org, list(roles), client_id=f"{org}-client", extra=extra or None)

    return make


@pytest.fixture
def auth_header(token):
    """auth_header(sub, org, *roles) -> {'Authorization': 'Bearer ...'}."""
    def make(sub: str, org: str, *roles: str, **extra) -> dict:
        return {"Authorization": f"Bearer {token(sub, org, *roles, **extra)}"}

    return make


@pytest.fixture
def live_server(database_url, tmp_path):
    """A real gunicorn (two workers) on a free 127.0.0.1 port, serving this test's
    database and var dir; `live_server.url`, `.request(...)`, `.var_dir`."""

    with gunicorn_server(database_url, tmp_path / "live-var", tmp_path / "gunicorn.log") as server:
        yield server
