"""Referrals: made, accepted, declined, completed, withdrawn.

Rule 5 (consent): personal data goes with a referral only with recorded consent to
share it with the receiving organisation, or the legal basis `vital_interest`.
Rule 6 (referrals): only the receiving organisation accepts, declines or completes;
only the sender withdraws, and only a pending referral.
"""
from __future__ import annotations

import pytest

from domain import errors


# ---- making a referral ---------------------------------------------------------
def test_a_referral_is_recorded_as_pending_and_moves_the_case_to_referral(open_case, officer, when):
    case = open_case()

    with when(case) as recorded:
        referral_id = case.refer(officer, "unhcr", "asylum_procedure")

    assert recorded.names == ["ReferralMade"]
    assert recorded.only.referral_id == referral_id
    assert case.referral(referral_id) == {
        "id": referral_id, "from_org": "border-service", "to_org": "unhcr", "service": "asylum_procedure",
        "status": "pending", "share_personal_data": False, "legal_basis": None, "reason": None}
    assert case.stage == "referral"


def test_a_referral_for_an_unknown_service_is_refused(open_case, officer, refused):
    case = open_case()

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.refer(officer, "unhcr", "haircut")


def test_a_case_cannot_be_referred_to_the_referring_organisation(open_case, officer, refused):
    case = open_case()

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.refer(officer, "border-service", "legal_aid")


def test_a_referral_without_personal_data_needs_no_consent(open_case, officer, when):
    case = open_case()

    with when(case) as recorded:
        case.refer(officer, "iom", "shelter", share_personal_data=False)

    assert recorded.names == ["ReferralMade"]


# ---- rule 5: sharing personal data ----------------------------------------------
def test_sharing_personal_data_without_consent_or_legal_basis_is_refused(open_case, officer, refused):
    case = open_case()

    with refused(case, errors.ConsentRequired, "consent-required"):
        case.refer(officer, "unhcr", "asylum_procedure", share_personal_data=True)


def test_sharing_personal_data_with_consent_to_share_with_the_receiver_is_allowed(open_case, officer, when):
    case = open_case()
    case.give_consent(officer, "data_sharing", "unhcr")

    with when(case) as recorded:
        referral_id = case.refer(officer, "unhcr", "asylum_procedure", share_personal_data=True,
                                 legal_basis="consent")

    assert recorded.names == ["ReferralMade"]
    assert case.referral(referral_id)["share_personal_data"] is True


def test_consent_to_share_with_another_organisation_does_not_cover_the_receiver(open_case, officer, refused):
    case = open_case()
    case.give_consent(officer, "data_sharing", "iom")

    with refused(case, errors.ConsentRequired, "consent-required"):
        case.refer(officer, "unhcr", "asylum_procedure", share_personal_data=True)


def test_consent_to_return_is_not_consent_to_share_data(open_case, officer, refused):
    case = open_case()
    case.give_consent(officer, "voluntary_return", "unhcr")

    with refused(case, errors.ConsentRequired, "consent-required"):
        case.refer(officer, "unhcr", "asylum_procedure", share_personal_data=True)


def test_withdrawn_consent_no_longer_allows_sharing(open_case, officer, refused):
    case = open_case()
    case.give_consent(officer, "data_sharing", "unhcr")
    case.withdraw_consent(officer, "data_sharing", "unhcr")

    with refused(case, errors.ConsentRequired, "consent-required"):
        case.refer(officer, "unhcr", "asylum_procedure", share_personal_data=True, legal_basis="consent")


def test_naming_consent_as_legal_basis_without_recorded_consent_is_refused(open_case, officer, refused):
    case = open_case()

    with refused(case, errors.ConsentRequired, "consent-required"):
        case.refer(officer, "unhcr", "asylum_procedure", share_personal_data=True, legal_basis="consent")


def test_sharing_personal_data_on_vital_interest_needs_no_consent(open_case, officer, when):
    case = open_case(categories=["medical_needs"])

    with when(case) as recorded:
        referral_id = case.refer(officer, "ngo", "medical", share_personal_data=True,
                                 legal_basis="vital_interest")

    assert recorded.names == ["ReferralMade"]
    assert recorded.only.legal_basis == "vital_interest"
    assert case.referral(referral_id)["legal_basis"] == "vital_interest"


def test_an_accepted_referral_shares_personal_data_only_while_consent_lasts(open_case, officer, unhcr):
    case = open_case()
    case.give_consent(officer, "data_sharing", "unhcr")
    referral_id = case.refer(officer, "unhcr", "asylum_procedure", share_personal_data=True)
    assert not case.shares_personal_data_with("unhcr")  # pending: not yet

    case.accept_referral(unhcr, referral_id)
    assert case.shares_personal_data_with("unhcr")

    case.withdraw_consent(officer, "data_sharing", "unhcr")
    assert not case.shares_personal_data_with("unhcr")


def test_a_vital_interest_referral_shares_personal_data_once_accepted(open_case, officer, ngo):
    case = open_case()
    referral_id = case.refer(officer, "ngo", "medical", share_personal_data=True, legal_basis="vital_interest")

    case.accept_referral(ngo, referral_id)

    assert case.shares_personal_data_with("ngo")
    assert not case.shares_personal_data_with("iom")


# ---- rule 6: who acts on a referral -------------------------------------------
def test_the_receiving_organisation_accepts_a_pending_referral(open_case, officer, unhcr, when):
    case = open_case()
    referral_id = case.refer(officer, "unhcr", "asylum_procedure")

    with when(case) as recorded:
        case.accept_referral(unhcr, referral_id)

    assert recorded.names == ["ReferralAccepted"]
    assert recorded.only.actor["org"] == "unhcr"
    assert case.referral(referral_id)["status"] == "accepted"


@pytest.mark.parametrize("who", ["officer", "iom"])
def test_only_the_receiving_organisation_accepts_a_referral(open_case, officer, refused, request, who):
    case = open_case()
    referral_id = case.refer(officer, "unhcr", "asylum_procedure")

    with refused(case, errors.ReferralPartyViolation, "referral-parties"):
        case.accept_referral(request.getfixturevalue(who), referral_id)


def test_the_receiving_organisation_declines_a_pending_referral_with_a_reason(open_case, officer, unhcr, when):
    case = open_case()
    referral_id = case.refer(officer, "unhcr", "asylum_procedure")

    with when(case) as recorded:
        case.decline_referral(unhcr, referral_id, "outside our mandate")

    assert recorded.names == ["ReferralDeclined"]
    assert case.referral(referral_id)["status"] == "declined"
    assert case.referral(referral_id)["reason"] == "outside our mandate"


@pytest.mark.parametrize("who", ["officer", "iom"])
def test_only_the_receiving_organisation_declines_a_referral(open_case, officer, refused, request, who):
    case = open_case()
    referral_id = case.refer(officer, "unhcr", "asylum_procedure")

    with refused(case, errors.ReferralPartyViolation, "referral-parties"):
        case.decline_referral(request.getfixturevalue(who), referral_id, "no")


def test_the_receiving_organisation_completes_an_accepted_referral(open_case, officer, unhcr, when):
    case = open_case()
    referral_id = case.refer(officer, "unhcr", "asylum_procedure")
    case.accept_referral(unhcr, referral_id)

    with when(case) as recorded:
        case.complete_referral(unhcr, referral_id, "claim lodged")

    assert recorded.names == ["ReferralCompleted"]
    assert case.referral(referral_id)["status"] == "completed"


@pytest.mark.parametrize("who", ["officer", "iom"])
def test_only_the_receiving_organisation_completes_a_referral(open_case, officer, unhcr, refused, request, who):
    case = open_case()
    referral_id = case.refer(officer, "unhcr", "asylum_procedure")
    case.accept_referral(unhcr, referral_id)

    with refused(case, errors.ReferralPartyViolation, "referral-parties"):
        case.complete_referral(request.getfixturevalue(who), referral_id, "done")


def test_a_referral_that_was_not_accepted_cannot_be_completed(open_case, officer, unhcr, refused):
    case = open_case()
    referral_id = case.refer(officer, "unhcr", "asylum_procedure")

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.complete_referral(unhcr, referral_id)


@pytest.mark.parametrize("settle", ["accept", "decline"])
def test_a_referral_that_is_no_longer_pending_cannot_be_accepted_or_declined(open_case, officer, unhcr, refused,
                                                                              settle):
    case = open_case()
    referral_id = case.refer(officer, "unhcr", "asylum_procedure")
    case.accept_referral(unhcr, referral_id) if settle == "accept" else case.decline_referral(unhcr, referral_id, "no")

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.accept_referral(unhcr, referral_id)
    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.decline_referral(unhcr, referral_id, "again")


def test_the_sender_withdraws_a_pending_referral(open_case, officer, when):
    case = open_case()
    referral_id = case.refer(officer, "unhcr", "asylum_procedure")

    with when(case) as recorded:
        case.withdraw_referral(officer, referral_id, "person moved on")

    assert recorded.names == ["ReferralWithdrawn"]
    assert case.referral(referral_id)["status"] == "withdrawn"


@pytest.mark.parametrize("who", ["unhcr", "iom"])
def test_only_the_sender_withdraws_a_referral(open_case, officer, refused, request, who):
    case = open_case()
    referral_id = case.refer(officer, "unhcr", "asylum_procedure")

    with refused(case, errors.ReferralPartyViolation, "referral-parties"):
        case.withdraw_referral(request.getfixturevalue(who), referral_id)


def test_the_sender_is_the_referring_organisation_not_the_case_owner(open_case, officer, unhcr, iom, when):
    case = open_case()  # owned by border-service
    referral_id = case.refer(unhcr, "iom", "avrr")

    with when(case) as recorded:
        case.withdraw_referral(unhcr, referral_id)

    assert recorded.names == ["ReferralWithdrawn"]


@pytest.mark.parametrize("settle", ["accept", "decline", "complete", "withdraw"])
def test_only_a_pending_referral_can_be_withdrawn(open_case, officer, unhcr, refused, settle):
    case = open_case()
    referral_id = case.refer(officer, "unhcr", "asylum_procedure")
    if settle in ("accept", "complete"):
        case.accept_referral(unhcr, referral_id)
    if settle == "complete":
        case.complete_referral(unhcr, referral_id)
    if settle == "decline":
        case.decline_referral(unhcr, referral_id, "no")
    if settle == "withdraw":
        case.withdraw_referral(officer, referral_id)

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.withdraw_referral(officer, referral_id)


@pytest.mark.parametrize("command", ["accept", "decline", "complete", "withdraw"])
def test_acting_on_an_unknown_referral_is_refused(open_case, officer, unhcr, refused, command):
    case = open_case()
    case.refer(officer, "unhcr", "asylum_procedure")

    with refused(case, errors.UnknownReferral, "referral-not-found"):
        {"accept": lambda: case.accept_referral(unhcr, "no-such-referral"),
         "decline": lambda: case.decline_referral(unhcr, "no-such-referral", "x"),
         "complete": lambda: case.complete_referral(unhcr, "no-such-referral"),
         "withdraw": lambda: case.withdraw_referral(officer, "no-such-referral")}[command]()
