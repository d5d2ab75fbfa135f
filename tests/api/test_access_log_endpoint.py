"""GET /audit/access-log: auditors see every read, a dpo the reads of its org's
cases; filters case_id, actor, from, to. SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone


def test_auditors_see_every_read_and_can_filter(caseworker, api_as):
    ours, theirs = caseworker.open_case(), api_as("w-1", "ngo-a", "caseworker").open_case()
    caseworker.get(f"/cases/{ours['id']}")
    api_as("w-1", "ngo-a", "caseworker").get(f"/cases/{theirs['id']}")
    auditor = api_as("aud-1", "ombudsman", "auditor")
    everything = auditor.get("/audit/access-log").json["items"]
    assert {e["case_id"] for e in everything} >= {ours["id"], theirs["id"]}
    by_actor = auditor.get("/audit/access-log?actor=w-1").json["items"]
    assert by_actor and {e["sub"] for e in by_actor} == {"w-1"}
    by_case = auditor.get(f"/audit/access-log?case_id={ours['id']}").json["items"]
    assert {e["case_id"] for e in by_case} == {ours["id"]}
    soon = (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat()
    assert auditor.client.get("/audit/access-log", query_string={"from": soon},
                              headers=auditor.headers).json["items"] == []
    past = (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat()
    assert auditor.client.get("/audit/access-log", query_string={"to": past},
                              headers=auditor.headers).json["items"] == []


def test_a_dpo_sees_only_its_own_orgs_cases(caseworker, api_as):
    ours, theirs = caseworker.open_case(), api_as("w-1", "ngo-a", "caseworker").open_case()
    caseworker.get(f"/cases/{ours['id']}")
    api_as("w-1", "ngo-a", "caseworker").get(f"/cases/{theirs['id']}")
    seen = api_as("dpo-1", "sms", "dpo").get("/audit/access-log").json["items"]
    assert seen and {e["case_id"] for e in seen} == {ours["id"]}


def test_the_access_log_is_not_for_caseworkers_or_analysts(caseworker, api_as):
    assert caseworker.get("/audit/access-log").status_code == 403
    assert api_as("a-1", "stats", "analyst").get("/audit/access-log").status_code == 403
    assert api_as("aud-1", "ombudsman", "auditor").get("/audit/access-log?cursor=x").status_code == 422
