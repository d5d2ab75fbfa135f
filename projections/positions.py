"""How far the read views have come: their positions in the notification log,
waiting for one to be reached (read-your-writes), and their lag.

A command answers with the position of its last event; a client that must see its
write in a list sends it back, and the read waits with `wait_for_position`, which
polls the tracking table every few milliseconds (the library's
`TrackingRecorder.wait` first sleeps 100 ms) for a bounded time.

The Prometheus gauges (casetrail_projection_lag_events / _seconds) are collected
at scrape time from `lag()`, so they are right whichever worker answers, and
whichever process runs the projections.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Iterable

from store.database import Database

DEFAULT_WAIT_SECONDS = 2.0
POLL_SECONDS = 0.005


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
