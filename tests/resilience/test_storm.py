"""A concurrency storm through the production gunicorn on PostgreSQL.

32 clients send CASETRAIL_STORM_COMMANDS (default 5,000, the issue's figure: about
25 s on the 2-core machine) mixed commands at 20 cases, half of them with If-Match. Each answer is a
success, a rule's 409 or a stale If-Match's 412, never a 5xx; the store holds one
event per success plus the openings; every history re-runs under the rules; the
views the separate runner built equal a rebuild."""
from __future__ import annotations

from collections import Counter
from uuid import UUID

import pytest

from tests.resilience.harness import env_int, figures, issuer_for, production
from tests.resilience.history import (
    check_streams,
    replay_under_rules,
    store,
    streams,
    views_equal_a_rebuild,
)
from tests.resilience.workload import Actors, Storm, open_cases

pytestmark = [pytest.mark.resilience, pytest.mark.postgres, pytest.mark.gunicorn]

COMMANDS = env_int("CASETRAIL_STORM_COMMANDS", 5000)
CLIENTS = env_int("CASETRAIL_STORM_CLIENTS", 32)
CASES = env_int("CASETRAIL_STORM_CASES", 20)


def test_a_storm_of_concurrent_commands_loses_nothing_and_breaks_no_rule(postgres_url, tmp_path):
    with production(postgres_url, tmp_path) as server:
        actors = Actors.make(issuer_for(server.var_dir))
        case_ids = open_cases(server.url, actors, CASES)
        storm = Storm(server.url, actors, case_ids, COMMANDS, clients=CLIENTS)
        seconds = storm.run()
        statuses = storm.statuses()
        server_log = server.log_tail()

        assert sum(statuses.values()) == COMMANDS
        unexpected = {s: n for s, n in statuses.items() if not (200 <= s < 300 or s in (409, 412, 428))}
        assert not unexpected, f"answers outside 2xx/409/412/428: {unexpected}\n{server_log}"

        # Two acknowledged commands never claim the same version of one case.
        acked = storm.acknowledged()
        claimed = Counter((s.case_id, s.answer.version) for s in acked)
        assert max(claimed.values()) == 1, [k for k, n in claimed.items() if n > 1][:5]

        with store(postgres_url, server.var_dir) as (database, cases):
            found = streams(cases)
            assert set(found) == {UUID(c) for c in case_ids}, "a stream that no opening acknowledged"
            assert not check_streams(found)
            stored = sum(len(events) for events in found.values())
            assert stored == len(acked) + CASES, f"{stored} events stored for {len(acked)} successes + {CASES}"
            for case_id in case_ids:  # the acknowledged versions are all there
                versions = {s.answer.version for s in acked if s.case_id == case_id}
                assert max(versions, default=1) <= len(found[UUID(case_id)])
            replayed = sum(replay_under_rules(cases, UUID(c)) for c in case_ids)
            assert replayed == stored
            view_figures = views_equal_a_rebuild(database, cases)

    rules = Counter(s.answer.json().get("type", "").rsplit("/", 1)[-1]
                    for s in storm.sent if s.answer.status == 409)
    figures("storm", {
        "commands": COMMANDS, "clients": CLIENTS, "cases": CASES, "seconds": round(seconds, 1),
        "commands_per_s": round(COMMANDS / seconds, 1), "statuses": dict(sorted(statuses.items())),
        "with_if_match": sum(s.if_match for s in storm.sent),
        "412_with_if_match": sum(1 for s in storm.sent if s.answer.status == 412 and s.if_match),
        "by_kind": {k: dict(sorted(Counter(s.answer.status for s in storm.sent if s.kind == k).items()))
                    for k in sorted({s.kind for s in storm.sent})},
        "events_stored": stored, "refusals_by_rule": dict(rules.most_common()),
        **storm.latencies(), **view_figures,
    })
