"""After a realistic workload, the raw database (the SQLite files' bytes, a
pg_dump of the test schema) holds none of the personal values in clear, and no
log line carries one either. Run on SQLite and PostgreSQL."""
from __future__ import annotations

import logging
import subprocess
import uuid
from pathlib import Path

from store.database import libpq_url, postgres_schema, sqlite_path
from tests.api import scenarios
from tests.api.casework import Api, opening, person

PEOPLE = [
    {"given_name": "Gulnara", "family_name": "Seitkaliyeva", "date_of_birth": "1987-05-21",
     "documents": [{"type": "passport", "number": "N09928377", "issuing_country": "KGZ"}],
     "contacts": [{"kind": "phone", "value": "+996555012345"}], "nationality": "KGZ"},
    {"given_name": "Farrukh", "family_name": "Mirzoyev", "date_of_birth": "2011-10-03",
     "documents": [{"type": "birth_certificate", "number": "BC-771-2011", "issuing_country": "TJK"}],
     "nationality": "TJK"},
    {"given_name": "Abdulkadir", "family_name": "Yusufzai", "date_of_birth": "1999-01-30",
     "documents": [{"type": "national_id", "number": "AF-38810-99", "issuing_country": "AFG"}], "nationality": "AFG"},
]
NOTES = ["Brother Rustam works at the Dordoi bazaar", "Fled after threats from the Khodjaev family",
         "Scar on left forearm from detention"]
SECRETS = [p[k] for p in PEOPLE for k in ("given_name", "family_name", "date_of_birth")] + \
    [p["documents"][0]["number"] for p in PEOPLE] + ["+996555012345", "Rustam", "Khodjaev", "forearm"]


def workload(client, auth_header) -> None:
    sms = Api(client, auth_header("officer-1", "sms", "caseworker"))
    ngo = Api(client, auth_header("worker-7", "ngo-a", "caseworker"))
    chief = Api(client, auth_header("chief-1", "sms", "supervisor"))
    auditor = Api(client, auth_header("aud-1", "ombudsman", "auditor"))
    dpo = Api(client, auth_header("dpo-1", "sms", "dpo"))
    ids = []
    for who, note in zip(PEOPLE, NOTES):
        body = opening(person=person(**{k: v for k, v in who.items()}), notes=note)
        response = sms.post("/cases", body, **{"Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code == 201, response.json
        ids.append(response.json["id"])
    sms.post(f"/cases/{ids[0]}/notes", {"text": NOTES[0] + " (confirmed)"}, **{"Idempotency-Key": "n-1"})
    sms.consent(ids[0], "data_sharing", "ngo-a")
    referral = sms.refer(ids[0], "ngo-a", "legal_aid", share_personal_data=True, legal_basis="consent")
    assert referral.status_code == 201, referral.json
    ngo.post(f"/cases/{ids[0]}/referrals/{referral.json['id']}/acceptance", {})
    assert ngo.get(f"/cases/{ids[0]}").json["person"]["given_name"] == "Gulnara"
    ngo.post(f"/cases/{ids[0]}/notes", {"text": "Seen by lawyer; Rustam present"})
    for case_id in ids:
        sms.get(f"/cases/{case_id}")
        sms.get(f"/cases/{case_id}/history")
        auditor.get(f"/cases/{case_id}/history")
        chief.get(f"/cases/{case_id}/integrity")
    sms.get("/cases?limit=10")
    assert dpo.post(f"/cases/{ids[2]}/erasure", {"reason": "data subject request"}).status_code == 200
    assert auditor.post("/audit/checkpoints").status_code == 201


def raw_database(url: str) -> bytes:
    if url.startswith("sqlite:"):
        base = Path(sqlite_path(url))
        return b"".join(p.read_bytes() for p in base.parent.glob(base.name + "*"))
    dump = subprocess.run(["pg_dump", "--data-only", "--schema", postgres_schema(url), libpq_url(url)],
                          capture_output=True, check=True, timeout=60)
    return dump.stdout


def test_the_raw_database_holds_no_personal_value_in_clear(app, client, auth_header, database_url, caplog):
    caplog.set_level(logging.DEBUG)
    workload(client, auth_header)
    app.extensions["casetrail.cases"].close()  # flush SQLite's WAL into the file as well
    raw = raw_database(database_url)
    assert len(raw) > 10_000
    leaked = [s for s in SECRETS if s.encode() in raw or s.encode("utf-16-le") in raw]
    assert leaked == []
    logged = "\n".join(r.getMessage() + " " + str(r.__dict__) for r in caplog.records)
    assert [s for s in SECRETS if s in logged] == []


def test_the_issue_4_scenarios_log_no_personal_value(client, token, caplog):
    """The end-to-end scenarios, with every log record captured at DEBUG."""

    def call(method, path, who, body=None):
        response = client.open(path, method=method, json=body if body is not None or method == "POST" else None,
                               headers={"Authorization": f"Bearer {token(*who)}"})
        return response.status_code, response.json, response.headers

    caplog.set_level(logging.DEBUG)
    scenarios.unaccompanied_child_returns_home(call)
    scenarios.stranded_migrant_regularised(call)
    logged = "\n".join(r.getMessage() + " " + str(r.__dict__) for r in caplog.records)
    assert len(caplog.records) > 10
    assert [s for s in ("Aziz", "Karimi", "Dilnoza", "fears return") if s in logged] == []
