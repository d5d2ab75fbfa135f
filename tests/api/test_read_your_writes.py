"""A command's response carries the position of its event; sending it back on
GET /cases reads the caller's own write from the views."""
from __future__ import annotations

from tests.api.casework import opening


def test_every_command_response_carries_its_event_position(caseworker):
    opened = caseworker.post("/cases", opening())
    noted = caseworker.post(f"/cases/{opened.json['id']}/notes", {"text": "seen by the doctor"})
    referred = caseworker.refer(opened.json["id"], "unhcr", "legal_aid")
    positions = [int(r.headers["Casetrail-Position"]) for r in (opened, noted, referred)]
    assert positions == sorted(positions) and len(set(positions)) == 3


def test_a_list_sent_the_position_of_a_write_shows_that_write(caseworker):
    for _ in range(3):
        opened = caseworker.post("/cases", opening())
        position = opened.headers["Casetrail-Position"]
        listed = caseworker.get("/cases?limit=500", **{"Casetrail-Min-Position": position})
        assert listed.status_code == 200
        assert opened.json["id"] in {item["id"] for item in listed.json["items"]}


def test_reads_carry_no_position(caseworker):
    opened = caseworker.open_case()
    assert "Casetrail-Position" not in caseworker.get(f"/cases/{opened['id']}").headers
