"""Read-your-writes and projection lag.

Command endpoints put the notification id of their last event in a response header:

    from projections.positions import add_position_header
    add_position_header(response, outcome.position)        # Casetrail-Position: 1234

A client that must see its write in a list sends it back on the read
(`Casetrail-Min-Position: 1234`); the list endpoint calls `require_min_position()`,
which polls the tracking table every few milliseconds (the library's
`TrackingRecorder.wait` first sleeps 100 ms) for up to ~2 s, then answers 503 with
Retry-After.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Iterable

from service.database import Database

POSITION_HEADER = "Casetrail-Position"
MIN_POSITION_HEADER = "Casetrail-Min-Position"
DEFAULT_WAIT_SECONDS = 2.0
POLL_SECONDS = 0.005

# The Prometheus gauges (casetrail_projection_lag_events / _seconds) are collected
# at scrape time from `lag()` by service/metrics.py, so they are right whichever
# worker answers, and whichever process runs the projections.


def add_position_header(response: Any, position: int | None) -> Any:
    """For command endpoints: tell the client where its write landed."""
    if position is not None:
        response.headers[POSITION_HEADER] = str(position)
    return response


def positions(database: Database, views: Iterable[str] | None = None) -> dict[str, int]:
    with database.transaction() as cur:
        rows = cur.execute("SELECT projection, notification_id FROM projection_tracking").fetchall()
    wanted = set(views) if views is not None else None
    return {name: pos for name, pos in rows if wanted is None or name in wanted}


def wait_for_position(database: Database, position: int, views: Iterable[str],
                      timeout: float = DEFAULT_WAIT_SECONDS) -> bool:
    """True once every view in `views` has applied notification `position`."""
    views = tuple(views)
    deadline = time.monotonic() + timeout
    while True:
        reached = positions(database, views)
        if len(reached) == len(views) and min(reached.values()) >= position:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)


def require_min_position(views: Iterable[str], timeout: float = DEFAULT_WAIT_SECONDS) -> None:
    """For read endpoints: honour `Casetrail-Min-Position` (422 if malformed, 503
    with Retry-After if the views do not reach it in time)."""
    from flask import current_app, request

    from service.errors import Problem

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


def lag(database: Database, application: Any) -> dict[str, dict]:
    """Per projection: events behind the event store, and seconds since the oldest
    event it has not applied was recorded."""
    head = application.recorder.max_notification_id() or 0
    now = datetime.now(timezone.utc)
    out = {}
    for name, position in sorted(positions(database).items()):
        seconds = 0.0
        if position < head:
            pending = application.recorder.select_notifications(position, 1, inclusive_of_start=False)
            if pending:
                recorded = application.mapper.to_domain_event(pending[0]).timestamp
                seconds = max(0.0, (now - recorded).total_seconds())
        # Notification ids have gaps on PostgreSQL, so this may overstate a little.
        out[name] = {"position": position, "events": max(0, head - position), "seconds": round(seconds, 3)}
    return out


def position_headers(position: int | None) -> dict[str, str]:
    """The same as a headers dict, for views that return (body, status, headers)."""
    return {POSITION_HEADER: str(position)} if position is not None else {}
