"""`casetrail project` killed with SIGKILL at random moments while commands keep
coming, then restarted: every view still equals a rebuild from the event store
(no event counted twice, none skipped).

Size: CASETRAIL_CRASH_EVENTS events (default 2,000, which keeps CI under a
couple of minutes; the issue's full run is 20,000) and CASETRAIL_CRASH_KILLS
kills (default 5)."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

from application.cases import Cases
from projections import all_projections
from projections.positions import positions
from projections.runner import ensure_tables
from service.cli.views import rebuild_views
from store import case_keys_for
from store.database import Database, persistence_env
from tests.support.projection_workload import run_workload, snapshot

EVENTS = int(os.environ.get("CASETRAIL_CRASH_EVENTS", "2000"))
KILLS = int(os.environ.get("CASETRAIL_CRASH_KILLS", "5"))


def start_runner(database_url: str, var_dir, log) -> subprocess.Popen:
    env = {**os.environ, "CASETRAIL_DATABASE_URL": database_url, "CASETRAIL_VAR_DIR": str(var_dir)}
    # Small batches: many commits, so the kills land between and inside them.
    return subprocess.Popen([sys.executable, "-m", "service.cli", "project", "--batch-size", "40"],
                            env=env, stdout=log, stderr=log, cwd=os.getcwd())


def wait_until_leading(log_path, starts: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while log_path.read_text().count("leading projection statistics") < starts:
        assert time.monotonic() < deadline, "the runner never took the lead"
        time.sleep(0.02)


@pytest.mark.slow
def test_views_survive_sigkill_of_the_runner_at_random_moments(database_url, tmp_path):
    database = Database(database_url)
    var_dir = tmp_path / "var"
    cases = Cases(env=persistence_env(database_url),
                  case_keys=case_keys_for(database_url, None, None, var_dir, database))
    rng = random.Random(int(os.environ.get("CASETRAIL_CRASH_SEED", "11")))
    ensure_tables(database, all_projections())  # so positions can be read before the first start
    log = open(tmp_path / "runner.log", "ab")
    runner = start_runner(database_url, var_dir, log)
    try:
        workload = threading.Thread(target=run_workload, args=(cases, EVENTS, 21))
        workload.start()
        kills, seen_at_kill = 0, []
        while kills < KILLS or workload.is_alive():
            # Kill only once this runner is at work (it takes ~2 s to start), at a
            # random moment after: inside or between its batch transactions.
            wait_until_leading(tmp_path / "runner.log", kills + 1)
            time.sleep(rng.uniform(0.05, 1.0))
            if kills < KILLS:
                seen_at_kill.append(min(positions(database).values(), default=0))
                runner.send_signal(signal.SIGKILL)
                runner.wait()
                kills += 1
                runner = start_runner(database_url, var_dir, log)
        workload.join()
        # The last runner must be up (its SIGTERM handler set) before it is asked to stop:
        # the views may already be caught up by the one killed before it.
        wait_until_leading(tmp_path / "runner.log", kills + 1)
        head = cases.recorder.max_notification_id()
        deadline = time.monotonic() + 120
        while min(positions(database).values(), default=0) < head:
            assert runner.poll() is None, (tmp_path / "runner.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the restarted runner did not catch up"
            time.sleep(0.1)
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(timeout=20) == 0
        survived = snapshot(database)
        assert kills == KILLS and head >= EVENTS
        assert len(set(seen_at_kill)) > 1, "the runner was killed before it ever applied anything"
        rebuild_views(database, cases)
        assert snapshot(database) == survived
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
        log.close()
        cases.close()
        database.close()
