"""ETag on every case response; If-Match guards commands: stale -> 412, nothing written."""
from __future__ import annotations

import pytest


@pytest.fixture
def case(caseworker):
    return caseworker.open_case()


def _note(api, case, if_match):
    return api.post(f"/cases/{case['id']}/notes", {"text": "n"}, **{"If-Match": if_match})


def test_a_matching_version_lets_the_command_run(caseworker, case):
    response = _note(caseworker, case, '"1"')
    assert response.status_code == 200 and response.headers["ETag"] == '"2"'


def test_a_stale_version_is_412_and_writes_nothing(caseworker, case):
    _note(caseworker, case, '"1"')
    stale = _note(caseworker, case, '"1"')
    assert stale.status_code == 412 and stale.json["type"].endswith("/precondition-failed")
    assert caseworker.get(f"/cases/{case['id']}").headers["ETag"] == '"2"'


def test_a_star_matches_any_version(caseworker, case):
    assert _note(caseworker, case, "*").status_code == 200


def test_a_weak_tag_never_matches(caseworker, case):
    assert _note(caseworker, case, 'W/"1"').status_code == 412


@pytest.mark.parametrize("header", ["1", '"one"', '"1", "2"', "garbage"])
def test_a_malformed_if_match_is_400(caseworker, case, header):
    response = _note(caseworker, case, header)
    assert response.status_code == 400 and response.json["type"].endswith("/invalid-if-match")
    assert caseworker.get(f"/cases/{case['id']}").headers["ETag"] == '"1"'


def test_referral_and_return_responses_carry_the_case_version(caseworker, case):
    referral = caseworker.refer(case["id"], "unhcr", "legal_aid")
    assert referral.headers["ETag"] == '"2"'
    assert caseworker.get(referral.headers["Location"]).headers["ETag"] == '"2"'


def test_without_if_match_concurrent_commands_are_serialised_and_none_is_lost(app, auth_header, case):
    from concurrent.futures import ThreadPoolExecutor

    headers = auth_header("officer-1", "sms", "caseworker")

    def note(i):
        return app.test_client().post(f"/cases/{case['id']}/notes", json={"text": f"n{i}"},
                                      headers=headers).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(note, range(16)))
    assert statuses == [200] * 16
    state = app.test_client().get(f"/cases/{case['id']}", headers=headers).json
    assert state["version"] == 17 and len(state["notes"]) == 17
