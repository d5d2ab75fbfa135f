"""GET /cases: the list of cases the caller may see, from the read views."""
from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import RAISE

from application import access_log
from auth.policy import require_role
from projections import LIST_VIEWS
from projections.list_query import BadCursor, list_cases
from service.api.common import problems
from service.authentication import current_principal
from service.errors import Problem
from service.read_your_writes import MIN_POSITION_HEADER, require_min_position
from service.schemas.case_list import CaseList, CaseListQuery

blp = Blueprint("case_list", __name__, description="Cases: the list, from the read views")

MIN_POSITION = {"name": MIN_POSITION_HEADER, "in": "header", "required": False,
                "schema": {"type": "integer", "minimum": 0},
                "description": "read-your-writes: the `Casetrail-Position` a command answered with; the list "
                               "waits up to ~2 s until it includes that write, else 503 with Retry-After"}


@blp.route("/cases", methods=["GET"], endpoint="list")
@blp.arguments(CaseListQuery, location="query", unknown=RAISE)
@blp.response(200, CaseList)
@problems(blp, (401, 403, 422, 503))
@blp.doc(operationId="listCases", parameters=[MIN_POSITION])
def list_visible_cases(query):
    """Cases the caller may see (its org's, those referred or being transferred to
    it; every case for an auditor; never for an analyst), oldest change first.

    Served from the read views, which follow the event store a few milliseconds
    behind: send `Casetrail-Min-Position` to wait for your own write. Pages with
    `limit` (1-500, default 50) and the opaque `cursor` of `next_cursor`. No
    personal data is listed. Each list is written to the access log with its filters.
    """
    principal = current_principal()
    require_role(principal, "case.list")
    require_min_position(LIST_VIEWS)
    filters = {k: v for k, v in query.items() if k not in ("limit", "cursor")}
    database = current_app.extensions["casetrail.database"]
    try:
        items, next_cursor = list_cases(database, principal, filters, query["limit"], query.get("cursor"))
    except BadCursor as exc:
        raise Problem(422, "validation-error", "Invalid query", str(exc), errors={"cursor": [str(exc)]}) from None
    access_log.record(principal, "list", database=database, filters=filters)
    return {"items": items, "next_cursor": next_cursor}
