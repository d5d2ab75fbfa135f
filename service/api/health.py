"""Liveness and readiness."""
from flask import current_app
from flask_smorest import Blueprint

from projections.positions import lag
from service.errors import Problem

blp = Blueprint("health", __name__, description="Liveness and readiness")


@blp.route("/healthz")
@blp.response(200)
def healthz():
    """The process is alive."""
    return {"status": "ok"}


@blp.route("/readyz")
@blp.response(200)
@blp.alt_response(503, description="Not ready: the database is unreachable")
def readyz():
    """Ready to serve: the database answers. Also reports the projection lag."""
    try:
        current_app.extensions["casetrail.database"].ping()
    except Exception as exc:  # any failure to reach it means not ready
        raise Problem(503, "not-ready", "Not ready", f"database unreachable ({type(exc).__name__})",
                      headers={"Retry-After": "2"}) from None
    return {"status": "ready", "database": "ok", "projections": _projection_lag()}


def _projection_lag() -> dict:
    """How far each read view is behind the event store (`events`, `seconds`).
    Reported, not judged: a view catching up after a rebuild does not stop the
    commands, so it does not take the instance out of rotation."""
    try:
        return lag(current_app.extensions["casetrail.database"], current_app.extensions["casetrail.cases"])
    except Exception:  # noqa: BLE001 - views not created yet, or a transient failure
        return {}
