"""The case's rules (DESIGN.md, "Invariants"), one named guard each.

The guards read the case's state and raise the rule's error; commands call them
before recording anything, so a refused command leaves no event behind.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from domain import errors
from domain.vocabulary import (
    ASYLUM_PENDING, ASYLUM_PROTECTED, CHILD_CATEGORIES, CONSENTED_RETURN_KINDS,
    TRAFFICKING_CATEGORIES,
)

if TYPE_CHECKING:
    from domain.actor import Actor
    from domain.case import Case

DEFAULT_REFLECTION_DAYS = 30


def check_return_allowed(case: Case, kind: str, today: date, reflection_days: int, org: str) -> None:
    """Every rule that stands between a case and a return of `kind`: checked when a
    return is initiated and again when it is completed, because the facts may have
    changed in between (a claim lodged, a permit granted, consent withdrawn)."""
    if kind == "forced":
        _check_non_refoulement(case)
        _check_trafficking_reflection(case, today, reflection_days)
        _check_regularised_stay(case, today)
    _check_child_best_interests(case)
    if kind in CONSENTED_RETURN_KINDS:
        _check_return_consent(case, org)


def _check_non_refoulement(case: Case) -> None:
    # Rule 1: pending claims (intention, lodged, rejected but not finally) and
    # protected persons (recognised refugee, complementary protection) stay.
    if case.asylum_status in ASYLUM_PENDING:
        raise errors.NonRefoulementViolation(
            f"forced return refused: asylum claim pending ({case.asylum_status})")
    if case.asylum_status in ASYLUM_PROTECTED or "refugee" in case.categories:
        raise errors.NonRefoulementViolation(
            "forced return refused: the person is a refugee or has complementary protection")


def _check_child_best_interests(case: Case) -> None:
    # Rule 2: an unaccompanied or separated child returns only after a BID.
    if CHILD_CATEGORIES & set(case.categories) and case.best_interests is None:
        raise errors.ChildBestInterestsViolation(
            "return of an unaccompanied or separated child needs a recorded "
            "best-interests determination")


def _check_trafficking_reflection(case: Case, today: date, reflection_days: int) -> None:
    # Rule 3: a presumed victim has a recovery and reflection period from the day
    # they were identified as such, and from the day a presumption (re)started for
    # as long as it lasts; the latest start governs.
    starts = [case.trafficking_identified_on]
    if TRAFFICKING_CATEGORIES & set(case.categories):
        starts.append(case.trafficking_presumed_on)
    starts = [date.fromisoformat(s) for s in starts if s]
    if not starts:
        return
    ends = max(starts) + timedelta(days=reflection_days)
    if today < ends:
        raise errors.TraffickingReflectionViolation(
            f"forced return refused: recovery and reflection period runs until {ends.isoformat()}")


def _check_regularised_stay(case: Case, today: date) -> None:
    # Rule 4: a granted permit protects until its last valid day, whatever later
    # applications or refusals say.
    if case.permit:
        valid_until = date.fromisoformat(case.permit["valid_until"])
        if today <= valid_until:
            raise errors.RegularisedStayViolation(
                f"forced return refused: a granted permit is valid until {valid_until.isoformat()}")


def _check_return_consent(case: Case, org: str) -> None:
    # Rule 5, returns: voluntary and assisted voluntary returns need informed
    # consent to return, given to the organisation carrying it out.
    if not case.has_consent("voluntary_return", org):
        raise errors.ConsentRequired(
            f"a voluntary return needs recorded informed consent to return given to {org}")


def check_referral_sharing(case: Case, to_org: str, legal_basis: str | None) -> None:
    # Rule 5, referrals: personal data goes to the receiving organisation only with
    # consent to share with it, or the recorded legal basis of vital interest.
    if legal_basis == "vital_interest":
        return
    if not case.has_consent("data_sharing", to_org):
        raise errors.ConsentRequired(
            f"sharing personal data with {to_org} needs recorded consent or the legal basis vital_interest")


def check_referral_receiver(referral: dict, actor: Actor) -> None:
    # Rule 6: only the receiving organisation accepts, declines or completes.
    if actor.org != referral["to_org"]:
        raise errors.ReferralPartyViolation("only the receiving organisation may act on this referral")


def check_referral_sender(referral: dict, actor: Actor) -> None:
    # Rule 6: only the sender withdraws.
    if actor.org != referral["from_org"]:
        raise errors.ReferralPartyViolation("only the sending organisation may withdraw this referral")


def check_accepts_commands(case: Case) -> None:
    # Rule 7: erased cases accept nothing; closed ones only reopening.
    if case.status == "erased":
        raise errors.CaseErased("the case was erased and accepts no command")
    if case.status == "closed":
        raise errors.CaseClosed("the case is closed: only reopening is accepted")


def check_transfer_receiver(case: Case, actor: Actor) -> None:
    # Rule 8: ownership moves only when the receiving organisation accepts.
    if case.transfer is None:
        raise errors.InvalidTransition("no transfer is pending")
    if actor.org != case.transfer["to_org"]:
        raise errors.TransferAcceptanceRequired(
            "only the receiving organisation may accept or reject the transfer")
