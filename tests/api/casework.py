"""Bodies and calls shared by the API tests: a valid case, and one call per
command, so each test file reads as the behaviour it checks."""
from __future__ import annotations

from datetime import date, timedelta

TODAY = date.today()


def person(**overrides) -> dict:
    body = {"given_name": "Aziz", "family_name": "Karimi", "sex": "male", "date_of_birth": "2010-03-14",
            "nationality": "AFG", "languages": ["prs"],
            "documents": [{"type": "passport", "number": "P1234567", "issuing_country": "AFG"}]}
    body.update(overrides)
    return body


def opening(**overrides) -> dict:
    body = {"person": person(), "encounter": {"date": (TODAY - timedelta(days=2)).isoformat(), "country": "KAZ",
                                              "place": "Zhibek Zholy border crossing", "type": "border"},
            "categories": ["asylum_seeker", "unaccompanied_child"], "asylum_intention": True,
            "notes": "Arrived alone, states he fears return."}
    body.update(overrides)
    return body


class Api:
    """The test client with one caller's token: `api.post(path, body)`."""

    def __init__(self, client, headers: dict):
        self.client, self.headers = client, headers

    def get(self, path: str, **headers):
        return self.client.get(path, headers={**self.headers, **headers})

    def post(self, path: str, body: dict | None = None, **headers):
        return self.client.post(path, json=body if body is not None else {}, headers={**self.headers, **headers})

    def open_case(self, **overrides) -> dict:
        response = self.post("/cases", opening(**overrides))
        assert response.status_code == 201, response.json
        return response.json

    def refer(self, case_id: str, to_org: str, service: str, **extra):
        return self.post(f"/cases/{case_id}/referrals", {"to_org": to_org, "service": service, **extra})

    def consent(self, case_id: str, purpose: str, organisation: str, given: bool = True):
        return self.post(f"/cases/{case_id}/consents",
                         {"purpose": purpose, "organisation": organisation, "given": given})


def future(days: int = 30) -> str:
    return (TODAY + timedelta(days=days)).isoformat()
