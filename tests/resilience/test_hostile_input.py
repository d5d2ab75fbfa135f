"""Hostile input through the production gunicorn. Each is a clear 4xx
(problem+json when the app answers; gunicorn's own 400 for requests that are not
valid HTTP), never a 5xx, and none changes what is stored.

tests/api/test_contract.py runs schemathesis in-process on the documented schema;
here it runs over the network against gunicorn (CASETRAIL_FUZZ_EXAMPLES per
operation and mode: a few hundred requests in CI, thousands with e.g. 50), and the
hand-written cases go where generators do not: bodies that are not valid JSON or
not Unicode, nesting, duplicate keys, huge numbers and strings, injection in
fields, query strings and headers."""
from __future__ import annotations

import json
import socket
import uuid

import hypothesis.errors
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from tests.resilience.harness import Client, env_int, figures, issuer_for, production
from tests.resilience.history import check_streams, store, streams
from tests.resilience.workload import Actors, open_cases, opening

pytestmark = [pytest.mark.resilience, pytest.mark.postgres, pytest.mark.gunicorn]

FUZZ_EXAMPLES = env_int("CASETRAIL_FUZZ_EXAMPLES", 8)
MIB = 1024 * 1024


@pytest.fixture
def server(postgres_url, tmp_path):
    with production(postgres_url, tmp_path, runner=False) as server:
        actors = Actors.make(issuer_for(server.var_dir))
        server.actors, server.case_id = actors, open_cases(server.url, actors, 1)[0]
        yield server


def hostile_bodies(case: str) -> list[tuple[str, str, bytes]]:
    huge = "x" * 60_000  # every string field at once, still under 1 MiB in all
    every_field_huge = json.dumps({
        "person": {"given_name": huge, "family_name": huge, "sex": huge, "date_of_birth": huge,
                   "nationality": huge, "languages": [huge], "documents": [{"type": huge, "number": huge,
                                                                            "issuing_country": huge}]},
        "encounter": {"date": huge, "country": huge, "place": huge, "type": huge},
        "categories": [huge], "asylum_intention": huge, "notes": huge, "effective_at": huge}).encode()
    notes, sqli = f"/cases/{case}/notes", "'; DROP TABLE cases_events; --"
    return [
        ("over 1 MiB", notes, b'{"text": "' + b"a" * MIB + b'"}'),
        ("nested 100,000 deep", notes, b"[" * 100_000 + b"]" * 100_000),
        ("objects nested 50,000 deep", notes, b'{"text":' * 50_000 + b"1" + b"}" * 50_000),
        ("nested 40 deep, parsable", "/cases", json.dumps(_nest(40)).encode()),
        ("invalid UTF-8", notes, b'{"text": "\xff\xfe\xc3"}'),
        ("UTF-16 body", notes, '{"text": "x"}'.encode("utf-16")),
        ("lone surrogate", notes, b'{"text": "\\ud800"}'),
        ("duplicate keys", notes, b'{"text": "a", "text": "b"}'),
        ("duplicate keys, nested", "/cases", b'{"person": {"sex": "male", "sex": "female"}}'),
        ("NaN", f"/cases/{case}/assessments", b'{"best_interests": NaN}'),
        ("Infinity", "/cases", b'{"person": {"age_estimate": Infinity}}'),
        ("5,000-digit integer", "/cases", b'{"person": {"age_estimate": 1' + b"0" * 5000 + b"}}"),
        ("1e400", "/cases", b'{"person": {"age_estimate": 1e400}}'),
        ("negative age", "/cases", json.dumps(opening_with(person={"age_estimate": -1})).encode()),
        ("2^64 age", "/cases", json.dumps(opening_with(person={"age_estimate": 2 ** 64})).encode()),
        ("every field 60 KB", "/cases", every_field_huge),
        ("note of 900 KB", notes, json.dumps({"text": "a" * 900_000}).encode()),
        ("not an object", notes, b"[]"),
        ("null", notes, b"null"),
        ("truncated", notes, b'{"text": "a'),
        ("SQL in an org code", f"/cases/{case}/referrals",
         json.dumps({"to_org": "x' OR '1'='1", "service": "medical"}).encode()),
        ("SQL in a country", "/cases", json.dumps(opening_with(person={"nationality": sqli})).encode()),
        ("SQL in a category", f"/cases/{case}/assessments",
         json.dumps({"categories_added": [sqli]}).encode()),
        ("unknown field", notes, b'{"text": "a", "is_admin": true}'),
    ]


def _nest(depth: int):
    value: dict = {"text": "deep"}
    for _ in range(depth):
        value = {"person": value}
    return value


def opening_with(person: dict) -> dict:
    import random

    body = opening(random.Random(1), 1)
    body["person"] = {k: v for k, v in body["person"].items() if k != "date_of_birth"} | person
    return body


def _raw(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        out = b""
        while b"\r\n\r\n" not in out and len(out) < 65536:
            chunk = sock.recv(65536)
            if not chunk:
                break
            out += chunk
        return out


def test_hostile_bodies_are_clear_4xx_problems_and_change_nothing(server):
    auth = {**server.actors.caseworker, "Content-Type": "application/json"}
    seen = {}
    for name, path, body in hostile_bodies(server.case_id):
        client = Client(server.url)  # a fresh connection: a 413 closes it unread
        for headers in (auth, {**auth, "Idempotency-Key": f"hostile-{uuid.uuid4()}"}):
            answer = client.request("POST", path, body, headers)
            client.close()
            assert 400 <= answer.status < 500, f"{name}: {answer.status} {answer.body[:300]!r}"
            assert answer.headers["content-type"] == "application/problem+json", name
            problem = answer.json()
            assert problem["status"] == answer.status and problem["type"].startswith("https://"), name
            seen[name] = answer.status
    with store(server.database_url, server.var_dir) as (_, cases):
        found = streams(cases)
        assert len(found) == 1 and not check_streams(found)
        assert len(found[uuid.UUID(server.case_id)]) == 1, "a hostile body was stored"
    figures("hostile bodies", seen)


def test_hostile_queries_and_headers_are_refused_or_harmless(server):
    client, auth, case = Client(server.url), server.actors.caseworker, server.case_id
    checks = {
        "version of 30 digits": client.request("GET", f"/cases/{case}?version=" + "9" * 30, None, auth),
        "as_of year 0": client.request("GET", f"/cases/{case}?as_of=0000-01-01T00:00:00Z", None, auth),
        "as_of garbage": client.request("GET", f"/cases/{case}?as_of=%27%20OR%201=1--", None, auth),
        "unknown query": client.request("GET", f"/cases/{case}?verison=1", None, auth),
        "NUL in a statistics filter": client.request("GET", "/stats/cases?group_by=sex&nationality=A%00B", None,
                                                     server.actors.supervisor),
        "NUL in a list filter": client.request("GET", "/cases?q=a%00b", None, auth),
        "SQL in the path": client.request("GET", "/cases/1%27%20OR%20%271%27=%271", None, auth),
        "If-Match of 25 digits": client.request("POST", f"/cases/{case}/notes", {"text": "x"},
                                                {**auth, "If-Match": '"' + "9" * 25 + '"'}),
        "If-Match list": client.request("POST", f"/cases/{case}/notes", {"text": "x"}, {**auth, "If-Match": '"1", "2"'}),
        "Idempotency-Key of 300 chars": client.request("POST", f"/cases/{case}/notes", {"text": "x"},
                                                       {**auth, "Idempotency-Key": "k" * 300}),
        "Authorization garbage": client.request("GET", f"/cases/{case}", None, {"Authorization": "Bearer " + "A" * 8000}),
        "Authorization SQL": client.request("GET", f"/cases/{case}", None, {"Authorization": "Bearer ' OR 1=1--"}),
    }
    client.close()
    figures_ = {}
    for name, answer in checks.items():
        assert 400 <= answer.status < 500, f"{name}: {answer.status} {answer.body[:300]!r}"
        assert answer.headers["content-type"] == "application/problem+json", name
        figures_[name] = answer.status

    # X-Request-ID is echoed: a hostile one must not become a header or a log line of its own.
    for value in ("a" * 5000, "<script>alert(1)</script>", "x%0d%0aSet-Cookie:%20a=b"):
        answer = Client(server.url).request("GET", "/healthz", None, {"X-Request-ID": value})
        assert answer.status == 200 and "set-cookie" not in answer.headers
        echoed = answer.headers.get("x-request-id", "")
        assert "\r" not in echoed and "\n" not in echoed and len(echoed) <= 5000
        figures_[f"X-Request-ID {value[:12]!r}: echoed as given"] = echoed == value
    # CR or LF inside a header is not HTTP, and a header over 8 KB is more than gunicorn
    # reads (limit_request_field_size): gunicorn refuses them before the app (400).
    for name, header in (("header of 10 KB", b"Idempotency-Key: " + b"k" * 10_000),
                         ("CR in X-Request-ID", b"X-Request-ID: a\rInjected: b"),
                         ("LF in X-Request-ID", b"X-Request-ID: a\nSet-Cookie: b"),
                         ("CRLF in Idempotency-Key", b"Idempotency-Key: a\r\n\r\nGET /healthz HTTP/1.1")):
        raw = _raw(server.url, b"POST /cases/" + case.encode() + b"/notes HTTP/1.1\r\nHost: x\r\n" + header +
                   b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
        status = int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/") else 0
        assert 400 <= status < 500, f"{name}: {raw[:200]!r}"
        assert b"Set-Cookie: b" not in raw and b"Injected" not in raw.split(b"\r\n\r\n")[0]
        figures_[name] = status
    # A chunked body (no Content-Length) over 1 MiB is refused too.
    chunks = b"".join(b"%x\r\n" % 65536 + b"a" * 65536 + b"\r\n" for _ in range(17)) + b"0\r\n\r\n"
    raw = _raw(server.url, b"POST /cases/" + case.encode() + b"/notes HTTP/1.1\r\nHost: x\r\nAuthorization: " +
               auth["Authorization"].encode() + b"\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks)
    status = int(raw.split(b" ", 2)[1])
    assert 400 <= status < 500, raw[:300]
    figures_["chunked body over 1 MiB"] = status
    figures("hostile queries and headers", figures_)


def test_generated_requests_over_the_network_find_no_server_error(server):
    token = server.actors.supervisor["Authorization"].split(" ", 1)[1]
    config = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
        "expected-statuses": ["2xx", "401", "403", "404", "409", "412", "422"]}}})
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json", config=config)

    @schema.auth()
    class Bearer:
        def get(self, case, context):
            return token

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    failures, sent, statuses = [], [0], {}
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def check(case):
                if case.path_parameters and "case_id" in case.path_parameters and sent[0] % 2:
                    case.path_parameters["case_id"] = server.case_id  # reach past the 404 half the time
                sent[0] += 1
                response = case.call_and_validate(timeout=30)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

            try:
                check()
            except hypothesis.errors.Unsatisfiable:
                pass
            except Exception as exc:  # collect them all, then fail once with the list
                failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:1500]}")
    figures("generated requests over HTTP", {"examples_per_operation_and_mode": FUZZ_EXAMPLES,
                                             "requests": sent[0], "statuses": dict(sorted(statuses.items())),
                                             "failures": len(failures)})
    assert not [s for s in statuses if s >= 500]
    assert not failures, "\n\n".join(failures)
