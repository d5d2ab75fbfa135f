"""GET /cases/{id}/history and /integrity on SQLite and PostgreSQL: every event
with its seal, personal fields by role, tampering reported at its version."""
from __future__ import annotations

from tests.integration import raw_store


def test_history_lists_every_event_with_its_seal(caseworker, database_url):
    case = caseworker.open_case()
    caseworker.post(f"/cases/{case['id']}/notes", {"text": "Met his uncle by phone."})
    response = caseworker.get(f"/cases/{case['id']}/history")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    items = response.json["items"]
    assert [i["version"] for i in items] == [1, 2]
    assert [i["type"] for i in items] == ["CaseOpened", "NoteAdded"]
    assert items[0]["prev_hash"] == "0" * 64 and items[1]["prev_hash"] == items[0]["hash"]
    assert items[0]["actor"] == {"sub": "officer-1", "org": "sms", "client_id": "sms-client"}
    assert items[0]["data"]["person"]["given_name"] == "Aziz"
    assert items[1]["data"]["text"] == "Met his uncle by phone."
    assert items[0]["recorded_at"] and response.json["next_cursor"] is None


def test_an_auditor_sees_the_history_without_personal_data(caseworker, api_as):
    case = caseworker.open_case()
    caseworker.post(f"/cases/{case['id']}/notes", {"text": "Met his uncle by phone."})
    items = api_as("aud-1", "ombudsman", "auditor").get(f"/cases/{case['id']}/history").json["items"]
    assert items[0]["data"]["person"]["given_name"] == "[redacted]"
    assert items[0]["data"]["person"]["documents"] == "[redacted]"
    assert items[0]["data"]["person"]["nationality"] == "AFG"
    assert items[0]["data"]["notes"] == "[redacted]" and items[1]["data"]["text"] == "[redacted]"


def test_history_pages_follow_the_cursor(caseworker):
    case = caseworker.open_case()
    for i in range(4):
        caseworker.post(f"/cases/{case['id']}/notes", {"text": f"note {i}"})
    first = caseworker.get(f"/cases/{case['id']}/history?limit=2").json
    second = caseworker.get(f"/cases/{case['id']}/history?limit=2&cursor={first['next_cursor']}").json
    third = caseworker.get(f"/cases/{case['id']}/history?limit=2&cursor={second['next_cursor']}").json
    assert [i["version"] for page in (first, second, third) for i in page["items"]] == [1, 2, 3, 4, 5]
    assert third["next_cursor"] is None


def test_history_is_not_for_analysts_and_hidden_from_other_orgs(caseworker, api_as):
    case = caseworker.open_case()
    assert api_as("a-1", "stats-agency", "analyst").get(f"/cases/{case['id']}/history").status_code == 403
    assert api_as("x-1", "other-ngo", "caseworker").get(f"/cases/{case['id']}/history").status_code == 404


def test_history_reads_are_in_the_access_log(caseworker, api_as):
    case = caseworker.open_case()
    api_as("aud-1", "ombudsman", "auditor").get(f"/cases/{case['id']}/history")
    log = api_as("aud-1", "ombudsman", "auditor").get(f"/audit/access-log?case_id={case['id']}").json["items"]
    assert any(e["view"] == "history" and e["sub"] == "aud-1" and e["redacted"] for e in log)


def test_integrity_of_an_untouched_case_is_valid(caseworker, api_as):
    case = caseworker.open_case()
    caseworker.post(f"/cases/{case['id']}/notes", {"text": "x"})
    body = api_as("aud-1", "ombudsman", "auditor").get(f"/cases/{case['id']}/integrity").json
    history = caseworker.get(f"/cases/{case['id']}/history").json["items"]
    assert body == {"valid": True, "events": 2, "head_hash": history[-1]["hash"], "first_bad_version": None}
    assert caseworker.get(f"/cases/{case['id']}/integrity").status_code == 403


def test_integrity_names_the_first_changed_version(caseworker, supervisor, database_url):
    case = caseworker.open_case()
    for text in ("one", "two", "three"):
        caseworker.post(f"/cases/{case['id']}/notes", {"text": text})
    rows = raw_store.rows(database_url, case["id"])
    raw_store.set_state(database_url, case["id"], 2, raw_store.flip_byte(rows[1][2]))
    body = supervisor.get(f"/cases/{case['id']}/integrity").json
    assert body["valid"] is False and body["first_bad_version"] == 2
    history = caseworker.get(f"/cases/{case['id']}/history")
    assert history.status_code == 200
    assert [i["type"] for i in history.json["items"]][1] in ("NoteAdded", "unreadable")


def test_integrity_of_a_case_whose_first_row_was_deleted(caseworker, api_as, database_url):
    case = caseworker.open_case()
    caseworker.post(f"/cases/{case['id']}/notes", {"text": "one"})
    raw_store.delete(database_url, case["id"], 1)
    body = api_as("aud-1", "ombudsman", "auditor").get(f"/cases/{case['id']}/integrity").json
    assert body["valid"] is False and body["first_bad_version"] == 1
