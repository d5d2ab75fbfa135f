"""Idempotency keys for every POST: the store of claims and first responses
(the HTTP half, which reads the header and replays, is service/idempotency.py).

The first request with a key claims it by inserting a `pending` row, in its own
transaction, before the command runs: the primary key (owner, key) lets exactly
one of several concurrent duplicates win. The winner runs the command and stores
its response; the others wait for that response (up to `wait_seconds`) and replay
it, or are refused (`StillInProgress`, 409) if it takes longer. A repeat after
completion replays the stored response and writes nothing. The same key with
another request (method, path or body) is refused (`KeyReused`, 422).

A key belongs to one caller (org and sub), so two callers never collide, and is
kept for `ttl_seconds` (24 h). Responses of 5xx are not kept (the claim is
released): the command may not have run, so a retry must be able to run it.
"""
from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass

from store.case_keys import CaseKeys
from store.database import Database
from store.side_copies import open_response, seal_response

TTL_SECONDS = 24 * 3600
STALE_PENDING_SECONDS = 60  # a claim older than this belonged to a request that died


class KeyReused(Exception):
    """The key was used with another request (method, path or body)."""


class StillInProgress(Exception):
    """The first request with this key has not finished within the wait."""


@dataclass(frozen=True)
class Stored:
    status: int
    headers: dict
    body: str


class IdempotencyStore:
    def __init__(self, database: Database, case_keys: CaseKeys, ttl_seconds: int = TTL_SECONDS,
                 wait_seconds: float = 5.0):
        self.database, self.case_keys, self.ttl, self.wait = database, case_keys, ttl_seconds, wait_seconds

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
        A `Stored`: replay it. Raises KeyReused or StillInProgress."""
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
                raise KeyReused(key)
            if state == "done":
                # A case response holds personal data: sealed with the case key at rest.
                return Stored(status, json.loads(headers), open_response(self.case_keys, owner, key, body))
            if time.monotonic() >= deadline:
                raise StillInProgress(key)
            time.sleep(0.05)

    def complete(self, owner: str, key: str, status: int, headers: dict, body: str) -> None:
        body = seal_response(self.case_keys, owner, key, body)  # personal data: sealed at rest
        with self.database.transaction() as cur:
            cur.execute("UPDATE idempotency_keys SET state = 'done', status = %s, headers = %s, body = %s"
                        " WHERE owner = %s AND key = %s", (status, json.dumps(headers), body, owner, key))

    def release(self, owner: str, key: str) -> None:
        with self.database.transaction() as cur:
            cur.execute("DELETE FROM idempotency_keys WHERE owner = %s AND key = %s AND state = 'pending'",
                        (owner, key))
