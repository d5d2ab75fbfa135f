"""Regularization: an application, then a decision (granted with validity, or refused)."""
from __future__ import annotations

import pytest

from tests.api.casework import future


@pytest.fixture
def case(caseworker):
    case = caseworker.open_case(categories=["stranded_migrant"], asylum_intention=False)
    assert caseworker.post(f"/cases/{case['id']}/regularization", {"pathway": "work_permit"}).status_code == 200
    return case


def test_an_application_moves_the_case_to_regularization(caseworker, case):
    state = caseworker.get(f"/cases/{case['id']}").json
    assert state["stage"] == "regularization" and state["regularization"]["status"] == "applied"


def test_a_grant_records_its_validity(caseworker, case):
    granted = caseworker.post(f"/cases/{case['id']}/regularization/decision",
                              {"decision": "granted", "valid_until": future(365)})
    assert granted.status_code == 200
    assert granted.json["regularization"]["valid_until"] == future(365)
    assert granted.json["permit"] == {"pathway": "work_permit", "valid_until": future(365)}


def test_a_refusal_records_its_reason(caseworker, case):
    refused = caseworker.post(f"/cases/{case['id']}/regularization/decision",
                              {"decision": "refused", "reason": "criteria not met"})
    assert refused.status_code == 200 and refused.json["regularization"]["status"] == "refused"


@pytest.mark.parametrize("body", [{"decision": "granted"}, {"decision": "refused"}, {"decision": "maybe"},
                                  {"decision": "refused", "reason": "x", "valid_until": "2030-01-01"}])
def test_an_incomplete_decision_is_422(caseworker, case, body):
    assert caseworker.post(f"/cases/{case['id']}/regularization/decision", body).status_code == 422
