"""POST /cases: what a valid opening gives back, and every way a body is refused."""
from __future__ import annotations

import json

import pytest

from service.schemas.cases import CaseOut
from tests.api.casework import future, opening, person


def test_opening_a_case_answers_201_with_location_etag_and_the_case(caseworker):
    response = caseworker.post("/cases", opening())
    assert response.status_code == 201
    case = response.json
    assert response.headers["Location"] == f"/cases/{case['id']}"
    assert response.headers["ETag"] == '"1"'
    assert case["stage"] == "identification" and case["status"] == "open" and case["owner_org"] == "sms"
    assert case["person"]["given_name"] == "Aziz" and case["asylum_status"] == "intention_expressed"
    assert caseworker.get(response.headers["Location"]).status_code == 200


def test_the_response_shows_every_field_of_the_case_state(caseworker, app):
    case = caseworker.open_case()
    stored = app.extensions["casetrail.cases"].get_case(__import__("uuid").UUID(case["id"])).state()
    assert set(stored) <= set(CaseOut().fields), "a state field the response schema would drop"
    assert set(case) == set(stored)


def test_an_age_estimate_may_stand_in_for_the_date_of_birth(caseworker):
    body = opening(person={**{k: v for k, v in person().items() if k != "date_of_birth"}, "age_estimate": 16})
    assert caseworker.post("/cases", body).status_code == 201


@pytest.mark.parametrize("nationality", ["STATELESS", "UNKNOWN", "KAZ"])
def test_nationality_is_a_country_code_or_stateless_or_unknown(caseworker, nationality):
    assert caseworker.post("/cases", opening(person=person(nationality=nationality))).status_code == 201


def _refused(caseworker, body, field):
    response = caseworker.post("/cases", body)
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    assert field in json.dumps(response.json["errors"]), response.json
    return response.json


@pytest.mark.parametrize("body, field", [
    (opening(surprise=1), "surprise"),
    (opening(person=person(eye_colour="brown")), "eye_colour"),
    (opening(person=person(nationality="AF")), "nationality"),
    (opening(person=person(nationality="XXX")), "nationality"),
    (opening(person=person(documents=[{"type": "passport", "number": "1", "issuing_country": "ZZZ"}])),
     "issuing_country"),
    (opening(person={k: v for k, v in person().items() if k != "date_of_birth"}), "date_of_birth"),
    (opening(person=person(date_of_birth=future(3))), "date_of_birth"),
    (opening(person=person(age_estimate=400)), "age_estimate"),
    (opening(person=person(given_name="x" * 201)), "given_name"),
    (opening(person=person(languages=["prs"] * 11)), "languages"),
    (opening(person=person(languages=["Dari"])), "languages"),
    (opening(encounter={"date": future(1), "country": "KAZ", "type": "border"}), "date"),
    (opening(encounter={"date": "2026-01-01", "country": "Kazakhstan", "type": "border"}), "country"),
    (opening(categories=["tourist"]), "categories"),
    (opening(notes="x" * 10_001), "notes"),
    (opening(effective_at=future(2)), "effective_at"),
    (opening(effective_at="yesterday"), "effective_at"),
    ({"person": person()}, "encounter"),
])
def test_an_invalid_opening_is_refused_with_422_naming_the_field(caseworker, body, field):
    _refused(caseworker, body, field)


def test_refusals_never_echo_the_submitted_values(caseworker):
    body = opening(person=person(given_name="Zarathustra" * 30, nationality="Atlantis"))
    problem = _refused(caseworker, body, "given_name")
    assert "Zarathustra" not in json.dumps(problem) and "Atlantis" not in json.dumps(problem)


def test_a_past_effective_at_is_accepted(caseworker):
    assert caseworker.post("/cases", opening(effective_at="2026-01-02T10:00:00+02:00")).status_code == 201


def test_a_body_that_is_not_json_is_refused_with_415(caseworker):
    response = caseworker.client.post("/cases", data="person=x", content_type="application/x-www-form-urlencoded",
                                      headers=caseworker.headers)
    assert response.status_code == 415
    assert response.content_type == "application/problem+json"


def test_malformed_json_is_400(caseworker):
    response = caseworker.client.post("/cases", data="{bad", content_type="application/json",
                                      headers=caseworker.headers)
    assert response.status_code == 400 and response.content_type == "application/problem+json"


@pytest.mark.parametrize("role", ["dpo", "auditor", "analyst", "admin"])
def test_only_caseworkers_and_supervisors_open_cases(api_as, role):
    assert api_as("x", "sms", role).post("/cases", opening()).status_code == 403


def test_a_supervisor_may_open_a_case(supervisor):
    assert supervisor.post("/cases", opening()).status_code == 201


def test_without_a_token_the_answer_is_401_with_a_bearer_challenge(client):
    response = client.post("/cases", json=opening())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
