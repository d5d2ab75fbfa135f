"""Who runs the projections: one leader per projection on PostgreSQL (others take
over when it dies), one background thread per database in an app process, and
the `project --once` / `rebuild-views` commands."""
from __future__ import annotations

import json
import random
import time

import psycopg

from projections.positions import positions
from projections.service import Leadership
from service.app import create_app
from service.cli import main
from store.database import Database, libpq_url
from tests.support.projection_workload import caller, opening, snapshot


def test_one_runner_leads_each_projection_and_another_takes_over_when_it_dies(postgres_url):
    database = Database(postgres_url)
    first, second = Leadership(database), Leadership(database)
    try:
        assert first.lead("statistics") and not second.lead("statistics")
        assert second.lead("case_access")  # leadership is per projection
        pid = first.session_pid
        with psycopg.connect(libpq_url(postgres_url), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))  # the leader's process dies
        deadline = time.monotonic() + 5
        while not second.lead("statistics"):  # the others poll; the lock goes with the session
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert not first.lead("statistics")  # back, it finds the lead taken
    finally:
        first.release()
        second.release()
        database.close()


def test_an_app_process_runs_one_runner_thread_per_database_and_stops_it(config):
    one, two = create_app(config), create_app(config)
    try:
        service = one.extensions["casetrail.services"].projections
        assert service is not None and two.extensions["casetrail.services"].projections is service
        assert service.running
        one.extensions["casetrail.services"].close()
        assert not service.running
    finally:
        for app in (one, two):
            app.extensions["casetrail.services"].close()


def test_an_app_configured_without_the_thread_starts_none(config):
    import dataclasses


    app = create_app(dataclasses.replace(config, run_projections_in_process=False))
    try:
        assert app.extensions["casetrail.services"].projections is None
        assert set(positions(app.extensions["casetrail.database"])) == {
            "case_summaries", "case_access", "statistics"}  # the tables exist all the same
    finally:
        app.extensions["casetrail.services"].close()


def test_project_once_and_rebuild_views_commands(config, monkeypatch, capsys):
    import dataclasses


    app = create_app(dataclasses.replace(config, run_projections_in_process=False))
    monkeypatch.setenv("CASETRAIL_DATABASE_URL", config.database_url)
    monkeypatch.setenv("CASETRAIL_VAR_DIR", str(config.var_dir))
    try:
        cases, database = app.extensions["casetrail.cases"], app.extensions["casetrail.database"]
        rng = random.Random(3)
        for _ in range(5):
            opened = cases.open_case(caller("unhcr"), **opening(rng))
        assert main(["project", "--once"]) == 0
        assert json.loads(capsys.readouterr().out)["applied"]["case_summaries"] == 5
        assert min(positions(database).values()) == opened.position
        projected = snapshot(database)
        assert main(["rebuild-views"]) == 0
        assert snapshot(database) == projected
    finally:
        app.extensions["casetrail.services"].close()
