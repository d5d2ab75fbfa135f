"""Every rule of the case answers 409 with a problem type naming it, and writes nothing."""
from __future__ import annotations

import uuid

from application.cases import Caller
from domain.actor import Actor
from tests.api.casework import future, opening


def _forced(api, case_id):
    return api.post(f"/cases/{case_id}/returns", {"kind": "forced", "destination_country": "AFG",
                                                  "planned_date": future(5)})


def _assert_refused(api, response, case, rule):
    assert response.status_code == 409, response.json
    assert response.content_type == "application/problem+json"
    assert response.json["type"] == f"https://casetrail.example/problems/{rule}"
    assert response.json["status"] == 409 and response.json["title"]
    if case is not None:
        assert api.get(f"/cases/{case['id']}").json["version"] == case["version"], "a refused command wrote"


def test_non_refoulement(caseworker):
    case = caseworker.open_case(categories=["asylum_seeker"], asylum_intention=True)
    _assert_refused(caseworker, _forced(caseworker, case["id"]), case, "non-refoulement")


def test_child_best_interests(caseworker):
    case = caseworker.open_case(categories=["separated_child"], asylum_intention=False)
    _assert_refused(caseworker, _forced(caseworker, case["id"]), case, "child-best-interests")


def test_trafficking_reflection_period(caseworker):
    case = caseworker.open_case(categories=["presumed_trafficking_victim"], asylum_intention=False)
    _assert_refused(caseworker, _forced(caseworker, case["id"]), case, "trafficking-reflection-period")


def test_regularised_stay(caseworker):
    case = caseworker.open_case(categories=["stranded_migrant"], asylum_intention=False)
    caseworker.post(f"/cases/{case['id']}/regularization", {"pathway": "work_permit"})
    granted = caseworker.post(f"/cases/{case['id']}/regularization/decision",
                              {"decision": "granted", "valid_until": future(90)}).json
    _assert_refused(caseworker, _forced(caseworker, case["id"]), granted, "regularised-stay")


def test_consent_for_a_voluntary_return(caseworker):
    case = caseworker.open_case(categories=["economic_migrant"], asylum_intention=False)
    response = caseworker.post(f"/cases/{case['id']}/returns", {"kind": "voluntary", "destination_country": "AFG",
                                                                "planned_date": future(5)})
    _assert_refused(caseworker, response, case, "consent-required")


def test_consent_for_sharing_personal_data_in_a_referral(caseworker):
    case = caseworker.open_case()
    response = caseworker.refer(case["id"], "unhcr", "legal_aid", share_personal_data=True)
    _assert_refused(caseworker, response, case, "consent-required")


def test_referral_parties(caseworker):
    case = caseworker.open_case()
    referral = caseworker.refer(case["id"], "unhcr", "legal_aid").json
    response = caseworker.post(f"/cases/{case['id']}/referrals/{referral['id']}/acceptance")
    _assert_refused(caseworker, response, {**case, "version": referral["case_version"]}, "referral-parties")


def test_closed_cases_accept_only_reopening(caseworker, supervisor):
    case = caseworker.open_case()
    closed = supervisor.post(f"/cases/{case['id']}/closure", {"reason": "moved on"}).json
    _assert_refused(caseworker, caseworker.post(f"/cases/{case['id']}/notes", {"text": "x"}), closed, "case-closed")


def test_erased_cases_accept_nothing(caseworker, app):
    case = caseworker.open_case()
    cases = app.extensions["casetrail.cases"]
    cases.erase_case(Caller(Actor("dpo-1", "sms")), uuid.UUID(case["id"]))
    response = caseworker.post(f"/cases/{case['id']}/notes", {"text": "x"})
    _assert_refused(caseworker, response, None, "case-erased")


def test_transfer_needs_acceptance_by_the_receiver(supervisor, api_as):
    case = supervisor.post("/cases", opening()).json
    supervisor.post(f"/cases/{case['id']}/transfer", {"to_org": "iom"})
    # The sender cannot accept its own offer: the policy stops it before the rule does.
    assert supervisor.post(f"/cases/{case['id']}/transfer/acceptance").status_code == 403
    # A second offer while one is pending breaks the transfer's state.
    response = supervisor.post(f"/cases/{case['id']}/transfer", {"to_org": "unhcr"})
    assert response.status_code == 409 and response.json["type"].endswith("/invalid-transition")
    assert supervisor.get(f"/cases/{case['id']}").json["owner_org"] == "sms"


def test_invalid_transition(caseworker, api_as):
    case = caseworker.open_case()
    referral = caseworker.refer(case["id"], "unhcr", "legal_aid").json
    api_as("p", "unhcr", "caseworker").post(f"/cases/{case['id']}/referrals/{referral['id']}/acceptance")
    response = caseworker.post(f"/cases/{case['id']}/referrals/{referral['id']}/withdrawal")
    assert response.status_code == 409 and response.json["type"].endswith("/invalid-transition")
