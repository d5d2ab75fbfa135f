"""Hand-made access tokens for attack tests: every way a token can be wrong,
signed (or not) exactly as an attacker would sign it."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Forge:
    """Signs tokens with the server's active key unless told otherwise."""

    def __init__(self, key: ECKey, issuer: str = "casetrail", audience: str = "casetrail"):
        self.key, self.issuer, self.audience = key, issuer, audience

    def claims(self, **overrides) -> dict:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.audience, "sub": "u-attack", "client_id": "attack-client",
                  "org": "unhcr", "roles": ["caseworker"], "iat": now, "nbf": now, "exp": now + 300,
                  "jti": uuid.uuid4().hex}
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}  # None removes a claim

    def header(self, **overrides) -> dict:
        header = {"alg": "ES256", "typ": "at+jwt", "kid": self.key.kid}
        header.update(overrides)
        return {k: v for k, v in header.items() if v is not None}

    def token(self, header: dict | None = None, claims: dict | None = None, key=None) -> str:
        header = header if header is not None else self.header()
        claims = claims if claims is not None else self.claims()
        key = key or self.key
        return jwt.encode(header, claims, key, algorithms=[header["alg"]])

    def unsigned(self, **claims) -> str:
        # RFC 7519 s6: an "unsecured JWT" with alg none and an empty signature.
        header = self.header(alg="none")
        return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(self.claims(**claims)).encode())}."

    def hs256_with_public_key(self) -> str:
        # The classic key-confusion attack: HMAC keyed with the verifier's public key.
        secret = self.key.as_pem(private=False)
        signing_input = f"{b64(json.dumps(self.header(alg='HS256')).encode())}." \
                        f"{b64(json.dumps(self.claims()).encode())}"
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{b64(signature)}"

    def with_other_key(self, kid: str | None) -> str:
        other = ECKey.generate_key("P-256")
        header = self.header(kid=kid)
        return jwt.encode(header, self.claims(), other, algorithms=["ES256"])


def attack_tokens(forge: Forge) -> dict[str, str | None]:
    """name -> the Authorization header value (None: no header at all)."""
    now = int(time.time())
    return {
        "no token": None,
        "not bearer scheme": "Basic dXNlcjpwYXNz",
        "empty bearer": "Bearer ",
        "malformed": "Bearer not-a-jwt",
        "malformed three parts": "Bearer a.b.c",
        "alg none": "Bearer " + forge.unsigned(),
        "hs256 keyed with the public key": "Bearer " + forge.hs256_with_public_key(),
        "unknown kid": "Bearer " + forge.with_other_key("no-such-kid"),
        "foreign key presenting our kid": "Bearer " + forge.with_other_key(forge.key.kid),
        "expired": "Bearer " + forge.token(claims=forge.claims(iat=now - 900, nbf=now - 900, exp=now - 120)),
        "not yet valid": "Bearer " + forge.token(claims=forge.claims(nbf=now + 120)),
        "issued in the future": "Bearer " + forge.token(claims=forge.claims(iat=now + 120)),
        "wrong issuer": "Bearer " + forge.token(claims=forge.claims(iss="https://evil.example")),
        "wrong audience": "Bearer " + forge.token(claims=forge.claims(aud="another-api")),
        "missing typ": "Bearer " + forge.token(header=forge.header(typ=None)),
        "typ JWT": "Bearer " + forge.token(header=forge.header(typ="JWT")),
        "no roles": "Bearer " + forge.token(claims=forge.claims(roles=None)),
        "empty roles": "Bearer " + forge.token(claims=forge.claims(roles=[])),
        "only unknown roles": "Bearer " + forge.token(claims=forge.claims(roles=["superuser"])),
        "no org": "Bearer " + forge.token(claims=forge.claims(org=None)),
        "no exp": "Bearer " + forge.token(claims=forge.claims(exp=None)),
        "no sub": "Bearer " + forge.token(claims=forge.claims(sub=None)),
    }


def accepted_tokens(forge: Forge) -> dict[str, str]:
    now = int(time.time())
    return {
        "valid": "Bearer " + forge.token(),
        # A provider whose clock runs 2 s ahead (RFC 7519 leeway).
        "two seconds in the future": "Bearer " + forge.token(claims=forge.claims(iat=now + 2, nbf=now + 2)),
        "audience list containing ours": "Bearer " + forge.token(
            claims=forge.claims(aud=["another-api", forge.audience])),
        "typ application/at+jwt": "Bearer " + forge.token(header=forge.header(typ="application/at+jwt")),
    }


def public_key_set(key: ECKey) -> KeySet:
    return KeySet([ECKey.import_key(key.as_dict(private=False))])
