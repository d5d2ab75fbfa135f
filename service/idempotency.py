"""Idempotency-Key for every POST (API.md, "Conventions").

The first request with a key claims it by inserting a `pending` row, in its own
transaction, before the command runs: the primary key (owner, key) lets exactly
one of several concurrent duplicates win. The winner runs the command and stores
its response; the others wait for that response (up to `wait_seconds`) and replay
it, or get 409 `idempotency-in-progress` if it takes longer. A repeat after
completion replays the stored response and writes nothing. The same key with
another request (method, path or body) is 422 `idempotency-key-reused`.

A key belongs to one caller (org and sub), so two callers never collide, and is
kept for `ttl_seconds` (24 h). Responses of 5xx are not kept (the claim is
released): the command may not have run, so a retry must be able to run it.
"""
from __future__ import annotations

import hashlib
import json
import random
import re
import time
from dataclasses import dataclass

from flask import Response, current_app, g, request

from auth.flask_auth import current_principal
from service.database import Database
from service.errors import Problem

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as most clients send UUIDs
KEPT_HEADERS = ("Content-Type", "Location", "ETag", "Cache-Control")
TTL_SECONDS = 24 * 3600
STALE_PENDING_SECONDS = 60  # a claim older than this belonged to a request that died


@dataclass(frozen=True)
class Stored:
    status: int
    headers: dict
    body: str


class IdempotencyStore:
    def __init__(self, database: Database, ttl_seconds: int = TTL_SECONDS, wait_seconds: float = 5.0):
        self.database, self.ttl, self.wait = database, ttl_seconds, wait_seconds

    def create_table(self) -> None:
        with self.database.transaction() as cur:
            if self.database.kind == "postgres":
                cur.execute("SELECT pg_advisory_xact_lock(hashtext('casetrail.idempotency'))")
            cur.execute(
                "CREATE TABLE IF NOT EXISTS idempotency_keys (owner TEXT NOT NULL, key TEXT NOT NULL,"
                " fingerprint TEXT NOT NULL, state TEXT NOT NULL, status INTEGER, headers TEXT, body TEXT,"
                " created_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (owner, key))")

    def claim(self, owner: str, key: str, fingerprint: str) -> Stored | None:
        """None: the caller now owns the key and must `complete` or `release` it.
        A `Stored`: replay it. Raises Problem on a reused key or a timeout."""
        deadline = time.monotonic() + self.wait
        while True:
            with self.database.transaction() as cur:
                if random.random() < 0.01:
                    cur.execute("DELETE FROM idempotency_keys WHERE created_at < %s", (time.time() - self.ttl,))
                cur.execute("INSERT INTO idempotency_keys (owner, key, fingerprint, state, created_at)"
                            " VALUES (%s, %s, %s, 'pending', %s) ON CONFLICT (owner, key) DO NOTHING",
                            (owner, key, fingerprint, time.time()))
                if cur.rowcount == 1:
                    return None
                row = cur.execute("SELECT fingerprint, state, status, headers, body, created_at"
                                  " FROM idempotency_keys WHERE owner = %s AND key = %s", (owner, key)).fetchone()
                if row is None:
                    continue  # purged between the two statements: claim again
                stored_fp, state, status, headers, body, created_at = row
                age = time.time() - created_at
                if age > self.ttl or (state == "pending" and age > STALE_PENDING_SECONDS):
                    cur.execute("UPDATE idempotency_keys SET fingerprint = %s, state = 'pending', status = NULL,"
                                " headers = NULL, body = NULL, created_at = %s"
                                " WHERE owner = %s AND key = %s AND created_at = %s",
                                (fingerprint, time.time(), owner, key, created_at))
                    if cur.rowcount == 1:
                        return None
                    continue
            if stored_fp != fingerprint:
                raise Problem(422, "idempotency-key-reused", "Idempotency key reused",
                              "this Idempotency-Key was used with another request")
            if state == "done":
                return Stored(status, json.loads(headers), _open(owner, key, body))
            if time.monotonic() >= deadline:
                raise Problem(409, "idempotency-in-progress", "A request with this key is in progress",
                              "retry after the first request with this Idempotency-Key finishes",
                              headers={"Retry-After": "1"})
            time.sleep(0.05)

    def complete(self, owner: str, key: str, status: int, headers: dict, body: str) -> None:
        body = _seal(owner, key, body)  # a case response holds personal data: sealed at rest
        with self.database.transaction() as cur:
            cur.execute("UPDATE idempotency_keys SET state = 'done', status = %s, headers = %s, body = %s"
                        " WHERE owner = %s AND key = %s", (status, json.dumps(headers), body, owner, key))

    def release(self, owner: str, key: str) -> None:
        with self.database.transaction() as cur:
            cur.execute("DELETE FROM idempotency_keys WHERE owner = %s AND key = %s AND state = 'pending'",
                        (owner, key))


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


def _seal(owner: str, key: str, body: str) -> str:
    from service.storage.side_copies import seal_response

    return seal_response(current_app.extensions["casetrail.cases"].mapper.case_keys, owner, key, body)


def _open(owner: str, key: str, body: str | None) -> str | None:
    from service.storage.side_copies import open_response

    return open_response(current_app.extensions["casetrail.cases"].mapper.case_keys, owner, key, body)
