"""Authentication at the HTTP edge: every request but the public ones needs a
valid bearer token; the caller becomes `g.principal`."""
from __future__ import annotations

from flask import Flask, g, request

from auth.principal import Principal
from auth.tokens import AccessTokenValidator, TokenRejected

# Endpoints anyone may call: health, metrics, the spec and its page, the issuer.
PUBLIC_PATHS = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/oauth/token",
                "/.well-known/")


def is_public(path: str) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) or path.startswith(p + "/")
               for p in PUBLIC_PATHS)


def init_app(app: Flask, validator: AccessTokenValidator) -> None:
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
