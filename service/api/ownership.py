"""Supervisor commands: assignment, ownership transfer, closure and reopening."""
from __future__ import annotations


from service.api import cases
from service.api.common import caller, case_reply, command, command_blueprint
from service.schemas.ownership import (
    Assignment, Closure, Reopening, Transfer, TransferAcceptance, TransferRejection,
)

blp = command_blueprint("ownership", __name__, "Assignment, transfer, closure (supervisors)")

_CASE = {"case_id": "$response.body#/id"}
TRANSFER_LINKS = {"Accept": {"operationId": "acceptTransfer", "parameters": _CASE},
                  "Reject": {"operationId": "rejectTransfer", "parameters": _CASE}}
CLOSED_LINKS = {"Reopen": {"operationId": "reopenCase", "parameters": _CASE}}


@blp.route("/cases/<uuid:case_id>/assignment", methods=["POST"])
@command(blp, Assignment, "assignCase")
def assign(data, case_id):
    """Assign the case to a case worker (by `sub`)."""
    return case_reply(cases().assign(caller("case.assign"), case_id, **data))


@blp.route("/cases/<uuid:case_id>/transfer", methods=["POST"])
@command(blp, Transfer, "requestTransfer", links=TRANSFER_LINKS)
def request_transfer(data, case_id):
    """Offer ownership to another organisation; it moves when that one accepts."""
    return case_reply(cases().request_transfer(caller("case.transfer"), case_id, **data))


@blp.route("/cases/<uuid:case_id>/transfer/acceptance", methods=["POST"])
@command(blp, TransferAcceptance, "acceptTransfer")
def accept_transfer(data, case_id):
    """The receiving organisation's supervisor accepts ownership."""
    return case_reply(cases().accept_transfer(caller("transfer.respond"), case_id, **data))


@blp.route("/cases/<uuid:case_id>/transfer/rejection", methods=["POST"])
@command(blp, TransferRejection, "rejectTransfer")
def reject_transfer(data, case_id):
    """The receiving organisation's supervisor rejects the transfer."""
    return case_reply(cases().reject_transfer(caller("transfer.respond"), case_id, **data))


@blp.route("/cases/<uuid:case_id>/closure", methods=["POST"])
@command(blp, Closure, "closeCase", links=CLOSED_LINKS)
def close(data, case_id):
    """Close the case, with a reason."""
    return case_reply(cases().close_case(caller("case.close"), case_id, **data))


@blp.route("/cases/<uuid:case_id>/reopening", methods=["POST"])
@command(blp, Reopening, "reopenCase")
def reopen(data, case_id):
    """Reopen a closed case, with a reason."""
    return case_reply(cases().reopen_case(caller("case.reopen"), case_id, **data))
