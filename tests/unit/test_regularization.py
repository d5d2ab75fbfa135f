"""Regularization: an application for a pathway to legal stay, then a decision.

Rule 4 (regularised stay): no forced return while a granted permit is valid (up to
and including its last valid day).
"""
from __future__ import annotations

from datetime import date

import pytest

from domain import errors

TODAY = date(2025, 6, 1)
PLANNED = "2025-07-01"


# ---- the application and its decision ------------------------------------------
def test_an_application_is_recorded_and_moves_the_case_to_regularization(open_case, iom, when):
    case = open_case(categories=["stateless"])

    with when(case) as recorded:
        case.apply_for_regularization(iom, "statelessness_determination")

    assert recorded.names == ["RegularizationApplied"]
    assert case.regularization == {"pathway": "statelessness_determination", "status": "applied",
                                   "valid_until": None, "reason": None}
    assert case.stage == "regularization"


def test_a_second_application_while_one_is_pending_is_refused(open_case, iom, refused):
    case = open_case()
    case.apply_for_regularization(iom, "work_permit")

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.apply_for_regularization(iom, "residence_permit")


def test_granting_records_the_permit_and_its_validity(open_case, officer, iom, when):
    case = open_case()
    case.apply_for_regularization(iom, "work_permit")

    with when(case) as recorded:
        case.grant_regularization(officer, "2026-05-31")

    assert recorded.names == ["RegularizationGranted"]
    assert case.regularization["status"] == "granted"
    assert case.regularization["valid_until"] == "2026-05-31"
    assert case.regularization["pathway"] == "work_permit"


def test_refusing_records_the_reason(open_case, officer, iom, when):
    case = open_case()
    case.apply_for_regularization(iom, "work_permit")

    with when(case) as recorded:
        case.refuse_regularization(officer, "no employer sponsor")

    assert recorded.names == ["RegularizationRefused"]
    assert case.regularization["status"] == "refused"
    assert case.regularization["reason"] == "no employer sponsor"


@pytest.mark.parametrize("decision", ["grant", "refuse"])
def test_there_is_nothing_to_decide_without_an_application(open_case, officer, refused, decision):
    case = open_case()

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.grant_regularization(officer, "2026-01-01") if decision == "grant" \
            else case.refuse_regularization(officer, "no")


@pytest.mark.parametrize("decision", ["grant", "refuse"])
def test_a_decided_application_cannot_be_decided_again(open_case, officer, iom, refused, decision):
    case = open_case()
    case.apply_for_regularization(iom, "work_permit")
    case.grant_regularization(officer, "2026-01-01")

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.grant_regularization(officer, "2027-01-01") if decision == "grant" \
            else case.refuse_regularization(officer, "no")


def test_a_new_application_may_follow_a_refusal(open_case, officer, iom, when):
    case = open_case()
    case.apply_for_regularization(iom, "work_permit")
    case.refuse_regularization(officer, "no sponsor")

    with when(case) as recorded:
        case.apply_for_regularization(iom, "humanitarian")

    assert recorded.names == ["RegularizationApplied"]


# ---- rule 4: regularised stay ----------------------------------------------------
def _with_permit(open_case, officer, iom, valid_until: str):
    case = open_case()
    case.apply_for_regularization(iom, "residence_permit")
    case.grant_regularization(officer, valid_until)
    return case


def test_forced_return_is_refused_while_a_granted_permit_is_valid(open_case, officer, iom, refused):
    case = _with_permit(open_case, officer, iom, "2026-05-31")

    with refused(case, errors.RegularisedStayViolation, "regularised-stay") as caught:
        case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)

    assert "2026-05-31" in caught.value.detail


def test_forced_return_is_refused_on_the_last_valid_day_of_the_permit(open_case, officer, iom, refused):
    case = _with_permit(open_case, officer, iom, "2025-06-01")

    with refused(case, errors.RegularisedStayViolation, "regularised-stay"):
        case.initiate_return(officer, "forced", "AF", PLANNED, today=date(2025, 6, 1))


def test_forced_return_is_allowed_once_the_permit_has_expired(open_case, officer, iom, when):
    case = _with_permit(open_case, officer, iom, "2025-05-31")

    with when(case) as recorded:
        case.initiate_return(officer, "forced", "AF", PLANNED, today=date(2025, 6, 1))

    assert recorded.names == ["ReturnInitiated"]


def test_a_pending_application_does_not_stop_a_forced_return(open_case, officer, iom, when):
    case = open_case()
    case.apply_for_regularization(iom, "work_permit")

    with when(case) as recorded:
        case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)

    assert recorded.names == ["ReturnInitiated"]


def test_a_refused_application_does_not_stop_a_forced_return(open_case, officer, iom, when):
    case = open_case()
    case.apply_for_regularization(iom, "work_permit")
    case.refuse_regularization(officer, "no")

    with when(case) as recorded:
        case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)

    assert recorded.names == ["ReturnInitiated"]


def test_a_valid_permit_does_not_stop_a_voluntary_return(open_case, officer, iom, when):
    case = _with_permit(open_case, officer, iom, "2026-05-31")
    case.give_consent(iom, "voluntary_return", "iom")

    with when(case) as recorded:
        case.initiate_return(iom, "voluntary", "AF", PLANNED, today=TODAY)

    assert recorded.names == ["ReturnInitiated"]


def test_completing_a_forced_return_is_refused_when_a_permit_was_granted_meanwhile(open_case, officer, iom,
                                                                                   refused):
    case = open_case()
    case.apply_for_regularization(iom, "humanitarian")
    return_id = case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)
    case.grant_regularization(officer, "2026-05-31")

    with refused(case, errors.RegularisedStayViolation, "regularised-stay"):
        case.complete_return(officer, return_id, today=date(2025, 6, 20))


def test_a_new_application_does_not_take_away_the_protection_of_a_permit_still_valid(open_case, officer, iom,
                                                                                    refused):
    case = _with_permit(open_case, officer, iom, "2026-05-31")
    case.apply_for_regularization(iom, "family_reunification")

    with refused(case, errors.RegularisedStayViolation, "regularised-stay"):
        case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)


def test_refusing_a_new_application_does_not_take_away_a_permit_still_valid(open_case, officer, iom, refused):
    case = _with_permit(open_case, officer, iom, "2026-05-31")
    case.apply_for_regularization(iom, "family_reunification")
    case.refuse_regularization(officer, "not eligible")

    with refused(case, errors.RegularisedStayViolation, "regularised-stay"):
        case.initiate_return(officer, "forced", "AF", PLANNED, today=TODAY)


def test_a_renewed_permit_protects_until_its_new_last_day(open_case, officer, iom, refused):
    case = _with_permit(open_case, officer, iom, "2025-06-30")
    case.apply_for_regularization(iom, "residence_permit")
    case.grant_regularization(officer, "2026-06-30")

    with refused(case, errors.RegularisedStayViolation, "regularised-stay"):
        case.initiate_return(officer, "forced", "AF", PLANNED, today=date(2025, 8, 1))
