"""The case record: opening, assessments, asylum, consent, notes, assignment,
ownership, closure and erasure. The stage commands (referral, regularization,
return) live beside it in their own modules; `domain.case.Case` joins them.

Commands (verbs) validate, run the rules of `domain.rules`, then call a private
`@event` method (past tense) whose body only assigns state: that body re-runs on
every replay, so it never checks or computes anything it could get wrong later.
Every event carries `actor` (sub, org, client_id) and `effective_at` (the moment
the caller says the fact happened, when it reports a past fact); the library's
`timestamp` is when it was recorded.
"""
from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain import errors, rules
from domain.actor import Actor
from domain.clock import day_of as _day, today as _today
from domain.vocabulary import (
    ASYLUM_TRANSITIONS, CATEGORIES, TRAFFICKING_CATEGORIES, age_group_on,
)


class CaseRecord(Aggregate):

    # ---- opening -----------------------------------------------------------
    @classmethod
    def open(cls, actor: Actor, person: dict, encounter: dict, categories: list[str],
             asylum_intention: bool = False, notes: str | None = None,
             effective_at: str | None = None, today: date | None = None,
             case_id: UUID | None = None) -> CaseRecord:
        _check_categories(categories)
        presumed_on = _day(effective_at or encounter.get("date"), today or _today()) \
            if TRAFFICKING_CATEGORIES & set(categories) else None
        # The age group is derived once, in clear: statistics keep it after the date
        # of birth is encrypted and, on erasure, shredded (DESIGN.md, Personal data).
        group = age_group_on(person, encounter.get("date"))
        return cls._create(
            cls.CaseOpened, id=case_id or uuid4(), actor=actor.as_dict(), person=person, age_group=group,
            encounter=encounter, categories=sorted(set(categories)),
            asylum_intention=asylum_intention, notes=notes, effective_at=effective_at,
            trafficking_presumed_on=presumed_on)

    class CaseOpened(Aggregate.Created):
        actor: dict
        person: dict
        age_group: str
        encounter: dict
        categories: list
        asylum_intention: bool
        notes: str | None
        effective_at: str | None
        trafficking_presumed_on: str | None

    @event(CaseOpened)
    def __init__(self, actor: dict, person: dict, age_group: str, encounter: dict, categories: list,
                 asylum_intention: bool, notes: str | None, effective_at: str | None,
                 trafficking_presumed_on: str | None) -> None:
        self.owner_org = actor["org"]
        self.opened_by = actor
        self.status = "open"
        self.stage = "identification"
        self.stage_before_closure: str | None = None
        self.person = person
        self.age_group = age_group
        self.encounter = encounter
        self.categories = categories
        self.asylum_status = "intention_expressed" if asylum_intention else "none"
        self.best_interests: dict | None = None
        self.trafficking_identified_on: str | None = None
        self.trafficking_presumed_on = trafficking_presumed_on
        self.consents: dict[str, bool] = {}
        self.referrals: dict[str, dict] = {}
        self.regularization: dict | None = None
        self.permit: dict | None = None
        self.returns: dict[str, dict] = {}
        self.notes: list[dict] = [_note(actor, notes, effective_at)] if notes else []
        self.assignee: str | None = None
        self.transfer: dict | None = None
        self.closure_reason: str | None = None

    def has_consent(self, purpose: str, org: str) -> bool:
        return self.consents.get(f"{purpose}:{org}", False)

    # ---- assessments -------------------------------------------------------
    def add_categories(self, actor: Actor, categories: list[str], effective_at: str | None = None,
                       today: date | None = None) -> None:
        rules.check_accepts_commands(self)
        _check_categories(categories)
        new = sorted(set(categories) - set(self.categories))
        if not new:
            return
        starts_reflection = TRAFFICKING_CATEGORIES & set(new) and not self.trafficking_presumed_on
        presumed_on = _day(effective_at, today or _today()) if starts_reflection else None
        self._categories_added(actor.as_dict(), new, effective_at, presumed_on)

    @event("CategoriesAdded")
    def _categories_added(self, actor: dict, categories: list, effective_at: str | None,
                          trafficking_presumed_on: str | None) -> None:
        self.categories = sorted(set(self.categories) | set(categories))
        if trafficking_presumed_on:
            self.trafficking_presumed_on = trafficking_presumed_on

    def remove_categories(self, actor: Actor, categories: list[str], effective_at: str | None = None) -> None:
        rules.check_accepts_commands(self)
        _check_categories(categories)
        gone = sorted(set(categories) & set(self.categories))
        if not gone:
            return
        # A presumption of trafficking that is withdrawn ends; if it is made again
        # later, a new recovery and reflection period starts from that day.
        ends_presumption = bool(TRAFFICKING_CATEGORIES & set(self.categories)) and not (
            TRAFFICKING_CATEGORIES & (set(self.categories) - set(gone)))
        self._categories_removed(actor.as_dict(), gone, effective_at, ends_presumption)

    @event("CategoriesRemoved")
    def _categories_removed(self, actor: dict, categories: list, effective_at: str | None,
                            ends_presumption: bool = False) -> None:
        self.categories = sorted(set(self.categories) - set(categories))
        if ends_presumption:
            self.trafficking_presumed_on = None

    def determine_best_interests(self, actor: Actor, outcome: str, effective_at: str | None = None,
                                 today: date | None = None) -> None:
        rules.check_accepts_commands(self)
        self._best_interests_determined(actor.as_dict(), outcome, effective_at,
                                        _day(effective_at, today or _today()))

    @event("BestInterestsDetermined")
    def _best_interests_determined(self, actor: dict, outcome: str, effective_at: str | None,
                                   determined_on: str) -> None:
        self.best_interests = {"outcome": outcome, "determined_on": determined_on}

    def identify_trafficking_victim(self, actor: Actor, effective_at: str | None = None,
                                    today: date | None = None) -> None:
        rules.check_accepts_commands(self)
        self._trafficking_victim_identified(actor.as_dict(), effective_at,
                                            _day(effective_at, today or _today()))

    @event("TraffickingVictimIdentified")
    def _trafficking_victim_identified(self, actor: dict, effective_at: str | None,
                                       identified_on: str) -> None:
        self.trafficking_identified_on = identified_on
        self.categories = sorted(set(self.categories) | {"presumed_trafficking_victim"})

    # ---- asylum and consent ------------------------------------------------
    def record_asylum(self, actor: Actor, asylum_event: str, effective_at: str | None = None) -> None:
        rules.check_accepts_commands(self)
        if asylum_event not in ASYLUM_TRANSITIONS.get(self.asylum_status, set()):
            raise errors.InvalidTransition(
                f"asylum event {asylum_event!r} cannot follow status {self.asylum_status!r}")
        self._asylum_recorded(actor.as_dict(), asylum_event, effective_at)

    @event("AsylumEventRecorded")
    def _asylum_recorded(self, actor: dict, asylum_event: str, effective_at: str | None) -> None:
        self.asylum_status = asylum_event

    def give_consent(self, actor: Actor, purpose: str, organisation: str,
                     effective_at: str | None = None) -> None:
        rules.check_accepts_commands(self)
        self._consent_given(actor.as_dict(), purpose, organisation, effective_at)

    @event("ConsentGiven")
    def _consent_given(self, actor: dict, purpose: str, organisation: str, effective_at: str | None) -> None:
        self.consents[f"{purpose}:{organisation}"] = True

    def withdraw_consent(self, actor: Actor, purpose: str, organisation: str,
                         effective_at: str | None = None) -> None:
        rules.check_accepts_commands(self)
        if not self.has_consent(purpose, organisation):
            raise errors.InvalidTransition(f"no {purpose} consent to {organisation} to withdraw")
        self._consent_withdrawn(actor.as_dict(), purpose, organisation, effective_at)

    @event("ConsentWithdrawn")
    def _consent_withdrawn(self, actor: dict, purpose: str, organisation: str, effective_at: str | None) -> None:
        self.consents[f"{purpose}:{organisation}"] = False

    # ---- notes, assignment, ownership, closure -----------------------------
    def add_note(self, actor: Actor, text: str, effective_at: str | None = None) -> None:
        rules.check_accepts_commands(self)
        self._note_added(actor.as_dict(), text, effective_at)

    @event("NoteAdded")
    def _note_added(self, actor: dict, text: str, effective_at: str | None) -> None:
        self.notes.append(_note(actor, text, effective_at))

    def assign(self, actor: Actor, assignee: str, effective_at: str | None = None) -> None:
        rules.check_accepts_commands(self)
        self._assigned(actor.as_dict(), assignee, effective_at)

    @event("CaseAssigned")
    def _assigned(self, actor: dict, assignee: str, effective_at: str | None) -> None:
        self.assignee = assignee

    def request_transfer(self, actor: Actor, to_org: str, reason: str | None = None,
                         effective_at: str | None = None) -> None:
        rules.check_accepts_commands(self)
        if self.transfer is not None:
            raise errors.InvalidTransition("a transfer is already pending")
        if actor.org != self.owner_org:
            raise errors.TransferAcceptanceRequired("only the owning organisation may transfer the case")
        if to_org == self.owner_org:
            raise errors.InvalidTransition("the case already belongs to that organisation")
        self._transfer_requested(actor.as_dict(), to_org, reason, effective_at)

    @event("TransferRequested")
    def _transfer_requested(self, actor: dict, to_org: str, reason: str | None, effective_at: str | None) -> None:
        self.transfer = {"from_org": actor["org"], "to_org": to_org, "reason": reason}

    def accept_transfer(self, actor: Actor, effective_at: str | None = None) -> None:
        rules.check_accepts_commands(self)
        rules.check_transfer_receiver(self, actor)
        self._transfer_accepted(actor.as_dict(), effective_at)

    @event("TransferAccepted")
    def _transfer_accepted(self, actor: dict, effective_at: str | None) -> None:
        self.owner_org = self.transfer["to_org"]
        self.transfer = None
        self.assignee = None

    def reject_transfer(self, actor: Actor, reason: str | None = None, effective_at: str | None = None) -> None:
        rules.check_accepts_commands(self)
        rules.check_transfer_receiver(self, actor)
        self._transfer_rejected(actor.as_dict(), reason, effective_at)

    @event("TransferRejected")
    def _transfer_rejected(self, actor: dict, reason: str | None, effective_at: str | None) -> None:
        self.transfer = None

    def close(self, actor: Actor, reason: str, effective_at: str | None = None) -> None:
        rules.check_accepts_commands(self)
        self._closed(actor.as_dict(), reason, effective_at)

    @event("CaseClosed")
    def _closed(self, actor: dict, reason: str, effective_at: str | None) -> None:
        self.stage_before_closure = self.stage
        self.stage = "closed"
        self.status = "closed"
        self.closure_reason = reason

    def reopen(self, actor: Actor, reason: str, effective_at: str | None = None) -> None:
        if self.status == "erased":
            raise errors.CaseErased("the case was erased and accepts no command")
        if self.status != "closed":
            raise errors.InvalidTransition("only a closed case can be reopened")
        self._reopened(actor.as_dict(), reason, effective_at)

    @event("CaseReopened")
    def _reopened(self, actor: dict, reason: str, effective_at: str | None) -> None:
        self.stage = self.stage_before_closure or "identification"
        self.status = "open"
        self.closure_reason = None

    def erase(self, actor: Actor, reason: str | None = None) -> None:
        # Rule 7 lets a closed case accept only reopening, but erasure is the data
        # subject's right and a closed case is where it is most often exercised: it
        # is the one other command a closed case accepts.
        if self.status == "erased":
            raise errors.CaseErased("the case was already erased")
        self._erased(actor.as_dict(), reason, None)

    @event("CaseErased")
    def _erased(self, actor: dict, reason: str | None, effective_at: str | None) -> None:
        self.status = "erased"


def _check_categories(categories: list[str]) -> None:
    unknown = set(categories) - CATEGORIES
    if unknown:
        raise errors.InvalidTransition(f"unknown categories: {sorted(unknown)}")


def _note(actor: dict, text: str | None, effective_at: str | None) -> dict[str, Any]:
    return {"by": actor["sub"], "org": actor["org"], "text": text, "effective_at": effective_at}
