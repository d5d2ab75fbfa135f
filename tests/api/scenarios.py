"""The end-to-end scenarios of the case API, written once against a `call` function so
they run through the Flask test client and through a real gunicorn alike.

`call(method, path, who, body=None)` -> (status, json body, headers), where `who`
is (sub, org, role)."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Callable

Call = Callable[..., tuple]

BORDER_OFFICER = ("officer-7", "sms", "caseworker")       # state migration service
SMS_SUPERVISOR = ("chief-2", "sms", "supervisor")
UNHCR_OFFICER = ("protection-3", "unhcr", "caseworker")
NGO_WORKER = ("social-worker-1", "childrights", "caseworker")  # a child-protection NGO
IOM_SUPERVISOR = ("avrr-lead", "iom", "supervisor")
IOM_WORKER = ("avrr-officer", "iom", "caseworker")


def _ok(result, status: int = 200):
    code, body, _ = result
    assert code == status, (code, body)
    return body


def _refused(result, rule: str) -> None:
    code, body, _ = result
    assert code == 409, (code, body)
    assert body["type"].endswith("/problems/" + rule), body


def unaccompanied_child_returns_home(call: Call) -> dict:
    """(a) From the border to an assisted voluntary return, every protection honoured."""
    today = date.today()
    sixteen = today.replace(year=today.year - 16) - timedelta(days=40)
    case = _ok(call("POST", "/cases", BORDER_OFFICER, {
        "person": {"given_name": "Aziz", "family_name": "Karimi", "sex": "male",
                   "date_of_birth": sixteen.isoformat(), "nationality": "AFG", "languages": ["prs"]},
        "encounter": {"date": (today - timedelta(days=1)).isoformat(), "country": "KAZ",
                      "place": "Zhibek Zholy border crossing", "type": "border"},
        "categories": ["asylum_seeker", "unaccompanied_child"], "asylum_intention": True,
        "notes": "Arrived alone, states he fears return."}), 201)
    path = f"/cases/{case['id']}"
    assert case["asylum_status"] == "intention_expressed"

    for org in ("unhcr", "childrights"):  # his informed consent to share with each
        _ok(call("POST", path + "/consents", BORDER_OFFICER,
                 {"purpose": "data_sharing", "organisation": org, "given": True}))
    to_unhcr = _ok(call("POST", path + "/referrals", BORDER_OFFICER,
                        {"to_org": "unhcr", "service": "asylum_procedure", "share_personal_data": True}), 201)
    to_ngo = _ok(call("POST", path + "/referrals", BORDER_OFFICER,
                      {"to_org": "childrights", "service": "child_protection", "share_personal_data": True}), 201)
    _ok(call("POST", f"{path}/referrals/{to_unhcr['id']}/acceptance", UNHCR_OFFICER))
    accepted = _ok(call("POST", f"{path}/referrals/{to_ngo['id']}/acceptance", NGO_WORKER))
    assert {r["status"] for r in accepted["referrals"]} == {"accepted"}
    seen_by_ngo = _ok(call("GET", path, NGO_WORKER))
    assert seen_by_ngo["person"]["given_name"] == "Aziz"  # shared with consent

    _refused(call("POST", path + "/returns", BORDER_OFFICER,
                  {"kind": "forced", "destination_country": "AFG",
                   "planned_date": (today + timedelta(days=14)).isoformat()}), "non-refoulement")
    _ok(call("POST", path + "/asylum", BORDER_OFFICER, {"event": "lodged"}))
    rejected = _ok(call("POST", path + "/asylum", BORDER_OFFICER, {"event": "rejected_final"}))
    assert rejected["asylum_status"] == "rejected_final"
    assessed = _ok(call("POST", path + "/assessments", NGO_WORKER, {"best_interests": "family_reunification"}))
    assert assessed["best_interests"]["outcome"] == "family_reunification"

    _ok(call("POST", path + "/transfer", SMS_SUPERVISOR, {"to_org": "iom", "reason": "AVRR"}))
    transferred = _ok(call("POST", path + "/transfer/acceptance", IOM_SUPERVISOR))
    assert transferred["owner_org"] == "iom"
    _ok(call("POST", path + "/consents", IOM_WORKER,
             {"purpose": "voluntary_return", "organisation": "iom", "given": True}))
    initiated = _ok(call("POST", path + "/returns", IOM_WORKER,
                         {"kind": "assisted_voluntary", "destination_country": "AFG",
                          "planned_date": (today + timedelta(days=10)).isoformat()}), 201)
    done = _ok(call("POST", f"{path}/returns/{initiated['id']}/completion", IOM_WORKER))
    assert done["returns"][0]["status"] == "completed" and done["stage"] == "return"
    closed = _ok(call("POST", path + "/closure", IOM_SUPERVISOR, {"reason": "returned home, reunited with family"}))
    assert closed["status"] == "closed" and closed["owner_org"] == "iom"
    return closed


def stranded_migrant_regularised(call: Call) -> dict:
    """(b) A stranded migrant gets a work permit; a forced return is then refused."""
    today = date.today()
    case = _ok(call("POST", "/cases", BORDER_OFFICER, {
        "person": {"given_name": "Dilnoza", "sex": "female", "age_estimate": 34, "nationality": "UZB"},
        "encounter": {"date": (today - timedelta(days=30)).isoformat(), "country": "KAZ", "type": "inland"},
        "categories": ["stranded_migrant"]}), 201)
    path = f"/cases/{case['id']}"
    _ok(call("POST", path + "/regularization", BORDER_OFFICER, {"pathway": "work_permit"}))
    valid_until = (today + timedelta(days=365)).isoformat()
    granted = _ok(call("POST", path + "/regularization/decision", BORDER_OFFICER,
                       {"decision": "granted", "valid_until": valid_until}))
    assert granted["regularization"]["status"] == "granted"
    assert granted["regularization"]["valid_until"] == valid_until
    _refused(call("POST", path + "/returns", BORDER_OFFICER,
                  {"kind": "forced", "destination_country": "UZB",
                   "planned_date": (today + timedelta(days=7)).isoformat()}), "regularised-stay")
    final = _ok(call("GET", path, BORDER_OFFICER))
    assert final["returns"] == [] and final["stage"] == "regularization"
    return final
