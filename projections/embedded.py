"""The embedded default: the projection runner in a background thread of the
API process (the production runner is `casetrail project`, a process of its own).

One thread per database per process, however many apps are built (tests build
many); `stop(service)` or interpreter exit stops it between batches.
"""
from __future__ import annotations

import atexit
import threading
from typing import Any

from projections.service import ProjectionService
from store.database import Database

_lock = threading.Lock()
_running: dict[str, ProjectionService] = {}  # database URL -> its service in this process


def start(database: Database, application: Any) -> ProjectionService:
    """The runner thread of this process for `database`, started if it was not."""
    with _lock:
        service = _running.get(database.url)
        if service is None:
            service = ProjectionService(database, application)
            _running[database.url] = service
            service.start()
    return service


def stop(service: ProjectionService, timeout: float = 5.0) -> None:
    """Stop a runner thread (before closing its database)."""
    with _lock:
        for url, running in list(_running.items()):
            if running is service:
                del _running[url]
    service.stop(timeout)


@atexit.register
def _stop_all() -> None:
    with _lock:
        services = list(_running.values())
        _running.clear()
    for service in services:
        service.stop(timeout=2.0)
