"""GET /cases lists, from the read views, exactly the cases the policy lets the
caller see, with filters, keyset pages, read-your-writes and no personal data."""
from __future__ import annotations

import pytest

from service.app import create_app
from service.config import Config
from service.read_your_writes import MIN_POSITION_HEADER
from tests.support.projection_workload import caller, opening

PERSON = {"given_name": "Aziz", "family_name": "Karimi", "sex": "male", "date_of_birth": "2009-03-14",
          "nationality": "AFG"}


def open_case(cases, org, categories=("asylum_seeker",), **person):
    return cases.open_case(caller(org), {**PERSON, **person},
                           {"date": "2026-11-20", "country": "KAZ", "type": "border", "place": "Zhibek Zholy"},
                           list(categories))


@pytest.fixture
def cases(app):
    return app.extensions["casetrail.cases"]


def listing(client, headers, position=None, **query):
    if position is not None:
        headers = {**headers, MIN_POSITION_HEADER: str(position)}
    return client.get("/cases", query_string=query, headers=headers)


def ids(response):
    assert response.status_code == 200, response.json
    return {item["id"] for item in response.json["items"]}


def test_each_role_lists_only_the_cases_the_policy_lets_it_see(client, auth_header, cases):
    own = open_case(cases, "unhcr")
    other = open_case(cases, "iom")
    referred = open_case(cases, "iom")
    last = cases.refer(caller("iom"), referred.case.id, "unhcr", "legal_aid")
    worker = auth_header("w1", "unhcr", "caseworker")
    assert ids(listing(client, worker, last.position)) == {str(own.case.id), str(referred.case.id)}
    assert ids(listing(client, auth_header("d1", "unhcr", "dpo"), last.position)) == {str(own.case.id)}
    assert ids(listing(client, auth_header("a1", "audit", "auditor"), last.position)) == {
        str(own.case.id), str(other.case.id), str(referred.case.id)}
    assert listing(client, auth_header("s1", "state", "analyst")).status_code == 403


def test_filters_narrow_the_list(client, auth_header, cases):
    child = open_case(cases, "unhcr", ("unaccompanied_child",), nationality="SYR")
    adult = open_case(cases, "unhcr", ("economic_migrant",))
    last = cases.close_case(caller("unhcr"), adult.case.id, "done")
    worker = auth_header("w1", "unhcr", "supervisor")
    assert ids(listing(client, worker, last.position, category="unaccompanied_child")) == {str(child.case.id)}
    assert ids(listing(client, worker, last.position, nationality="SYR")) == {str(child.case.id)}
    assert ids(listing(client, worker, last.position, status="closed")) == {str(adult.case.id)}
    assert ids(listing(client, worker, last.position, stage="identification")) == {str(child.case.id)}
    assert ids(listing(client, worker, last.position, owner_org="iom")) == set()
    later = cases.assign(caller("unhcr"), child.case.id, "w7")
    assert ids(listing(client, worker, later.position, assigned_to="w7")) == {str(child.case.id)}
    since = listing(client, worker, later.position).json["items"][-1]["updated_at"]
    assert ids(listing(client, worker, updated_since=since)) == {str(child.case.id)}


def test_pages_walk_every_case_once_in_order_of_change(client, auth_header, cases):
    import random

    rng = random.Random(1)
    opened = [cases.open_case(caller("unhcr"), **opening(rng)) for _ in range(7)]
    worker = auth_header("w1", "unhcr", "caseworker")
    seen, cursor = [], None
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = listing(client, worker, opened[-1].position, **query).json
        assert len(page["items"]) <= 3
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [str(o.case.id) for o in opened]


@pytest.mark.parametrize("query", [{"limit": 501}, {"limit": 0}, {"q": "Karimi"}, {"stage": "nowhere"},
                                   {"cursor": "not-a-cursor"}, {"updated_since": "yesterday"}])
def test_bad_queries_are_refused_with_422(client, auth_header, query):
    response = listing(client, auth_header("w1", "unhcr", "caseworker"), **query)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"


def test_the_list_holds_no_personal_data(client, auth_header, cases):
    opened = open_case(cases, "unhcr")
    response = listing(client, auth_header("w1", "unhcr", "caseworker"), opened.position)
    assert response.json["items"][0]["age_group"] == "12-17"
    for personal in ("Aziz", "Karimi", "2009-03-14"):
        assert personal not in response.get_data(as_text=True)


def test_each_list_is_written_to_the_access_log(client, auth_header, app):
    listing(client, auth_header("w1", "unhcr", "caseworker"), stage="referral")
    with app.extensions["casetrail.database"].transaction() as cur:
        rows = cur.execute("SELECT sub, org, view, filters FROM access_log").fetchall()
    assert rows == [("w1", "unhcr", "list", '{"stage": "referral"}')]


def test_a_read_waits_for_its_write_then_gives_up_with_503(database_url, tmp_path):
    app = create_app(Config(database_url=database_url, var_dir=tmp_path / "var2", run_projections_in_process=False))
    try:
        issuer = app.extensions["casetrail.issuer"]
        headers = {"Authorization": f"Bearer {issuer.issue('w1', 'unhcr', ['caseworker'], client_id='c')}"}
        opened = open_case(app.extensions["casetrail.cases"], "unhcr")
        response = listing(app.test_client(), headers, opened.position)
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        assert listing(app.test_client(), headers, "soon").status_code == 422
    finally:
        app.extensions["casetrail.services"].close()
