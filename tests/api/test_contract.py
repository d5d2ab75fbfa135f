"""Contract tests: schemathesis drives the app in-process from its own OpenAPI
document (`from_wsgi`), with every built-in check.

- stateless: every operation, schema-valid and schema-invalid inputs;
- stateful: sequences that follow the document's links (open -> refer -> accept ...);
- object-level authorization: schema-valid requests of an organisation against
  another's case never succeed and write nothing. schemathesis' own check for
  this needs two users in a WFC auth file fetched over HTTP, which an in-process
  app cannot offer, so it is done here explicitly with the generated requests.

Sizes are bounded (`MAX_EXAMPLES`) so the file runs in about a minute a backend.
Why 409, 412 and 422 count as answers to schema-valid data: JSON Schema cannot
express the case's rules (409), the case's current version (412), nor "not in
the future" (422); the explicit tests cover those. 503 is the documented
"retry later" (Retry-After), so it is not counted as a server error.
"""
from __future__ import annotations

import uuid

import hypothesis.errors
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from tests.api.casework import future

MAX_EXAMPLES = 10
STATEFUL_EXAMPLES = 30


def _schema(app, token: str, **generation):
    config = SchemathesisConfig.from_dict({"generation": generation, "checks": {
        "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "412", "422", "429",
                                                           "503"]},
        # 503 is the documented "retry after Retry-After" (busy case, views behind, database
        # down), never an unhandled error; every other 5xx still fails.
        "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "503"]}}})
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=config)

    # Through an auth provider, not a fixed header, so `ignored_auth` can take it away.
    @schema.auth()
    class Bearer:
        def get(self, case, context):
            return token

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return schema


def _settings(examples: int, **extra) -> settings:
    return settings(max_examples=examples, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck), **extra)


@pytest.mark.slow
def test_every_operation_keeps_its_contract(app, token):
    schema = _schema(app, token("contract", "sms", "caseworker"))
    failures, tried = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @_settings(MAX_EXAMPLES)
            def check(case):
                case.call_and_validate()

            try:
                check()
                tried += 1
            except hypothesis.errors.Unsatisfiable:
                pass  # an operation without inputs has no invalid variant
            except Exception as exc:  # collect them all, then fail once with the list
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert tried >= 40
    assert not failures, "\n\n".join(failures)


@pytest.mark.slow
def test_sequences_along_the_links_keep_the_contract(app, token):
    schema = _schema(app, token("contract", "sms", "supervisor"), mode="positive")

    @schema.hook("map_body")
    def _facts_in_the_past(context, body):
        # Dates of facts may not lie in the future, which JSON Schema cannot say; without
        # this most openings are 422 and the sequences never get past the first step.
        return _past_dates(body)

    calls: dict = {}

    class Machine(schema.as_state_machine()):
        def before_call(self, case):
            # A generated key reused by a later sequence would replay an earlier response
            # (as it should), which Hypothesis sees as flaky data: keep keys unique.
            if case.headers and "Idempotency-Key" in case.headers:
                case.headers["Idempotency-Key"] = str(uuid.uuid4())

        def after_call(self, response, case):
            calls[(case.operation.label, response.status_code)] = True

    Machine.run(settings=_settings(STATEFUL_EXAMPLES, stateful_step_count=8))
    assert ("POST /cases", 201) in calls
    followed = {label for label, status in calls if label != "POST /cases" and status < 300}
    assert len(followed) >= 2, sorted(calls)  # links were followed to commands that landed


def _past_dates(value):
    if isinstance(value, dict):
        return {k: ("2020-01-01" if k in ("date", "date_of_birth", "effective_at") and isinstance(v, str)
                    else _past_dates(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_past_dates(v) for v in value]
    return value


@pytest.mark.slow
def test_generated_requests_of_another_org_never_reach_a_case(app, token, api_as):
    owner = api_as("a-worker", "org-a", "caseworker")
    case = owner.open_case(categories=["economic_migrant"], asylum_intention=False)
    ids = {"case_id": case["id"], "referral_id": owner.refer(case["id"], "org-c", "legal_aid").json["id"]}
    owner.consent(case["id"], "voluntary_return", "org-a")
    ids["return_id"] = owner.post(f"/cases/{case['id']}/returns", {
        "kind": "voluntary", "destination_country": "AFG", "planned_date": future(5)}).json["id"]
    version = owner.get(f"/cases/{case['id']}").json["version"]
    # Every role that works on individual cases (not auditor: it reads all cases by design),
    # so a 403 can only mean "not through this relationship", never "wrong role".
    schema = _schema(app, token("b-worker", "org-b", "caseworker", "supervisor", "dpo"))
    seen: set = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        if "case_id" not in operation.path:
            continue

        @given(generated=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        @_settings(10)
        def attempt(generated):
            generated.path_parameters = {k: ids[k] for k in generated.path_parameters}
            generated.headers = {k: v for k, v in (generated.headers or {}).items() if k != "If-Match"}
            response = generated.call()
            # 422: the body was refused before the case was looked at; never a 2xx, never a 403 oracle.
            assert response.status_code in (404, 422), (operation.label, response.status_code)
            seen.add(operation.label)

        attempt()
    assert len(seen) >= 20
    assert owner.get(f"/cases/{case['id']}").json["version"] == version, "another org's request landed"
