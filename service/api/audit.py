"""Audit: signed checkpoints of every case stream, and the access log."""
from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint

from application import access_log
from auth.policy import access_log_scope, require_role
from service.api.common import problems
from service.authentication import current_principal
from service.errors import Problem
from service.schemas.audit import AccessLogPage, AccessLogQuery, CheckpointOut
from store.checkpoints import Checkpoints, StoreBroken

blp = Blueprint("audit", __name__, url_prefix="/audit", description="Audit: checkpoints and access log")


def checkpoints() -> Checkpoints:
    return current_app.extensions["casetrail.checkpoints"]


@blp.route("/checkpoints", methods=["POST"])
@blp.response(201, CheckpointOut)
@problems(blp, (401, 403, 409, 503))
@blp.doc(operationId="createCheckpoint")
def create_checkpoint():
    """Sign the head of every case stream and the notification-log position (JWS,
    the embedded issuer's active ES256 key). Save the response: `casetrail verify
    --checkpoint FILE` later proves nothing it covers has changed. 409
    `integrity-broken` if some case already fails verification."""
    principal = current_principal()
    require_role(principal, "audit.checkpoint")
    try:
        return checkpoints().create(principal.sub)
    except StoreBroken as exc:
        raise Problem(409, "integrity-broken", "Some case fails verification", str(exc)) from None


@blp.route("/checkpoints/latest", methods=["GET"])
@blp.response(200, CheckpointOut)
@problems(blp, (401, 403, 404, 503))
@blp.doc(operationId="getLatestCheckpoint")
def latest_checkpoint():
    """The most recent checkpoint; 404 `no-checkpoint` before the first."""
    require_role(current_principal(), "audit.checkpoint")
    record = checkpoints().latest()
    if record is None:
        raise Problem(404, "no-checkpoint", "No checkpoint yet", "POST /audit/checkpoints makes one")
    return record


@blp.route("/access-log", methods=["GET"])
@blp.arguments(AccessLogQuery, location="query")
@blp.response(200, AccessLogPage)
@problems(blp, (401, 403, 422, 503))
@blp.doc(operationId="getAccessLog")
def access_log_page(query):
    """Who read which case, when, and which view; oldest first, `limit` a page.
    Auditors see every entry; a dpo sees the reads of cases its org owned when
    they were read."""
    principal = current_principal()
    require_role(principal, "audit.access_log")
    entries = access_log.page(current_app.extensions["casetrail.database"],
                              after_id=int(query.get("cursor") or 0), limit=query["limit"],
                              owner_org=access_log_scope(principal), case_id=query.get("case_id"),
                              actor=query.get("actor"), since=query.get("from_"), before=query.get("to"))
    more = len(entries) == query["limit"]
    return {"items": entries, "next_cursor": str(entries[-1]["id"]) if more else None}
