"""Return-stage commands: initiate (201 with the return), complete, cancel."""
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
from service.schemas.returns import CreatedReturn, ReturnCancellation, ReturnCompletion, ReturnInitiation

blp = command_blueprint("returns", __name__, "Returns: voluntary, assisted voluntary, forced")

_IDS = {"case_id": "$response.body#/case_id", "return_id": "$response.body#/id"}
INITIATED_LINKS = {name: {"operationId": op, "parameters": _IDS} for name, op in {
    "GetReturn": "getReturn", "Complete": "completeReturn", "Cancel": "cancelReturn"}.items()}


@blp.route("/cases/<uuid:case_id>/returns", methods=["POST"])
@command(blp, ReturnInitiation, "initiateReturn", status=201, schema=CreatedReturn, headers=LOCATION_HEADER,
         links=INITIATED_LINKS)
def initiate(data, case_id):
    """Initiate a return; every rule that protects the person is checked (409 names it)."""
    outcome = cases().initiate_return(caller("case.return"), case_id, **data)
    location = url_for("returns.return", case_id=case_id, return_id=outcome.result)
    return part_reply(outcome.case, outcome.case.return_(outcome.result), 201,
                      {"Location": location, **position_headers(outcome.position)})


@blp.route("/cases/<uuid:case_id>/returns/<uuid:return_id>", methods=["GET"], endpoint="return")
@blp.response(200, CreatedReturn, headers=ETAG_HEADER)
@problems(blp, READ_ERRORS)
@blp.doc(operationId="getReturn")
def get_return(case_id, return_id):
    """One return of the case (read access to the case needed; access-logged)."""
    case, access = readable(case_id)
    reply = part_reply(case, case.return_(str(return_id)))  # an unknown return is 404 before anything is logged as read
    log_read("return", case, access)
    return reply


@blp.route("/cases/<uuid:case_id>/returns/<uuid:return_id>/completion", methods=["POST"])
@command(blp, ReturnCompletion, "completeReturn")
def complete(data, case_id, return_id):
    """The return took place (the rules are checked again: facts may have changed)."""
    return case_reply(cases().complete_return(caller("case.return"), case_id, str(return_id), **data))


@blp.route("/cases/<uuid:case_id>/returns/<uuid:return_id>/cancellation", methods=["POST"])
@command(blp, ReturnCancellation, "cancelReturn")
def cancel(data, case_id, return_id):
    """Cancel an initiated return."""
    return case_reply(cases().cancel_return(caller("case.return"), case_id, str(return_id), **data))
