"""Returns: initiated (201 + Location), completed or cancelled."""
from __future__ import annotations

import pytest

from tests.api.casework import future


@pytest.fixture
def case(caseworker):
    case = caseworker.open_case(categories=["economic_migrant"], asylum_intention=False)
    caseworker.consent(case["id"], "voluntary_return", "sms")
    return case


def _initiate(caseworker, case, **extra):
    return caseworker.post(f"/cases/{case['id']}/returns", {"kind": "voluntary", "destination_country": "AFG",
                                                           "planned_date": future(10), **extra})


def test_a_return_is_initiated_with_201_and_location(caseworker, case):
    response = _initiate(caseworker, case)
    assert response.status_code == 201, response.json
    assert response.json["status"] == "initiated" and response.json["kind"] == "voluntary"
    assert response.headers["Location"] == f"/cases/{case['id']}/returns/{response.json['id']}"
    assert caseworker.get(response.headers["Location"]).json["id"] == response.json["id"]


def test_a_return_is_completed(caseworker, case):
    rid = _initiate(caseworker, case).json["id"]
    done = caseworker.post(f"/cases/{case['id']}/returns/{rid}/completion")
    assert done.status_code == 200 and done.json["returns"][0]["status"] == "completed"


def test_a_return_is_cancelled(caseworker, case):
    rid = _initiate(caseworker, case).json["id"]
    cancelled = caseworker.post(f"/cases/{case['id']}/returns/{rid}/cancellation", {"reason": "ill"})
    assert cancelled.status_code == 200 and cancelled.json["returns"][0]["status"] == "cancelled"


@pytest.mark.parametrize("extra", [{"kind": "deportation"}, {"destination_country": "Afghanistan"},
                                   {"planned_date": "soon"}])
def test_an_invalid_return_is_422(caseworker, case, extra):
    assert _initiate(caseworker, case, **extra).status_code == 422
