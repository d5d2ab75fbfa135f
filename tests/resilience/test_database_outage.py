"""PostgreSQL stops in the middle of load and comes back.

The machine's PostgreSQL is shared with other test runs, so this test runs a
private cluster of its own (harness.private_cluster) and stops THAT one with
`pg_ctl stop -m immediate` (a crash, not a clean shutdown) while 8 clients open
cases and add notes through the production gunicorn and `casetrail project`.

During the outage every request gets 503 with Retry-After within a bounded time
(no 500, no hang); once PostgreSQL is back the same processes serve again with no
restart; every acknowledged opening and note is in the store, and no stream lacks
its opening event; the views, rebuilt by the runner that lived through the
outage, equal a rebuild."""
from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from tests.resilience.harness import env_int, figures, issuer_for, private_cluster, production
from tests.resilience.history import (
    check_acknowledged,
    check_streams,
    replay_under_rules,
    store,
    streams,
    views_equal_a_rebuild,
)
from tests.resilience.workload import Actors, Load

pytestmark = [pytest.mark.resilience, pytest.mark.gunicorn]

CLIENTS = env_int("CASETRAIL_OUTAGE_CLIENTS", 8)
OUTAGE_SECONDS = env_int("CASETRAIL_OUTAGE_SECONDS", 6)
# A request must answer within this, database or not: 503 beats a hang that ties up
# the partner app and our threads alike. The floor is the library's: it retries a
# failed connection 10 times, each waiting up to POSTGRES_CONNECT_TIMEOUT (1 s), so
# the server answers in ~11 s at worst (measured); a client may also queue behind
# the 8 busy threads for about as long again. (Was: unbounded by the outage's length.)
ANSWER_WITHIN_SECONDS = 25.0
RECOVERY_WITHIN_SECONDS = 30.0


def test_a_database_outage_answers_503_quickly_and_recovers_without_losing_acknowledged_writes(tmp_path):
    with private_cluster() as cluster, production(cluster.url, tmp_path) as server:
        actors = Actors.make(issuer_for(server.var_dir))
        load = Load(server.url, actors, ANSWER_WITHIN_SECONDS)
        threads = [threading.Thread(target=load.client, args=(i,), daemon=True) for i in range(CLIENTS)]
        t0 = time.monotonic()
        for thread in threads:
            thread.start()
        try:
            time.sleep(3)
            stopped_at = time.monotonic()
            cluster.stop("immediate")
            time.sleep(OUTAGE_SECONDS)
            cluster.start()
            started_at = time.monotonic()
            # Recovery: the first acknowledged write that started after the restart.
            recovered_at = None
            while time.monotonic() < started_at + RECOVERY_WITHIN_SECONDS:
                with load.lock:
                    ok = [w for w in load.writes if w.started >= started_at and 200 <= w.answer.status < 300]
                if ok:
                    recovered_at = min(w.started + w.answer.seconds for w in ok)
                    break
                time.sleep(0.2)
            time.sleep(3)  # and it keeps serving
        finally:
            load.stop.set()
            for thread in threads:
                thread.join(ANSWER_WITHIN_SECONDS + 30)
        server_alive = server.server.poll() is None
        # The API must recover by itself. The runner is a separate process that an
        # orchestrator restarts; if it exited on the lost connection, restart it as
        # Kubernetes would and say so in the figures (its views are still checked).
        runner_exited = server.runner.poll() is not None
        if runner_exited:
            server.start_runner()
        log = server.log_tail()

        writes = load.writes
        statuses = Counter(w.answer.status for w in writes)
        assert recovered_at is not None, f"no write succeeded within {RECOVERY_WITHIN_SECONDS} s of the restart\n{log}"
        assert server_alive, "gunicorn died during the outage"
        bad = {s: n for s, n in statuses.items() if not (200 <= s < 300 or s == 503)}
        assert not bad, f"answers other than 2xx and 503: {bad}\n{log}"
        assert statuses[503] > 0, "the outage was not noticed: the test did not test anything"
        unavailable = [w for w in writes if w.answer.status == 503]
        assert all(w.answer.headers.get("retry-after") for w in unavailable), "a 503 without Retry-After"
        assert all("problem+json" in w.answer.headers.get("content-type", "") for w in unavailable)
        slowest = max(w.answer.seconds for w in writes)
        assert slowest < ANSWER_WITHIN_SECONDS, f"a request took {slowest:.1f} s"

        with store(cluster.url, server.var_dir) as (database, cases):
            found = streams(cases)
            assert not check_streams(found), check_streams(found)[:5]  # nothing half-written
            stored_figures = check_acknowledged(cases, found, writes)
            events = sum(replay_under_rules(cases, case_id) for case_id in found)
            view_figures = views_equal_a_rebuild(database, cases)

    during = [w for w in writes if stopped_at <= w.started < started_at]
    figures("database outage", {
        "clients": CLIENTS, "outage_s": OUTAGE_SECONDS, "requests": len(writes),
        "statuses": dict(sorted(statuses.items())),
        "during_outage": dict(sorted(Counter(w.answer.status for w in during).items())),
        "slowest_answer_s": round(slowest, 2),
        "answers_over_5s": sum(1 for w in writes if w.answer.seconds > 5),
        "slowest_503_s": round(max(w.answer.seconds for w in unavailable), 2),
        "recovered_after_restart_s": round(recovered_at - started_at, 2),
        "runner_exited_and_was_restarted": runner_exited,
        **stored_figures, "events_stored": events,
        **view_figures,
    })
