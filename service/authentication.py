"""Authentication at the HTTP edge: which token source this process trusts,
decided once from configuration, and the check that makes every request but the
public ones carry a valid bearer token (the caller becomes `g.principal`).

The source is the embedded issuer (keys under var/, clients in side tables) when
no external provider's JWKS URL is configured, else that provider's keys and
nothing local.
"""
from __future__ import annotations

from flask import Flask, g, request
from joserfc.jwk import KeySet

from auth.authorization_server import create_authorization_server
from auth.issuer import TokenIssuer
from auth.jwks import JwksClient
from auth.keys import SigningKeys
from auth.principal import Principal
from auth.stores import AuthStore
from auth.tokens import AccessTokenValidator, TokenRejected
from service.config import Config
from store.database import Database

# Endpoints anyone may call: health, metrics, the spec and its page, the issuer.
PUBLIC_PATHS = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/oauth/token",
                "/.well-known/")


def is_public(path: str) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) or path.startswith(p + "/")
               for p in PUBLIC_PATHS)


def init_app(app: Flask, config: Config, database: Database, keys: SigningKeys) -> None:
    """Trust the configured token source and require a token on every private path.
    Extensions set: casetrail.token_validator, and casetrail.issuer,
    casetrail.oauth_server, casetrail.auth_store, casetrail.signing_keys (embedded)
    or casetrail.jwks_client (external)."""
    validator = _embedded(app, config, database, keys) if config.embedded_issuer else _external(app, config)
    app.extensions["casetrail.token_validator"] = validator

    @app.before_request
    def _authenticate() -> None:
        if request.method == "OPTIONS" or is_public(request.path):
            return
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise TokenRejected("missing", "an access token is required")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRejected("malformed", "use the Bearer scheme")
        g.principal = validator.principal(token.strip())


def current_principal() -> Principal:
    principal = g.get("principal")
    if principal is None:
        raise TokenRejected("missing", "an access token is required")
    return principal


def _embedded(app: Flask, config: Config, database: Database, keys: SigningKeys) -> AccessTokenValidator:
    store = AuthStore(database)
    app.extensions["casetrail.signing_keys"] = keys
    app.extensions["casetrail.auth_store"] = store
    app.extensions["casetrail.issuer"] = TokenIssuer(keys, config.issuer, config.oauth_audience,
                                                     config.token_ttl_seconds)
    app.extensions["casetrail.oauth_server"] = create_authorization_server(
        app, store, keys, config.issuer, config.oauth_audience, config.token_ttl_seconds)

    def get_keys(refresh: bool) -> KeySet:
        if refresh:
            keys.refresh()  # another process may have rotated; rate-limited inside
        return keys.published()

    return AccessTokenValidator(config.issuer, config.oauth_audience, get_keys,
                                config.oauth_org_claim, config.oauth_roles_claim)


def _external(app: Flask, config: Config) -> AccessTokenValidator:
    if not config.oauth_issuer:
        # RFC 9068 s4 item 3: without an expected issuer the `iss` check is impossible.
        raise ValueError("CASETRAIL_OAUTH_ISSUER must be set with CASETRAIL_OAUTH_JWKS_URL")
    jwks = JwksClient(config.oauth_jwks_url)
    app.extensions["casetrail.jwks_client"] = jwks
    return AccessTokenValidator(config.oauth_issuer, config.oauth_audience, jwks.get,
                                config.oauth_org_claim, config.oauth_roles_claim)
