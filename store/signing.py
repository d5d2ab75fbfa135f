"""Signing audit documents (checkpoints, case bundles) with the embedded issuer's
active ES256 key, and checking them against keys the verifier trusts.

The issuer deletes a retired private key once its tokens have expired, so every
signed document carries the signer's public JWK; an auditor who pinned the JWKS
when the document was made passes it (--jwks) to rule out a substituted key.
"""
from __future__ import annotations

import json
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

# The algorithm of every key this service signs with (audit documents here, the
# embedded issuer's tokens in auth.keys): EC P-256.
ALGORITHM = "ES256"


class BadSignature(ValueError):
    pass


def sign(signing_keys: Any, payload: dict, typ: str) -> tuple[str, dict]:
    """(compact JWS over canonical JSON of `payload`, the signer's public JWK)."""
    key = signing_keys.active()
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": typ}
    token = jws.serialize_compact(header, canonical(payload), key, algorithms=[ALGORITHM])
    public = {k: v for k, v in key.as_dict(private=False).items() if k != "d"}
    return token, {**public, "kid": key.kid, "alg": ALGORITHM, "use": "sig"}


def verify(token: str, trusted: list[dict], typ: str) -> dict:
    """The payload, if `token` is a JWS of type `typ` signed by one of `trusted` (JWKs)."""
    if not trusted:
        raise BadSignature("no key to check the signature with")
    try:
        keys = KeySet([ECKey.import_key(jwk) for jwk in trusted])
        result = jws.deserialize_compact(token, keys, algorithms=[ALGORITHM])
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise BadSignature(f"signature does not verify ({type(exc).__name__})") from None
    if result.protected.get("typ") != typ:
        raise BadSignature(f"not a {typ}")
    return json.loads(result.payload)


def trusted_keys(document: dict, jwks: dict | None) -> list[dict]:
    """Keys from a pinned JWKS if given, else the one the document names."""
    if jwks is not None:
        return list(jwks.get("keys", []))
    return [document["jwk"]] if document.get("jwk") else []


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
