"""Per-case data keys (AES-256-GCM), kept wrapped by a master key in the side
table `case_keys`. Erasure destroys a case's key (crypto-shredding): the row stays
as a tombstone with `destroyed_at`, so "erased" is told apart from "never had one".
"""
from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime, timezone

from domain.errors import CaseErased
from store.database import Database
from store.master_keys import MasterKeys
from store.sealing import canonical_id

_DDL = """CREATE TABLE IF NOT EXISTS case_keys (
    case_id TEXT PRIMARY KEY,
    master_key_id TEXT,
    wrapped_key TEXT,
    created_at TEXT NOT NULL,
    destroyed_at TEXT
)"""


class CaseKeyDestroyed(CaseErased):
    """Personal data cannot be written to a case whose key was destroyed (409 case-erased)."""

    def __init__(self, case_id: str):
        super().__init__("the case's personal data was erased; it accepts no command")
        self.case_id = case_id


class CaseKeys:
    # Other processes learn of an erasure within this many seconds; the case's own
    # status (erased) already hides its personal data in every view before that.
    CACHE_SECONDS = 10.0

    def __init__(self, database: Database, master_keys: MasterKeys, owns_database: bool = False):
        self.database = database
        self.master_keys = master_keys
        self._owns_database = owns_database
        self._cache: dict[str, tuple[bytes | None, float]] = {}
        self._lock = threading.Lock()
        self._create_table()

    def _create_table(self) -> None:
        for attempt in range(3):
            try:
                with self.database.transaction() as cur:
                    cur.execute(_DDL)
                return
            except Exception:  # noqa: BLE001 - two processes creating it at once
                if attempt == 2:
                    raise
                time.sleep(0.1)

    # ---- use ---------------------------------------------------------------
    def key_for_new_case(self, case_id: str) -> bytes:
        """Create the case's key (or return the one an earlier attempt created)."""
        case_id = str(case_id)
        data_key = secrets.token_bytes(32)
        kid, wrapped = self.master_keys.wrap(case_id, data_key)
        inserted = self.database.write(
            "INSERT INTO case_keys (case_id, master_key_id, wrapped_key, created_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (case_id) DO NOTHING RETURNING case_id",
            (case_id, kid, wrapped, _now()))
        if inserted:  # ours, committed: no need to read it back
            with self._lock:
                self._cache[case_id] = (data_key, time.monotonic() + self.CACHE_SECONDS)
            return data_key
        self._forget(case_id)
        key = self.key(case_id)
        if key is None:
            raise CaseKeyDestroyed(case_id)
        return key

    def key(self, case_id: str) -> bytes | None:
        """The case's data key, or None when it was destroyed (or never made)."""
        case_id = str(case_id)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(case_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        with self.database.transaction() as cur:
            row = cur.execute("SELECT master_key_id, wrapped_key FROM case_keys WHERE case_id = %s",
                              (case_id,)).fetchone()
        key = self.master_keys.unwrap(case_id, row[0], row[1]) if row and row[1] else None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[case_id] = (key, now + self.CACHE_SECONDS)
        return key

    def prefetch(self, case_ids: set[str], chunk: int = 500) -> None:
        """Read the keys of many cases in a few queries (a projection batch)."""
        now = time.monotonic()
        with self._lock:
            wanted = {canonical_id(c) for c in case_ids}
            missing = sorted(c for c in wanted if (cached := self._cache.get(c)) is None or cached[1] <= now)
        for start in range(0, len(missing), chunk):
            part = missing[start:start + chunk]
            with self.database.transaction() as cur:
                rows = cur.execute("SELECT case_id, master_key_id, wrapped_key FROM case_keys WHERE case_id IN ("
                                   + ", ".join(["%s"] * len(part)) + ")", part).fetchall()
            found = {row[0]: row for row in rows}
            with self._lock:
                if len(self._cache) + len(part) > 10_000:
                    self._cache.clear()
                for case_id in part:
                    row = found.get(case_id)
                    key = self.master_keys.unwrap(case_id, row[1], row[2]) if row and row[2] else None
                    self._cache[case_id] = (key, now + self.CACHE_SECONDS)

    def destroy(self, case_id: str) -> None:
        """Shred the key. Committed before this returns; idempotent."""
        case_id = str(case_id)
        with self.database.transaction() as cur:
            updated = cur.execute("UPDATE case_keys SET wrapped_key = NULL, master_key_id = NULL, "
                                  "destroyed_at = %s WHERE case_id = %s", (_now(), case_id)).rowcount
            if not updated:
                cur.execute("INSERT INTO case_keys (case_id, created_at, destroyed_at) VALUES (%s, %s, %s) "
                            "ON CONFLICT (case_id) DO NOTHING", (case_id, _now(), _now()))
        self._forget(case_id)

    def is_destroyed(self, case_id: str) -> bool:
        with self.database.transaction() as cur:
            row = cur.execute("SELECT destroyed_at FROM case_keys WHERE case_id = %s",
                              (str(case_id),)).fetchone()
        return bool(row and row[0])

    def rewrap_all(self, batch: int = 500) -> int:
        """Re-wrap every live case key under the active master key; events are not touched.
        Safe to re-run after a crash: keys already under the active key are skipped."""
        active = self.master_keys.active_id
        done = 0
        while True:
            with self.database.transaction() as cur:
                rows = cur.execute(
                    "SELECT case_id, master_key_id, wrapped_key FROM case_keys WHERE wrapped_key IS NOT NULL "
                    "AND master_key_id <> %s ORDER BY case_id LIMIT %s", (active, batch)).fetchall()
                for case_id, kid, wrapped in rows:
                    data_key = self.master_keys.unwrap(case_id, kid, wrapped)
                    new_kid, new_wrapped = self.master_keys.wrap(case_id, data_key)
                    cur.execute("UPDATE case_keys SET master_key_id = %s, wrapped_key = %s WHERE case_id = %s",
                                (new_kid, new_wrapped, case_id))
            done += len(rows)
            if len(rows) < batch:
                with self._lock:
                    self._cache.clear()
                return done

    def close(self) -> None:
        if self._owns_database:
            self.database.close()

    def _forget(self, case_id: str) -> None:
        with self._lock:
            self._cache.pop(case_id, None)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()
