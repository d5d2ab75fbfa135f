"""The stored format on SQLite and PostgreSQL: personal values encrypted with the
case key, every row sealed in its case's hash chain, tampering found at its version."""
from __future__ import annotations

import threading
from datetime import date

import pytest

from application.cases import Caller, Cases
from domain.actor import Actor
from domain.errors import CaseErased
from store import sealing
from store.integrity import verify_case, verify_store
from tests.integration import raw_store
from tests.support.stores import another_process, open_cases

OFFICER = Caller(Actor("officer-1", "sms", "sms-app"))
PERSON = {"given_name": "Zarina", "family_name": "Tokhtarova", "sex": "female", "date_of_birth": "1991-07-02",
          "nationality": "UZB", "documents": [{"type": "passport", "number": "FA7781234", "issuing_country": "UZB"}],
          "contacts": [{"kind": "phone", "value": "+77015550199"}]}
ENCOUNTER = {"date": "2026-11-20", "country": "KAZ", "place": "Almaty", "type": "inland"}
SECRETS = ["Zarina", "Tokhtarova", "1991-07-02", "FA7781234", "+77015550199", "sister in Astana", "lost passport"]


@pytest.fixture
def cases(database_url, tmp_path):
    app = open_cases(database_url, tmp_path / "var", clock=lambda: date(2026, 11, 26))
    yield app
    app.close()


def a_case_with_history(cases: Cases):
    case = cases.open_case(OFFICER, PERSON, ENCOUNTER, ["stranded_migrant"], notes="sister in Astana").case
    cases.add_note(OFFICER, case.id, "lost passport")
    cases.record_asylum(OFFICER, case.id, "intention_expressed")
    cases.add_note(OFFICER, case.id, "interview booked")
    return case.id


def test_personal_values_are_stored_encrypted_and_read_back_in_clear(cases, database_url):
    case_id = a_case_with_history(cases)
    stored = b"".join(state for _, _, state in raw_store.rows(database_url, case_id))
    for secret in SECRETS:
        assert secret.encode() not in stored
    assert b"UZB" in stored and b"stranded_migrant" in stored  # statistics fields stay in clear
    case = cases.get_case(case_id)
    assert case.person == PERSON
    assert [n["text"] for n in case.notes] == ["sister in Astana", "lost passport", "interview booked"]


def test_each_row_chains_onto_its_predecessor(cases, database_url):
    case_id = a_case_with_history(cases)
    rows = raw_store.rows(database_url, case_id)
    seals = [sealing.unpack(state) for _, _, state in rows]
    assert seals[0].prev_hash == sealing.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(seals, seals[1:]))
    report = verify_case(cases, case_id)
    assert report.valid and report.events == 4 and report.head_hash == seals[-1].hash.hex()


def test_the_chain_holds_when_writers_race_and_retry(cases, database_url):
    case_id = cases.open_case(OFFICER, PERSON, ENCOUNTER, ["stranded_migrant"]).case.id
    other = another_process(cases, database_url)
    try:
        def write(app, n):
            for i in range(n):
                app.add_note(OFFICER, case_id, f"note {i}")
        threads = [threading.Thread(target=write, args=(app, 8)) for app in (cases, other)]
        [t.start() for t in threads]
        [t.join() for t in threads]
    finally:
        other.close()
    report = verify_case(cases, case_id)
    assert report.valid and report.events == 17


@pytest.mark.parametrize("tamper, bad_version", [
    ("flip_a_byte", 3),
    ("delete_a_row", 3),
    ("swap_two_rows", 2),
    ("insert_a_row", 5),
])
def test_tampering_with_a_row_is_found_at_its_version(cases, database_url, tamper, bad_version):
    case_id = a_case_with_history(cases)
    rows = raw_store.rows(database_url, case_id)
    if tamper == "flip_a_byte":
        raw_store.set_state(database_url, case_id, 3, raw_store.flip_byte(rows[2][2]))
    elif tamper == "delete_a_row":
        raw_store.delete(database_url, case_id, 3)
    elif tamper == "swap_two_rows":
        raw_store.set_state(database_url, case_id, 2, rows[2][2])
        raw_store.set_state(database_url, case_id, 3, rows[1][2])
    else:
        raw_store.insert(database_url, case_id, 5, rows[3][1], rows[3][2])
    report = verify_case(cases, case_id)
    assert not report.valid and report.first_bad_version == bad_version
    broken = {case: r.first_bad_version for case, r in verify_store(cases) if not r.valid}
    assert broken == {str(case_id): bad_version}


def test_a_rewritten_body_with_a_recomputed_hash_still_breaks_the_next_link(cases, database_url):
    case_id = a_case_with_history(cases)
    v, topic, state = raw_store.rows(database_url, case_id)[1]
    seal = sealing.unpack(state)
    forged = seal.body[:-1] + b" "  # any change to the body, resealed by someone without the history
    raw_store.set_state(database_url, case_id, 2, sealing.seal(seal.prev_hash, case_id, 2, topic, forged))
    assert verify_case(cases, case_id).first_bad_version == 3


def test_a_destroyed_key_reads_as_erased_and_the_chain_still_verifies(cases):
    case_id = a_case_with_history(cases)
    cases.mapper.case_keys.destroy(case_id)
    case = cases.get_case(case_id)
    assert case.person["given_name"] == "[erased]" and case.person["documents"] == "[erased]"
    assert case.person["nationality"] == "UZB"
    assert {n["text"] for n in case.notes} == {"[erased]"}
    assert verify_case(cases, case_id).valid
    with pytest.raises(CaseErased):
        cases.add_note(OFFICER, case_id, "too late")


def test_the_aggregate_in_memory_keeps_its_clear_values_after_saving(cases):
    outcome = cases.open_case(OFFICER, PERSON, ENCOUNTER, ["stranded_migrant"], notes="sister in Astana")
    assert outcome.case.person == PERSON and outcome.case.notes[0]["text"] == "sister in Astana"
