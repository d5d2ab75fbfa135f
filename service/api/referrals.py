"""Referral-stage commands: refer, then the receiving organisation accepts,
declines or completes; the sender withdraws."""
from __future__ import annotations

from flask import url_for

from service.api import cases
from service.api.common import (
    ETAG_HEADER,
    LOCATION_HEADER,
    READ_ERRORS,
    caller,
    case_reply,
    command,
    command_blueprint,
    log_read,
    part_reply,
    problems,
    readable,
)
from service.read_your_writes import position_headers
from service.schemas.referrals import (
    CreatedReferral,
    Referral,
    ReferralAcceptance,
    ReferralCompletion,
    ReferralDecline,
    ReferralWithdrawal,
)

blp = command_blueprint("referrals", __name__, "Referrals to other organisations")

_IDS = {"case_id": "$response.body#/case_id", "referral_id": "$response.body#/id"}
REFERRED_LINKS = {name: {"operationId": op, "parameters": _IDS} for name, op in {
    "GetReferral": "getReferral", "Accept": "acceptReferral", "Decline": "declineReferral",
    "Complete": "completeReferral", "Withdraw": "withdrawReferral"}.items()}


@blp.route("/cases/<uuid:case_id>/referrals", methods=["POST"])
@command(blp, Referral, "refer", status=201, schema=CreatedReferral, headers=LOCATION_HEADER,
         links=REFERRED_LINKS)
def refer(data, case_id):
    """Refer the case to `to_org` for a service. 201 with the referral and its Location."""
    outcome = cases().refer(caller("case.refer"), case_id, **data)
    location = url_for("referrals.referral", case_id=case_id, referral_id=outcome.result)
    return part_reply(outcome.case, outcome.case.referral(outcome.result), 201,
                      {"Location": location, **position_headers(outcome.position)})


@blp.route("/cases/<uuid:case_id>/referrals/<uuid:referral_id>", methods=["GET"], endpoint="referral")
@blp.response(200, CreatedReferral, headers=ETAG_HEADER)
@problems(blp, READ_ERRORS)
@blp.doc(operationId="getReferral")
def get_referral(case_id, referral_id):
    """One referral of the case (read access to the case needed; access-logged)."""
    case, access = readable(case_id)
    reply = part_reply(case, case.referral(str(referral_id)))  # an unknown referral is 404 before anything is logged as read
    log_read("referral", case, access)
    return reply


@blp.route("/cases/<uuid:case_id>/referrals/<uuid:referral_id>/acceptance", methods=["POST"])
@command(blp, ReferralAcceptance, "acceptReferral")
def accept(data, case_id, referral_id):
    """The receiving organisation accepts the referral."""
    return case_reply(cases().accept_referral(caller("referral.accept"), case_id, str(referral_id), **data))


@blp.route("/cases/<uuid:case_id>/referrals/<uuid:referral_id>/decline", methods=["POST"])
@command(blp, ReferralDecline, "declineReferral")
def decline(data, case_id, referral_id):
    """The receiving organisation declines the referral, with a reason."""
    return case_reply(cases().decline_referral(caller("referral.decline"), case_id, str(referral_id), **data))


@blp.route("/cases/<uuid:case_id>/referrals/<uuid:referral_id>/completion", methods=["POST"])
@command(blp, ReferralCompletion, "completeReferral")
def complete(data, case_id, referral_id):
    """The receiving organisation completes an accepted referral."""
    return case_reply(cases().complete_referral(caller("referral.complete"), case_id, str(referral_id), **data))


@blp.route("/cases/<uuid:case_id>/referrals/<uuid:referral_id>/withdrawal", methods=["POST"])
@command(blp, ReferralWithdrawal, "withdrawReferral")
def withdraw(data, case_id, referral_id):
    """The sending organisation withdraws a pending referral."""
    return case_reply(cases().withdraw_referral(caller("referral.withdraw"), case_id, str(referral_id), **data))
