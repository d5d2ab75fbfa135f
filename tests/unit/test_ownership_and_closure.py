"""Ownership and the end of a case: transfer, close, reopen, erase.

Rule 7: closed cases accept nothing but reopening; erased cases accept nothing.
Rule 8: ownership moves only when the receiving organisation accepts a transfer.
"""
from __future__ import annotations

from datetime import date

import pytest

from domain import errors
from domain.actor import Actor

TODAY = date(2025, 6, 1)
OFFICER = Actor("officer-1", "border-service")
UNHCR = Actor("worker-1", "unhcr")
IOM = Actor("worker-2", "iom")


# ---- rule 8: transfers -----------------------------------------------------------
def test_the_owner_requests_a_transfer_and_keeps_the_case_until_it_is_accepted(open_case, officer, when):
    case = open_case()

    with when(case) as recorded:
        case.request_transfer(officer, "unhcr", "refugee status determination")

    assert recorded.names == ["TransferRequested"]
    assert case.transfer == {"from_org": "border-service", "to_org": "unhcr",
                             "reason": "refugee status determination"}
    assert case.owner_org == "border-service"


def test_accepting_a_transfer_by_the_receiving_organisation_moves_ownership(open_case, officer, unhcr, when):
    case = open_case()
    case.assign(officer, "officer-7")
    case.request_transfer(officer, "unhcr")

    with when(case) as recorded:
        case.accept_transfer(unhcr)

    assert recorded.names == ["TransferAccepted"]
    assert recorded.only.actor["org"] == "unhcr"
    assert case.owner_org == "unhcr"
    assert case.transfer is None
    assert case.assignee is None  # the old org's assignee does not follow the case


@pytest.mark.parametrize("who", ["officer", "iom"])
def test_only_the_receiving_organisation_accepts_a_transfer(open_case, officer, refused, request, who):
    case = open_case()
    case.request_transfer(officer, "unhcr")

    with refused(case, errors.TransferAcceptanceRequired, "transfer-acceptance"):
        case.accept_transfer(request.getfixturevalue(who))

    assert case.owner_org == "border-service"


def test_rejecting_a_transfer_keeps_the_owner(open_case, officer, unhcr, when):
    case = open_case()
    case.request_transfer(officer, "unhcr")

    with when(case) as recorded:
        case.reject_transfer(unhcr, "no capacity")

    assert recorded.names == ["TransferRejected"]
    assert case.owner_org == "border-service"
    assert case.transfer is None


@pytest.mark.parametrize("who", ["officer", "iom"])
def test_only_the_receiving_organisation_rejects_a_transfer(open_case, officer, refused, request, who):
    case = open_case()
    case.request_transfer(officer, "unhcr")

    with refused(case, errors.TransferAcceptanceRequired, "transfer-acceptance"):
        case.reject_transfer(request.getfixturevalue(who))


@pytest.mark.parametrize("answer", ["accept", "reject"])
def test_there_is_nothing_to_answer_without_a_pending_transfer(open_case, unhcr, refused, answer):
    case = open_case()

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.accept_transfer(unhcr) if answer == "accept" else case.reject_transfer(unhcr)


def test_only_the_owning_organisation_requests_a_transfer(open_case, unhcr, refused):
    case = open_case()  # owned by border-service

    with refused(case, errors.TransferAcceptanceRequired, "transfer-acceptance"):
        case.request_transfer(unhcr, "unhcr")


def test_a_transfer_to_the_owning_organisation_is_refused(open_case, officer, refused):
    case = open_case()

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.request_transfer(officer, "border-service")


def test_a_second_transfer_while_one_is_pending_is_refused(open_case, officer, refused):
    case = open_case()
    case.request_transfer(officer, "unhcr")

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.request_transfer(officer, "iom")


def test_a_new_transfer_may_be_requested_after_a_rejection(open_case, officer, unhcr, iom, when):
    case = open_case()
    case.request_transfer(officer, "unhcr")
    case.reject_transfer(unhcr)

    with when(case) as recorded:
        case.request_transfer(officer, "iom")

    assert recorded.names == ["TransferRequested"]


def test_the_new_owner_may_transfer_the_case_on_and_the_old_one_may_not(open_case, officer, unhcr, refused):
    case = open_case()
    case.request_transfer(officer, "unhcr")
    case.accept_transfer(unhcr)

    with refused(case, errors.TransferAcceptanceRequired, "transfer-acceptance"):
        case.request_transfer(officer, "iom")
    case.request_transfer(unhcr, "iom")
    assert case.transfer["from_org"] == "unhcr"


def test_no_command_but_an_accepted_transfer_changes_the_owner(open_case, officer, unhcr, iom):
    case = open_case()
    rid = case.refer(officer, "unhcr", "asylum_procedure")
    case.accept_referral(unhcr, rid)
    case.complete_referral(unhcr, rid)
    case.assign(unhcr, "worker-1")
    case.request_transfer(officer, "iom")
    case.reject_transfer(iom)
    case.close(officer, "done")
    case.reopen(officer, "new facts")

    assert case.owner_org == "border-service"


# ---- closing and reopening ---------------------------------------------------------
def test_closing_a_case_records_the_reason_and_closes_it(open_case, officer, when):
    case = open_case()
    case.refer(officer, "unhcr", "legal_aid")

    with when(case) as recorded:
        case.close(officer, "person left the country")

    assert recorded.names == ["CaseClosed"]
    assert (case.status, case.stage, case.closure_reason) == ("closed", "closed", "person left the country")


def test_reopening_a_closed_case_returns_it_to_the_stage_it_was_closed_in(open_case, officer, when):
    case = open_case()
    case.refer(officer, "unhcr", "legal_aid")
    case.close(officer, "no contact")

    with when(case) as recorded:
        case.reopen(officer, "person came back")

    assert recorded.names == ["CaseReopened"]
    assert (case.status, case.stage, case.closure_reason) == ("open", "referral", None)


def test_reopening_an_open_case_is_refused(open_case, officer, refused):
    case = open_case()

    with refused(case, errors.InvalidTransition, "invalid-transition"):
        case.reopen(officer, "why")


def test_a_reopened_case_accepts_commands_again(open_case, officer, when):
    case = open_case()
    case.close(officer, "no contact")
    case.reopen(officer, "back")

    with when(case) as recorded:
        case.add_note(officer, "seen again")

    assert recorded.names == ["NoteAdded"]


def test_erasing_a_case_records_the_erasure(open_case, officer, when):
    case = open_case()

    with when(case) as recorded:
        case.erase(officer, "data subject request")

    assert recorded.names == ["CaseErased"]
    assert case.status == "erased"


def test_a_closed_case_can_still_be_erased(open_case, officer, when):
    # Erasure is the data subject's right and is not a change to the case's
    # facts; the domain lets it through rule 7 for closed cases.
    case = open_case()
    case.close(officer, "done")

    with when(case) as recorded:
        case.erase(officer, "retention period over")

    assert recorded.names == ["CaseErased"]
    assert case.status == "erased"


# ---- rule 7: what a closed or erased case refuses ----------------------------------
def _nothing(case):
    pass


def _refer(case):
    return case.refer(OFFICER, "unhcr", "asylum_procedure")


def _accepted_referral(case):
    rid = _refer(case)
    case.accept_referral(UNHCR, rid)
    return rid


def _apply(case):
    case.apply_for_regularization(IOM, "work_permit")


def _initiate(case):
    return case.initiate_return(OFFICER, "forced", "AF", "2025-07-01", today=TODAY)


def _transfer(case):
    case.request_transfer(OFFICER, "unhcr")


def _consent(case):
    case.give_consent(OFFICER, "data_sharing", "unhcr")


# (prepare on the open case, command); every command is valid on the prepared open
# case (test_every_listed_command_is_accepted_while_the_case_is_open), so a refusal
# after closing is down to the closure alone.
COMMANDS = {
    "add_categories": (_nothing, lambda c, _: c.add_categories(UNHCR, ["stateless"])),
    "remove_categories": (_nothing, lambda c, _: c.remove_categories(UNHCR, ["stranded_migrant"])),
    "determine_best_interests": (_nothing, lambda c, _: c.determine_best_interests(UNHCR, "stay", today=TODAY)),
    "identify_trafficking_victim": (_nothing, lambda c, _: c.identify_trafficking_victim(UNHCR, today=TODAY)),
    "record_asylum": (_nothing, lambda c, _: c.record_asylum(UNHCR, "intention_expressed")),
    "give_consent": (_nothing, lambda c, _: c.give_consent(OFFICER, "data_sharing", "unhcr")),
    "withdraw_consent": (_consent, lambda c, _: c.withdraw_consent(OFFICER, "data_sharing", "unhcr")),
    "add_note": (_nothing, lambda c, _: c.add_note(OFFICER, "note")),
    "assign": (_nothing, lambda c, _: c.assign(OFFICER, "officer-2")),
    "refer": (_nothing, lambda c, _: c.refer(OFFICER, "unhcr", "legal_aid")),
    "accept_referral": (_refer, lambda c, rid: c.accept_referral(UNHCR, rid)),
    "decline_referral": (_refer, lambda c, rid: c.decline_referral(UNHCR, rid, "no")),
    "complete_referral": (_accepted_referral, lambda c, rid: c.complete_referral(UNHCR, rid)),
    "withdraw_referral": (_refer, lambda c, rid: c.withdraw_referral(OFFICER, rid)),
    "apply_for_regularization": (_nothing, lambda c, _: c.apply_for_regularization(IOM, "work_permit")),
    "grant_regularization": (_apply, lambda c, _: c.grant_regularization(OFFICER, "2026-01-01")),
    "refuse_regularization": (_apply, lambda c, _: c.refuse_regularization(OFFICER, "no")),
    "initiate_return": (_nothing, lambda c, _: c.initiate_return(OFFICER, "forced", "AF", "2025-07-01",
                                                                 today=TODAY)),
    "complete_return": (_initiate, lambda c, ret: c.complete_return(OFFICER, ret, today=TODAY)),
    "cancel_return": (_initiate, lambda c, ret: c.cancel_return(OFFICER, ret)),
    "request_transfer": (_nothing, lambda c, _: c.request_transfer(OFFICER, "unhcr")),
    "accept_transfer": (_transfer, lambda c, _: c.accept_transfer(UNHCR)),
    "reject_transfer": (_transfer, lambda c, _: c.reject_transfer(UNHCR)),
    "close": (_nothing, lambda c, _: c.close(OFFICER, "again")),
}


@pytest.mark.parametrize("name", COMMANDS)
def test_every_listed_command_is_accepted_while_the_case_is_open(open_case, when, name):
    prepare, command = COMMANDS[name]
    case = open_case(categories=["stranded_migrant"])
    target = prepare(case)

    with when(case) as recorded:
        command(case, target)

    assert len(recorded) == 1


@pytest.mark.parametrize("name", COMMANDS)
def test_a_closed_case_refuses_every_command_but_reopening(open_case, officer, refused, name):
    prepare, command = COMMANDS[name]
    case = open_case(categories=["stranded_migrant"])
    target = prepare(case)
    case.close(officer, "done")

    with refused(case, errors.CaseClosed, "case-closed"):
        command(case, target)


@pytest.mark.parametrize("name", [*COMMANDS, "reopen", "erase"])
def test_an_erased_case_refuses_every_command_even_reopening(open_case, officer, refused, name):
    prepare, command = COMMANDS.get(name, (_nothing, None))
    case = open_case(categories=["stranded_migrant"])
    target = prepare(case)
    case.erase(officer, "data subject request")

    with refused(case, errors.CaseErased, "case-erased"):
        if name == "reopen":
            case.reopen(officer, "please")
        elif name == "erase":
            case.erase(officer, "again")
        else:
            command(case, target)


def test_an_erased_case_that_had_been_closed_cannot_be_reopened(open_case, officer, refused):
    case = open_case()
    case.close(officer, "done")
    case.erase(officer, "retention period over")

    with refused(case, errors.CaseErased, "case-erased"):
        case.reopen(officer, "please")
