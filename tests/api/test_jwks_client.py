"""Casetrail against an external provider's JWKS: keys are cached, refetched once
on an unknown kid (and no more, however many forged kids arrive), kept while the
provider is down, and a missing key set is a 503, never a 500 or an acceptance."""
from __future__ import annotations

import dataclasses
import uuid
from contextlib import contextmanager

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

from service.app import create_app
from tests.support.fake_provider import FakeJwksProvider
from tests.support.forge import Forge

ISSUER = "https://idp.example"
AUDIENCE = "https://casetrail.example/api"
PROTECTED = f"/cases/{uuid.UUID(int=7)}"


@pytest.fixture
def provider():
    fake = FakeJwksProvider()
    yield fake
    fake.close()


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextmanager
def app_for(config, **oauth):
    """An app trusting an external provider; projections off (not what is tested)."""

    app = create_app(dataclasses.replace(config, run_projections_in_process=False, oauth_issuer=ISSUER,
                                         oauth_audience=AUDIENCE, **oauth))
    try:
        yield app
    finally:
        app.extensions["casetrail.services"].close()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def external_app(config, provider, clock):
    with app_for(config, oauth_jwks_url=provider.url) as app:
        app.extensions["casetrail.jwks_client"].clock = clock
        yield app


@pytest.fixture
def key(provider):
    key = ECKey.generate_key("P-256", auto_kid=True)
    provider.keys.append(key)
    return key


def bearer(key, **claims) -> dict:
    forge = Forge(key, ISSUER, AUDIENCE)
    alg = {"EC": "ES256", "RSA": "RS256", "OKP": "EdDSA"}[key.key_type]
    token = jwt.encode(forge.header(alg=alg, kid=key.kid), forge.claims(**claims), key, algorithms=[alg])
    return {"Authorization": f"Bearer {token}"}


def test_the_key_set_is_fetched_once_and_cached(external_app, provider, key):
    client = external_app.test_client()
    for _ in range(5):
        assert client.get(PROTECTED, headers=bearer(key)).status_code != 401
    assert provider.fetches == 1


def test_a_new_kid_after_the_providers_rotation_is_fetched_once(external_app, provider, key):
    client = external_app.test_client()
    assert client.get(PROTECTED, headers=bearer(key)).status_code != 401
    rotated = ECKey.generate_key("P-256", auto_kid=True)
    provider.keys.append(rotated)
    assert client.get(PROTECTED, headers=bearer(rotated)).status_code != 401
    assert provider.fetches == 2


def test_forged_kids_do_not_make_us_hammer_the_provider(external_app, provider, key, clock):
    client = external_app.test_client()
    assert client.get(PROTECTED, headers=bearer(key)).status_code != 401
    for _ in range(3):
        stranger = ECKey.generate_key("P-256", auto_kid=True)
        response = client.get(PROTECTED, headers=bearer(stranger))
        assert response.status_code == 401
    # A single refetch on the first unknown kid, then the rate limit holds.
    assert provider.fetches == 2
    for _ in range(20):
        client.get(PROTECTED, headers=bearer(ECKey.generate_key("P-256", auto_kid=True)))
    assert provider.fetches == 2
    # Once the interval has passed, the next unknown kid may look again (once).
    clock.now += external_app.extensions["casetrail.jwks_client"].min_refetch_seconds
    for _ in range(5):
        client.get(PROTECTED, headers=bearer(ECKey.generate_key("P-256", auto_kid=True)))
    assert provider.fetches == 3


def test_cached_keys_keep_working_while_the_provider_is_down(external_app, provider, key, clock):
    client = external_app.test_client()
    assert client.get(PROTECTED, headers=bearer(key)).status_code != 401
    provider.mode = "down"
    clock.now += external_app.extensions["casetrail.jwks_client"].max_age_seconds + 1  # due for refresh
    for _ in range(3):
        assert client.get(PROTECTED, headers=bearer(key)).status_code not in (401, 500, 503)
    assert provider.fetches == 2  # one failed refresh attempt, then the rate limit


@pytest.mark.parametrize("mode", ["down", "garbage"])
def test_no_key_at_all_is_503_problem_json(external_app, provider, key, mode):
    provider.mode = mode
    response = external_app.test_client().get(PROTECTED, headers=bearer(key))
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.json["type"].endswith("/keys-unavailable")
    assert response.headers["Retry-After"]


def test_an_unreachable_provider_is_503_not_500(config):
    with app_for(config, oauth_jwks_url="http://127.0.0.1:9/jwks") as app:  # the discard port
        key = ECKey.generate_key("P-256", auto_kid=True)
        assert app.test_client().get(PROTECTED, headers=bearer(key)).status_code == 503


def test_the_provider_is_back_soon_after_a_failed_start(external_app, provider, key, clock):
    client = external_app.test_client()
    provider.mode = "down"
    assert client.get(PROTECTED, headers=bearer(key)).status_code == 503
    assert client.get(PROTECTED, headers=bearer(key)).status_code == 503
    assert provider.fetches == 1  # not once per request
    provider.mode = "up"
    clock.now += external_app.extensions["casetrail.jwks_client"].retry_without_keys_seconds
    assert client.get(PROTECTED, headers=bearer(key)).status_code != 401


@pytest.mark.parametrize("make_key", [
    lambda: RSAKey.generate_key(2048, auto_kid=True),
    lambda: ECKey.generate_key("P-256", auto_kid=True),
    lambda: OKPKey.generate_key("Ed25519", auto_kid=True),
], ids=["RS256", "ES256", "EdDSA"])
def test_each_allow_listed_algorithm_is_accepted(external_app, provider, make_key):
    key = make_key()
    provider.keys.append(key)
    assert external_app.test_client().get(PROTECTED, headers=bearer(key)).status_code != 401


def test_ps256_and_a_symmetric_key_in_the_jwks_are_refused(external_app, provider):
    rsa = RSAKey.generate_key(2048, auto_kid=True)
    oct_key = OctKey.generate_key(256, auto_kid=True)
    provider.keys.extend([rsa, oct_key])
    client = external_app.test_client()
    forge = Forge(rsa, ISSUER, AUDIENCE)
    ps256 = jwt.encode(forge.header(alg="PS256", kid=rsa.kid), forge.claims(), rsa, algorithms=["PS256"])
    hs256 = jwt.encode(forge.header(alg="HS256", kid=oct_key.kid), forge.claims(), oct_key, algorithms=["HS256"])
    for token in (ps256, hs256):
        assert client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_roles_and_org_are_read_under_the_configured_claim_names(config, provider, key):
    with app_for(config, oauth_jwks_url=provider.url, oauth_roles_claim="realm_access.roles",
                 oauth_org_claim="organisation") as app:
        client = app.test_client()
        keycloak_like = bearer(key, roles=None, org=None, organisation="iom",
                               realm_access={"roles": ["offline_access", "supervisor"]})
        assert client.get(PROTECTED, headers=keycloak_like).status_code != 401
        # The top-level `roles` claim no longer counts.
        assert client.get(PROTECTED, headers=bearer(key, organisation="iom")).status_code == 401


def test_the_embedded_issuer_is_off_with_an_external_provider(external_app):
    client = external_app.test_client()
    assert client.post("/oauth/token", data={"grant_type": "client_credentials"}).status_code == 404
    assert client.get("/.well-known/jwks.json").status_code == 404
    assert "casetrail.issuer" not in external_app.extensions
