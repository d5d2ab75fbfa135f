"""Assessments, asylum events, consent and notes: each lands as an event and the
reply is the case as the caller may see it."""
from __future__ import annotations

import pytest


@pytest.fixture
def case(caseworker):
    return caseworker.open_case()


def test_an_assessment_adds_and_removes_categories_and_records_findings(caseworker, case):
    response = caseworker.post(f"/cases/{case['id']}/assessments", {
        "categories_added": ["gbv_survivor"], "categories_removed": ["asylum_seeker"],
        "best_interests": "alternative_care", "trafficking_identified": True, "effective_at": "2026-01-05"})
    assert response.status_code == 200, response.json
    state = response.json
    assert "gbv_survivor" in state["categories"] and "asylum_seeker" not in state["categories"]
    assert state["best_interests"] == {"outcome": "alternative_care", "determined_on": "2026-01-05"}
    assert state["trafficking_identified_on"] == "2026-01-05"
    assert response.headers["ETag"] == f'"{state["version"]}"'


def test_an_empty_assessment_is_refused(caseworker, case):
    assert caseworker.post(f"/cases/{case['id']}/assessments", {}).status_code == 422


def test_asylum_events_move_the_claim_along(caseworker, case):
    lodged = caseworker.post(f"/cases/{case['id']}/asylum", {"event": "lodged"})
    assert lodged.status_code == 200 and lodged.json["asylum_status"] == "lodged"
    assert caseworker.post(f"/cases/{case['id']}/asylum", {"event": "adjourned"}).status_code == 422


def test_consent_is_given_then_withdrawn(caseworker, case):
    given = caseworker.consent(case["id"], "data_sharing", "unhcr")
    assert given.json["consents"] == [{"purpose": "data_sharing", "organisation": "unhcr", "given": True}]
    withdrawn = caseworker.consent(case["id"], "data_sharing", "unhcr", given=False)
    assert withdrawn.status_code == 200 and withdrawn.json["consents"][0]["given"] is False
    assert caseworker.post(f"/cases/{case['id']}/consents", {"purpose": "marketing", "organisation": "unhcr",
                                                            "given": True}).status_code == 422


def test_a_note_is_added_with_its_author(caseworker, case):
    response = caseworker.post(f"/cases/{case['id']}/notes", {"text": "Needs a Dari interpreter."})
    assert response.status_code == 200
    assert response.json["notes"][-1] == {"by": "officer-1", "org": "sms", "text": "Needs a Dari interpreter.",
                                          "effective_at": None}
    assert caseworker.post(f"/cases/{case['id']}/notes", {"text": ""}).status_code == 422
