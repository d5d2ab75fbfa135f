"""Fetching and caching an external provider's JSON Web Key Set (RFC 7517).

Authlib's resource-server validator fetches no keys itself, so this is ours. The
rules, and why:
- Keys are cached and refetched after `max_age_seconds`, so a provider's planned
  rotation is picked up without a restart.
- A token with an unknown `kid` may mean the provider has just rotated: the caller
  asks for a refetch, which happens at most once per `min_refetch_seconds`, so a
  stream of forged kids cannot make us hammer the provider.
- When the provider is briefly unreachable, the cached keys keep serving
  (availability of verification must not hang on the provider's uptime).
- With no key at all, `KeysUnavailable` (503 at the edge), never a 500 and never
  an acceptance.
"""
from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from typing import Callable

from joserfc.jwk import KeySet, import_key

from auth.tokens import KeysUnavailable

log = logging.getLogger("casetrail.jwks")

MAX_JWKS_BYTES = 512 * 1024  # a key set is a few KiB; refuse to buffer a huge answer


def http_get_json(url: str, timeout: float) -> dict:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured URL
        body = response.read(MAX_JWKS_BYTES + 1)
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError("the key set is too large")
    return json.loads(body)


class JwksClient:
    def __init__(self, url: str, max_age_seconds: float = 300, min_refetch_seconds: float = 10,
                 timeout_seconds: float = 3, retry_without_keys_seconds: float = 5,
                 fetch: Callable[[str, float], dict] = http_get_json,
                 clock: Callable[[], float] = time.monotonic):
        self.url = url
        self.max_age_seconds = max_age_seconds
        self.min_refetch_seconds = min_refetch_seconds
        self.timeout_seconds = timeout_seconds
        self.retry_without_keys_seconds = retry_without_keys_seconds
        self._fetch = fetch
        self.clock = clock
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")   # last successful fetch
        self._attempted_at = float("-inf")  # last attempt, successful or not
        self._forced_at = float("-inf")     # last refetch asked for by an unknown kid
        self.fetch_count = 0

    def __call__(self, refresh: bool = False) -> KeySet:
        return self.get(refresh)

    def get(self, refresh: bool = False) -> KeySet:
        """The provider's keys; `refresh=True` when a token names a kid we lack."""
        with self._lock:  # one fetch at a time; the others wait and reuse its result
            now = self.clock()
            if self._keys is None:
                # Without any key every request fails anyway: retry soon, not on every request.
                due = now - self._attempted_at >= self.retry_without_keys_seconds
            elif refresh:
                # An unknown kid: at most one such refetch per interval, however many
                # forged kids arrive (a rotation that just happened gets the next one).
                due = now - self._forced_at >= self.min_refetch_seconds
                if due:
                    self._forced_at = now
            else:
                due = (now - self._fetched_at >= self.max_age_seconds
                       and now - self._attempted_at >= self.min_refetch_seconds)
            if due:
                self._refetch(now)
            if self._keys is None:
                raise KeysUnavailable("no verification key could be fetched from the provider")
            return self._keys

    def _refetch(self, now: float) -> None:
        self._attempted_at = now
        self.fetch_count += 1
        try:
            keys = _signing_keys(self._fetch(self.url, self.timeout_seconds))
        except Exception as exc:  # noqa: BLE001 - any failure: keep what we have
            log.warning("fetching the provider's keys failed (%s); %s", type(exc).__name__,
                        "keeping the cached keys" if self._keys else "no keys cached")
            return
        self._keys, self._fetched_at = keys, now


def _signing_keys(document: dict) -> KeySet:
    """The usable signature keys of a JWKS document. Encryption keys and key types
    we cannot use are skipped rather than failing the whole set (RFC 7517 s5:
    implementations SHOULD ignore JWKs with unknown members or types)."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWK set")
    keys = []
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        if entry.get("kty") not in ("RSA", "EC", "OKP") or "d" in entry:
            continue  # only public asymmetric keys (a symmetric or private key is a misconfiguration)
        try:
            keys.append(import_key(entry))
        except Exception:  # noqa: BLE001 - one bad key must not hide the good ones
            continue
    if not keys:
        raise ValueError("the JWK set holds no usable signature key")
    return KeySet(keys)
