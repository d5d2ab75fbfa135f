"""Validating RFC 9068 JWT access tokens as a resource server.

Authlib's `JWTBearerTokenValidator` leaves out several checks this service needs
(see docs/authentication.md and the notes on Authlib): no algorithm allow-list,
`typ` optional, no clock leeway, no key fetching. So the checks are done here on
joserfc (the library Authlib itself signs and verifies with), each with the
clause it enforces. Any failure is `TokenRejected` (401); no key at all is
`KeysUnavailable` (503).
"""
from __future__ import annotations

import base64
import json
from typing import Callable

from joserfc import jwt
from joserfc.errors import DecodeError, ExpiredTokenError, InvalidKeyIdError, JoseError, MissingClaimError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from auth.principal import ROLES, Principal

# RFC 9068 s4 ("the resource server MUST ... use the alg header ... from an allow-list")
# and RFC 8725 s2.1/s3.1/s3.2: asymmetric algorithms only, so a public key can never
# be used as an HMAC secret and `none` is never accepted.
ALLOWED_ALGORITHMS = ["RS256", "ES256", "EdDSA"]
# RFC 7519 s4.1.4/4.1.5 allow "some small leeway" for clock skew between the
# provider and us; a provider whose clock runs a few seconds ahead must still work.
LEEWAY_SECONDS = 30
# A bearer token is a few hundred bytes; refuse to parse megabytes of attacker input.
MAX_TOKEN_BYTES = 8 * 1024


class TokenRejected(Exception):
    """The token is missing or not acceptable; `reason` is a short code for logs and metrics."""

    def __init__(self, reason: str, description: str = "the access token is not valid"):
        super().__init__(description)
        self.reason, self.description = reason, description


class KeysUnavailable(Exception):
    """No verification key can be had (the provider's JWKS is unreachable)."""


class AccessTokenValidator:
    """`get_keys(refresh)` returns the verification keys; `refresh=True` asks the
    source to look again (the token names a kid it does not have), and the source
    decides how often it really does."""

    def __init__(self, issuer: str, audience: str, get_keys: Callable[[bool], KeySet],
                 org_claim: str = "org", roles_claim: str = "roles", leeway: int = LEEWAY_SECONDS):
        if not issuer or not audience:
            # RFC 9068 s4 items 3 and 4: both checks are mandatory, never switched off.
            raise ValueError("a token validator needs an issuer and an audience")
        self.issuer, self.audience = issuer, audience
        self._get_keys = get_keys
        self.org_claim, self.roles_claim = org_claim, roles_claim
        self.leeway = leeway

    def principal(self, token_string: str) -> Principal:
        claims = self.verified_claims(token_string)
        org = claim_at(claims, self.org_claim)
        roles = claim_at(claims, self.roles_claim)
        if isinstance(roles, str):
            roles = roles.split()  # some providers send a space-separated string
        if not org or not isinstance(org, str):
            raise TokenRejected("org", "the token names no organisation")
        # Only Casetrail's roles count: providers add their own (Keycloak's
        # `offline_access`, `default-roles-*`), which must not pass for a role here.
        known = frozenset(r for r in roles if r in ROLES) if isinstance(roles, list) else frozenset()
        if not known:
            raise TokenRejected("roles", "the token carries no Casetrail role")
        countries = claims.get("countries")
        return Principal(
            sub=str(claims["sub"]), org=org, roles=known,
            # RFC 9068 s2.2 makes client_id required; a few providers omit it.
            client_id=str(claims.get("client_id") or claims["sub"]),
            countries=frozenset(countries) if isinstance(countries, list) else None,
        )

    def verified_claims(self, token_string: str) -> dict:
        header = self._checked_header(token_string)
        keys = self._get_keys(False)
        if header.get("kid") and not _has_kid(keys, header["kid"]):
            keys = self._get_keys(True)  # the provider may have rotated: ask again, once
        try:
            # RFC 9068 s4 item 5 / RFC 7515 s5.2: the signature must verify with a key
            # we hold (never one named by `jwk`/`jku` in the token, which joserfc ignores).
            token = jwt.decode(token_string, key=keys, algorithms=ALLOWED_ALGORITHMS)
        except InvalidKeyIdError:
            raise TokenRejected("kid", "the token was signed by an unknown key") from None
        except JoseError as exc:
            raise TokenRejected(_reason(exc, "signature")) from None
        except (ValueError, TypeError):
            raise TokenRejected("malformed") from None
        if not isinstance(token.claims, dict):
            raise TokenRejected("malformed")
        try:
            self._registry().validate(token.claims)
        except MissingClaimError:
            raise TokenRejected("claims", "the token lacks a required claim") from None
        except ExpiredTokenError:
            raise TokenRejected("expired", "the access token has expired") from None
        except JoseError as exc:
            raise TokenRejected(_reason(exc, "claims")) from None
        return token.claims

    def _checked_header(self, token_string: str) -> dict:
        if len(token_string) > MAX_TOKEN_BYTES:
            raise TokenRejected("malformed", "the access token is too large")
        try:
            header = _header(token_string)
        except (ValueError, UnicodeDecodeError):
            raise TokenRejected("malformed") from None
        # RFC 9068 s2.1/s4 item 2: `typ` must be `at+jwt` (or its media type), so an
        # ID token or any other JWT from the same provider cannot pass as an access token.
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in ("at+jwt", "application/at+jwt"):
            raise TokenRejected("typ", "the token is not an RFC 9068 access token")
        # RFC 9068 s4 item 5 and RFC 8725 s3.1: only the allow-listed algorithms.
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise TokenRejected("alg", "the token's algorithm is not accepted")
        # RFC 7515 s4.1.11: we understand no critical extension, so none may be demanded.
        if "crit" in header:
            raise TokenRejected("crit", "the token demands an unsupported extension")
        return header

    def _registry(self) -> JWTClaimsRegistry:
        return JWTClaimsRegistry(
            leeway=self.leeway,
            iss={"essential": True, "value": self.issuer},   # RFC 9068 s4 item 3
            aud={"essential": True, "value": self.audience},  # RFC 9068 s4 item 4 (string or list)
            exp={"essential": True},  # RFC 9068 s2.2, s4 item 6: exp checked, with leeway
            iat={"essential": True},  # RFC 9068 s2.2; a future iat is refused (beyond leeway)
            sub={"essential": True},  # RFC 9068 s2.2: the principal
            # nbf is optional (RFC 7519 s4.1.5) but, when present, checked with leeway.
        )


def claim_at(claims: dict, path: str):
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
    parts = token_string.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWS compact serialisation")  # also refuses JWE (5 parts)
    header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    if not isinstance(header, dict):
        raise ValueError("header is not an object")
    return header


def _reason(exc: JoseError, default: str) -> str:
    claim = getattr(exc, "claim", None)  # joserfc's ClaimError names the failing claim
    if isinstance(exc, DecodeError):
        return "malformed"
    return claim if claim in ("iss", "aud", "nbf", "iat", "sub", "exp") else default
