"""Referrals: made by the owner (201 + Location), then accepted, declined or
completed by the receiving organisation, or withdrawn by the sender."""
from __future__ import annotations

import pytest


@pytest.fixture
def case(caseworker):
    return caseworker.open_case()


@pytest.fixture
def unhcr(api_as):
    return api_as("protection-1", "unhcr", "caseworker")


def test_a_referral_is_created_with_201_location_and_its_id(caseworker, case):
    response = caseworker.refer(case["id"], "unhcr", "legal_aid")
    assert response.status_code == 201
    referral = response.json
    assert referral["status"] == "pending" and referral["case_id"] == case["id"]
    assert response.headers["Location"] == f"/cases/{case['id']}/referrals/{referral['id']}"
    assert response.headers["ETag"] == f'"{referral["case_version"]}"'
    fetched = caseworker.get(response.headers["Location"])
    assert fetched.status_code == 200 and fetched.json["id"] == referral["id"]


def test_the_receiving_org_accepts_then_completes(caseworker, unhcr, case):
    rid = caseworker.refer(case["id"], "unhcr", "legal_aid").json["id"]
    accepted = unhcr.post(f"/cases/{case['id']}/referrals/{rid}/acceptance")
    assert accepted.status_code == 200 and accepted.json["referrals"][0]["status"] == "accepted"
    completed = unhcr.post(f"/cases/{case['id']}/referrals/{rid}/completion", {"outcome": "advised"})
    assert completed.status_code == 200 and completed.json["referrals"][0]["status"] == "completed"


def test_the_receiving_org_declines_with_a_reason(caseworker, unhcr, case):
    rid = caseworker.refer(case["id"], "unhcr", "legal_aid").json["id"]
    assert unhcr.post(f"/cases/{case['id']}/referrals/{rid}/decline", {}).status_code == 422
    declined = unhcr.post(f"/cases/{case['id']}/referrals/{rid}/decline", {"reason": "no capacity"})
    assert declined.status_code == 200 and declined.json["referrals"][0]["reason"] == "no capacity"


def test_the_sender_withdraws_a_pending_referral(caseworker, case):
    rid = caseworker.refer(case["id"], "unhcr", "legal_aid").json["id"]
    withdrawn = caseworker.post(f"/cases/{case['id']}/referrals/{rid}/withdrawal", {"reason": "resolved"})
    assert withdrawn.status_code == 200 and withdrawn.json["referrals"][0]["status"] == "withdrawn"


def test_an_unknown_referral_is_404(caseworker, case):
    import uuid

    response = caseworker.post(f"/cases/{case['id']}/referrals/{uuid.uuid4()}/withdrawal")
    assert response.status_code == 404 and response.json["type"].endswith("/referral-not-found")


def test_an_unknown_service_is_422(caseworker, case):
    assert caseworker.refer(case["id"], "unhcr", "haircut").status_code == 422
