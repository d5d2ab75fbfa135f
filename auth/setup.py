"""Which token source this process trusts, decided once from configuration:
the embedded issuer (keys under var/, clients in side tables) when no external
provider's JWKS URL is configured, else that provider's keys and nothing local."""
from __future__ import annotations

from flask import Flask
from joserfc.jwk import KeySet

from auth.tokens import AccessTokenValidator
from service.config import Config
from service.database import Database


def init_app(app: Flask, config: Config, database: Database) -> AccessTokenValidator:
    """Build the validator (and, when embedded, the issuer and its token endpoint);
    extensions set: casetrail.issuer, casetrail.oauth_server, casetrail.auth_store,
    casetrail.signing_keys (embedded) or casetrail.jwks_client (external)."""
    if config.embedded_issuer:
        return _embedded(app, config, database)
    return _external(app, config)


def _embedded(app: Flask, config: Config, database: Database) -> AccessTokenValidator:
    from auth.authorization_server import create_authorization_server
    from auth.issuer import TokenIssuer
    from auth.keys import SigningKeys
    from auth.stores import AuthStore

    issuer_url = config.oauth_issuer or "casetrail"
    keys = SigningKeys(config.var_dir / "keys", config.token_ttl_seconds)
    store = AuthStore(database)
    app.extensions["casetrail.signing_keys"] = keys
    app.extensions["casetrail.auth_store"] = store
    app.extensions["casetrail.issuer"] = TokenIssuer(keys, issuer_url, config.oauth_audience,
                                                     config.token_ttl_seconds)
    app.extensions["casetrail.oauth_server"] = create_authorization_server(
        app, store, keys, issuer_url, config.oauth_audience, config.token_ttl_seconds)

    def get_keys(refresh: bool) -> KeySet:
        if refresh:
            keys.refresh()  # another process may have rotated; rate-limited inside
        return keys.published()

    return AccessTokenValidator(issuer_url, config.oauth_audience, get_keys,
                                config.oauth_org_claim, config.oauth_roles_claim)


def _external(app: Flask, config: Config) -> AccessTokenValidator:
    from auth.jwks import JwksClient

    if not config.oauth_issuer:
        # RFC 9068 s4 item 3: without an expected issuer the `iss` check is impossible.
        raise ValueError("CASETRAIL_OAUTH_ISSUER must be set with CASETRAIL_OAUTH_JWKS_URL")
    jwks = JwksClient(config.oauth_jwks_url)
    app.extensions["casetrail.jwks_client"] = jwks
    return AccessTokenValidator(config.oauth_issuer, config.oauth_audience, jwks.get,
                                config.oauth_org_claim, config.oauth_roles_claim)
