"""Returns: voluntary, assisted voluntary or forced; initiated, then completed or
cancelled. The rules are checked when a return is initiated and again when it is
completed, because the facts may change in between.

Rule 1 (non-refoulement), rule 2 (children), rule 3 (trafficking reflection period)
and rule 5 (consent to return) are tested here; rule 4 (regularised stay) with the
regularization stage.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain import errors

TODAY = date(2025, 6, 1)
PLANNED = "2025-07-01"
KINDS = ["voluntary", "assisted_voluntary", "forced"]


def _asylum(case, actor, *steps):
    for step in steps:
        case.record_asylum(actor, step)
    return case


# ---- the return's own lifecycle ------------------------------------------------
def test_initiating_a_return_records_its_kind_and_the_organisation_carrying_it_out(open_case, officer, when):
    case = open_case()

    with when(case) as recorded:
        return_id = case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)

    assert recorded.names == ["ReturnInitiated"]
    assert case.return_(return_id) == {"id": return_id, "kind": "forced", "destination_country": "AF",
                                       "planned_date": PLANNED, "status": "initiated", "org": "border-service",
                                       "reason": None}
    assert case.stage == "return"


def test_a_return_of_an_unknown_kind_is_refused(open_case, officer, refused):
    case = open_case()

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.initiate_return(officer, "deportation", "AF", PLANNED, today=TODAY)


def test_a_second_return_while_one_is_under_way_is_refused(open_case, officer, refused):
    case = open_case()
    case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.initiate_return(officer, "forced", "TJ", PLANNED, today=TODAY)


def test_completing_an_initiated_return_is_recorded(open_case, officer, when):
    case = open_case()
    return_id = case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)

    with when(case) as recorded:
        case.complete_return(officer, return_id, effective_at="2025-07-01T06:00:00Z", today=date(2025, 7, 1))

    assert recorded.names == ["ReturnCompleted"]
    assert case.return_(return_id)["status"] == "completed"


def test_cancelling_an_initiated_return_records_the_reason(open_case, officer, when):
    case = open_case()
    return_id = case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)

    with when(case) as recorded:
        case.cancel_return(officer, return_id, "flight cancelled")

    assert recorded.names == ["ReturnCancelled"]
    assert case.return_(return_id)["status"] == "cancelled"
    assert case.return_(return_id)["reason"] == "flight cancelled"


def test_a_cancelled_return_can_be_neither_completed_nor_cancelled_again(open_case, officer, refused):
    case = open_case()
    return_id = case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)
    case.cancel_return(officer, return_id)

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.complete_return(officer, return_id, today=TODAY)
    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.cancel_return(officer, return_id)


def test_a_completed_return_cannot_be_completed_again(open_case, officer, refused):
    case = open_case()
    return_id = case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)
    case.complete_return(officer, return_id, today=TODAY)

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.complete_return(officer, return_id, today=TODAY)


def test_a_new_return_may_be_initiated_once_the_last_one_was_cancelled(open_case, officer, when):
    case = open_case()
    case.cancel_return(officer, case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY))

    with when(case) as recorded:
        case.initiate_return(officer, "forced", "AF", "2025-08-01", today=TODAY)

    assert recorded.names == ["ReturnInitiated"]


@pytest.mark.parametrize("command", ["complete", "cancel"])
def test_acting_on_an_unknown_return_is_refused(open_case, officer, refused, command):
    case = open_case()

    with refused(case, errors.UnknownReturn, "return-not-found"):
        case.complete_return(officer, "no-such-return", today=TODAY) if command == "complete" \
            else case.cancel_return(officer, "no-such-return")


def test_a_return_can_be_cancelled_even_when_a_rule_now_forbids_it(open_case, officer, unhcr, when):
    case = open_case()
    return_id = case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)
    case.record_asylum(unhcr, "intention_expressed")

    with when(case) as recorded:
        case.cancel_return(officer, return_id, "asylum claim")

    assert recorded.names == ["ReturnCancelled"]


# ---- rule 1: non-refoulement -------------------------------------------------------
@pytest.mark.parametrize("claim", [
    ("intention_expressed",), ("lodged",), ("lodged", "rejected")],
    ids=["intention_expressed", "lodged", "rejected_not_finally"])
def test_forced_return_is_refused_while_asylum_claim_pending(open_case, officer, unhcr, refused, claim):
    case = _asylum(open_case(), unhcr, *claim)

    with refused(case, errors.NonRefoulementViolation, "non-refoulement") as caught:
        case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)

    assert "pending" in caught.value.detail


def test_forced_return_is_refused_when_asylum_intention_was_expressed_at_the_encounter(open_case, officer,
                                                                                      refused):
    case = open_case(asylum_intention=True)

    with refused(case, errors.NonRefoulementViolation, "non-refoulement"):
        case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)


@pytest.mark.parametrize("decision", ["recognized", "complementary_protection"])
def test_forced_return_is_refused_for_a_protected_person(open_case, officer, unhcr, refused, decision):
    case = _asylum(open_case(), unhcr, "lodged", decision)

    with refused(case, errors.NonRefoulementViolation, "non-refoulement"):
        case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)


def test_forced_return_is_refused_for_a_person_categorised_as_refugee(open_case, officer, refused):
    case = open_case(categories=["refugee"])

    with refused(case, errors.NonRefoulementViolation, "non-refoulement"):
        case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)


@pytest.mark.parametrize("claim", [("lodged", "rejected_final"), ("lodged", "rejected", "rejected_final")],
                         ids=["rejected_final", "rejected_then_final"])
def test_forced_return_is_allowed_after_a_final_rejection(open_case, officer, unhcr, when, claim):
    case = _asylum(open_case(), unhcr, *claim)

    with when(case) as recorded:
        case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)

    assert recorded.names == ["ReturnInitiated"]


def test_forced_return_is_refused_again_when_a_new_claim_follows_a_final_rejection(open_case, officer, unhcr,
                                                                                    refused):
    case = _asylum(open_case(), unhcr, "lodged", "rejected_final", "intention_expressed")

    with refused(case, errors.NonRefoulementViolation, "non-refoulement"):
        case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)


def test_forced_return_is_allowed_without_any_asylum_claim(open_case, officer, when):
    case = open_case(categories=["economic_migrant"])

    with when(case) as recorded:
        case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)

    assert recorded.names == ["ReturnInitiated"]


def test_a_voluntary_return_is_allowed_while_an_asylum_claim_is_pending(open_case, iom, when):
    case = open_case(asylum_intention=True)
    case.give_consent(iom, "voluntary_return", "iom")

    with when(case) as recorded:
        case.initiate_return(iom, "voluntary", "AF", PLANNED, today=TODAY)

    assert recorded.names == ["ReturnInitiated"]


def test_completing_a_forced_return_is_refused_when_asylum_intention_is_recorded_after_initiation(
        open_case, officer, unhcr, refused):
    case = open_case()
    return_id = case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)
    case.record_asylum(unhcr, "intention_expressed")

    with refused(case, errors.NonRefoulementViolation, "non-refoulement"):
        case.complete_return(officer, return_id, today=date(2025, 7, 1))


def test_completing_a_forced_return_is_refused_when_refugee_category_is_added_after_initiation(
        open_case, officer, unhcr, refused):
    case = open_case()
    return_id = case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)
    case.add_categories(unhcr, ["refugee"])

    with refused(case, errors.NonRefoulementViolation, "non-refoulement"):
        case.complete_return(officer, return_id, today=date(2025, 7, 1))


# ---- rule 2: children ------------------------------------------------------------
def _ready_for(case, actor, kind):
    """Give what a return of `kind` needs apart from the rule under test."""
    if kind != "forced":
        case.give_consent(actor, "voluntary_return", actor.org)
    return case


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("child", ["unaccompanied_child", "separated_child"])
def test_return_of_a_child_is_refused_without_a_best_interests_determination(open_case, iom, refused, child,
                                                                             kind):
    case = _ready_for(open_case(categories=[child]), iom, kind)

    with refused(case, errors.ChildBestInterestsViolation, "child-best-interests"):
        case.initiate_return(iom, kind, "AF", PLANNED, today=TODAY)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("child", ["unaccompanied_child", "separated_child"])
def test_return_of_a_child_is_allowed_after_a_best_interests_determination(open_case, iom, unhcr, when, child,
                                                                           kind):
    case = _ready_for(open_case(categories=[child]), iom, kind)
    case.determine_best_interests(unhcr, "return_to_family")

    with when(case) as recorded:
        case.initiate_return(iom, kind, "AF", PLANNED, today=TODAY)

    assert recorded.names == ["ReturnInitiated"]


def test_completing_a_return_is_refused_when_the_person_is_found_to_be_a_child_after_initiation(
        open_case, iom, unhcr, refused):
    case = _ready_for(open_case(), iom, "assisted_voluntary")
    return_id = case.initiate_return(iom, "assisted_voluntary", "AF", PLANNED, today=TODAY)
    case.add_categories(unhcr, ["unaccompanied_child"])

    with refused(case, errors.ChildBestInterestsViolation, "child-best-interests"):
        case.complete_return(iom, return_id, today=TODAY)


# ---- rule 3: trafficking recovery and reflection period -----------------------------
def _identified_on(open_case, ngo, day: date):
    case = open_case()
    case.identify_trafficking_victim(ngo, today=day)
    return case


IDENTIFIED = date(2025, 5, 1)


def test_forced_return_is_refused_on_day_29_after_trafficking_identification(open_case, officer, ngo, refused):
    case = _identified_on(open_case, ngo, IDENTIFIED)

    with refused(case, errors.TraffickingReflectionViolation, "trafficking-reflection-period") as caught:
        case.initiate_return(officer, "forced", "AF", PLANNED, today=IDENTIFIED + timedelta(days=29))

    assert "2025-05-31" in caught.value.detail


def test_forced_return_is_refused_on_the_day_of_trafficking_identification(open_case, officer, ngo, refused):
    case = _identified_on(open_case, ngo, IDENTIFIED)

    with refused(case, errors.TraffickingReflectionViolation, "trafficking-reflection-period"):
        case.initiate_return(officer, "forced", "AF", PLANNED, today=IDENTIFIED)


def test_forced_return_is_allowed_on_day_30_after_trafficking_identification(open_case, officer, ngo, when):
    case = _identified_on(open_case, ngo, IDENTIFIED)

    with when(case) as recorded:
        case.initiate_return(officer, "forced", "AF", PLANNED, today=IDENTIFIED + timedelta(days=30))

    assert recorded.names == ["ReturnInitiated"]


def test_a_longer_configured_reflection_period_refuses_forced_return_until_it_ends(open_case, officer, ngo,
                                                                                   refused, when):
    case = _identified_on(open_case, ngo, IDENTIFIED)

    with refused(case, errors.TraffickingReflectionViolation, "trafficking-reflection-period"):
        case.initiate_return(officer, "forced", "AF", PLANNED, today=IDENTIFIED + timedelta(days=44),
                             reflection_days=45)
    with when(case) as recorded:
        case.initiate_return(officer, "forced", "AF", PLANNED, today=IDENTIFIED + timedelta(days=45),
                             reflection_days=45)

    assert recorded.names == ["ReturnInitiated"]


def test_a_shorter_configured_reflection_period_allows_forced_return_once_it_ends(open_case, officer, ngo,
                                                                                  when):
    case = _identified_on(open_case, ngo, IDENTIFIED)

    with when(case) as recorded:
        case.initiate_return(officer, "forced", "AF", PLANNED, today=IDENTIFIED + timedelta(days=10),
                             reflection_days=10)

    assert recorded.names == ["ReturnInitiated"]


def test_the_reflection_period_of_a_victim_presumed_at_opening_runs_from_the_encounter_date(
        open_case, officer, refused, when):
    # Met on 1 March, case opened on 10 March: the period ends on 31 March, not 9 April.
    case = open_case(categories=["presumed_trafficking_victim"], encounter_date="2025-03-01",
                     today=date(2025, 3, 10))

    with refused(case, errors.TraffickingReflectionViolation, "trafficking-reflection-period"):
        case.initiate_return(officer, "forced", "AF", PLANNED, today=date(2025, 3, 30))
    with when(case) as recorded:
        case.initiate_return(officer, "forced", "AF", PLANNED, today=date(2025, 3, 31))

    assert recorded.names == ["ReturnInitiated"]


def test_the_reflection_period_of_a_victim_presumed_at_an_assessment_runs_from_that_day(
        open_case, officer, ngo, refused, when):
    case = open_case()
    case.add_categories(ngo, ["identified_trafficking_victim"], today=date(2025, 4, 10))

    with refused(case, errors.TraffickingReflectionViolation, "trafficking-reflection-period"):
        case.initiate_return(officer, "forced", "AF", PLANNED, today=date(2025, 5, 9))
    with when(case) as recorded:
        case.initiate_return(officer, "forced", "AF", PLANNED, today=date(2025, 5, 10))

    assert recorded.names == ["ReturnInitiated"]


def test_formal_identification_after_presumption_restarts_the_reflection_period(open_case, officer, ngo,
                                                                                refused):
    case = open_case(categories=["presumed_trafficking_victim"], encounter_date="2025-03-01")
    case.identify_trafficking_victim(ngo, today=date(2025, 3, 20))

    with refused(case, errors.TraffickingReflectionViolation, "trafficking-reflection-period"):
        case.initiate_return(officer, "forced", "AF", PLANNED, today=date(2025, 4, 10))


def test_the_reflection_period_does_not_stop_a_voluntary_return(open_case, iom, ngo, when):
    case = _identified_on(open_case, ngo, IDENTIFIED)
    case.give_consent(iom, "voluntary_return", "iom")

    with when(case) as recorded:
        case.initiate_return(iom, "assisted_voluntary", "AF", PLANNED, today=IDENTIFIED)

    assert recorded.names == ["ReturnInitiated"]


def test_completing_a_forced_return_is_refused_when_trafficking_is_identified_after_initiation(
        open_case, officer, ngo, refused):
    case = open_case()
    return_id = case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)
    case.identify_trafficking_victim(ngo, today=date(2025, 6, 10))

    with refused(case, errors.TraffickingReflectionViolation, "trafficking-reflection-period"):
        case.complete_return(officer, return_id, today=date(2025, 7, 1))


def test_completion_uses_the_reflection_period_it_is_given(open_case, officer, ngo, when):
    case = open_case()
    return_id = case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)
    case.identify_trafficking_victim(ngo, today=date(2025, 6, 10))

    with when(case) as recorded:
        case.complete_return(officer, return_id, today=date(2025, 6, 20), reflection_days=10)

    assert recorded.names == ["ReturnCompleted"]


def test_a_renewed_trafficking_presumption_starts_a_new_reflection_period(open_case, officer, ngo, refused):
    case = open_case(categories=["presumed_trafficking_victim"], encounter_date="2025-01-01",
                     today=date(2025, 1, 1))
    case.remove_categories(ngo, ["presumed_trafficking_victim"])
    case.add_categories(ngo, ["presumed_trafficking_victim"], today=date(2025, 6, 1))

    with refused(case, errors.TraffickingReflectionViolation, "trafficking-reflection-period"):
        case.initiate_return(officer, "forced", "AF", PLANNED, today=date(2025, 6, 2))


def test_a_withdrawn_presumption_without_formal_identification_ends_the_reflection_period(open_case, officer,
                                                                                          ngo, when):
    case = open_case(categories=["presumed_trafficking_victim"], encounter_date="2025-06-01",
                     today=date(2025, 6, 1))
    case.remove_categories(ngo, ["presumed_trafficking_victim"])

    with when(case) as recorded:
        case.initiate_return(officer, "forced", "AF", PLANNED, today=date(2025, 6, 2))

    assert recorded.names == ["ReturnInitiated"]


def test_a_renewed_presumption_after_an_old_identification_starts_a_new_reflection_period(open_case, officer,
                                                                                          ngo):
    case = open_case(encounter_date="2025-01-01", today=date(2025, 1, 1))
    case.identify_trafficking_victim(ngo, today=date(2025, 1, 1))
    case.remove_categories(ngo, ["presumed_trafficking_victim"])
    case.add_categories(ngo, ["presumed_trafficking_victim"], today=date(2025, 6, 1))

    with pytest.raises(errors.TraffickingReflectionViolation):
        case.initiate_return(officer, "forced", "AF", PLANNED, today=date(2025, 6, 2))


# ---- rule 5: consent to return -----------------------------------------------------
@pytest.mark.parametrize("kind", ["voluntary", "assisted_voluntary"])
def test_a_voluntary_return_is_refused_without_recorded_consent(open_case, iom, refused, kind):
    case = open_case()

    with refused(case, errors.ConsentRequired, "consent-required"):
        case.initiate_return(iom, kind, "AF", PLANNED, today=TODAY)


@pytest.mark.parametrize("kind", ["voluntary", "assisted_voluntary"])
def test_a_voluntary_return_is_allowed_with_consent_given_to_the_initiating_organisation(open_case, iom, when,
                                                                                         kind):
    case = open_case()
    case.give_consent(iom, "voluntary_return", "iom")

    with when(case) as recorded:
        case.initiate_return(iom, kind, "AF", PLANNED, today=TODAY)

    assert recorded.names == ["ReturnInitiated"]


@pytest.mark.parametrize("kind", ["voluntary", "assisted_voluntary"])
def test_consent_to_return_given_to_another_organisation_does_not_count(open_case, iom, refused, kind):
    case = open_case()
    case.give_consent(iom, "voluntary_return", "ngo")

    with refused(case, errors.ConsentRequired, "consent-required"):
        case.initiate_return(iom, kind, "AF", PLANNED, today=TODAY)


def test_consent_to_share_data_is_not_consent_to_return(open_case, iom, refused):
    case = open_case()
    case.give_consent(iom, "data_sharing", "iom")

    with refused(case, errors.ConsentRequired, "consent-required"):
        case.initiate_return(iom, "voluntary", "AF", PLANNED, today=TODAY)


def test_a_voluntary_return_is_refused_once_consent_was_withdrawn(open_case, iom, refused):
    case = open_case()
    case.give_consent(iom, "voluntary_return", "iom")
    case.withdraw_consent(iom, "voluntary_return", "iom")

    with refused(case, errors.ConsentRequired, "consent-required"):
        case.initiate_return(iom, "voluntary", "AF", PLANNED, today=TODAY)


@pytest.mark.parametrize("kind", ["voluntary", "assisted_voluntary"])
def test_completing_a_voluntary_return_is_refused_after_consent_is_withdrawn(open_case, iom, refused, kind):
    case = open_case()
    case.give_consent(iom, "voluntary_return", "iom")
    return_id = case.initiate_return(iom, kind, "AF", PLANNED, today=TODAY)
    case.withdraw_consent(iom, "voluntary_return", "iom")

    with refused(case, errors.ConsentRequired, "consent-required"):
        case.complete_return(iom, return_id, today=TODAY)


def test_completion_checks_consent_to_the_organisation_that_initiated_the_return(open_case, iom, officer, when):
    case = open_case()
    case.give_consent(iom, "voluntary_return", "iom")
    return_id = case.initiate_return(iom, "assisted_voluntary", "AF", PLANNED, today=TODAY)

    with when(case) as recorded:
        case.complete_return(officer, return_id, today=TODAY)

    assert recorded.names == ["ReturnCompleted"]


def test_a_forced_return_needs_no_consent(open_case, officer, when):
    case = open_case()

    with when(case) as recorded:
        case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)

    assert recorded.names == ["ReturnInitiated"]
