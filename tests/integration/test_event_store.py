"""The event store on SQLite and PostgreSQL: save, load, version conflicts,
long cases, and concurrent commands that lose nothing."""
from __future__ import annotations

import threading
from datetime import date

import pytest
from eventsourcing.persistence import IntegrityError

from application.cases import Caller, CaseNotFound, Cases, VersionMismatch
from domain.actor import Actor
from domain.errors import NonRefoulementViolation
from tests.support.stores import another_process, open_cases

OFFICER = Caller(Actor("officer-1", "sms", "sms-app"))
PERSON = {"given_name": "Aziz", "family_name": "Karimi", "sex": "male", "date_of_birth": "2009-03-14",
          "nationality": "AFG"}
ENCOUNTER = {"date": "2026-11-20", "country": "KAZ", "place": "Zhibek Zholy", "type": "border"}


@pytest.fixture
def cases(database_url, tmp_path):
    app = open_cases(database_url, tmp_path / "var", clock=lambda: date(2026, 11, 26))
    yield app
    app.close()


def open_case(cases: Cases, **kwargs):
    return cases.open_case(OFFICER, PERSON, ENCOUNTER, kwargs.pop("categories", ["asylum_seeker"]), **kwargs)


def test_an_opened_case_is_saved_and_loaded_with_its_state(cases):
    outcome = open_case(cases, asylum_intention=True, notes="fears return")
    loaded = cases.get_case(outcome.case.id)
    assert loaded.version == 1
    assert loaded.owner_org == "sms"
    assert loaded.asylum_status == "intention_expressed"
    assert loaded.person["given_name"] == "Aziz"
    assert loaded.notes[0]["text"] == "fears return"
    assert outcome.position is not None and outcome.position >= 1


def test_every_event_records_the_actor_and_the_times(cases):
    case_id = open_case(cases).case.id
    cases.record_asylum(OFFICER, case_id, "lodged", effective_at="2026-11-21")
    events = list(cases.events.get(case_id))
    assert [type(e).__name__ for e in events] == ["CaseOpened", "AsylumEventRecorded"]
    assert events[1].actor == {"sub": "officer-1", "org": "sms", "client_id": "sms-app"}
    assert events[1].effective_at == "2026-11-21"
    assert events[1].timestamp > events[0].timestamp


def test_a_missing_case_is_reported_as_not_found(cases):
    import uuid

    with pytest.raises(CaseNotFound):
        cases.get_case(uuid.uuid4())


def test_a_stale_expected_version_is_refused_and_writes_nothing(cases):
    case_id = open_case(cases).case.id
    cases.add_note(OFFICER, case_id, "first")
    stale = Caller(OFFICER.actor, expected_version=1)
    with pytest.raises(VersionMismatch):
        cases.add_note(stale, case_id, "second")
    assert cases.get_case(case_id).version == 2


def test_the_store_refuses_a_second_event_at_the_same_version(cases):
    case_id = open_case(cases).case.id
    first, second = cases.get_case(case_id), cases.get_case(case_id)
    first.add_note(OFFICER.actor, "one")
    second.add_note(OFFICER.actor, "two")
    cases.save(first)
    with pytest.raises(IntegrityError):
        cases.save(second)
    assert [n["text"] for n in cases.get_case(case_id).notes] == ["one"]


def test_a_refused_command_writes_no_event(cases):
    case_id = open_case(cases, asylum_intention=True).case.id
    with pytest.raises(NonRefoulementViolation):
        cases.initiate_return(OFFICER, case_id, "forced", "AFG", "2026-12-01")
    assert cases.get_case(case_id).version == 1


def test_a_case_of_a_thousand_events_is_reconstructed_exactly(cases):
    case_id = open_case(cases).case.id
    case = cases.get_case(case_id)
    for i in range(999):
        case.add_note(OFFICER.actor, f"note {i}")
        if i % 100 == 99:
            cases.save(case)
    cases.save(case)
    loaded = cases.get_case(case_id)
    assert loaded.version == 1000
    assert loaded.notes[-1]["text"] == "note 998"
    assert cases.get_case(case_id, version=500).version == 500


def test_concurrent_commands_without_expected_version_lose_no_event(cases, database_url):
    case_id = open_case(cases).case.id
    # A second application object stands for another gunicorn worker: the two
    # race on the store, not on the in-process lock.
    other = another_process(cases, database_url)
    errors: list[BaseException] = []

    def write(app: Cases, label: str) -> None:
        try:
            for i in range(15):
                app.add_note(OFFICER, case_id, f"{label}-{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(app, f"{n}-{k}"))
               for n, app in enumerate((cases, other)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    assert errors == []
    texts = [n["text"] for n in cases.get_case(case_id).notes]
    assert len(texts) == 6 * 15 and len(set(texts)) == 6 * 15
    assert cases.get_case(case_id).version == 1 + 6 * 15


def test_a_retried_command_checks_the_rules_again_on_the_fresh_state(cases, database_url):
    """Another writer records an asylum intention between our load and our save:
    the save conflicts, the command re-runs on the fresh state, and the forced
    return that the stale state allowed is refused."""
    case_id = open_case(cases, categories=["economic_migrant"]).case.id
    racer = another_process(cases, database_url)
    loads = []

    def race_once(case) -> None:  # runs after each load, before the command
        loads.append(case.version)
        if len(loads) == 1:
            racer.record_asylum(OFFICER, case_id, "intention_expressed")

    with pytest.raises(NonRefoulementViolation):
        cases.initiate_return(Caller(OFFICER.actor, authorize=race_once), case_id, "forced", "AFG", "2026-12-01")
    racer.close()
    assert loads == [1, 2]
    assert cases.get_case(case_id).returns == {}


def test_with_an_expected_version_a_conflict_is_refused_not_retried(cases, database_url):
    case_id = open_case(cases).case.id
    racer = another_process(cases, database_url)

    def race(case) -> None:
        racer.add_note(OFFICER, case_id, "sneaked in")

    with pytest.raises(VersionMismatch):
        cases.add_note(Caller(OFFICER.actor, expected_version=1, authorize=race), case_id, "mine")
    racer.close()
    assert [n["text"] for n in cases.get_case(case_id).notes] == ["sneaked in"]
