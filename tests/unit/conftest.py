"""Fixtures for the domain unit tests: plain Case aggregates, no application, no I/O.

Each test reads given / when / then:

    case = open_case(asylum_intention=True)                    # given: the facts so far
    with refused(case, NonRefoulementViolation, "non-refoulement"):
        case.initiate_return(officer, "forced", ...)           # when: one command
                                                               # then: that error, no event
or
    with when(case) as recorded:
        case.initiate_return(officer, "forced", ...)
    assert recorded.names == ["ReturnInitiated"]

Both context managers first drop the events of the givens, so `recorded` holds only
what the one command under test recorded.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager
from datetime import date

import pytest

from domain.actor import Actor
from domain.case import Case

ENCOUNTER_DAY = date(2025, 3, 1)
PERSON = {"given_name": "Amina", "family_name": "K.", "date_of_birth": "1999-05-04", "sex": "female",
          "nationality": "AF"}


class Recorded(list):
    """The events one command recorded."""

    @property
    def names(self) -> list[str]:
        return [type(e).__name__ for e in self]

    @property
    def only(self):
        assert len(self) == 1, f"expected exactly one event, got {self.names}"
        return self[0]


@pytest.fixture
def officer() -> Actor:
    return Actor("officer-1", "border-service", "border-app")


@pytest.fixture
def unhcr() -> Actor:
    return Actor("worker-1", "unhcr", "unhcr-app")


@pytest.fixture
def iom() -> Actor:
    return Actor("worker-2", "iom", "iom-app")


@pytest.fixture
def ngo() -> Actor:
    return Actor("worker-3", "ngo", None)


@pytest.fixture
def open_case(officer):
    """open_case(categories=..., ...) -> a case opened with those facts; the opening
    event is already collected, so it counts as given."""

    def open_case(categories=(), asylum_intention=False, by: Actor | None = None,
                  encounter_date: str | None = ENCOUNTER_DAY.isoformat(), today: date = ENCOUNTER_DAY,
                  notes: str | None = None, effective_at: str | None = None) -> Case:
        encounter = {"country": "KZ", "type": "border"}
        if encounter_date is not None:
            encounter["date"] = encounter_date
        case = Case.open(by or officer, dict(PERSON), encounter, list(categories), asylum_intention,
                         notes, effective_at=effective_at, today=today)
        case.collect_events()
        return case

    return open_case


@pytest.fixture
def when():
    """with when(case) as recorded: <one command>  -> recorded holds its events."""

    @contextmanager
    def when(case: Case):
        case.collect_events()
        recorded = Recorded()
        yield recorded
        recorded.extend(case.collect_events())

    return when


@pytest.fixture
def refused():
    """with refused(case, Error, "rule"): <one command>  -> the command raises Error
    naming `rule`, and leaves no event, no new version and no changed state behind."""

    @contextmanager
    def refused(case: Case, error: type[Exception], rule: str):
        case.collect_events()
        version, state = case.version, copy.deepcopy(case.state())
        with pytest.raises(error) as caught:
            yield caught
        assert caught.value.rule == rule
        assert case.collect_events() == [], "a refused command records no event"
        assert case.version == version
        assert case.state() == state

    return refused
