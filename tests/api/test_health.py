import random

from projections import all_projections
from projections.positions import wait_for_position
from tests.support.projection_workload import caller, opening


def test_healthz_answers_without_a_token(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_reports_the_database_reachable(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"


def test_unknown_path_is_problem_json(client, auth_header):
    response = client.get("/no-such-thing", headers=auth_header("u1", "sms", "caseworker"))
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 404


def test_wrong_method_is_problem_json_with_allow(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response.content_type == "application/problem+json"
    assert "GET" in response.headers["Allow"]


def test_body_over_one_mebibyte_is_refused_with_413(client, auth_header):
    response = client.post("/cases", data=b"x" * (1024 * 1024 + 1), content_type="application/json",
                           headers=auth_header("u1", "sms", "caseworker"))
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"


def test_readyz_reports_the_lag_of_every_projection(client, app):
    opened = app.extensions["casetrail.cases"].open_case(caller("unhcr"), **opening(random.Random(2)))
    assert wait_for_position(app.extensions["casetrail.database"], opened.position,
                             [p.name for p in all_projections()], timeout=10)
    lag = client.get("/readyz").json["projections"]
    assert set(lag) == {p.name for p in all_projections()}
    assert all(v["events"] == 0 and v["seconds"] == 0 and v["position"] == opened.position for v in lag.values())
