"""The embedded issuer's token endpoint (client credentials), its metadata and keys."""
from __future__ import annotations

import base64
import json
import time
import uuid

import pytest
from joserfc import jws

from auth.stores import UnknownOrganisation, hash_secret, verify_secret

PROTECTED = f"/cases/{uuid.UUID(int=7)}"


def basic(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


@pytest.fixture
def registered(app):
    """A registered organisation and client: (client_id, secret)."""
    store = app.extensions["casetrail.auth_store"]
    store.add_organisation("unhcr-kz", "UNHCR Kazakhstan")
    api_client, secret = store.add_client("unhcr-kz", ["caseworker", "supervisor"], "field app")
    return api_client.client_id, secret


def test_client_credentials_with_basic_auth_issue_a_jwt_access_token(client, registered):
    client_id, secret = registered
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           headers=basic(client_id, secret))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"  # RFC 6749 s5.1
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["access_token"].count(".") == 2


def test_client_credentials_with_the_secret_in_the_form_issue_a_token(client, registered):
    client_id, secret = registered
    response = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                 "client_secret": secret})
    assert response.status_code == 200
    assert response.json["access_token"]


def test_the_issued_token_has_the_rfc_9068_claims_and_the_clients_org_and_roles(app, client, registered):
    client_id, secret = registered
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                        headers=basic(client_id, secret)).json["access_token"]
    keys = app.extensions["casetrail.signing_keys"]
    compact = jws.deserialize_compact(token, keys.published(), algorithms=["ES256"])
    header, claims = compact.protected, json.loads(compact.payload)
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256"
    assert header["kid"] == keys.active().kid  # signed with the active key only
    assert claims["iss"] == "casetrail" and claims["aud"] == "casetrail"
    assert claims["sub"] == client_id and claims["client_id"] == client_id
    assert claims["org"] == "unhcr-kz" and claims["roles"] == ["caseworker", "supervisor"]
    assert claims["jti"]
    assert abs(claims["iat"] - time.time()) < 5
    assert claims["exp"] - claims["iat"] == 900  # 15 minutes, not Authlib's ten days


def test_the_issued_token_works_against_the_api(client, registered):
    client_id, secret = registered
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                        headers=basic(client_id, secret)).json["access_token"]
    assert client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}).status_code != 401


def test_two_tokens_have_different_ids(client, registered):
    client_id, secret = registered
    tokens = [client.post("/oauth/token", data={"grant_type": "client_credentials"},
                          headers=basic(client_id, secret)).json["access_token"] for _ in range(2)]
    ids = [json.loads(jws.extract_compact(t.encode()).payload)["jti"] for t in tokens]
    assert ids[0] != ids[1]


@pytest.mark.parametrize("how", ["basic", "form"])
def test_a_wrong_secret_is_401_invalid_client(client, registered, how):
    client_id, _ = registered
    if how == "basic":
        response = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                               headers=basic(client_id, "wrong"))
    else:
        response = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                     "client_secret": "wrong"})
    assert response.status_code == 401
    assert response.content_type == "application/json"  # RFC 6749 s5.2, not problem+json
    assert response.json["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_an_unknown_client_is_401_invalid_client(client, registered):
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           headers=basic("unhcr-kz-0000000000000000", "whatever"))
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"


def test_a_disabled_client_gets_no_token(app, client, registered):
    client_id, secret = registered
    app.extensions["casetrail.auth_store"].disable_client(client_id)
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           headers=basic(client_id, secret))
    assert response.status_code == 401


@pytest.mark.parametrize("grant", ["password", "authorization_code", "urn:ietf:params:oauth:grant-type:jwt-bearer"])
def test_an_unsupported_grant_is_400(client, registered, grant):
    client_id, secret = registered
    response = client.post("/oauth/token", data={"grant_type": grant}, headers=basic(client_id, secret))
    assert response.status_code == 400
    assert response.json["error"] == "unsupported_grant_type"


def test_a_request_without_grant_type_is_400(client, registered):
    response = client.post("/oauth/token", data={}, headers=basic(*registered))
    assert response.status_code == 400
    assert response.json["error"] in ("invalid_request", "unsupported_grant_type")


def test_the_secret_is_stored_only_as_a_salted_hash(app, registered):
    client_id, secret = registered
    database = app.extensions["casetrail.database"]
    with database.transaction() as cur:
        rows = cur.execute("SELECT * FROM oauth_clients").fetchall()
    assert len(rows) == 1
    stored = " ".join(str(value) for value in rows[0])
    assert secret not in stored
    assert client_id in stored
    (secret_hash,) = [v for v in rows[0] if isinstance(v, str) and v.startswith("scrypt$")]
    # A second client with the same secret would still get another hash (salted).

    assert hash_secret(secret) != secret_hash and verify_secret(secret, secret_hash)


def test_clients_can_only_be_added_for_registered_organisations(app):
    with pytest.raises(UnknownOrganisation):
        app.extensions["casetrail.auth_store"].add_client("nobody", ["caseworker"])


def test_metadata_names_the_token_endpoint_and_the_keys(client):
    body = client.get("/.well-known/oauth-authorization-server").json
    assert body["issuer"] == "casetrail"
    assert body["token_endpoint"].endswith("/oauth/token")
    assert body["jwks_uri"].endswith("/.well-known/jwks.json")
    assert body["grant_types_supported"] == ["client_credentials"]
    assert set(body["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}


def test_the_jwks_publishes_public_keys_only(app, client):
    keys = client.get("/.well-known/jwks.json").json["keys"]
    assert [k["kid"] for k in keys] == [app.extensions["casetrail.signing_keys"].active().kid]
    assert all("d" not in k for k in keys)


def test_the_token_endpoint_is_documented_with_its_oauth_errors(client):
    operation = client.get("/openapi.json").json["paths"]["/oauth/token"]["post"]
    assert {"200", "400", "401"} <= set(operation["responses"])
    assert "application/json" in operation["responses"]["401"]["content"]
    assert "application/x-www-form-urlencoded" in operation["requestBody"]["content"]
