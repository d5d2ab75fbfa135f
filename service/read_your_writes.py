"""Read-your-writes over HTTP: command responses carry `Casetrail-Position` (the
position of their last event in the log); a read that must include that write
sends it back as `Casetrail-Min-Position` and waits, briefly, for the views."""
from __future__ import annotations

from typing import Iterable

from flask import current_app, request

from projections.positions import DEFAULT_WAIT_SECONDS, wait_for_position
from service.errors import Problem

POSITION_HEADER = "Casetrail-Position"
MIN_POSITION_HEADER = "Casetrail-Min-Position"


def position_headers(position: int | None) -> dict[str, str]:
    """For command responses: where the write landed (nothing if unknown)."""
    return {POSITION_HEADER: str(position)} if position is not None else {}


def require_min_position(views: Iterable[str], timeout: float = DEFAULT_WAIT_SECONDS) -> None:
    """For read endpoints: honour `Casetrail-Min-Position` (422 if malformed, 503
    with Retry-After if the views do not reach it in time)."""
    raw = request.headers.get(MIN_POSITION_HEADER)
    if raw is None:
        return
    if not raw.strip().isdigit():
        raise Problem(422, "validation-error", "Invalid header", f"{MIN_POSITION_HEADER} must be an integer",
                      errors={MIN_POSITION_HEADER: ["must be a non-negative integer"]})
    # A position past the log's head was never written, so it is no write of the
    # caller's: refuse it now. Waiting would hold a thread 2 s and answer 503 for a
    # client's mistake (found by tests/resilience/test_hostile_input.py).
    head = current_app.extensions["casetrail.cases"].recorder.max_notification_id() or 0
    if int(raw) > head:
        raise Problem(422, "validation-error", "Invalid header", f"{MIN_POSITION_HEADER} is past the last write",
                      errors={MIN_POSITION_HEADER: ["no write has this position"]})
    database = current_app.extensions["casetrail.database"]
    if not wait_for_position(database, int(raw), views, timeout):
        raise Problem(503, "views-behind", "The views have not caught up yet",
                      f"the list does not yet include position {int(raw)}; try again shortly",
                      headers={"Retry-After": "1"})
