"""The embedded issuer's token endpoint: Authlib's AuthorizationServer with the
`client_credentials` grant (RFC 6749 s4.4) issuing RFC 9068 JWT access tokens.

Authlib's defaults do not fit (see the notes on Authlib) and are changed here:
opaque tokens -> `JWTBearerTokenGenerator`; ten-day lifetime -> the configured
one (15 min); audience = client id -> Casetrail's audience; a random key of the
set -> the active key only.
"""
from __future__ import annotations

import logging

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from flask import Flask
from joserfc.jwk import KeySet

from auth.keys import ALGORITHM, SigningKeys
from auth.stores import DUMMY_HASH, ApiClient, AuthStore

# Authlib logs issued tokens at DEBUG ("Issue token %r"): a token in a log is a
# credential in a log, whatever the level configured elsewhere.
logging.getLogger("authlib").setLevel(logging.WARNING)

AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class OAuthClient(ClientMixin):
    """An ApiClient as Authlib sees it. Confidential clients, token endpoint only."""

    def __init__(self, client: ApiClient):
        self.client = client

    def get_client_id(self) -> str:
        return self.client.client_id

    def check_client_secret(self, client_secret: str) -> bool:
        # Always hash, even for a disabled client, so timing tells nothing.
        return self.client.check_secret(client_secret) and not self.client.disabled

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in AUTH_METHODS

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"

    def get_allowed_scope(self, scope):
        return ""  # roles, not scopes, carry the rights (DESIGN.md, "Access")

    def check_response_type(self, response_type: str) -> bool:
        return False  # no authorization endpoint

    def get_default_redirect_uri(self):
        return None

    def check_redirect_uri(self, redirect_uri) -> bool:
        return False


class _UnknownClient(OAuthClient):
    """Stands in for a client id we do not know: its secret check costs the same
    scrypt run as a real one and always fails, so timing reveals no client ids."""

    def __init__(self, client_id: str):
        super().__init__(ApiClient(client_id, "", (), None, DUMMY_HASH, disabled=True))


class CasetrailClientCredentials(ClientCredentialsGrant):
    # RFC 6749 s2.3.1: servers MUST support Basic; the form variant is allowed too.
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS


class CasetrailTokenGenerator(JWTBearerTokenGenerator):
    def __init__(self, keys: SigningKeys, issuer: str, audience: str, ttl_seconds: int):
        super().__init__(issuer=issuer, alg=ALGORITHM,
                         expires_generator=lambda client, grant_type: ttl_seconds)
        self.keys, self.audience = keys, audience

    def get_jwks(self) -> KeySet:
        # A one-key set: Authlib then writes its kid into the header, and signs
        # with it rather than with any published (possibly retiring) key.
        return KeySet([self.keys.active()])

    def get_audiences(self, client, user, scope) -> str:
        # RFC 9068 s3: without a `resource` parameter, a default resource indicator;
        # Authlib's default (the client id) would be refused by our own validator.
        return self.audience

    def get_extra_claims(self, client, grant_type, user, scope) -> dict:
        api_client: ApiClient = client.client
        return {"org": api_client.org, "roles": list(api_client.roles)}


def create_authorization_server(app: Flask, store: AuthStore, keys: SigningKeys, issuer: str,
                                audience: str, ttl_seconds: int) -> AuthorizationServer:
    def query_client(client_id: str) -> OAuthClient:
        client = store.client(client_id) if client_id else None
        return OAuthClient(client) if client else _UnknownClient(client_id or "")

    server = AuthorizationServer(app, query_client=query_client, save_token=lambda token, request: None)
    # Registered after construction: the constructor installs an opaque-token generator.
    server.register_token_generator("default", CasetrailTokenGenerator(keys, issuer, audience, ttl_seconds))
    server.register_grant(CasetrailClientCredentials)
    return server


def metadata(issuer: str, base_url: str) -> dict:
    """RFC 8414 s2 authorization server metadata."""
    base = base_url.rstrip("/")
    return {
        "issuer": issuer,
        "token_endpoint": f"{base}/oauth/token",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": [],  # REQUIRED by s2; no authorization endpoint here
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
    }
