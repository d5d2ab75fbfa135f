"""Signed checkpoints: a JWS over the head (version, hash) of every case stream and
the notification-log position, kept in the side table `checkpoints`.

Later, `verify_against_store` proves nothing committed before the checkpoint has
changed, even a row whose chain a database administrator recomputed to the head:
each case's chain, recomputed today up to the version the checkpoint recorded,
must end in the very hash that was signed, and no row may have appeared below
the recorded position.
"""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from store import signing
from store.database import Database
from store.integrity import heads, snapshot, verify_case

TYP = "casetrail-checkpoint+jws"
_DDL = """CREATE TABLE IF NOT EXISTS checkpoints (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    position BIGINT NOT NULL,
    case_count INTEGER NOT NULL,
    event_count BIGINT NOT NULL,
    jws TEXT NOT NULL,
    jwk TEXT NOT NULL
)"""


class StoreBroken(Exception):
    """A checkpoint must not vouch for a store whose chains are already broken."""

    def __init__(self, broken: list):
        self.broken = broken
        names = ", ".join(f"{case} at version {r.first_bad_version if r else '?'}" for case, r in broken[:5])
        super().__init__(f"{len(broken)} case(s) fail verification: {names}")


class Checkpoints:
    def __init__(self, database: Database, cases: Any, signing_keys: Any, issuer: str):
        self.database, self.cases, self.signing_keys, self.issuer = database, cases, signing_keys, issuer
        with database.transaction() as cur:
            cur.execute(_DDL)

    def create(self, created_by: str) -> dict:
        at = snapshot(self.cases)
        case_heads, broken = heads(self.cases, at)
        if broken:
            raise StoreBroken(broken)
        now = datetime.now(timezone.utc)
        payload = {"iss": self.issuer, "iat": int(time.time()), "position": at.position, "events": at.events,
                   "cases": len(case_heads), "heads": case_heads}
        token, jwk = signing.sign(self.signing_keys, payload, TYP)
        record = {"id": str(uuid.uuid4()), "created_at": now.isoformat(timespec="microseconds"),
                  "created_by": created_by, "position": at.position, "cases": len(case_heads),
                  "events": at.events, "jws": token, "jwk": jwk}
        with self.database.transaction() as cur:
            cur.execute("INSERT INTO checkpoints (id, created_at, created_by, position, case_count, event_count,"
                        " jws, jwk) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                        (record["id"], record["created_at"], created_by, at.position, len(case_heads), at.events,
                         token, signing.canonical(jwk).decode()))
        return record

    def latest(self) -> dict | None:
        with self.database.transaction() as cur:
            row = cur.execute("SELECT id, created_at, created_by, position, case_count, event_count, jws, jwk"
                              " FROM checkpoints ORDER BY created_at DESC, id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        keys = ("id", "created_at", "created_by", "position", "cases", "events", "jws")
        return {**dict(zip(keys, row[:7])), "jwk": json.loads(row[7])}


def verify_against_store(cases: Any, document: dict, jwks: dict | None = None) -> list[str]:
    """Problems found checking today's store against a checkpoint document (the JSON
    the API returned); an empty list means everything the checkpoint covers is intact."""
    try:
        payload = signing.verify(document["jws"], signing.trusted_keys(document, jwks), TYP)
    except (signing.BadSignature, KeyError) as exc:
        return [f"checkpoint: {exc}"]
    problems = []
    position = payload["position"]
    now = snapshot(cases, position)
    if (cases.recorder.max_notification_id() or 0) < position:
        problems.append(f"notification log: ends before the checkpoint's position {position}")
    for case_id, (version, head_hash) in payload["heads"].items():
        report = verify_case(cases, UUID(case_id), up_to_version=version)
        if report is None:
            problems.append(f"case {case_id}: all its rows are gone (checkpoint had version {version})")
        elif not report.valid:
            problems.append(f"case {case_id}: chain broken at version {report.first_bad_version}")
        elif report.head_version < version:
            problems.append(f"case {case_id}: versions {report.head_version + 1}-{version} are gone")
        elif report.head_hash != head_hash:
            problems.append(f"case {case_id}: history up to version {version} differs from the checkpoint"
                            " (rewritten with a recomputed chain)")
    for case_id, version in now.versions.items():
        recorded = payload["heads"].get(case_id)
        if recorded is None or version > recorded[0]:
            problems.append(f"case {case_id}: version {version} appeared below the checkpoint's position")
    return problems
