"""Rebuilding the read views from the event store (`casetrail rebuild-views`)."""
from __future__ import annotations

import time
from typing import Any

from projections import all_projections
from projections.positions import positions
from projections.runner import reset
from projections.service import ProjectionService
from store.database import Database


def rebuild_views(database: Database, application: Any, wait_seconds: float = 600.0,
                  batch_size: int = 2000) -> dict[str, int]:
    """Drop every view and rebuild it from the event store. If another process leads
    a projection, it does the rebuilding (its position was set to 0); we wait."""
    for projection in all_projections():
        reset(database, projection)
    # Bigger batches than the live runner's: fewer transactions and statements per
    # event (measured ~1.3-1.5x faster at 2,000 than at 500); nobody waits on a rebuild.
    service = ProjectionService(database, application, batch_size=batch_size)
    try:
        done = service.run_once()
        head = application.recorder.max_notification_id() or 0
        deadline = time.monotonic() + wait_seconds
        while min(positions(database).values(), default=head) < head:
            if time.monotonic() > deadline:
                raise TimeoutError("the leading runner did not finish the rebuild in time")
            time.sleep(0.05)
        return done
    finally:
        service.leadership.release()
