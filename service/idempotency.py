"""Idempotency-Key on every POST of a blueprint (API.md, "Conventions"): the HTTP
half of application/idempotency.py. A repeat of a finished request is answered
with the stored response (`Idempotent-Replayed: true`) before any view runs."""
from __future__ import annotations

import hashlib
import json
import re

from flask import Response, current_app, g, request

from application.idempotency import IdempotencyStore
from service.authentication import current_principal
from service.errors import Problem

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as most clients send UUIDs
KEPT_HEADERS = ("Content-Type", "Location", "ETag", "Cache-Control")


def store() -> IdempotencyStore:
    return current_app.extensions["casetrail.idempotency"]


def init_blueprint(blp) -> None:
    """Make every POST of `blp` honour Idempotency-Key."""
    blp.before_request(_before)
    blp.after_request(_after)


def _fingerprint() -> str:
    raw = request.get_data(cache=True)
    try:  # the same JSON spelled with other spacing or key order is the same body
        raw = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        pass
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + raw).hexdigest()


def _before():
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return None
    if not KEY_PATTERN.match(key):
        raise Problem(400, "invalid-idempotency-key", "Invalid Idempotency-Key",
                      "use 1 to 255 visible ASCII characters, e.g. a UUID")
    principal = current_principal()
    owner = f"{principal.org}\n{principal.sub}"
    stored = store().claim(owner, key, _fingerprint())
    if stored is None:
        g.idempotency_claim = (owner, key)
        return None
    response = Response(stored.body, status=stored.status, headers=stored.headers)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _after(response: Response) -> Response:
    claim = g.pop("idempotency_claim", None)
    if claim is None:
        return response
    if response.status_code >= 500:
        store().release(*claim)
    else:
        headers = {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers}
        store().complete(*claim, response.status_code, headers, response.get_data(as_text=True))
    return response
