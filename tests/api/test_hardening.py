"""Security headers, CORS, rate limits and request ids, through the test client."""
import pytest

from service.app import create_app
from service.config import Config
from service.hardening import rate_limit_key
from tests.api.casework import Api, opening


@pytest.fixture
def make_app(database_url, tmp_path):
    """make_app(**settings) -> an app with these Config settings (closed afterwards)."""

    apps = []

    def make(**settings):
        # No projection thread: these tests read no view that must be current.
        settings.setdefault("run_projections_in_process", False)
        app = create_app(Config(database_url=database_url, var_dir=tmp_path / "var", **settings))
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["casetrail.services"].close()


def issue(app, sub: str, org: str, *roles: str, client_id: str | None = None) -> dict:
    token = app.extensions["casetrail.issuer"].issue(sub, org, list(roles), client_id=client_id or f"{org}-client")
    return {"Authorization": f"Bearer {token}"}


def test_every_response_carries_the_security_headers(client, caseworker):
    case_id = caseworker.open_case()["id"]
    for response in (client.get("/healthz"), caseworker.get(f"/cases/{case_id}"), client.get("/cases")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_case_data_is_never_cached_but_the_spec_may_be(client, caseworker):
    case_id = caseworker.open_case()["id"]
    assert caseworker.get(f"/cases/{case_id}").headers["Cache-Control"] == "no-store"
    assert client.get("/cases").headers["Cache-Control"] == "no-store"  # a 401 too
    assert "no-store" not in client.get("/openapi.json").headers.get("Cache-Control", "")


def test_docs_page_may_load_only_its_own_assets(client):
    response = client.get("/docs")
    if response.status_code == 404:
        pytest.skip("no /docs page registered")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp and "*" not in csp


def test_cors_is_off_by_default(client):
    response = client.options("/cases", headers={"Origin": "https://evil.example",
                                                 "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_opens_for_a_configured_partner_origin_only(make_app):
    app = make_app(cors_origins=("https://app.partner.example",))
    client = app.test_client()
    preflight = client.options("/cases", headers={"Origin": "https://app.partner.example",
                                                  "Access-Control-Request-Method": "POST",
                                                  "Access-Control-Request-Headers": "Authorization, If-Match"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.partner.example"
    assert "if-match" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    other = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    read = client.get("/healthz", headers={"Origin": "https://app.partner.example"})
    assert "ETag" in read.headers["Access-Control-Expose-Headers"]


def test_writes_over_the_limit_get_429_problem_with_retry_after(make_app):
    app = make_app(ratelimit_writes="3/minute")
    client = app.test_client()
    busy = Api(client, issue(app, "officer-1", "sms", "caseworker", client_id="busy-app"))
    calm = Api(client, issue(app, "officer-2", "sms", "caseworker", client_id="calm-app"))
    statuses = [busy.post("/cases", opening()).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    refused = busy.post("/cases", opening())
    assert refused.content_type == "application/problem+json"
    assert refused.json["type"].endswith("/too-many-requests") and refused.json["status"] == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    # The limit is per client: another partner application is not held back, and
    # reads are not limited.
    assert calm.post("/cases", opening()).status_code == 201
    assert busy.get("/cases").status_code != 429


def test_token_endpoint_is_limited_per_address(make_app):
    app = make_app(ratelimit_token="2/minute")
    client = app.test_client()
    form = {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "guess"}
    statuses = [client.post("/oauth/token", data=form).status_code for _ in range(3)]
    assert statuses[:2] != [429, 429] and statuses[2] == 429
    assert client.post("/oauth/token", data=form, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code != 429


def test_forwarded_address_is_believed_only_behind_configured_proxies(make_app):
    trusting = make_app(trusted_proxies=1)
    with trusting.test_request_context("/", headers={"X-Forwarded-For": "203.0.113.7"},
                                       environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        # ProxyFix runs as WSGI middleware: emulate it for the request context.
        from werkzeug.middleware.proxy_fix import ProxyFix

        assert isinstance(trusting.wsgi_app, ProxyFix)
    plain = make_app()
    with plain.test_request_context("/", headers={"X-Forwarded-For": "203.0.113.7"},
                                    environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        assert rate_limit_key() == "addr:10.0.0.1"


def test_request_id_is_accepted_and_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "partner-abc.123"})
    assert response.headers["X-Request-ID"] == "partner-abc.123"


def test_unsafe_request_id_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script> " + "x" * 80})
    assert "<" not in response.headers["X-Request-ID"] and len(response.headers["X-Request-ID"]) == 32


def test_request_id_is_generated_when_absent_and_logged(client, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="casetrail.request"):
        response = client.get("/healthz")
    request_id = response.headers["X-Request-ID"]
    assert any(getattr(r, "request_id", None) == request_id for r in caplog.records)
