"""HTTP hardening: security headers on every response, CORS for configured partner
origins only, rate limits per client, and trust in forwarded addresses only behind
a configured number of proxies.

Call `init_app` after authentication is wired, so the rate-limit key can be the
authenticated client (`client_id`) rather than an address a NAT or proxy shares.
"""
from __future__ import annotations

import base64
import hashlib
import re
import time

from flask import Flask, Response, g, request
from flask_cors import CORS
from flask_limiter import Limiter
from werkzeug.middleware.proxy_fix import ProxyFix

from service import metrics
from service.config import Config

TOKEN_PATH = "/oauth/token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Partner front-ends send these; they read these back (ETag for If-Match, Location
# for new cases, Retry-After on 429/503, the request id for support calls).
_CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "If-Match", "Idempotency-Key", "X-Request-ID"]
_CORS_EXPOSE_HEADERS = ["ETag", "Location", "Retry-After", "X-Request-ID", "WWW-Authenticate"]

# A JSON API never needs to load anything: forbid everything, framing included.
_API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The docs page may load its own assets from this origin, nothing from elsewhere.
_DOCS_CSP = ("default-src 'self'; script-src 'self'{hashes}; style-src 'self'; img-src 'self' data:; "
             "connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; "
             "base-uri 'none'; form-action 'none'")
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def is_docs(path: str) -> bool:
    return path == "/docs" or path.startswith("/docs/")


def is_cacheable(path: str) -> bool:
    """The spec and the docs page's assets hold no case data; everything else may."""
    return path == "/openapi.json" or path.startswith("/docs/")


def rate_limit_key() -> str:
    principal = g.get("principal")
    if principal is not None and principal.client_id:
        return f"client:{principal.client_id}"
    return f"addr:{request.remote_addr or 'unknown'}"


def _is_limited_write() -> bool:
    return request.method not in _SAFE_METHODS and request.path != TOKEN_PATH


def _docs_csp(response: Response) -> str:
    # Inline scripts of the docs page (the UI's start-up snippet) are allowed by
    # their exact hash, so no other inline script could run: no 'unsafe-inline'.
    hashes = ""
    if response.mimetype == "text/html" and not response.direct_passthrough:
        for body in _INLINE_SCRIPT.findall(response.get_data()):
            digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
            hashes += f" 'sha256-{digest}'"
    return _DOCS_CSP.format(hashes=hashes)


def _security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if is_docs(request.path):
            headers["Content-Security-Policy"] = _docs_csp(response)
        else:
            headers.setdefault("Content-Security-Policy", _API_CSP)
        if not is_cacheable(request.path):
            # Case data must not linger in browser, proxy or CDN caches.
            headers["Cache-Control"] = "no-store"
            headers.setdefault("Pragma", "no-cache")
        return response


def _cors(app: Flask, origins: tuple[str, ...]) -> None:
    if not origins:
        return  # off by default: no Access-Control-* header is ever sent
    # Bearer tokens, not cookies: credentials mode stays off.
    CORS(app, origins=list(origins), methods=["GET", "POST", "OPTIONS"],
         allow_headers=_CORS_ALLOW_HEADERS, expose_headers=_CORS_EXPOSE_HEADERS,
         supports_credentials=False, max_age=600, vary_header=True)


def _limiter(app: Flask, config: Config) -> Limiter | None:
    token_limit, write_limit = config.ratelimit_token, config.ratelimit_writes
    if not (token_limit or write_limit):
        return None
    limiter = Limiter(
        rate_limit_key,
        storage_uri=config.ratelimit_storage,
        # Writes share one budget per client across all routes (scope "global").
        application_limits=[write_limit] if write_limit else [],
        application_limits_exempt_when=lambda: not _is_limited_write(),
        # The token endpoint has its own, tighter budget per address: it is where
        # client secrets would be guessed.
        default_limits=[token_limit] if token_limit else [],
        default_limits_exempt_when=lambda: request.path != TOKEN_PATH,
        headers_enabled=False,  # Retry-After on the 429 comes from service/errors.py
        strategy="moving-window",
        on_breach=lambda limit: metrics.count_rate_limited(),
    )
    limiter.init_app(app)
    app.extensions["casetrail.limiter"] = limiter
    return limiter


def retry_after_seconds(app: Flask) -> int:
    """Seconds until the limit a refused request hit lets the client in again."""
    limiter = app.extensions.get("casetrail.limiter")
    current = limiter.current_limit if limiter is not None else None
    if current is None:
        return 1
    return max(1, int(current.reset_at - time.time()) + 1)


def init_app(app: Flask, config: Config) -> None:
    if config.trusted_proxies:
        # Only then is X-Forwarded-For believed: otherwise any client could pick
        # the address its rate limit is counted against.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxies, x_proto=config.trusted_proxies)
    _security_headers(app)
    _cors(app, config.cors_origins)
    _limiter(app, config)
