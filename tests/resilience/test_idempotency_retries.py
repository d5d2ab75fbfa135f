"""One POST with one Idempotency-Key sent 50 times at once through
gunicorn (two worker processes: the claim is in the database, not in memory) makes
exactly one event, and every client ends with the same answer. A duplicate that
finds the first still running gets 409 idempotency-in-progress with Retry-After
(API.md); like a real client it retries, a bounded number of times."""
from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter

import pytest

from tests.resilience.harness import Client, env_int, figures, issuer_for, production
from tests.resilience.history import store, streams
from tests.resilience.workload import Actors, open_cases, opening

pytestmark = [pytest.mark.resilience, pytest.mark.postgres, pytest.mark.gunicorn]

DUPLICATES = env_int("CASETRAIL_IDEMPOTENCY_DUPLICATES", 50)
ROUNDS = env_int("CASETRAIL_IDEMPOTENCY_ROUNDS", 3)


def _burst(url: str, path: str, body: dict, headers: dict) -> tuple[list, int]:
    finals, retries, start, lock = [], [0], threading.Barrier(DUPLICATES), threading.Lock()

    def send():
        client = Client(url, timeout=30)
        try:
            start.wait(30)
            for _ in range(20):  # bounded retries of an in-progress duplicate
                answer = client.request("POST", path, body, headers)
                if answer.status == 409 and answer.json()["type"].endswith("/idempotency-in-progress"):
                    with lock:
                        retries[0] += 1
                    time.sleep(min(1.0, float(answer.headers.get("retry-after", "1"))) / 4)
                    continue
                break
            with lock:
                finals.append(answer)
        finally:
            client.close()

    threads = [threading.Thread(target=send, daemon=True) for _ in range(DUPLICATES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return finals, retries[0]


def _same(answers) -> Counter:
    return Counter((a.status, a.headers.get("etag"), a.headers.get("location"),
                    json.dumps(json.loads(a.body), sort_keys=True)) for a in answers)


def test_fifty_concurrent_duplicates_through_gunicorn_make_one_event_and_one_answer(postgres_url, tmp_path):
    results = []
    with production(postgres_url, tmp_path, runner=False) as server:
        actors = Actors.make(issuer_for(server.var_dir))
        (case_id,) = open_cases(server.url, actors, 1)
        headers = dict(actors.caseworker)
        for round_ in range(ROUNDS):
            # A command on an existing case ...
            key = {"Idempotency-Key": str(uuid.uuid4())}
            finals, retried = _burst(server.url, f"/cases/{case_id}/notes", {"text": f"once {round_}"},
                                     {**headers, **key})
            assert len(finals) == DUPLICATES
            answers = _same(finals)
            assert len(answers) == 1, f"{len(answers)} different answers: {Counter(a.status for a in finals)}"
            assert finals[0].status == 200 and finals[0].version == round_ + 2
            # ... and an opening, which has no case version to conflict on.
            key = {"Idempotency-Key": str(uuid.uuid4())}
            opened, retried_open = _burst(server.url, "/cases", opening(random.Random(round_), round_),
                                          {**headers, **key})
            assert len(_same(opened)) == 1 and opened[0].status == 201
            results.append({"note_retries_409": retried, "open_retries_409": retried_open,
                            "replayed": sum(a.headers.get("idempotent-replayed") == "true" for a in finals + opened)})

        with store(postgres_url, server.var_dir) as (_, cases):
            found = streams(cases)
            assert len(found) == 1 + ROUNDS, f"{len(found) - 1} cases opened by {ROUNDS} keys"
            assert len(found[uuid.UUID(case_id)]) == 1 + ROUNDS, "a note landed more than once"

    figures("idempotency", {"duplicates": DUPLICATES, "rounds": ROUNDS, "per_round": results,
                            "events_per_key": 1})
