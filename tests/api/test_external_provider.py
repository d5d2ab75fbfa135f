"""Casetrail trusts a real, independent OpenID provider (panva's oidc-provider)
by configuration alone: issuer, JWKS URL, audience and the claim names (here the
Keycloak-style `realm_access.roles`). Tokens it mints for another audience, or
whose holder has no Casetrail role, are refused."""
from __future__ import annotations

import dataclasses
import json
import urllib.request
import uuid

import pytest

from service.app import create_app
from tests.support.oidc_provider import oidc_provider

AUDIENCE = "https://casetrail.example/api"
PROTECTED = f"/cases/{uuid.UUID(int=7)}"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    with oidc_provider(AUDIENCE, tmp_path_factory.mktemp("oidc") / "provider.log") as running:
        yield running


@pytest.fixture
def external_app(config, provider):
    app = create_app(dataclasses.replace(
        config, run_projections_in_process=False, oauth_issuer=provider.issuer,
        oauth_jwks_url=provider.jwks_url, oauth_audience=AUDIENCE, oauth_roles_claim="realm_access.roles"))
    yield app
    app.extensions["casetrail.services"].close()


def test_the_provider_is_what_it_claims_to_be(provider):
    with urllib.request.urlopen(f"{provider.issuer}/.well-known/openid-configuration", timeout=5) as response:
        discovery = json.loads(response.read())
    assert discovery["issuer"] == provider.issuer
    assert discovery["jwks_uri"] == provider.jwks_url


def test_a_token_from_the_provider_is_accepted_and_describes_the_caller(external_app, provider):
    token = provider.token("partner-app", "partner-app-secret")
    client = external_app.test_client()
    assert client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}).status_code == 404  # authenticated
    principal = external_app.extensions["casetrail.token_validator"].principal(token)
    assert principal.org == "unhcr"
    assert principal.roles == frozenset({"caseworker"})  # offline_access is the provider's, not ours
    assert principal.client_id == "partner-app" and principal.sub == "partner-app"


def test_a_token_minted_for_another_audience_is_refused(external_app, provider):
    token = provider.token("partner-app", "partner-app-secret", resource="https://other-api.example")
    response = external_app.test_client().get(PROTECTED, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert response.content_type == "application/problem+json"


def test_a_provider_client_without_a_casetrail_role_is_refused(external_app, provider):
    token = provider.token("no-roles-app", "no-roles-app-secret")
    response = external_app.test_client().get(PROTECTED, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_the_same_token_is_refused_when_casetrail_expects_another_issuer(config, provider):
    app = create_app(dataclasses.replace(
        config, run_projections_in_process=False, oauth_issuer="https://someone-else.example",
        oauth_jwks_url=provider.jwks_url, oauth_audience=AUDIENCE, oauth_roles_claim="realm_access.roles"))
    try:
        token = provider.token("partner-app", "partner-app-secret")
        assert app.test_client().get(PROTECTED, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    finally:
        app.extensions["casetrail.services"].close()
