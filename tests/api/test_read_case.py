"""GET /cases/{id}: now, at a version, as of a time; each read access-logged."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from urllib.parse import quote

from application import access_log
from auth.principal import Principal


def test_the_current_state_carries_its_version_as_etag(caseworker):
    case = caseworker.open_case()
    caseworker.post(f"/cases/{case['id']}/notes", {"text": "second visit"})
    response = caseworker.get(f"/cases/{case['id']}")
    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"' and response.json["version"] == 2
    assert response.headers["Cache-Control"] == "no-store"


def test_a_past_version_is_rebuilt_from_the_event_store(caseworker):
    case = caseworker.open_case()
    caseworker.post(f"/cases/{case['id']}/asylum", {"event": "lodged"})
    then = caseworker.get(f"/cases/{case['id']}?version=1")
    assert then.status_code == 200 and then.headers["ETag"] == '"1"'
    assert then.json["asylum_status"] == "intention_expressed"


def test_as_of_gives_the_state_at_that_time(caseworker):
    case = caseworker.open_case()
    time.sleep(0.05)
    between = datetime.now(timezone.utc).isoformat()
    time.sleep(0.05)
    caseworker.post(f"/cases/{case['id']}/asylum", {"event": "lodged"})
    then = caseworker.get(f"/cases/{case['id']}?as_of={quote(between)}")
    assert then.status_code == 200 and then.json["version"] == 1
    assert caseworker.get(f"/cases/{case['id']}?as_of=2000-01-01T00:00:00Z").status_code == 404


def test_a_version_not_yet_reached_is_404(caseworker):
    case = caseworker.open_case()
    assert caseworker.get(f"/cases/{case['id']}?version=9").status_code == 404


def test_version_and_as_of_together_or_malformed_are_422(caseworker):
    case = caseworker.open_case()
    assert caseworker.get(f"/cases/{case['id']}?version=1&as_of=2026-01-01T00:00:00Z").status_code == 422
    assert caseworker.get(f"/cases/{case['id']}?version=0").status_code == 422
    assert caseworker.get(f"/cases/{case['id']}?as_of=yesterday").status_code == 422
    assert caseworker.get(f"/cases/{case['id']}?colour=red").status_code == 422


def test_an_unknown_case_is_404_problem(caseworker):
    response = caseworker.get(f"/cases/{uuid.uuid4()}")
    assert response.status_code == 404 and response.json["type"].endswith("/case-not-found")


def test_every_read_is_written_to_the_access_log(caseworker, api_as, app):
    case = caseworker.open_case()
    caseworker.get(f"/cases/{case['id']}")
    caseworker.get(f"/cases/{case['id']}?version=1")
    caseworker.get(f"/cases/{case['id']}?as_of={quote(datetime.now(timezone.utc).isoformat())}")
    api_as("aud-1", "oversight", "auditor").get(f"/cases/{case['id']}")
    rows = access_log.entries(app.extensions["casetrail.database"], case_id=case["id"])
    assert [(r["sub"], r["org"], r["view"], r["redacted"]) for r in rows] == [
        ("officer-1", "sms", "current", False), ("officer-1", "sms", "version", False),
        ("officer-1", "sms", "as_of", False), ("aud-1", "oversight", "current", True)]
    assert rows[0]["client_id"] == "sms-client" and rows[0]["at"].endswith("Z")


def test_a_refused_read_is_not_logged_as_a_read(caseworker, api_as, app):
    case = caseworker.open_case()
    api_as("other", "ngo", "caseworker").get(f"/cases/{case['id']}")
    assert access_log.entries(app.extensions["casetrail.database"], case_id=case["id"]) == []


def test_the_access_log_is_append_only(caseworker, app):
    import pytest

    case = caseworker.open_case()
    caseworker.get(f"/cases/{case['id']}")
    database = app.extensions["casetrail.database"]
    for statement in ("UPDATE access_log SET sub = 'nobody'", "DELETE FROM access_log"):
        with pytest.raises(Exception):
            with database.transaction() as cur:
                cur.execute(statement)
    assert len(access_log.entries(database, case_id=case["id"])) == 1


def test_record_takes_list_filters_for_the_other_read_endpoints(app):
    database = app.extensions["casetrail.database"]
    who = Principal("s", "sms", frozenset({"caseworker"}), client_id="c")
    access_log.record(who, "list", filters={"stage": "referral", "q": True}, database=database)
    row = access_log.entries(database)[-1]
    assert row["view"] == "list" and row["case_id"] is None and row["filters"] == {"q": True, "stage": "referral"}
