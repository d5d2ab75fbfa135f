"""Idempotency-Key: a repeat replays the first response and writes nothing; the
same key with another body is 422; 50 concurrent duplicates make one event."""
from __future__ import annotations

import threading
import uuid

from tests.api.casework import opening


def _events(app, case_id) -> int:
    return app.extensions["casetrail.cases"].get_case(uuid.UUID(case_id)).version


def test_a_repeat_returns_the_first_response_and_writes_nothing(caseworker, app):
    first = caseworker.post("/cases", opening(), **{"Idempotency-Key": "k-1"})
    again = caseworker.post("/cases", opening(), **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"] and again.headers["ETag"] == '"1"'
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_repeated_command_lands_once(caseworker, app):
    case = caseworker.open_case()
    for _ in range(3):
        response = caseworker.post(f"/cases/{case['id']}/notes", {"text": "once"}, **{"Idempotency-Key": "n-1"})
        assert response.status_code == 200 and response.json["version"] == 2
    assert _events(app, case["id"]) == 2


def test_the_same_key_with_another_body_is_422(caseworker):
    caseworker.post("/cases", opening(), **{"Idempotency-Key": "k-2"})
    response = caseworker.post("/cases", opening(notes="other"), **{"Idempotency-Key": "k-2"})
    assert response.status_code == 422 and response.json["type"].endswith("/idempotency-key-reused")


def test_keys_belong_to_one_caller(caseworker, api_as):
    first = caseworker.post("/cases", opening(), **{"Idempotency-Key": "shared"})
    other = api_as("officer-2", "sms", "caseworker").post("/cases", opening(), **{"Idempotency-Key": "shared"})
    assert other.status_code == 201 and other.json["id"] != first.json["id"]


def test_a_refusal_is_replayed_too(caseworker, app):
    case = caseworker.open_case()
    body = {"kind": "forced", "destination_country": "AFG", "planned_date": "2030-01-01"}
    first = caseworker.post(f"/cases/{case['id']}/returns", body, **{"Idempotency-Key": "r-1"})
    again = caseworker.post(f"/cases/{case['id']}/returns", body, **{"Idempotency-Key": "r-1"})
    assert first.status_code == again.status_code == 409 and again.json == first.json


def test_a_malformed_key_is_400(caseworker):
    response = caseworker.post("/cases", opening(), **{"Idempotency-Key": "x" * 256})
    assert response.status_code == 400 and response.json["type"].endswith("/invalid-idempotency-key")


def test_fifty_concurrent_duplicates_create_exactly_one_event(app, auth_header, caseworker):
    case = caseworker.open_case()
    headers = {**auth_header("officer-1", "sms", "caseworker"), "Idempotency-Key": "burst-1"}
    statuses, bodies, start = [], [], threading.Barrier(50)

    def send():
        client = app.test_client()
        start.wait()
        response = client.post(f"/cases/{case['id']}/notes", json={"text": "burst"}, headers=headers)
        statuses.append(response.status_code)
        bodies.append(response.json)

    threads = [threading.Thread(target=send) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _events(app, case["id"]) == 2, "more than one note landed"
    assert set(statuses) <= {200, 409} and 200 in statuses
    assert all(b["version"] == 2 for b, s in zip(bodies, statuses) if s == 200)
    assert all(b["type"].endswith("/idempotency-in-progress") for b, s in zip(bodies, statuses) if s == 409)
