"""Every way a bearer token can be wrong is a 401 with a Bearer challenge and a
problem+json body; tokens that are right (within the clock leeway) get through.

The protected routes are `GET /cases/<id>` and `GET /cases`: until the case
endpoints exist they answer 404 *after* authentication, which is enough to tell
an accepted token (not 401) from a refused one (401).
"""
from __future__ import annotations

import time
import uuid

import pytest
from joserfc.jwk import ECKey

from auth.keys import SigningKeys
from tests.support.forge import Forge, accepted_tokens, attack_tokens

PROTECTED = [f"/cases/{uuid.UUID(int=7)}", "/cases"]
# Names only, for test ids; each test forges its tokens with the app's own key.
ATTACKS = sorted(attack_tokens(Forge(ECKey.generate_key("P-256"))))
ACCEPTED = sorted(accepted_tokens(Forge(ECKey.generate_key("P-256"))))


@pytest.fixture
def forge(app):
    return Forge(app.extensions["casetrail.signing_keys"].active())


def assert_refused(status: int, headers, content_type: str, body: dict, attack: str) -> None:
    assert status == 401, attack
    challenge = headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer "), attack
    assert 'realm="casetrail"' in challenge
    if attack == "no token":
        # RFC 6750 s3.1: no error code when the request carried no credentials.
        assert "error=" not in challenge
    else:
        assert 'error="invalid_token"' in challenge, attack
    assert content_type == "application/problem+json", attack
    assert body["status"] == 401 and body["type"].endswith("/unauthorized")


@pytest.mark.parametrize("path", PROTECTED)
@pytest.mark.parametrize("attack", ATTACKS)
def test_a_bad_token_is_refused_with_401_and_a_bearer_challenge(client, forge, attack, path):
    authorization = attack_tokens(forge)[attack]
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.get(path, headers=headers)
    assert_refused(response.status_code, response.headers, response.content_type, response.json, attack)


@pytest.mark.parametrize("path", PROTECTED)
@pytest.mark.parametrize("name", ACCEPTED)
def test_a_good_token_gets_past_authentication(client, forge, name, path):
    response = client.get(path, headers={"Authorization": accepted_tokens(forge)[name]})
    assert response.status_code != 401, (name, response.json)


def test_a_token_beyond_the_leeway_in_the_future_is_refused_but_two_seconds_is_not(client, forge):
    now = int(time.time())
    ahead = forge.token(claims=forge.claims(iat=now + 2, nbf=now + 2))
    far_ahead = forge.token(claims=forge.claims(iat=now + 31, nbf=now + 31))
    assert client.get(PROTECTED[0], headers={"Authorization": f"Bearer {ahead}"}).status_code != 401
    assert client.get(PROTECTED[0], headers={"Authorization": f"Bearer {far_ahead}"}).status_code == 401


def test_the_refusal_does_not_echo_the_token(client, forge):
    token = forge.token(claims=forge.claims(aud="another-api"))
    response = client.get(PROTECTED[0], headers={"Authorization": f"Bearer {token}"})
    assert token not in response.get_data(as_text=True)
    assert token not in response.headers["WWW-Authenticate"]


def test_public_paths_need_no_token(client):
    for path in ("/healthz", "/.well-known/jwks.json", "/.well-known/oauth-authorization-server"):
        assert client.get(path).status_code == 200, path


@pytest.mark.gunicorn
def test_the_attack_matrix_holds_through_a_real_gunicorn(live_server):
    """The same matrix over real sockets and two worker processes (SQLite and PostgreSQL)."""

    forge = Forge(SigningKeys(live_server.var_dir / "keys").active())
    for attack, authorization in attack_tokens(forge).items():
        headers = {"Authorization": authorization} if authorization is not None else {}
        for path in PROTECTED:
            response = live_server.get(path, headers)
            assert_refused(response.status, response.headers, response.headers["Content-Type"],
                           response.json(), attack)
    for name, authorization in accepted_tokens(forge).items():
        for path in PROTECTED:
            assert live_server.get(path, {"Authorization": authorization}).status != 401, name
