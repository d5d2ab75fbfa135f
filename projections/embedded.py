"""The embedded default: the projection runner in a background thread of the app.

`init_app` always creates the view tables (the list and statistics endpoints read
them even when the runner is a separate process) and starts the thread only when
`config.run_projections_in_process` is on. One thread per database per process,
however many apps are built (tests build many); `stop(app)` or interpreter exit
stops it between batches.
"""
from __future__ import annotations

import atexit
import threading
from typing import Any

from projections import all_projections
from projections.runner import ensure_tables
from projections.service import ProjectionService

_lock = threading.Lock()
_running: dict[str, ProjectionService] = {}  # database URL -> its service in this process
EXTENSION = "casetrail.projections"


def init_app(app: Any, config: Any, database: Any, application: Any) -> None:
    ensure_tables(database, all_projections())
    app.extensions[EXTENSION] = None
    if not config.run_projections_in_process:
        return
    with _lock:
        service = _running.get(config.database_url)
        if service is None:
            service = ProjectionService(database, application)
            _running[config.database_url] = service
            service.start()
    app.extensions[EXTENSION] = service


def stop(app: Any, timeout: float = 5.0) -> None:
    """Stop this app's runner thread (before closing its database)."""
    service = app.extensions.get(EXTENSION)
    if service is None:
        return
    with _lock:
        for url, running in list(_running.items()):
            if running is service:
                del _running[url]
    service.stop(timeout)
    app.extensions[EXTENSION] = None


@atexit.register
def _stop_all() -> None:
    with _lock:
        services = list(_running.values())
        _running.clear()
    for service in services:
        service.stop(timeout=2.0)
