"""Validating RFC 9068 JWT access tokens as a resource server.

Authlib's `JWTBearerTokenValidator` is the base; it leaves out several checks this
service needs, added here with the clause each enforces.
"""
from __future__ import annotations

from typing import Callable

from authlib.oauth2.rfc6750.errors import InvalidTokenError
from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
from authlib.oauth2.rfc9068.claims import JWTAccessTokenClaims
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from auth.principal import Principal

# RFC 9068 s4 ("the resource server MUST ... use the alg header ... from an allow-list")
# and RFC 8725 s3.1/3.2: asymmetric algorithms only, so a public key can never be
# used as an HMAC secret and `none` is never accepted.
ALLOWED_ALGORITHMS = ["RS256", "ES256", "EdDSA"]
LEEWAY_SECONDS = 30


class TokenRejected(Exception):
    """The token is missing or not acceptable; `reason` is a short code for logs and metrics."""

    def __init__(self, reason: str, description: str = "the access token is not valid"):
        super().__init__(description)
        self.reason, self.description = reason, description


class KeysUnavailable(Exception):
    """No verification key can be had (the provider's JWKS is unreachable)."""


class AccessTokenValidator(JWTBearerTokenValidator):
    def __init__(self, issuer: str, audience: str, get_keys: Callable[[bool], KeySet],
                 org_claim: str = "org", roles_claim: str = "roles"):
        # RFC 9068 s4 item 4: `aud` must contain this resource server; never None,
        # which would switch Authlib's audience check off.
        super().__init__(issuer=issuer, resource_server=audience, realm="casetrail")
        self._get_keys = get_keys
        self.org_claim, self.roles_claim = org_claim, roles_claim

    def get_jwks(self) -> KeySet:
        return self._get_keys(False)

    def decode(self, token_string: str) -> JWTAccessTokenClaims:
        try:
            header = _header(token_string)
        except (ValueError, IndexError, UnicodeDecodeError):
            raise TokenRejected("malformed") from None
        # RFC 9068 s2.1/s4 item 2: the `typ` header must be `at+jwt`, so an ID token
        # or any other JWT cannot be replayed as an access token.
        if str(header.get("typ", "")).lower() not in ("at+jwt", "application/at+jwt"):
            raise TokenRejected("typ", "the token is not an RFC 9068 access token")
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise TokenRejected("alg", "the token's algorithm is not accepted")
        keys = self._get_keys(False)
        if header.get("kid") and not _has_kid(keys, header["kid"]):
            keys = self._get_keys(True)  # the provider may have rotated: refetch once
        try:
            token = jwt.decode(token_string, key=keys, algorithms=ALLOWED_ALGORITHMS)
        except JoseError as exc:
            raise TokenRejected("signature" if "kid" not in str(exc).lower() else "kid") from exc
        except (ValueError, TypeError) as exc:
            raise TokenRejected("malformed") from exc
        return JWTAccessTokenClaims(token.claims, token.header, self._claims_options())

    def _claims_options(self) -> dict:
        return {
            "iss": {"essential": True, "validate": self.validate_iss},  # RFC 9068 s4 item 3
            "exp": {"essential": True},                                   # RFC 9068 s2.2, s4 item 6
            "aud": {"essential": True, "value": self.resource_server},  # RFC 9068 s4 item 4
            "sub": {"essential": True},
            "iat": {"essential": True},
            "client_id": {"essential": False},  # some providers omit it; we fall back to sub
            "jti": {"essential": False},
        }

    def principal(self, token_string: str) -> Principal:
        claims = self.decode(token_string)
        try:
            # RFC 7519 s4.1.4/4.1.5 with a small leeway for providers whose clock runs ahead.
            claims.validate(leeway=LEEWAY_SECONDS)
        except JoseError as exc:
            raise TokenRejected(_claim_reason(exc)) from exc
        except InvalidTokenError as exc:
            raise TokenRejected("claims") from exc
        org = _claim(claims, self.org_claim)
        roles = _claim(claims, self.roles_claim)
        if isinstance(roles, str):
            roles = roles.split()
        if not org or not isinstance(org, str):
            raise TokenRejected("org", "the token names no organisation")
        if not roles or not isinstance(roles, list):
            raise TokenRejected("roles", "the token carries no roles")
        countries = claims.get("countries")
        return Principal(
            sub=str(claims["sub"]), org=org, roles=frozenset(str(r) for r in roles),
            client_id=str(claims.get("client_id") or claims["sub"]),
            countries=frozenset(countries) if isinstance(countries, list) else None,
            token_id=claims.get("jti"),
        )


def _claim(claims: dict, path: str):
    """A claim by dotted path, e.g. `realm_access.roles` for Keycloak-style tokens."""
    value = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(getattr(k, "kid", None) == kid for k in keys.keys)


def _header(token_string: str) -> dict:
    import base64
    import json

    parts = token_string.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWS compact serialisation")
    header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    if not isinstance(header, dict):
        raise ValueError("header is not an object")
    return header


def _claim_reason(exc: JoseError) -> str:
    text = f"{type(exc).__name__} {exc}".lower()
    for reason in ("expired", "iss", "aud", "nbf", "iat", "sub"):
        if reason in text:
            return reason
    return "claims"
