"""Audit: signed checkpoints of every case stream, and the access log."""
from __future__ import annotations

import json
from datetime import timezone
from uuid import UUID

from flask import current_app
from flask_smorest import Blueprint

from auth.flask_auth import current_principal
from auth.policy import require_role
from service.api import cases
from service.schemas.audit import AccessLogPage, AccessLogQuery, CheckpointOut
from service.api.common import problems
from service.cases import CaseNotFound
from service.errors import Problem
from service.storage.checkpoints import Checkpoints, StoreBroken

blp = Blueprint("audit", __name__, url_prefix="/audit", description="Audit: checkpoints and access log")


@blp.record_once
def _checkpoints(state) -> None:
    app = state.app
    keys = app.extensions.get("casetrail.signing_keys")
    if keys is None:  # an external token provider: checkpoints get a key of their own
        from auth.keys import SigningKeys

        config = app.extensions["casetrail.config"]
        keys = SigningKeys(config.var_dir / "audit-keys", config.token_ttl_seconds)
    config = app.extensions["casetrail.config"]
    app.extensions["casetrail.checkpoints"] = Checkpoints(
        app.extensions["casetrail.database"], app.extensions["casetrail.cases"], keys,
        config.oauth_issuer or "casetrail")


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
def access_log(query):
    """Who read which case, when, and which view; oldest first, `limit` a page.
    Auditors see every entry; a dpo sees entries about cases its org owns."""
    principal = current_principal()
    require_role(principal, "audit.access_log")
    sql, params = ["SELECT id, at, sub, client_id, org, case_id, view, redacted, filters FROM access_log"
                   " WHERE id > %s"], [int(query.get("cursor") or 0)]
    for column, op, key in (("case_id", "=", "case_id"), ("sub", "=", "actor"), ("at", ">=", "from_"),
                            ("at", "<", "to")):
        if key in query:
            value = query[key]
            if hasattr(value, "astimezone"):  # stored as UTC with a Z: compare like with like
                value = value.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
            sql.append(f"AND {column} {op} %s")
            params.append(str(value))
    sql.append("ORDER BY id LIMIT %s")
    params.append(query["limit"])
    with current_app.extensions["casetrail.database"].transaction() as cur:
        rows = cur.execute(" ".join(sql), tuple(params)).fetchall()
    keys = ("id", "at", "sub", "client_id", "org", "case_id", "view", "redacted", "filters")
    entries = [{**dict(zip(keys, r)), "redacted": None if r[7] is None else bool(r[7]),
                "filters": json.loads(r[8]) if r[8] else None} for r in rows]
    if "auditor" not in principal.roles:
        owners: dict = {}
        entries = [e for e in entries if _owner(e["case_id"], owners) == principal.org]
    more = len(rows) == query["limit"]
    return {"items": entries, "next_cursor": str(rows[-1][0]) if more else None}


def _owner(case_id: str | None, owners: dict) -> str | None:
    """The org owning the case now (once per case per request)."""
    if case_id is None:
        return None
    if case_id not in owners:
        try:
            owners[case_id] = cases().get_case(UUID(case_id)).owner_org
        except (CaseNotFound, ValueError):
            owners[case_id] = None
    return owners[case_id]
