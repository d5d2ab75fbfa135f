"""Supervisor commands: assignment, transfer, closure and reopening."""
from __future__ import annotations

import pytest


@pytest.fixture
def case(caseworker):
    return caseworker.open_case()


def test_a_supervisor_assigns_the_case(supervisor, case):
    response = supervisor.post(f"/cases/{case['id']}/assignment", {"assignee": "officer-9"})
    assert response.status_code == 200 and response.json["assignee"] == "officer-9"


def test_a_transfer_moves_ownership_when_the_receiver_accepts(supervisor, api_as, case):
    requested = supervisor.post(f"/cases/{case['id']}/transfer", {"to_org": "iom"})
    assert requested.json["transfer"] == {"from_org": "sms", "to_org": "iom", "reason": None}
    iom = api_as("lead", "iom", "supervisor")
    assert iom.get(f"/cases/{case['id']}").status_code == 200
    accepted = iom.post(f"/cases/{case['id']}/transfer/acceptance")
    assert accepted.status_code == 200 and accepted.json["owner_org"] == "iom"


def test_a_rejected_transfer_leaves_ownership(supervisor, api_as, case):
    supervisor.post(f"/cases/{case['id']}/transfer", {"to_org": "iom"})
    rejected = api_as("lead", "iom", "supervisor").post(f"/cases/{case['id']}/transfer/rejection",
                                                        {"reason": "no office there"})
    assert rejected.status_code == 200
    state = supervisor.get(f"/cases/{case['id']}").json
    assert state["owner_org"] == "sms" and state["transfer"] is None


def test_a_case_is_closed_and_reopened(supervisor, case):
    closed = supervisor.post(f"/cases/{case['id']}/closure", {"reason": "left the country"})
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    reopened = supervisor.post(f"/cases/{case['id']}/reopening", {"reason": "came back"})
    assert reopened.status_code == 200 and reopened.json["status"] == "open"
    assert reopened.json["stage"] == "identification"


def test_closure_needs_a_reason(supervisor, case):
    assert supervisor.post(f"/cases/{case['id']}/closure", {}).status_code == 422


@pytest.mark.parametrize("path, body", [("assignment", {"assignee": "x"}), ("transfer", {"to_org": "iom"}),
                                        ("closure", {"reason": "x"})])
def test_a_caseworker_may_not_run_supervisor_commands(caseworker, case, path, body):
    assert caseworker.post(f"/cases/{case['id']}/{path}", body).status_code == 403
