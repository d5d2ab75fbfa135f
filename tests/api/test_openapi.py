"""The OpenAPI document: generated from the code, committed in openapi/, served
at /openapi.json and browsable at /docs with assets from an installed package."""
from __future__ import annotations

from pathlib import Path

import yaml

from service.openapi_export import generate

CASE_API_TAGS = {"cases", "identification", "referrals", "regularization", "returns", "ownership"}
COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.yaml"


def test_the_committed_document_is_the_generated_one():
    assert yaml.safe_load(COMMITTED.read_text()) == yaml.safe_load(generate()), (
        "openapi/openapi.yaml is stale: run `python -m service.openapi_export` and commit it")


def test_the_document_is_served_as_openapi_3_1_with_bearer_security(client):
    spec = client.get("/openapi.json").json
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": []}]
    assert spec["paths"]["/healthz"]["get"]["security"] == []


def test_every_case_operation_documents_the_answers_it_can_give(client):
    spec = client.get("/openapi.json").json
    for path, operations in spec["paths"].items():
        if not path.startswith("/cases/{case_id}"):
            continue
        for method, operation in operations.items():
            if method not in ("get", "post") or not set(operation["tags"]) & CASE_API_TAGS:
                continue  # path-level "parameters", or another issue's endpoint (history, erasure...)
            codes = set(operation["responses"])
            expected = {"401", "403", "404", "422", "503"}
            if method == "post":
                expected |= {"400", "409", "412", "413", "415", "429"}
                names = {p["name"] for p in operation["parameters"]}
                assert {"If-Match", "Idempotency-Key"} <= names, path
            assert expected <= codes, (method, path, expected - codes)
            success = next(code for code in codes if code.startswith("2"))
            assert "ETag" in operation["responses"][success]["headers"], (method, path)
            problem = operation["responses"]["404"]
            assert "application/problem+json" in problem.get("content", {}) or "$ref" in problem


def test_creating_operations_link_to_what_follows(client):
    spec = client.get("/openapi.json").json
    opened = spec["paths"]["/cases"]["post"]["responses"]["201"]
    assert {"GetCase", "Refer", "InitiateReturn"} <= set(opened["links"])
    assert "Location" in opened["headers"]
    referred = spec["paths"]["/cases/{case_id}/referrals"]["post"]["responses"]["201"]
    assert referred["links"]["Accept"]["parameters"]["referral_id"] == "$response.body#/id"


def test_person_needs_a_date_of_birth_or_an_age_estimate_in_the_document(client):
    person = client.get("/openapi.json").json["components"]["schemas"]["Person"]
    assert person["anyOf"] == [{"required": ["date_of_birth"]}, {"required": ["age_estimate"]}]
    assert person["additionalProperties"] is False


def test_the_docs_page_loads_its_assets_from_this_server(client):
    page = client.get("/docs")
    assert page.status_code == 200 and b"swagger-ui" in page.data
    assert b"http" not in page.data.split(b"<body>")[1]  # no CDN, no other origin
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css", "/docs/init.js"):
        assert client.get(asset).status_code == 200, asset
