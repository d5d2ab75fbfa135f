"""A gunicorn worker and the projection runner killed with SIGKILL
under load, at the same moment.

Requests in flight on the killed worker get no answer (the client sees the
connection drop: their outcome is unknown, as after any crash), never a 5xx; gunicorn
replaces the worker; every acknowledged write is stored once; a new runner takes
over from the committed positions and the views equal a rebuild exactly (nothing
applied twice, nothing skipped)."""
from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from tests.resilience.harness import env_int, figures, issuer_for, kill, production
from tests.resilience.history import (
    check_acknowledged,
    check_streams,
    replay_under_rules,
    store,
    streams,
    views_equal_a_rebuild,
)
from tests.resilience.workload import Actors, Load

pytestmark = [pytest.mark.resilience, pytest.mark.postgres, pytest.mark.gunicorn]

CLIENTS = env_int("CASETRAIL_CRASH_CLIENTS", 8)
KILLS = env_int("CASETRAIL_CRASH_KILLS", 2)


def test_killed_workers_and_runner_lose_no_acknowledged_write_and_the_views_catch_up_exactly(postgres_url, tmp_path):
    with production(postgres_url, tmp_path) as server:
        load = Load(server.url, Actors.make(issuer_for(server.var_dir)))
        threads = [threading.Thread(target=load.client, args=(i,), daemon=True) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        killed, replaced_in = [], []
        try:
            for _ in range(KILLS):
                time.sleep(2)
                workers = server.workers()
                victim = workers[0]
                kill(victim)  # the worker and the runner die together, mid-batch as likely as not
                kill(server.runner.pid)
                server.runner.wait(10)
                killed.append(victim)
                t0 = time.monotonic()
                server.start_runner()  # as Kubernetes or systemd would restart it
                while time.monotonic() < t0 + 30:
                    now = server.workers()
                    if len(now) == len(workers) and victim not in now:
                        replaced_in.append(time.monotonic() - t0)
                        break
                    time.sleep(0.05)
                else:
                    pytest.fail(f"gunicorn did not replace worker {victim}\n{server.log_tail()}")
            time.sleep(2)
        finally:
            load.stop.set()
            for thread in threads:
                thread.join(60)
        writes = load.writes
        statuses = Counter(w.answer.status for w in writes)
        assert not {s for s in statuses if s >= 500}, f"{statuses}\n{server.log_tail()}"
        assert set(statuses) <= {0, 200, 201}, statuses
        # After the last crash the service still serves (answers may be slow on a loaded
        # machine, so count what started after the replacement, not a time window).
        after = [w for w in writes if w.started > t0 + replaced_in[-1]]
        assert any(w.answer.status in (200, 201) for w in after), Counter(w.answer.status for w in after)

        with store(postgres_url, server.var_dir) as (database, cases):
            found = streams(cases)
            assert not check_streams(found), check_streams(found)[:5]
            stored_figures = check_acknowledged(cases, found, writes)
            events = sum(replay_under_rules(cases, case_id) for case_id in found)
            view_figures = views_equal_a_rebuild(database, cases)
        assert server.server.poll() is None, f"gunicorn exited\n{server.log_tail()}"

    figures("worker crash", {
        "clients": CLIENTS, "kills": KILLS, "requests": len(writes), "statuses": dict(sorted(statuses.items())),
        # No answer: in flight on, or kept alive to, the killed worker.
        "no_answer": statuses[0], "worker_replaced_in_s": [round(s, 2) for s in replaced_in],
        **stored_figures, "events_stored": events, **view_figures,
    })
