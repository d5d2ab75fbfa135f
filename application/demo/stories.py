"""The stories of the demo data set (application/demo): the paths a case takes.

Each story opens one case and walks it as the organisations would, a few days or
weeks between steps. A step the rules refuse is counted and the story goes on.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from uuid import UUID

from application.cases import Caller, Cases
from application.demo import data
from application.demo.data import encounter, person
from application.demo.data import nationality as _nationality
from domain.actor import Actor
from domain.errors import DomainError

CLIENT_ID = "casetrail-demo"


class Later(Exception):
    """The story's next step falls after --until: the case stays where it is."""


@dataclass
class Tally:
    cases: int = 0
    events: int = 0
    refused: Counter = field(default_factory=Counter)
    stories: Counter = field(default_factory=Counter)
    case_ids: list = field(default_factory=list)


class Story:
    """One case's life: each step happens some days after the previous one."""

    def __init__(self, cases: Cases, rng: random.Random, until: date, tally: Tally, start: date):
        self.cases, self.rng, self.until, self.tally = cases, rng, until, tally
        self.day = start
        self.case_id: UUID | None = None

    def caller(self, org: str, role: str = "caseworker") -> Caller:
        number = 1 if role == "supervisor" else self.rng.randint(1, 4)
        return Caller(Actor(f"{org}-{role}-{number}", org, CLIENT_ID))

    def at(self) -> str:
        moment = datetime(self.day.year, self.day.month, self.day.day, self.rng.randint(8, 17),
                          self.rng.randint(0, 59), tzinfo=timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def open(self, org: str, **kwargs):
        outcome = self.cases.open_case(self.caller(org), effective_at=self.at(), **kwargs)
        self.case_id = outcome.case.id
        self.tally.case_ids.append(self.case_id)
        self.tally.cases += 1
        self.tally.events += 1
        return outcome

    def then(self, days: int, org: str, method: str, *args, role: str = "caseworker", **kwargs):
        """Do `method` as a member of `org` 1..days days later; None if a rule refused it."""
        self.day += timedelta(days=self.rng.randint(1, max(1, days)))
        if self.day > self.until:
            raise Later
        kwargs.setdefault("effective_at", self.at())
        try:
            outcome = getattr(self.cases, method)(self.caller(org, role), self.case_id, *args, **kwargs)
        except DomainError as refusal:
            self.tally.refused[refusal.rule] += 1
            return None
        self.tally.events += 1
        return outcome.result if outcome.result is not None else True

    nationality = "UNKNOWN"

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


# ---- the stories ---------------------------------------------------------------
CHILD = ("unaccompanied_child", "separated_child")
_COMMON = ["medical_needs", "disability", "torture_survivor", "gbv_survivor"]
# [woman of child-bearing age?][60 or over?] -> the vulnerabilities that fit
_VULNERABILITIES = {False: {False: _COMMON, True: _COMMON + ["older_person"] * 3},
                    True: {False: _COMMON + ["pregnant_or_lactating"] * 2, True: _COMMON}}


def _open(s: Story, org: str, categories: list[str], extra: str | None, nationality: str | None = None,
          age: int | None = None, sex: str | None = None, asylum: bool = False) -> None:
    rng = s.rng
    nationality = "STATELESS" if extra == "stateless" else nationality or _nationality(rng)
    sex = "female" if extra == "pregnant_or_lactating" else sex or rng.choice(["male", "male", "male", "female", "female"])
    if age is None:
        age = rng.randint(12, 17) if extra in CHILD else rng.randint(60, 78) if extra == "older_person" \
            else rng.randint(18, 55)
    categories = set(categories) | ({extra} if extra else set())
    if s.chance(0.2):
        categories.add(rng.choice(_VULNERABILITIES[sex == "female" and 18 <= age < 45][age >= 60]))
    categories = sorted(categories)
    notes = rng.choice(data.NOTES) if s.chance(0.5) else None
    s.open(org, person=person(rng, nationality, age, sex, s.day), encounter=encounter(rng, org, s.day),
           categories=categories, asylum_intention=asylum, notes=notes)
    s.nationality = nationality
    if s.chance(0.7):
        s.then(3, org, "assign", f"{org}-caseworker-{rng.randint(1, 4)}", role="supervisor")


def _destination(s: Story) -> str:
    return s.nationality if s.nationality not in ("STATELESS", "UNKNOWN") else s.rng.choice(["UZB", "TJK", "KGZ"])


def _planned(s: Story, days: int) -> str:
    return (s.day + timedelta(days=days)).isoformat()


def _refer(s: Story, owner: str, to_org: str, service: str, basis: str | None = None) -> str | None:
    """Refer with personal data shared on consent (asked first) or a legal basis;
    sometimes the caseworker forgets the consent and the rule refuses."""
    if basis is None and not s.chance(0.1):
        s.then(2, owner, "give_consent", "data_sharing", to_org)
    rid = s.then(2, owner, "refer", to_org, service, share_personal_data=True, legal_basis=basis)
    if rid is None:  # refused for want of consent: refer without the personal data
        rid = s.then(1, owner, "refer", to_org, service)
    if rid is None:
        return None
    if s.chance(0.05):  # the sender tries to accept its own referral: refused
        s.then(1, owner, "accept_referral", rid)
    if s.chance(0.08):
        s.then(10, to_org, "decline_referral", rid, s.rng.choice(data.DECLINE_REASONS))
        return None
    if s.chance(0.04):
        s.then(3, owner, "withdraw_referral", rid, "referred by mistake")
        return None
    s.then(7, to_org, "accept_referral", rid)
    return rid


def _avrr(s: Story, owner: str) -> None:
    """Assisted voluntary return with IOM: consent first (sometimes forgotten: refused)."""
    if not s.chance(0.1):
        s.then(5, owner, "give_consent", "voluntary_return", "iom")
    if owner != "iom":
        _refer(s, owner, "iom", "avrr")
    rid = s.then(14, "iom", "initiate_return", "assisted_voluntary", _destination(s), _planned(s, 30))
    if rid is None:
        s.then(2, "iom", "give_consent", "voluntary_return", "iom")
        rid = s.then(2, "iom", "initiate_return", "assisted_voluntary", _destination(s), _planned(s, 30))
    if rid and s.chance(0.12):
        s.then(20, "iom", "cancel_return", rid, "person changed their mind")
        s.then(5, owner, "withdraw_consent", "voluntary_return", "iom")
        return
    if rid and s.then(40, "iom", "complete_return", rid):
        s.then(7, owner, "close_case", "return completed", role="supervisor")


def _regularize(s: Story, owner: str, pathway: str, years: int, grant: float = 0.65) -> bool:
    s.then(20, owner, "apply_for_regularization", pathway)
    if s.chance(grant):
        s.then(90, owner, "grant_regularization", (s.day + timedelta(days=365 * years + 90)).isoformat())
        return True
    s.then(90, owner, "refuse_regularization", "requirements not met")
    return False


def _close_maybe(s: Story, owner: str, p: float = 0.6) -> None:
    if s.chance(p) and s.then(60, owner, "close_case", s.rng.choice(data.CLOSURE_REASONS[:2]), role="supervisor"):
        if s.chance(0.12):
            s.then(120, owner, "reopen_case", "new information received", role="supervisor")


def asylum(s: Story, rng: random.Random, extra: str | None) -> None:
    owner = "sms" if s.chance(0.6) else "unhcr"
    _open(s, owner, ["asylum_seeker"] + (["forced_migrant"] if s.chance(0.3) else []), extra, asylum=True)
    if owner == "sms":
        if s.chance(0.15):  # a forced return attempted on a claimant: non-refoulement refuses it
            s.then(5, "sms", "initiate_return", "forced", _destination(s), _planned(s, 14))
        _refer(s, "sms", "unhcr", "asylum_procedure")
    elif s.chance(0.4):
        _refer(s, "unhcr", "safeway" if s.chance(0.3) else "childhope", "legal_aid" if s.chance(0.5) else "psychosocial")
    s.then(20, owner, "record_asylum", "lodged")
    decision = rng.choices(["recognized", "complementary_protection", "rejected", None], [35, 15, 30, 20])[0]
    if decision is None:
        return  # still pending
    s.then(150, owner, "record_asylum", decision)
    if decision != "rejected":
        if decision == "recognized":
            s.then(10, owner, "assess", categories_added=["refugee"], categories_removed=["asylum_seeker"])
        _regularize(s, owner, "residence_permit", 3, grant=0.9)
        _close_maybe(s, owner)
        return
    if s.chance(0.5):
        s.then(90, owner, "record_asylum", "recognized" if s.chance(0.3) else "rejected_final")
    if s.chance(0.5):
        _avrr(s, owner)
        return
    rid = s.then(20, "sms", "initiate_return", "forced", _destination(s), _planned(s, 21))
    if rid:
        s.then(30, "sms", "complete_return", rid)


def child(s: Story, rng: random.Random, extra: str | None) -> None:
    owner = "sms" if s.chance(0.5) else "childhope"
    kind = extra if extra in CHILD else rng.choice(CHILD)
    _open(s, owner, [kind], extra, age=rng.randint(10, 17), asylum=s.chance(0.2))
    if owner == "sms":
        if s.chance(0.2):  # return attempted before any best-interests determination: refused
            s.then(3, "sms", "initiate_return", "forced", _destination(s), _planned(s, 14))
        _refer(s, "sms", "childhope", "child_protection", basis="vital_interest")
    if s.chance(0.6):
        _refer(s, owner, "iom", "family_tracing")
    outcome = "return_to_family" if s.chance(0.4) else "remain_in_country"
    s.then(45, owner, "assess", best_interests=outcome)
    if outcome == "return_to_family":
        _avrr(s, owner)
    else:
        _regularize(s, owner, "humanitarian", 2, grant=0.8)
        _close_maybe(s, owner, 0.4)


def trafficking(s: Story, rng: random.Random, extra: str | None) -> None:
    owner = "sms" if s.chance(0.5) else "safeway"
    more = rng.choice([[], ["smuggled_migrant"], ["gbv_survivor"], ["undocumented_migrant"]])
    _open(s, owner, ["presumed_trafficking_victim"] + more, extra, sex="female" if s.chance(0.6) else "male")
    if owner == "sms":
        if (s.cases.clock() - s.day).days < 20:  # within the reflection period: refused
            s.then(2, "sms", "initiate_return", "forced", _destination(s), _planned(s, 10))
        _refer(s, "sms", "safeway", "counter_trafficking", basis="vital_interest")
    if s.chance(0.6):
        s.then(20, owner, "assess", trafficking_identified=True, categories_added=["identified_trafficking_victim"])
    _refer(s, owner, "safeway" if owner != "safeway" else "iom", "shelter" if owner != "safeway" else "medical")
    if s.chance(0.5):
        _avrr(s, owner)
    else:
        _regularize(s, owner, "humanitarian", 1)
        _close_maybe(s, owner, 0.3)


def migrant(s: Story, rng: random.Random, extra: str | None) -> None:
    owner = "sms" if s.chance(0.7) else "iom"
    kind = rng.choice(["economic_migrant", "stranded_migrant", "undocumented_migrant", "smuggled_migrant"])
    _open(s, owner, [kind], extra)
    if s.chance(0.3):
        s.then(10, owner, "add_note", rng.choice(data.NOTES))
    if owner == "sms" and s.chance(0.1):  # handed over to IOM, which may decline the transfer
        s.then(10, "sms", "request_transfer", "iom", "assisted return programme", role="supervisor")
        if s.then(10, "iom", "accept_transfer" if s.chance(0.7) else "reject_transfer", role="supervisor"):
            owner = s.cases.get_case(s.case_id).owner_org
    path = rng.choices(["regularize", "avrr", "forced"], [40, 30, 30])[0]
    if path == "regularize":
        granted = _regularize(s, owner, rng.choice(["work_permit", "amnesty", "family_reunification", "study_permit"]), 1)
        if granted and s.chance(0.2):  # a permit is valid: the forced return is refused
            s.then(30, "sms", "initiate_return", "forced", _destination(s), _planned(s, 14))
        if granted:
            _close_maybe(s, owner, 0.5)
            return
    if path == "avrr":
        _avrr(s, owner)
        return
    rid = s.then(20, "sms", "initiate_return", "forced", _destination(s), _planned(s, 21))
    if rid:
        if s.chance(0.75):
            s.then(30, "sms", "complete_return", rid)
            _close_maybe(s, owner, 0.8)
        else:
            s.then(15, "sms", "cancel_return", rid, "no travel document issued")


def stateless(s: Story, rng: random.Random, extra: str | None) -> None:
    _open(s, "unhcr", ["stateless"], extra, nationality="STATELESS")
    if s.chance(0.4):
        _refer(s, "unhcr", "safeway" if s.chance(0.5) else "childhope", "legal_aid")
    if _regularize(s, "unhcr", "statelessness_determination", 5, grant=0.7):
        _close_maybe(s, "unhcr", 0.5)


def registered(s: Story, rng: random.Random, extra: str | None) -> None:
    """Met and registered; nothing else has happened yet."""
    _open(s, rng.choice(list(data.ORGANISATIONS)), [], extra)


# name -> (weight, story)
STORIES = {"asylum": (30, asylum), "child": (14, child), "trafficking": (12, trafficking),
           "migrant": (30, migrant), "stateless": (6, stateless), "registered": (8, registered)}
