"""The embedded issuer's tokens: RFC 9068 JWT access tokens signed with the
active key (never a random one of the set: see notes on Authlib)."""
from __future__ import annotations

import time
import uuid

from joserfc import jwt

from auth.keys import ALGORITHM, DEFAULT_TOKEN_TTL_SECONDS, SigningKeys


class TokenIssuer:
    def __init__(self, keys: SigningKeys, issuer: str, audience: str, ttl_seconds: int = DEFAULT_TOKEN_TTL_SECONDS):
        self.keys, self.issuer, self.audience, self.ttl_seconds = keys, issuer, audience, ttl_seconds

    def issue(self, sub: str, org: str, roles: list[str], client_id: str | None = None,
              ttl_seconds: int | None = None, extra: dict | None = None) -> str:
        key = self.keys.active()
        now = int(time.time())
        claims = {
            "iss": self.issuer, "aud": self.audience, "sub": sub,
            "client_id": client_id or sub, "org": org, "roles": list(roles),
            "iat": now, "nbf": now, "exp": now + (ttl_seconds or self.ttl_seconds),
            "jti": uuid.uuid4().hex, **(extra or {}),
        }
        header = {"alg": ALGORITHM, "typ": "at+jwt", "kid": key.kid}
        return jwt.encode(header, claims, key, algorithms=[ALGORITHM])
