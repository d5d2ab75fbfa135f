"""Random command sequences never bring a case into a state DESIGN.md forbids.

A hypothesis state machine drives every command of the Case aggregate with random
actors, arguments and a clock that moves forward. Beside the aggregate it keeps its
own model of the case, folded from the events the aggregate records (it never reads
domain/rules.py or domain/vocabulary.py). Before each command the model predicts
which rules would refuse it:
- if it predicts none, the command must succeed and record the expected event;
- if it predicts some, the command must be refused with one of those rules, and
  leave no event, no new version and no changed state.
After each step the events just recorded are checked against the rules directly
(a completed forced return while a claim was pending, an owner changed other than
by an accepted transfer, ...), and invariants compare the aggregate with the model.
At the end the recorded history is replayed into a fresh aggregate that must be
identical to the live one.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, timedelta

from hypothesis import HealthCheck, event, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from domain.actor import Actor
from domain.case import Case
from domain.errors import DomainError

ORGS = ("border-service", "unhcr", "iom", "ngo")
ACTORS = {org: Actor(f"{org}-worker", org, f"{org}-app") for org in ORGS}
CATEGORIES = ("refugee", "asylum_seeker", "presumed_trafficking_victim", "identified_trafficking_victim",
              "unaccompanied_child", "separated_child", "stateless", "economic_migrant", "stranded_migrant",
              "medical_needs")
CHILD = {"unaccompanied_child", "separated_child"}
TRAFFICKING = {"presumed_trafficking_victim", "identified_trafficking_victim"}
PENDING = {"intention_expressed", "lodged", "rejected"}
PROTECTED = {"recognized", "complementary_protection"}
ASYLUM_NEXT = {
    "none": {"intention_expressed", "lodged"},
    "intention_expressed": {"lodged"},
    "lodged": {"recognized", "complementary_protection", "rejected", "rejected_final"},
    "rejected": {"recognized", "complementary_protection", "rejected_final"},
    "rejected_final": {"intention_expressed", "lodged"},
    "recognized": set(),
    "complementary_protection": {"lodged"},
}
ASYLUM_EVENTS = ("intention_expressed", "lodged", "recognized", "complementary_protection", "rejected",
                 "rejected_final")
SERVICES = ("asylum_procedure", "child_protection", "counter_trafficking", "medical", "avrr")
KINDS = ("voluntary", "assisted_voluntary", "forced")
START = date(2025, 1, 1)

orgs = st.sampled_from(ORGS)
rarely = st.sampled_from([False] * 5 + [True])
none_or_some_categories = st.one_of(st.just(set()), st.sets(st.sampled_from(CATEGORIES), max_size=2))


def party_or_anyone(data, party: str) -> str:
    """Mostly the organisation entitled to act, sometimes anyone."""
    return data.draw(st.one_of(st.just(party), orgs), label="by")


@dataclass
class Model:
    """The case as the test understands it, folded from recorded events."""

    owner: str
    categories: set
    asylum: str
    presumed_since: date | None                         # start of the current presumption of trafficking
    status: str = "open"
    stage: str = "identification"
    stage_before_closure: str | None = None
    bid: bool = False
    identified_on: date | None = None
    consents: set = field(default_factory=set)          # {(purpose, org)} currently given
    referrals: dict = field(default_factory=dict)       # id -> {from, to, status}
    application: str | None = None                      # applied / granted / refused
    permit_until: date | None = None                    # last day of the last permit granted
    returns: dict = field(default_factory=dict)         # id -> {kind, org, status}
    transfer: tuple | None = None                       # (from, to)
    version: int = 1

    # -- what the rules of DESIGN.md say about a return now ------------------------
    def return_blockers(self, kind: str, org: str, today: date, reflection_days: int) -> set[str]:
        blockers = set()
        if kind == "forced":
            if self.asylum in PENDING | PROTECTED or "refugee" in self.categories:
                blockers.add("non-refoulement")
            if self.in_reflection_period(today, reflection_days):
                blockers.add("trafficking-reflection-period")
            if self.permit_until is not None and today <= self.permit_until:
                blockers.add("regularised-stay")
        if self.categories & CHILD and not self.bid:
            blockers.add("child-best-interests")
        if kind != "forced" and ("voluntary_return", org) not in self.consents:
            blockers.add("consent-required")
        return blockers

    def in_reflection_period(self, today: date, reflection_days: int) -> bool:
        # A period runs from each formal identification, and from the day the person
        # came to be presumed a victim for as long as the presumption lasts.
        period = timedelta(days=reflection_days)
        return any(start is not None and today < start + period
                   for start in (self.identified_on, self.presumed_since))

    def open_blockers(self) -> set[str]:
        return {"erased": {"case-erased"}, "closed": {"case-closed"}}.get(self.status, set())

    # -- folding events --------------------------------------------------------------
    def apply(self, event, today: date) -> None:
        name, org = type(event).__name__, event.actor["org"]
        self.version += 1
        if name == "CategoriesAdded":
            if set(event.categories) & TRAFFICKING and not self.categories & TRAFFICKING:
                self.presumed_since = today
            self.categories |= set(event.categories)
        elif name == "CategoriesRemoved":
            self.categories -= set(event.categories)
            if not self.categories & TRAFFICKING:
                self.presumed_since = None
        elif name == "BestInterestsDetermined":
            self.bid = True
        elif name == "TraffickingVictimIdentified":
            self.identified_on = today
            if not self.categories & TRAFFICKING:
                self.presumed_since = today
            self.categories.add("presumed_trafficking_victim")
        elif name == "AsylumEventRecorded":
            self.asylum = event.asylum_event
        elif name == "ConsentGiven":
            self.consents.add((event.purpose, event.organisation))
        elif name == "ConsentWithdrawn":
            self.consents.discard((event.purpose, event.organisation))
        elif name == "ReferralMade":
            self.referrals[event.referral_id] = {"from": org, "to": event.to_org, "status": "pending"}
            self.stage = "referral"
        elif name in ("ReferralAccepted", "ReferralDeclined", "ReferralCompleted", "ReferralWithdrawn"):
            self.referrals[event.referral_id]["status"] = name.removeprefix("Referral").lower()
        elif name == "RegularizationApplied":
            self.application = "applied"
            self.stage = "regularization"
        elif name == "RegularizationGranted":
            self.application = "granted"
            self.permit_until = date.fromisoformat(event.valid_until)
        elif name == "RegularizationRefused":
            self.application = "refused"
        elif name == "ReturnInitiated":
            self.returns[event.return_id] = {"kind": event.kind, "org": org, "status": "initiated"}
            self.stage = "return"
        elif name in ("ReturnCompleted", "ReturnCancelled"):
            self.returns[event.return_id]["status"] = name.removeprefix("Return").lower()
        elif name == "TransferRequested":
            self.transfer = (org, event.to_org)
        elif name == "TransferAccepted":
            self.owner, self.transfer = self.transfer[1], None
        elif name == "TransferRejected":
            self.transfer = None
        elif name == "CaseClosed":
            self.stage_before_closure, self.stage, self.status = self.stage, "closed", "closed"
        elif name == "CaseReopened":
            self.stage, self.status = self.stage_before_closure, "open"
        elif name == "CaseErased":
            self.status = "erased"
        else:
            assert name in ("NoteAdded", "CaseAssigned"), f"unexpected event {name}"


class CaseMachine(RuleBasedStateMachine):
    # ---- set-up ------------------------------------------------------------------
    @initialize(by=orgs, asylum_intention=rarely,
                categories=none_or_some_categories, met_days_ago=st.integers(0, 40),
                reflection_days=st.sampled_from([30, 10, 45]))
    def open_case(self, by, categories, asylum_intention, met_days_ago, reflection_days):
        self.today = START
        self.reflection_days = reflection_days
        encounter_day = START - timedelta(days=met_days_ago)
        self.case = Case.open(ACTORS[by], {"given_name": "X"}, {"date": encounter_day.isoformat()},
                              sorted(categories), asylum_intention, today=START)
        self.history = self.case.collect_events()
        assert [type(e).__name__ for e in self.history] == ["CaseOpened"]
        self.model = Model(owner=by, categories=set(categories),
                           asylum="intention_expressed" if asylum_intention else "none",
                           presumed_since=encounter_day if categories & TRAFFICKING else None)

    # ---- the one path every command takes ------------------------------------------
    def run(self, command, expect: str | None, blockers: set[str]):
        """Run `command`; `blockers` are the rules the model says refuse it, `expect`
        the one event it must record otherwise (None: it must record nothing)."""
        before_model = copy.deepcopy(self.model)
        version, state = self.case.version, copy.deepcopy(self.case.state())
        try:
            result = command()
        except DomainError as refusal:
            assert refusal.rule in blockers, f"refused by {refusal.rule!r}, model expected {blockers or 'success'}"
            assert self.case.collect_events() == [], "a refused command records no event"
            assert self.case.version == version, "a refused command leaves the version unchanged"
            assert self.case.state() == state, "a refused command leaves the state unchanged"
            event(f"refused: {refusal.rule}")
            return None
        assert not blockers, f"accepted, but the model expected a refusal by {blockers}"
        events = self.case.collect_events()
        names = [type(e).__name__ for e in events]
        assert names == ([expect] if expect else []), f"recorded {names}, expected {expect}"
        if self.case.owner_org != before_model.owner:  # rule 8
            assert names == ["TransferAccepted"], f"owner changed by {names}"
        for recorded in events:
            self.check_event_is_allowed(before_model, recorded)
            self.model.apply(recorded, self.today)
            kind = self.model.returns.get(getattr(recorded, "return_id", None), {}).get("kind")
            event(f"recorded: {type(recorded).__name__}" + (f" ({kind})" if kind else ""))
        self.history.extend(events)
        return result

    def check_event_is_allowed(self, before: Model, recorded) -> None:
        """The rules of DESIGN.md, checked on each event against the case just before it."""
        name, org = type(recorded).__name__, recorded.actor["org"]
        # Rule 7: erased cases change no more; closed ones only by reopening (or erasure).
        assert before.status != "erased", f"{name} recorded on an erased case"
        if before.status == "closed":
            assert name in ("CaseReopened", "CaseErased"), f"{name} recorded on a closed case"
        if name in ("ReturnInitiated", "ReturnCompleted"):
            kind = recorded.kind if name == "ReturnInitiated" else before.returns[recorded.return_id]["kind"]
            initiator = org if name == "ReturnInitiated" else before.returns[recorded.return_id]["org"]
            if kind == "forced":  # rules 1, 3 and 4
                assert before.asylum not in PENDING | PROTECTED, f"forced return with asylum {before.asylum}"
                assert "refugee" not in before.categories, "forced return of a refugee"
                assert not before.in_reflection_period(self.today, self.reflection_days), \
                    "forced return during the reflection period"
                assert before.permit_until is None or self.today > before.permit_until, \
                    "forced return while a permit is valid"
            else:  # rule 5
                assert ("voluntary_return", initiator) in before.consents, "voluntary return without consent"
            assert not (before.categories & CHILD) or before.bid, "return of a child without a BID"  # rule 2
        if name == "ReferralMade" and recorded.share_personal_data:  # rule 5
            assert recorded.legal_basis == "vital_interest" or ("data_sharing", recorded.to_org) in before.consents
        if name in ("ReferralAccepted", "ReferralDeclined", "ReferralCompleted"):  # rule 6
            assert org == before.referrals[recorded.referral_id]["to"]
        if name == "ReferralWithdrawn":
            assert org == before.referrals[recorded.referral_id]["from"]
            assert before.referrals[recorded.referral_id]["status"] == "pending"
        if name == "TransferAccepted":  # rule 8
            assert before.transfer is not None and org == before.transfer[1]

    # ---- time ---------------------------------------------------------------------
    @rule(days=st.integers(0, 5))
    def days_pass(self, days):
        self.today += timedelta(days=days)

    @rule(days=st.integers(6, 60))
    def weeks_pass(self, days):
        self.today += timedelta(days=days)

    # ---- identification -------------------------------------------------------------
    @rule(by=orgs, categories=st.sets(st.sampled_from(CATEGORIES), min_size=1, max_size=1))
    def add_categories(self, by, categories):
        if not categories:
            return
        expect = "CategoriesAdded" if categories - self.model.categories else None
        self.run(lambda: self.case.add_categories(ACTORS[by], sorted(categories), today=self.today),
                 expect, self.model.open_blockers())

    @rule(by=orgs, categories=st.sets(st.sampled_from(CATEGORIES), min_size=1, max_size=2))
    def remove_categories(self, by, categories):
        expect = "CategoriesRemoved" if categories & self.model.categories else None
        self.run(lambda: self.case.remove_categories(ACTORS[by], sorted(categories)),
                 expect, self.model.open_blockers())

    @rule(by=orgs)
    def determine_best_interests(self, by):
        self.run(lambda: self.case.determine_best_interests(ACTORS[by], "outcome", today=self.today),
                 "BestInterestsDetermined", self.model.open_blockers())

    @rule(by=orgs, really=rarely)
    def identify_trafficking_victim(self, by, really):
        if really:
            self.run(lambda: self.case.identify_trafficking_victim(ACTORS[by], today=self.today),
                     "TraffickingVictimIdentified", self.model.open_blockers())

    @rule(by=orgs, data=st.data())
    def record_asylum(self, by, data):
        # Mostly an event that may follow the status, sometimes any.
        allowed = sorted(ASYLUM_NEXT[self.model.asylum])
        asylum_event = data.draw(st.one_of(st.sampled_from(allowed), st.sampled_from(ASYLUM_EVENTS))
                                 if allowed else st.sampled_from(ASYLUM_EVENTS), label="asylum_event")
        blockers = self.model.open_blockers()
        if asylum_event not in ASYLUM_NEXT[self.model.asylum]:
            blockers.add("invalid-transition")
        self.run(lambda: self.case.record_asylum(ACTORS[by], asylum_event), "AsylumEventRecorded", blockers)

    @rule(by=orgs, purpose=st.sampled_from(["data_sharing", "voluntary_return"]), to=orgs)
    def give_consent(self, by, purpose, to):
        self.run(lambda: self.case.give_consent(ACTORS[by], purpose, to), "ConsentGiven",
                 self.model.open_blockers())

    @rule(by=orgs, data=st.data())
    def withdraw_consent(self, by, data):
        anything = st.tuples(st.sampled_from(["data_sharing", "voluntary_return"]), orgs)
        purpose, to = data.draw(st.one_of(st.sampled_from(sorted(self.model.consents)), anything)
                                if self.model.consents else anything, label="consent")
        blockers = self.model.open_blockers()
        if (purpose, to) not in self.model.consents:
            blockers.add("invalid-transition")
        self.run(lambda: self.case.withdraw_consent(ACTORS[by], purpose, to), "ConsentWithdrawn", blockers)

    @rule(by=orgs, text=st.text(max_size=5))
    def add_note(self, by, text):
        self.run(lambda: self.case.add_note(ACTORS[by], text), "NoteAdded", self.model.open_blockers())

    @rule(by=orgs)
    def assign(self, by):
        self.run(lambda: self.case.assign(ACTORS[by], f"{by}-worker-2"), "CaseAssigned", self.model.open_blockers())

    # ---- referrals ------------------------------------------------------------------
    @rule(by=orgs, to=orgs, service=st.sampled_from(SERVICES), share=st.booleans(),
          legal_basis=st.sampled_from([None, "consent", "vital_interest"]))
    def refer(self, by, to, service, share, legal_basis):
        blockers = self.model.open_blockers()
        if to == by:
            blockers.add("invalid-transition")
        if share and legal_basis != "vital_interest" and ("data_sharing", to) not in self.model.consents:
            blockers.add("consent-required")
        self.run(lambda: self.case.refer(ACTORS[by], to, service, share, legal_basis), "ReferralMade", blockers)

    def _referral_blockers(self, referral_id, by, party, status):
        referral = self.model.referrals[referral_id]
        blockers = self.model.open_blockers()
        if by != referral[party]:
            blockers.add("referral-parties")
        if referral["status"] != status:
            blockers.add("invalid-transition")
        return blockers

    @precondition(lambda self: self.model.referrals)
    @rule(data=st.data())
    def accept_referral(self, data):
        rid = data.draw(st.sampled_from(list(self.model.referrals)), label="referral")
        by = party_or_anyone(data, self.model.referrals[rid]["to"])
        self.run(lambda: self.case.accept_referral(ACTORS[by], rid), "ReferralAccepted",
                 self._referral_blockers(rid, by, "to", "pending"))

    @precondition(lambda self: self.model.referrals)
    @rule(data=st.data())
    def decline_referral(self, data):
        rid = data.draw(st.sampled_from(list(self.model.referrals)), label="referral")
        by = party_or_anyone(data, self.model.referrals[rid]["to"])
        self.run(lambda: self.case.decline_referral(ACTORS[by], rid, "reason"), "ReferralDeclined",
                 self._referral_blockers(rid, by, "to", "pending"))

    @precondition(lambda self: self.model.referrals)
    @rule(data=st.data())
    def complete_referral(self, data):
        rid = data.draw(st.sampled_from(list(self.model.referrals)), label="referral")
        by = party_or_anyone(data, self.model.referrals[rid]["to"])
        self.run(lambda: self.case.complete_referral(ACTORS[by], rid), "ReferralCompleted",
                 self._referral_blockers(rid, by, "to", "accepted"))

    @precondition(lambda self: self.model.referrals)
    @rule(data=st.data())
    def withdraw_referral(self, data):
        rid = data.draw(st.sampled_from(list(self.model.referrals)), label="referral")
        by = party_or_anyone(data, self.model.referrals[rid]["from"])
        self.run(lambda: self.case.withdraw_referral(ACTORS[by], rid), "ReferralWithdrawn",
                 self._referral_blockers(rid, by, "from", "pending"))

    # ---- regularization ---------------------------------------------------------------
    @rule(by=orgs, pathway=st.sampled_from(["work_permit", "humanitarian"]))
    def apply_for_regularization(self, by, pathway):
        self._apply(by, pathway)

    def _apply(self, by, pathway):
        blockers = self.model.open_blockers()
        if self.model.application == "applied":
            blockers.add("invalid-transition")
        self.run(lambda: self.case.apply_for_regularization(ACTORS[by], pathway), "RegularizationApplied",
                 blockers)

    @precondition(lambda self: self.model.application)
    @rule(by=orgs, valid_for=st.integers(-30, 120))
    def grant_regularization(self, by, valid_for):
        self._grant(by, valid_for)

    @rule(by=orgs, valid_for=st.integers(-10, 120))
    def apply_and_be_granted(self, by, valid_for):
        # The usual path to a permit in two steps, so that valid permits are common.
        self._apply(by, "residence_permit")
        self._grant(by, valid_for)

    def _grant(self, by, valid_for):
        blockers = self.model.open_blockers()
        if self.model.application != "applied":
            blockers.add("invalid-transition")
        valid_until = (self.today + timedelta(days=valid_for)).isoformat()
        self.run(lambda: self.case.grant_regularization(ACTORS[by], valid_until), "RegularizationGranted",
                 blockers)

    @precondition(lambda self: self.model.application)
    @rule(by=orgs)
    def refuse_regularization(self, by):
        blockers = self.model.open_blockers()
        if self.model.application != "applied":
            blockers.add("invalid-transition")
        self.run(lambda: self.case.refuse_regularization(ACTORS[by], "reason"), "RegularizationRefused", blockers)

    # ---- returns ------------------------------------------------------------------------
    def _initiate(self, by, kind):
        blockers = self.model.open_blockers() | self.model.return_blockers(
            kind, by, self.today, self.reflection_days)
        if any(r["status"] == "initiated" for r in self.model.returns.values()):
            blockers.add("invalid-transition")
        self.run(lambda: self.case.initiate_return(ACTORS[by], kind, "AF", "2025-12-31", today=self.today,
                                                   reflection_days=self.reflection_days),
                 "ReturnInitiated", blockers)

    @rule(data=st.data(), kind=st.sampled_from(KINDS))
    def initiate_return(self, data, kind):
        consented = sorted(org for purpose, org in self.model.consents if purpose == "voluntary_return")
        self._initiate(data.draw(st.one_of(st.sampled_from(consented), orgs) if consented else orgs), kind)

    @rule(by=orgs)
    def initiate_forced_return(self, by):
        self._initiate(by, "forced")

    def _complete(self, by, return_id):
        ret = self.model.returns[return_id]
        blockers = self.model.open_blockers() | self.model.return_blockers(
            ret["kind"], ret["org"], self.today, self.reflection_days)
        if ret["status"] != "initiated":
            blockers.add("invalid-transition")
        self.run(lambda: self.case.complete_return(ACTORS[by], return_id, today=self.today,
                                                   reflection_days=self.reflection_days),
                 "ReturnCompleted", blockers)

    @precondition(lambda self: self.model.returns)
    @rule(data=st.data(), by=orgs)
    def complete_return(self, data, by):
        self._complete(by, data.draw(st.sampled_from(list(self.model.returns)), label="return"))

    @precondition(lambda self: any(r["status"] == "initiated" for r in self.model.returns.values()))
    @rule(by=orgs)
    def complete_the_return_under_way(self, by):
        self._complete(by, next(rid for rid, r in self.model.returns.items() if r["status"] == "initiated"))

    @precondition(lambda self: self.model.returns)
    @rule(data=st.data(), by=orgs)
    def cancel_return(self, data, by):
        return_id = data.draw(st.sampled_from(list(self.model.returns)), label="return")
        blockers = self.model.open_blockers()
        if self.model.returns[return_id]["status"] != "initiated":
            blockers.add("invalid-transition")
        self.run(lambda: self.case.cancel_return(ACTORS[by], return_id), "ReturnCancelled", blockers)

    # ---- ownership and closure ----------------------------------------------------------
    @rule(data=st.data(), to=orgs)
    def request_transfer(self, data, to):
        by = party_or_anyone(data, self.model.owner)
        blockers = self.model.open_blockers()
        if self.model.transfer is not None or to == self.model.owner:
            blockers.add("invalid-transition")
        if by != self.model.owner:
            blockers.add("transfer-acceptance")
        self.run(lambda: self.case.request_transfer(ACTORS[by], to), "TransferRequested", blockers)

    def _transfer_answer_blockers(self, by):
        blockers = self.model.open_blockers()
        if self.model.transfer is None:
            blockers.add("invalid-transition")
        elif by != self.model.transfer[1]:
            blockers.add("transfer-acceptance")
        return blockers

    @precondition(lambda self: self.model.transfer)
    @rule(data=st.data())
    def accept_transfer(self, data):
        by = party_or_anyone(data, self.model.transfer[1])
        self.run(lambda: self.case.accept_transfer(ACTORS[by]), "TransferAccepted",
                 self._transfer_answer_blockers(by))

    @rule(data=st.data())
    def reject_transfer(self, data):
        by = party_or_anyone(data, self.model.transfer[1] if self.model.transfer else "unhcr")
        self.run(lambda: self.case.reject_transfer(ACTORS[by]), "TransferRejected",
                 self._transfer_answer_blockers(by))

    @rule(by=orgs, really=st.booleans())
    def close(self, by, really):
        if really:
            self.run(lambda: self.case.close(ACTORS[by], "reason"), "CaseClosed",
                     self.model.open_blockers())

    @precondition(lambda self: self.model.status != "open")
    @rule(by=orgs)
    def reopen(self, by):
        blockers = {"case-erased"} if self.model.status == "erased" else set()
        self.run(lambda: self.case.reopen(ACTORS[by], "reason"), "CaseReopened", blockers)

    @rule(by=orgs, really=rarely)
    def erase(self, by, really):
        if really:  # rarely, or little else would ever run
            blockers = {"case-erased"} if self.model.status == "erased" else set()
            self.run(lambda: self.case.erase(ACTORS[by], "request"), "CaseErased", blockers)

    # ---- invariants -----------------------------------------------------------------
    @invariant()
    def the_case_agrees_with_the_model(self):
        case, model = self.case, self.model
        assert case.version == model.version == len(self.history)
        assert (case.status, case.stage, case.owner_org) == (model.status, model.stage, model.owner)
        assert set(case.categories) == model.categories
        assert case.asylum_status == model.asylum
        assert case.trafficking_identified_on == (model.identified_on and model.identified_on.isoformat())
        assert (case.best_interests is not None) == model.bid
        assert {tuple(k.split(":", 1)) for k, given in case.consents.items() if given} == model.consents
        assert {rid: r["status"] for rid, r in case.referrals.items()} == \
            {rid: r["status"] for rid, r in model.referrals.items()}
        assert {rid: r["status"] for rid, r in case.returns.items()} == \
            {rid: r["status"] for rid, r in model.returns.items()}
        assert (case.transfer and (case.transfer["from_org"], case.transfer["to_org"])) == model.transfer

    @invariant()
    def at_most_one_return_is_under_way(self):
        assert sum(r["status"] == "initiated" for r in self.case.returns.values()) <= 1

    def teardown(self):
        # The recorded history alone rebuilds the same case (event bodies decide nothing).
        if not hasattr(self, "case"):
            return
        replayed = None
        for event in self.history:
            replayed = event.mutate(replayed)
        assert replayed.state() == self.case.state()


CaseMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=40, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow])
TestCaseInvariants = CaseMachine.TestCase
