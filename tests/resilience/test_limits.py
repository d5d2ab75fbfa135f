"""A request beyond a configured limit is refused at once, not served
slowly: a body over 1 MiB (refused from its Content-Length, before it is sent),
lists longer than the schema allows, a page size over 500, and a case with a long
history (CASETRAIL_LONG_HISTORY events) still read and written within a bound."""
from __future__ import annotations

import json
import socket
import time
from uuid import UUID

import pytest

from application.cases import Caller
from domain.actor import Actor
from tests.resilience.harness import Client, env_int, figures, issuer_for, production
from tests.resilience.history import store
from tests.resilience.workload import Actors, open_cases, opening

pytestmark = [pytest.mark.resilience, pytest.mark.postgres, pytest.mark.gunicorn]

LONG_HISTORY = env_int("CASETRAIL_LONG_HISTORY", 400)  # ~25 ms an event to write
REFUSED_WITHIN_SECONDS = 1.0
SERVED_WITHIN_SECONDS = 2.0


def _documented(url: str) -> set[tuple[str, str]]:
    spec = json.loads(Client(url).request("GET", "/openapi.json").body)
    return {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}


def test_requests_beyond_the_limits_are_refused_at_once(postgres_url, tmp_path):
    with production(postgres_url, tmp_path, runner=False) as server:
        actors = Actors.make(issuer_for(server.var_dir))
        (case_id,) = open_cases(server.url, actors, 1)
        found = {}

        # Announce 50 MiB and send none of it: the 413 must not wait for the body.
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            started = time.monotonic()
            sock.sendall(f"POST /cases/{case_id}/notes HTTP/1.1\r\nHost: x\r\n"
                         f"Authorization: {actors.caseworker['Authorization']}\r\n"
                         f"Content-Type: application/json\r\nContent-Length: {50 * 1024 * 1024}\r\n\r\n".encode())
            head = sock.recv(4096)
            found["413 for an announced 50 MiB body, s"] = round(time.monotonic() - started, 3)
        assert head.startswith(b"HTTP/1.1 413"), head[:200]
        assert found["413 for an announced 50 MiB body, s"] < REFUSED_WITHIN_SECONDS

        client = Client(server.url)
        too_long = {
            "11 documents": ("/cases", opening_with_documents(11)),
            "19 categories": (f"/cases/{case_id}/assessments", {"categories_added": ["refugee"] * 19}),
            "note of 10,001 characters": (f"/cases/{case_id}/notes", {"text": "a" * 10_001}),
        }
        for name, (path, body) in too_long.items():
            answer = client.request("POST", path, body, actors.caseworker)
            assert answer.status == 422 and answer.seconds < REFUSED_WITHIN_SECONDS, (name, answer.status)
            found[name] = answer.status

        documented = _documented(server.url)
        if ("GET", "/cases") in documented:  # the list view (projections) has landed
            answer = client.request("GET", "/cases?limit=501", None, actors.caseworker)
            assert answer.status == 422 and answer.seconds < REFUSED_WITHIN_SECONDS
            found["GET /cases?limit=501"] = answer.status
            assert client.request("GET", "/cases?limit=500", None, actors.caseworker).status == 200
        else:
            found["GET /cases?limit=501"] = "list endpoint not landed yet"

        # A long history: written straight through the application (faster than HTTP),
        # then read and extended over HTTP within a bound.
        with store(postgres_url, server.var_dir) as (_, cases):
            caller = Caller(Actor("cw-1", "unhcr", "unhcr-client"))
            started = time.monotonic()
            for n in range(LONG_HISTORY - 1):
                cases.add_note(caller, UUID(case_id), f"history {n}")
            found["events written in-process, s"] = round(time.monotonic() - started, 1)
        answer = client.request("GET", f"/cases/{case_id}", None, actors.caseworker)
        assert answer.status == 200 and answer.version == LONG_HISTORY
        found[f"GET a case of {LONG_HISTORY} events, s"] = round(answer.seconds, 3)
        answer = client.request("POST", f"/cases/{case_id}/notes", {"text": "one more"}, actors.caseworker)
        assert answer.status == 200 and answer.version == LONG_HISTORY + 1
        found[f"POST a note to it, s"] = round(answer.seconds, 3)
        assert max(found[f"GET a case of {LONG_HISTORY} events, s"], found["POST a note to it, s"]) \
            < SERVED_WITHIN_SECONDS
        if ("GET", "/cases/{case_id}/history") in documented:
            answer = client.request("GET", f"/cases/{case_id}/history?limit=501", None, actors.caseworker)
            found["GET history?limit=501"] = answer.status
            assert answer.status == 422 and answer.seconds < REFUSED_WITHIN_SECONDS
        else:
            found["GET history?limit=501"] = "history endpoint not landed yet"
        client.close()
    figures("limits", found)


def opening_with_documents(count: int) -> dict:
    import random

    body = opening(random.Random(2), 2)
    body["person"]["documents"] = [{"type": "passport", "number": f"P{n}", "issuing_country": "AFG"}
                                   for n in range(count)]
    return body
