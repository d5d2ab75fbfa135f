"""`casetrail project [--once]` and `casetrail rebuild-views` (API.md, Command line)."""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sys

from projections.rebuild import rebuild_views
from projections.service import ProjectionService
from service.config import Config
from service.wiring import open_store

log = logging.getLogger("casetrail.projections")


def _project_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--once", action="store_true", help="catch up and exit")
    p.add_argument("--batch-size", type=int, default=500)


def _project(args: argparse.Namespace, config: Config) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    database, application = open_store(config)
    service = ProjectionService(database, application, batch_size=args.batch_size)
    try:
        if args.once:
            print(json.dumps({"applied": service.run_once()}))
            return 0
        # SIGTERM (systemd, Kubernetes) ends the loop between batches.
        signal.signal(signal.SIGTERM, lambda *_: service.stop_event.set())
        try:
            service.run()
        except KeyboardInterrupt:
            service.stop_event.set()
        return 0
    finally:
        service.leadership.release()
        application.close()
        database.close()


def _rebuild_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--wait", type=float, default=600.0, help="seconds to wait for another leading runner")


def _rebuild(args: argparse.Namespace, config: Config) -> int:
    database, application = open_store(config)
    try:
        print(json.dumps({"rebuilt": rebuild_views(database, application, args.wait)}))
        return 0
    finally:
        application.close()
        database.close()


COMMANDS = {
    "project": (_project_args, _project),
    "rebuild-views": (_rebuild_args, _rebuild),
}
