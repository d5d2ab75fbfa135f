"""POST /cases/{id}/erasure on SQLite and PostgreSQL: the key is shredded, the
history stays whole and verifiable, every view says [erased], commands are refused."""
from __future__ import annotations


def _erased_case(caseworker, dpo):
    case = caseworker.open_case()
    caseworker.post(f"/cases/{case['id']}/notes", {"text": "Met his uncle by phone."})
    response = dpo.post(f"/cases/{case['id']}/erasure", {"reason": "request of the data subject"})
    assert response.status_code == 200, response.json
    return case, response


def test_erasure_shows_erased_everywhere_and_keeps_the_history_verifiable(caseworker, api_as):
    dpo, auditor = api_as("dpo-1", "sms", "dpo"), api_as("aud-1", "ombudsman", "auditor")
    case, response = _erased_case(caseworker, dpo)
    assert response.json["status"] == "erased"
    assert response.json["person"]["given_name"] == "[erased]"
    assert response.json["person"]["nationality"] == "AFG"
    current = caseworker.get(f"/cases/{case['id']}").json
    assert current["person"]["family_name"] == "[erased]" and current["person"]["documents"] == "[erased]"
    assert {n["text"] for n in current["notes"]} == {"[erased]"}
    items = caseworker.get(f"/cases/{case['id']}/history").json["items"]
    assert [i["type"] for i in items] == ["CaseOpened", "NoteAdded", "CaseErased"]
    assert items[0]["data"]["person"]["given_name"] == "[erased]" and items[1]["data"]["text"] == "[erased]"
    past = caseworker.get(f"/cases/{case['id']}?version=1").json
    assert past["person"]["given_name"] == "[erased]"
    assert auditor.get(f"/cases/{case['id']}/integrity").json["valid"] is True


def test_an_erased_case_refuses_commands_and_a_second_erasure(caseworker, api_as):
    dpo = api_as("dpo-1", "sms", "dpo")
    case, _ = _erased_case(caseworker, dpo)
    refused = caseworker.post(f"/cases/{case['id']}/notes", {"text": "again"})
    assert refused.status_code == 409 and refused.json["type"].endswith("/case-erased")
    again = dpo.post(f"/cases/{case['id']}/erasure", {})
    assert again.status_code == 409 and again.json["type"].endswith("/case-erased")


def test_only_the_owning_orgs_dpo_may_erase(caseworker, api_as):
    case = caseworker.open_case()
    assert caseworker.post(f"/cases/{case['id']}/erasure", {}).status_code == 403
    assert api_as("dpo-9", "other-ngo", "dpo").post(f"/cases/{case['id']}/erasure", {}).status_code == 404
    assert caseworker.get(f"/cases/{case['id']}").json["person"]["given_name"] == "Aziz"


def test_a_crash_after_the_key_is_shredded_leaves_nothing_readable(caseworker, api_as, app):
    """The key goes first: if the CaseErased event is never written, the data is
    unreadable anyway, and erasing again completes the job."""
    case = caseworker.open_case()
    app.extensions["casetrail.cases"].mapper.case_keys.destroy(case["id"])
    assert caseworker.get(f"/cases/{case['id']}").json["person"]["given_name"] == "[erased]"
    assert api_as("dpo-1", "sms", "dpo").post(f"/cases/{case['id']}/erasure", {}).status_code == 200
