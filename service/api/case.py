"""Opening a case and reading it: now, at a version, or as it was at a time."""
from __future__ import annotations

from marshmallow import RAISE

from application.cases import CaseNotFound, Outcome
from service.api import cases
from service.api.common import (
    ETAG_HEADER,
    LOCATION_HEADER,
    OPEN_ERRORS,
    READ_ERRORS,
    caller,
    case_reply,
    case_url,
    command,
    command_blueprint,
    log_read,
    problems,
    readable,
)
from service.errors import Problem
from service.schemas.cases import CaseOut, CaseQuery, OpenCase

blp = command_blueprint("cases", __name__, "Cases: opening and reading")


def _to(operation_id: str, **extra) -> dict:
    return {"operationId": operation_id, "parameters": {"case_id": "$response.body#/id", **extra}}


# API.md's example: shown on /docs, and a valid opening for the contract tests to start from.
OPENING_EXAMPLE = {
    "person": {"given_name": "Aziz", "family_name": "Karimi", "sex": "male", "date_of_birth": "2009-03-14",
               "nationality": "AFG", "languages": ["prs"],
               "documents": [{"type": "passport", "number": "P1234567", "issuing_country": "AFG"}]},
    "encounter": {"date": "2026-11-20", "country": "KAZ", "place": "Zhibek Zholy border crossing",
                  "type": "border"},
    "categories": ["asylum_seeker", "unaccompanied_child"], "asylum_intention": True,
    "notes": "Arrived alone, states he fears return.",
}
OPENED_LINKS = {name: _to(op) for name, op in {
    "GetCase": "getCase", "Assess": "assessCase", "RecordAsylum": "recordAsylum", "RecordConsent": "recordConsent",
    "Refer": "refer", "AddNote": "addNote", "ApplyForRegularization": "applyForRegularization",
    "InitiateReturn": "initiateReturn", "Assign": "assignCase", "RequestTransfer": "requestTransfer",
    "Close": "closeCase"}.items()}


@blp.route("/cases", methods=["POST"], endpoint="open")
@command(blp, OpenCase, "openCase", status=201, headers=LOCATION_HEADER, links=OPENED_LINKS,
         codes=OPEN_ERRORS, if_match=False, example=OPENING_EXAMPLE)
def open_case(data):
    """Open a case (identification). 201 with Location and ETag."""
    outcome = cases().open_case(caller("case.open", versioned=False), **data)
    return case_reply(outcome, 201, outcome.access, {"Location": case_url(outcome.case.id)})


@blp.route("/cases/<uuid:case_id>", methods=["GET"], endpoint="case")
@blp.arguments(CaseQuery, location="query", unknown=RAISE)  # a mistyped ?verison= must not read as "now"
@blp.response(200, CaseOut, headers=ETAG_HEADER)
@problems(blp, READ_ERRORS)
@blp.doc(operationId="getCase")
def get_case(query, case_id):
    """The case now; with `version` or `as_of`, as it was then (from the event store).
    Every read is written to the access log."""
    case, access = readable(case_id)
    view, past = _past(case, query)
    log_read(view, case, access)
    return case_reply(Outcome(past), 200, access)


def _past(case, query):
    if "version" in query:
        if query["version"] > case.version:
            raise Problem(404, "version-not-found", "No such version", "the case has no such version yet")
        return "version", cases().get_case(case.id, version=query["version"])
    if "as_of" in query:
        try:
            return "as_of", cases().get_case_as_of(case.id, query["as_of"])
        except CaseNotFound:
            raise Problem(404, "not-yet-opened", "No state at that time", "the case was opened later") from None
    return "current", case
