"""A gunicorn worker waits for a briefly unreachable database instead of failing
to boot (which would make gunicorn halt every worker)."""
from __future__ import annotations

import psycopg
import pytest

from service import wsgi


def test_a_worker_boot_retries_while_the_database_is_unreachable(monkeypatch):
    attempts = []

    def flaky_create_app():
        attempts.append(1)
        if len(attempts) < 3:
            raise psycopg.OperationalError("connection refused")
        return "app"

    monkeypatch.setattr(wsgi, "create_app", flaky_create_app)
    monkeypatch.setattr(wsgi.time, "sleep", lambda seconds: None)
    assert wsgi.create_app_waiting_for_database() == "app"
    assert len(attempts) == 3


def test_a_worker_boot_gives_up_after_its_deadline(monkeypatch):
    def down():
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(wsgi, "create_app", down)
    with pytest.raises(psycopg.OperationalError):
        wsgi.create_app_waiting_for_database(deadline_seconds=0.1)


def test_a_programming_error_is_not_retried(monkeypatch):
    calls = []

    def broken():
        calls.append(1)
        raise KeyError("missing setting")

    monkeypatch.setattr(wsgi, "create_app", broken)
    with pytest.raises(KeyError):
        wsgi.create_app_waiting_for_database()
    assert len(calls) == 1
