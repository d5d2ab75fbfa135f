"""Object-level authorization over two organisations and every role: no read or
command crosses an organisation boundary it should not. A case another org may
not see is 404 (no existence oracle); a role that may not call an endpoint is 403."""
from __future__ import annotations

import pytest

from tests.api.casework import future

ROLES = ("caseworker", "supervisor", "dpo", "auditor", "analyst", "admin")
CASEWORK = {"caseworker", "supervisor"}
SUPERVISOR = {"supervisor"}

# (method, path template, body, roles that may ever call it)
ENDPOINTS = [
    ("GET", "/cases/{id}", None, CASEWORK | {"dpo", "auditor"}),
    ("GET", "/cases/{id}?version=1", None, CASEWORK | {"dpo", "auditor"}),
    ("GET", "/cases/{id}/referrals/{rid}", None, CASEWORK | {"dpo", "auditor"}),
    ("GET", "/cases/{id}/returns/{tid}", None, CASEWORK | {"dpo", "auditor"}),
    ("POST", "/cases/{id}/assessments", {"categories_added": ["medical_needs"]}, CASEWORK),
    ("POST", "/cases/{id}/asylum", {"event": "lodged"}, CASEWORK),
    ("POST", "/cases/{id}/consents", {"purpose": "data_sharing", "organisation": "x", "given": True}, CASEWORK),
    ("POST", "/cases/{id}/notes", {"text": "n"}, CASEWORK),
    ("POST", "/cases/{id}/referrals", {"to_org": "redcross", "service": "medical"}, CASEWORK),
    ("POST", "/cases/{id}/referrals/{rid}/acceptance", {}, CASEWORK),
    ("POST", "/cases/{id}/referrals/{rid}/decline", {"reason": "r"}, CASEWORK),
    ("POST", "/cases/{id}/referrals/{rid}/completion", {}, CASEWORK),
    ("POST", "/cases/{id}/referrals/{rid}/withdrawal", {}, CASEWORK),
    ("POST", "/cases/{id}/regularization", {"pathway": "humanitarian"}, CASEWORK),
    ("POST", "/cases/{id}/regularization/decision", {"decision": "refused", "reason": "r"}, CASEWORK),
    ("POST", "/cases/{id}/returns", {"kind": "voluntary", "destination_country": "AFG",
                                     "planned_date": future(9)}, CASEWORK),
    ("POST", "/cases/{id}/returns/{tid}/completion", {}, CASEWORK),
    ("POST", "/cases/{id}/returns/{tid}/cancellation", {}, CASEWORK),
    ("POST", "/cases/{id}/assignment", {"assignee": "x"}, SUPERVISOR),
    ("POST", "/cases/{id}/transfer", {"to_org": "other"}, SUPERVISOR),
    ("POST", "/cases/{id}/transfer/acceptance", {}, SUPERVISOR),
    ("POST", "/cases/{id}/transfer/rejection", {}, SUPERVISOR),
    ("POST", "/cases/{id}/closure", {"reason": "r"}, SUPERVISOR),
    ("POST", "/cases/{id}/reopening", {"reason": "r"}, SUPERVISOR),
]


@pytest.fixture
def owned_by_a(api_as):
    """A case of org A with a pending referral to a third org and an initiated return."""
    a = api_as("a-worker", "org-a", "caseworker")
    case = a.open_case(categories=["economic_migrant"], asylum_intention=False)
    rid = a.refer(case["id"], "org-c", "legal_aid").json["id"]
    a.consent(case["id"], "voluntary_return", "org-a")
    tid = a.post(f"/cases/{case['id']}/returns", {"kind": "voluntary", "destination_country": "AFG",
                                                  "planned_date": future(5)}).json["id"]
    return {"id": case["id"], "rid": rid, "tid": tid, "version": a.get(f"/cases/{case['id']}").json["version"]}


def _call(api, method, template, body, ids):
    path = template.format(**ids)
    return api.get(path) if method == "GET" else api.post(path, body)


@pytest.mark.parametrize("role", ROLES)
def test_no_role_of_another_org_reads_or_changes_the_case(api_as, owned_by_a, role):
    outsider = api_as(f"b-{role}", "org-b", role)
    for method, template, body, allowed in ENDPOINTS:
        status = _call(outsider, method, template, body, owned_by_a).status_code
        if role not in allowed:
            expected = 403
        elif role == "auditor":  # auditors read every case (redacted), and change none
            expected = 200
        else:
            expected = 404
        assert status == expected, (role, method, template, status)
    owner = api_as("a-worker", "org-a", "caseworker")
    assert owner.get(f"/cases/{owned_by_a['id']}").json["version"] == owned_by_a["version"], "something landed"


@pytest.mark.parametrize("role", ["dpo", "auditor", "analyst", "admin"])
def test_roles_without_casework_change_nothing_in_their_own_org(api_as, owned_by_a, role):
    insider = api_as(f"a-{role}", "org-a", role)
    for method, template, body, allowed in ENDPOINTS:
        if method == "POST":
            assert _call(insider, method, template, body, owned_by_a).status_code == 403, (role, template)


@pytest.mark.parametrize("role, status", [("caseworker", 200), ("supervisor", 200), ("dpo", 200),
                                          ("auditor", 200), ("analyst", 403), ("admin", 403)])
def test_who_in_the_owning_org_may_read_it(api_as, owned_by_a, role, status):
    assert api_as(f"a-{role}", "org-a", role).get(f"/cases/{owned_by_a['id']}").status_code == status


def test_the_referred_org_may_act_on_its_referral_but_not_on_the_case(api_as, owned_by_a):
    c = api_as("c-worker", "org-c", "caseworker")
    ids = owned_by_a
    assert c.get(f"/cases/{ids['id']}").status_code == 200
    assert c.post(f"/cases/{ids['id']}/notes", {"text": "n"}).status_code == 403  # pending: not yet
    assert c.post(f"/cases/{ids['id']}/referrals/{ids['rid']}/acceptance").status_code == 200
    assert c.post(f"/cases/{ids['id']}/notes", {"text": "n"}).status_code == 200
    for path, body in [("closure", {"reason": "r"}), ("returns/" + ids["tid"] + "/completion", {}),
                       ("asylum", {"event": "lodged"})]:
        assert c.post(f"/cases/{ids['id']}/{path}", body).status_code == 403, path
    assert api_as("c-sup", "org-c", "supervisor").post(f"/cases/{ids['id']}/closure",
                                                       {"reason": "r"}).status_code == 403
