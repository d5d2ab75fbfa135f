"""GET /stats/cases counts from the counters, suppresses small cells so that no
suppressed cell can be recovered from the response, and limits analysts to the
countries of their token."""
from __future__ import annotations

import itertools

import pytest

from application.cases import Caller
from domain.actor import Actor
from projections import all_projections
from projections.positions import wait_for_position
from tests.support.projection_workload import caller

ENCOUNTER = {"date": "2026-03-20", "place": "x", "type": "border"}


@pytest.fixture
def seed(app):
    """30 cases: 12 female/KAZ, 9 male/KAZ, 2 other/KAZ, 7 male/KGZ; categories vary."""
    cases = app.extensions["casetrail.cases"]
    last = None
    for i, (sex, country, n) in enumerate([("female", "KAZ", 12), ("male", "KAZ", 9), ("other", "KAZ", 2),
                                           ("male", "KGZ", 7)]):
        for j in range(n):
            person = {"given_name": "G", "family_name": "F", "sex": sex, "nationality": "AFG",
                      "date_of_birth": "1990-01-01"}
            categories = ["asylum_seeker"] + (["gbv_survivor"] if j % 2 else [])
            last = cases.open_case(caller("unhcr"), person, {**ENCOUNTER, "country": country}, categories,
                                   effective_at=f"2026-0{1 + j % 3}-15T00:00:00Z")
    assert wait_for_position(app.extensions["casetrail.database"], last.position,
                             [p.name for p in all_projections()], timeout=10)


def stats(client, headers, **query):
    response = client.get("/stats/cases", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_counts_by_one_dimension_with_small_cells_suppressed(client, auth_header, seed):
    body = stats(client, auth_header("a1", "state", "analyst"), group_by="sex")
    assert body["k"] == 5
    assert body["rows"] == [{"sex": "female", "count": 12}, {"sex": "male", "count": 16},
                            {"sex": "other", "count": None, "suppressed": True}]
    assert body["total"] is None and body["total_suppressed"] is True


def test_without_suppression_the_total_is_published(client, auth_header, seed):
    body = stats(client, auth_header("a1", "state", "auditor"), group_by="encounter_country")
    assert body["rows"] == [{"encounter_country": "KAZ", "count": 23}, {"encounter_country": "KGZ", "count": 7}]
    assert body["total"] == 30


def test_no_suppressed_cell_can_be_recovered_by_subtraction(client, auth_header, seed):
    """Try every way of combining the published figures of one response into a
    suppressed cell's value: total minus any subset of published cells."""
    for group_by in ("sex", "sex,encounter_country", "category", "sex,month_opened", "category,sex"):
        body = stats(client, auth_header("s1", "unhcr", "supervisor"), group_by=group_by)
        suppressed = [r for r in body["rows"] if r.get("suppressed")]
        published = [r["count"] for r in body["rows"] if not r.get("suppressed")]
        if not suppressed:
            continue
        figures = published + ([body["total"]] if body["total"] is not None else [])
        assert body["total"] is None, group_by
        # With no total, no published figure is a sum that includes a suppressed cell:
        # the published cells are disjoint from the suppressed ones and each other.
        for size in range(1, min(len(figures), 4) + 1):
            for combo in itertools.combinations(figures, size):
                assert all(c >= 5 for c in combo)


def test_multi_valued_dimensions_count_a_case_once_per_value(client, auth_header, seed):
    body = stats(client, auth_header("a1", "state", "auditor"), group_by="category")
    assert body["rows"] == [{"category": "asylum_seeker", "count": 30}, {"category": "gbv_survivor", "count": 14}]
    assert body["total"] == 30


def test_filters_and_month_range(client, auth_header, seed):
    headers = auth_header("a1", "state", "auditor")
    assert stats(client, headers, sex="male", encounter_country="KAZ")["rows"] == [{"count": 9}]
    body = stats(client, headers, group_by="month_opened", **{"from": "2026-02", "to": "2026-03"})
    assert [r["month_opened"] for r in body["rows"]] == ["2026-02", "2026-03"]
    assert stats(client, headers, category="gbv_survivor", group_by="sex")["rows"][0] == {
        "sex": "female", "count": 6}


def test_an_analyst_sees_only_the_countries_of_its_token(client, auth_header, seed):
    headers = auth_header("a1", "state", "analyst", countries=["KGZ"])
    body = stats(client, headers, group_by="encounter_country")
    assert body["rows"] == [{"encounter_country": "KGZ", "count": 7}]
    assert stats(client, headers, encounter_country="KAZ")["rows"] == []


@pytest.mark.parametrize("roles", [("caseworker",), ("dpo",), ("admin",)])
def test_roles_without_stats_read_get_403(client, auth_header, roles):
    assert client.get("/stats/cases", headers=auth_header("u", "unhcr", *roles)).status_code == 403


@pytest.mark.parametrize("query", [{"group_by": "name"}, {"group_by": "sex,sex"}, {"family_name": "x"},
                                   {"from": "2026-13"}])
def test_bad_queries_are_refused_with_422(client, auth_header, query):
    response = client.get("/stats/cases", query_string=query, headers=auth_header("a", "s", "analyst"))
    assert response.status_code == 422


def test_erased_cases_are_still_counted_in_their_age_group(app, client, auth_header, seed):
    """Erasure shreds the date of birth, but the age group was recorded in clear at
    opening: the statistics do not move."""

    before = stats(client, auth_header("a1", "state", "auditor"), group_by="age_group")
    cases = app.extensions["casetrail.cases"]
    database = app.extensions["casetrail.database"]
    with database.transaction() as cur:
        case_ids = [row[0] for row in cur.execute("SELECT case_id FROM case_summaries LIMIT 6").fetchall()]
    dpo = Caller(Actor("dpo-1", "unhcr", "unhcr-app"))
    last = None
    for case_id in case_ids:
        import uuid

        last = cases.erase_case(dpo, uuid.UUID(case_id))
    assert wait_for_position(database, last.position, [p.name for p in all_projections()], timeout=10)
    after = stats(client, auth_header("a1", "state", "auditor"), group_by="age_group")
    by_status = stats(client, auth_header("a1", "state", "auditor"), group_by="status")
    assert after == before == {**before, "rows": [{"age_group": "25-59", "count": 30}]}
    assert {"status": "erased", "count": 6} in by_status["rows"]
