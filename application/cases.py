"""The application service: one method per use case over the Case aggregate.

Every command runs through `_execute`: load the case, let the caller's policy look
at it, run the command (the domain checks its rules), save. A version conflict
with another writer re-runs the whole thing against the fresh state when the
caller named no version (so the rules are checked again, and nothing is lost);
when it named one, the command is refused with `VersionMismatch`.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, NamedTuple
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from auth.policy import Access, access_to, require_role
from auth.principal import Principal
from domain.actor import Actor
from domain.case import Case
from domain.clock import today as _today
from domain.rules import DEFAULT_REFLECTION_DAYS
from store import CaseKeys, build_mapper

# Attempts of a command whose save keeps losing a version race to other processes'
# writers of the same case (writers in this process queue on a lock instead).
DEFAULT_COMMAND_RETRIES = 20


def _project(case: Case | None, events: Any) -> Case | None:
    """The library's projector without its per-event `isinstance` check against a
    runtime Protocol, which took over a third of a long case's replay."""
    for event in events:
        case = event.mutate(case)
    return case


class CaseNotFound(Exception):
    pass


class VersionMismatch(Exception):
    def __init__(self, expected: int, actual: int | None):
        super().__init__(f"expected version {expected}, the case is at version {actual}")
        self.expected, self.actual = expected, actual


class TooMuchContention(Exception):
    """Retries ran out while other writers kept changing the case."""


@dataclass(frozen=True)
class Caller:
    """Who asks, on what terms: the actor recorded on events, the version the
    caller expects (If-Match), and the policy's check of the loaded case, which
    returns what the caller may see of it (None: a trusted caller, e.g. the demo
    loader or a test, that the policy is not asked about)."""

    actor: Actor
    expected_version: int | None = None
    authorize: Callable[[Case], Access | None] = field(default=lambda case: None)

    @classmethod
    def of(cls, principal: Principal, use_case: str, expected_version: int | None = None) -> Caller:
        """A caller of `use_case`: its role is checked now, once; its relationship
        to the case each time the case is loaded (a hidden case raises CaseNotVisible)."""
        require_role(principal, use_case)
        return cls(Actor(principal.sub, principal.org, principal.client_id), expected_version,
                   lambda case: access_to(principal, use_case, case))


class Observer:
    """What the application reports as it works (the HTTP edge counts it as
    metrics); this one ignores everything."""

    def events_saved(self, recordings: Any) -> None:
        pass

    def version_conflict(self) -> None:
        pass


@dataclass(frozen=True)
class Outcome:
    case: Case
    result: Any = None
    position: int | None = None  # notification id of the last event written
    access: Access | None = None  # what the caller could see of the case when it acted


class Reading(NamedTuple):
    """A case read by a caller, and what the policy lets it see of it."""

    case: Case
    access: Access


class Cases(Application):
    name = "Cases"

    def __init__(self, env: dict | None = None, *, case_keys: CaseKeys,
                 reflection_days: int = DEFAULT_REFLECTION_DAYS, retries: int = DEFAULT_COMMAND_RETRIES,
                 clock: Callable[[], date] = _today, observer: Observer | None = None):
        self._case_keys = case_keys  # read by construct_mapper, which super().__init__ calls
        super().__init__(env)
        self.mapper.bind(self.recorder)
        self.reflection_days = reflection_days
        self.retries = retries
        self.clock = clock
        self.observer = observer or Observer()
        # Writers of one case in this process queue here instead of racing to a
        # version conflict; conflicts with other processes are retried below.
        self._case_locks = [threading.Lock() for _ in range(64)]

    def construct_mapper(self):
        # Personal values encrypted per case, every row sealed in a hash chain (store/).
        return build_mapper(self, self._case_keys)

    def close(self) -> None:
        super().close()
        self.mapper.close()

    # ---- reads ---------------------------------------------------------------
    def read(self, principal: Principal, case_id: UUID, use_case: str = "case.read") -> Reading:
        """The case now, for `principal`: its role checked, then its relationship
        to the case (a case it may not see raises CaseNotVisible, like a missing one)."""
        require_role(principal, use_case)
        case = self.get_case(case_id)
        return Reading(case, access_to(principal, use_case, case))

    def get_case(self, case_id: UUID, version: int | None = None) -> Case:
        try:
            return self.repository.get(case_id, version=version, projector_func=_project)
        except AggregateNotFoundError:
            raise CaseNotFound(str(case_id)) from None

    def get_case_as_of(self, case_id: UUID, as_of: datetime) -> Case:
        """The case as it was at `as_of` (recorded time): its events up to then."""
        version = None
        for stored in self.repository.event_store.get(case_id):
            if stored.timestamp > as_of:
                break
            version = stored.originator_version
        if version is None:
            raise CaseNotFound(str(case_id))
        return self.get_case(case_id, version=version)

    # ---- commands ------------------------------------------------------------
    def open_case(self, caller: Caller, person: dict, encounter: dict, categories: list[str],
                  asylum_intention: bool = False, notes: str | None = None,
                  effective_at: str | None = None) -> Outcome:
        case = Case.open(caller.actor, person, encounter, categories, asylum_intention, notes,
                         effective_at, today=self.clock())
        position = self._save(case)
        return Outcome(case, None, position, caller.authorize(case))

    def add_categories(self, caller: Caller, case_id: UUID, categories: list[str], effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.add_categories(
            caller.actor, categories, effective_at, today=self.clock()))

    def remove_categories(self, caller: Caller, case_id: UUID, categories: list[str], effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.remove_categories(caller.actor, categories, effective_at))

    def assess(self, caller: Caller, case_id: UUID, categories_added=(), categories_removed=(),
               best_interests: str | None = None, trafficking_identified: bool = False,
               effective_at: str | None = None) -> Outcome:
        """One assessment may record several findings; they land together or not at all."""
        def command(case: Case) -> None:
            today = self.clock()
            if categories_added:
                case.add_categories(caller.actor, list(categories_added), effective_at, today=today)
            if categories_removed:
                case.remove_categories(caller.actor, list(categories_removed), effective_at)
            if best_interests is not None:
                case.determine_best_interests(caller.actor, best_interests, effective_at, today=today)
            if trafficking_identified:
                case.identify_trafficking_victim(caller.actor, effective_at, today=today)
        return self._execute(caller, case_id, command)

    def record_asylum(self, caller: Caller, case_id: UUID, asylum_event: str, effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.record_asylum(caller.actor, asylum_event, effective_at))

    def give_consent(self, caller: Caller, case_id: UUID, purpose: str, organisation: str,
                     effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.give_consent(
            caller.actor, purpose, organisation, effective_at))

    def withdraw_consent(self, caller: Caller, case_id: UUID, purpose: str, organisation: str,
                         effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.withdraw_consent(
            caller.actor, purpose, organisation, effective_at))

    def refer(self, caller: Caller, case_id: UUID, to_org: str, service: str,
              share_personal_data: bool = False, legal_basis: str | None = None, effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.refer(
            caller.actor, to_org, service, share_personal_data, legal_basis, effective_at))

    def accept_referral(self, caller: Caller, case_id: UUID, referral_id: str, effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.accept_referral(caller.actor, referral_id, effective_at))

    def decline_referral(self, caller: Caller, case_id: UUID, referral_id: str, reason: str,
                         effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.decline_referral(
            caller.actor, referral_id, reason, effective_at))

    def complete_referral(self, caller: Caller, case_id: UUID, referral_id: str, outcome: str | None = None,
                          effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.complete_referral(
            caller.actor, referral_id, outcome, effective_at))

    def withdraw_referral(self, caller: Caller, case_id: UUID, referral_id: str, reason: str | None = None,
                          effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.withdraw_referral(
            caller.actor, referral_id, reason, effective_at))

    def apply_for_regularization(self, caller: Caller, case_id: UUID, pathway: str, effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.apply_for_regularization(
            caller.actor, pathway, effective_at))

    def grant_regularization(self, caller: Caller, case_id: UUID, valid_until: str, effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.grant_regularization(
            caller.actor, valid_until, effective_at))

    def refuse_regularization(self, caller: Caller, case_id: UUID, reason: str, effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.refuse_regularization(caller.actor, reason, effective_at))

    def initiate_return(self, caller: Caller, case_id: UUID, kind: str, destination_country: str,
                        planned_date: str, effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.initiate_return(
            caller.actor, kind, destination_country, planned_date, effective_at,
            today=self.clock(), reflection_days=self.reflection_days))

    def complete_return(self, caller: Caller, case_id: UUID, return_id: str, effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.complete_return(
            caller.actor, return_id, effective_at, today=self.clock(), reflection_days=self.reflection_days))

    def cancel_return(self, caller: Caller, case_id: UUID, return_id: str, reason: str | None = None,
                      effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.cancel_return(
            caller.actor, return_id, reason, effective_at))

    def add_note(self, caller: Caller, case_id: UUID, text: str, effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.add_note(caller.actor, text, effective_at))

    def assign(self, caller: Caller, case_id: UUID, assignee: str, effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.assign(caller.actor, assignee, effective_at))

    def request_transfer(self, caller: Caller, case_id: UUID, to_org: str, reason: str | None = None,
                         effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.request_transfer(caller.actor, to_org, reason,
                                                                           effective_at))

    def accept_transfer(self, caller: Caller, case_id: UUID, effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.accept_transfer(caller.actor, effective_at))

    def reject_transfer(self, caller: Caller, case_id: UUID, reason: str | None = None,
                        effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.reject_transfer(caller.actor, reason, effective_at))

    def close_case(self, caller: Caller, case_id: UUID, reason: str, effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.close(caller.actor, reason, effective_at))

    def reopen_case(self, caller: Caller, case_id: UUID, reason: str, effective_at=None) -> Outcome:
        return self._execute(caller, case_id, lambda c: c.reopen(caller.actor, reason, effective_at))

    def erase_case(self, caller: Caller, case_id: UUID, reason: str | None = None) -> Outcome:
        def command(case: Case) -> None:
            case.erase(caller.actor, reason)
            # Shred the key once the domain agreed and before CaseErased is saved: a
            # crash in between leaves the data unreadable (erasure can be re-run), never
            # readable after the caller was told it is gone.
            self.mapper.case_keys.destroy(case.id)
        return self._execute(caller, case_id, command)

    # ---- the one path every command takes -----------------------------------
    def _execute(self, caller: Caller, case_id: UUID, command: Callable[[Case], Any]) -> Outcome:
        with self._case_locks[hash(case_id) % len(self._case_locks)]:
            return self._execute_with_retries(caller, case_id, command)

    def _execute_with_retries(self, caller: Caller, case_id: UUID, command: Callable[[Case], Any]) -> Outcome:
        for attempt in range(self.retries):
            if attempt:
                time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))  # jittered backoff
            case = self.get_case(case_id)
            access = caller.authorize(case)
            if caller.expected_version is not None and case.version != caller.expected_version:
                raise VersionMismatch(caller.expected_version, case.version)
            result = command(case)
            try:
                position = self._save(case)
            except IntegrityError:
                self.observer.version_conflict()
                # Another writer got there first. With If-Match the caller's view
                # is stale: refuse. Without, decide again on the fresh state.
                if caller.expected_version is not None:
                    raise VersionMismatch(caller.expected_version, None) from None
                continue
            return Outcome(case, result, position, access)
        raise TooMuchContention(f"case {case_id} kept changing; try again")

    def _save(self, case: Case) -> int | None:
        pending = list(case.pending_events)
        try:
            recordings = self.save(case)
        except IntegrityError:
            # The library retries an insert whose connection broke (database restart).
            # If the broken attempt had committed, the retry conflicts with our own
            # events: that is a success, not a conflict to re-run (which would record
            # the command twice, or open a case and answer 500).
            if pending and self._already_stored(pending[0]):
                return None  # saved; its notification id is unknown
            raise
        self.observer.events_saved(recordings)
        return recordings[-1].notification.id if recordings else None

    def _already_stored(self, event: Any) -> bool:
        # Ours if the stored event at our version has our type and timestamp (taken
        # when the command decided): another writer cannot match both.
        stored = list(self.repository.event_store.get(
            event.originator_id, gt=event.originator_version - 1, lte=event.originator_version))
        return bool(stored) and type(stored[0]) is type(event) and stored[0].timestamp == event.timestamp
