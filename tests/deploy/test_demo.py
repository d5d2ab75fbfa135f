"""`casetrail demo`: realistic, rule-abiding, deterministic, loaded once."""
from collections import Counter
from datetime import date

import pytest

from application import demo
from domain.vocabulary import CATEGORIES, STAGES
from service.app import create_app
from service.cli import main
from service.config import Config

UNTIL = date(2026, 11, 20)


@pytest.fixture
def make_app(tmp_path):
    apps = []

    def make(database_url: str, name: str = "var"):
        app = create_app(Config(database_url=database_url, var_dir=tmp_path / name,
                                run_projections_in_process=False))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["casetrail.services"].close()


def summary(cases, tally) -> list[tuple]:
    out = []
    for case_id in tally.case_ids:
        case = cases.get_case(case_id)
        out.append((case.stage, case.status, case.owner_org, tuple(case.categories), case.version))
    return out


def test_demo_covers_every_stage_and_category_across_five_organisations(make_app, tmp_path):
    cases = make_app(f"sqlite:///{tmp_path / 'demo.sqlite'}").extensions["casetrail.cases"]
    tally = demo.load(cases, seed=7, count=250, until=UNTIL)
    rows = summary(cases, tally)
    assert tally.cases == 250 and tally.events > 1000
    assert {row[0] for row in rows} == set(STAGES)
    assert {c for row in rows for c in row[3]} == set(CATEGORIES)
    assert len({row[2] for row in rows}) == 5
    # The rules refused some of what the organisations tried, as in real life.
    assert {"non-refoulement", "consent-required"} <= set(tally.refused)
    assert Counter(row[1] for row in rows)["closed"] > 0


def test_same_seed_gives_the_same_data_set(make_app, tmp_path):
    first = make_app(f"sqlite:///{tmp_path / 'a.sqlite'}", "a").extensions["casetrail.cases"]
    second = make_app(f"sqlite:///{tmp_path / 'b.sqlite'}", "b").extensions["casetrail.cases"]
    assert summary(first, demo.load(first, 11, 40, UNTIL)) == summary(second, demo.load(second, 11, 40, UNTIL))


def test_loading_twice_writes_nothing_the_second_time(database_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CASETRAIL_DATABASE_URL", database_url)
    monkeypatch.setenv("CASETRAIL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CASETRAIL_INPROCESS_PROJECTIONS", "0")
    assert main(["demo", "--cases", "12", "--until", UNTIL.isoformat()]) == 0
    assert "12 cases" in capsys.readouterr().out
    assert main(["demo", "--cases", "12", "--until", UNTIL.isoformat()]) == 0
    assert "already loaded" in capsys.readouterr().err
