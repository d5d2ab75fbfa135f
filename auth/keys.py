"""The embedded issuer's signing keys, kept under `<var>/keys/`.

Generated on first start; private key files are mode 0600 in a 0700 directory.
The newest key signs; older keys stay published (for verification) until every
token they signed has expired, then their files are deleted: a retired private
key is only a liability.
"""
from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from joserfc.jwk import ECKey, KeySet

from store.signing import ALGORITHM

# Lifetime of the embedded issuer's tokens unless configured (CASETRAIL_TOKEN_TTL).
DEFAULT_TOKEN_TTL_SECONDS = 900
# Clock skew between this server and its clients, on top of a token's lifetime.
RETENTION_MARGIN_SECONDS = 60
# Other processes (gunicorn workers, `casetrail rotate-keys`) may rotate. A new key
# changes the directory's mtime, which one stat() notices; the periodic re-read is
# for file systems whose mtimes cannot be trusted.
RELOAD_SECONDS = 30


class SigningKeys:
    def __init__(self, directory: Path, token_ttl_seconds: int = DEFAULT_TOKEN_TTL_SECONDS,
                 clock: Callable[[], float] = time.time):
        self.directory = Path(directory)
        self.token_ttl_seconds = token_ttl_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._keys: list[dict] = []
        self._loaded_at = float("-inf")
        self._loaded_mtime = -1
        self._published: tuple[tuple, KeySet] | None = None
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Several workers start at once: only one of them may create the first key.
        with self._exclusive():
            if not self._read():
                self._write_new_key()
                self._read()

    @property
    def retention_seconds(self) -> float:
        return self.token_ttl_seconds + RETENTION_MARGIN_SECONDS

    def rotate(self) -> str:
        """Make a new active key; the previous one keeps verifying until its tokens
        expire. Keys retired longer than that are deleted."""
        with self._exclusive():
            kid = self._write_new_key()
            self._prune(self._read())
            self._read()
        return kid

    def active(self) -> ECKey:
        return ECKey.import_key(self._current()[-1]["jwk"])

    def published(self) -> KeySet:
        """Public keys that may still have valid tokens: the active one, and older
        ones retired (replaced by a newer key) less than a token lifetime ago."""
        live = self._live(self._current())
        # Importing the keys costs more than checking a token's signature: keep the
        # set while the live keys are the same (every request asks for it).
        ids = tuple(r["jwk"]["kid"] for r in live)
        cached = self._published
        if cached is None or cached[0] != ids:
            cached = self._published = (ids, KeySet([ECKey.import_key(_public(r["jwk"])) for r in live]))
        return cached[1]

    def refresh(self) -> None:
        """Re-read the directory if it changed (an unknown kid may be another
        process's new key). Costs one stat() otherwise, so a flood of forged kids
        cannot make us re-read the files."""
        if self._directory_mtime() != self._loaded_mtime:
            self._read()

    # ---- files -----------------------------------------------------------------
    def _write_new_key(self) -> str:
        key = ECKey.generate_key("P-256", auto_kid=True)
        # created_at never goes backwards, so the newest key is always the last one.
        newest = self._keys[-1]["created_at"] if self._keys else 0.0
        record = {"created_at": max(self.clock(), newest + 1e-6), "jwk": key.as_dict(private=True)}
        final = self.directory / f"{key.kid}.json"
        temp = self.directory / f".{key.kid}.tmp"
        # Written under a temporary name then renamed, so a reader never sees half a key.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(record, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, final)
        return key.kid

    def _directory_mtime(self) -> int:
        try:
            return os.stat(self.directory).st_mtime_ns
        except OSError:
            return -1

    def _read(self) -> list[dict]:
        with self._lock:
            mtime = self._directory_mtime()  # before reading: a change during the read is seen next time
            records = []
            for path in self.directory.glob("*.json"):
                try:
                    record = json.loads(path.read_text())
                    ECKey.import_key(record["jwk"])
                    records.append(record)
                except (OSError, ValueError, KeyError, TypeError):
                    continue  # deleted meanwhile, or not one of ours
            records.sort(key=lambda r: r["created_at"])
            self._keys, self._loaded_at, self._loaded_mtime = records, self.clock(), mtime
            return records

    def _current(self) -> list[dict]:
        if (not self._keys or self.clock() - self._loaded_at > RELOAD_SECONDS
                or self._directory_mtime() != self._loaded_mtime):
            self._read()
        return self._keys

    def _live(self, records: list[dict]) -> list[dict]:
        now = self.clock()
        live = [records[-1]]
        for older, newer in zip(records, records[1:]):
            # A key stops signing when its successor is created; its last token
            # expires at most one token lifetime after that.
            if now - newer["created_at"] < self.retention_seconds:
                live.append(older)
        return sorted(live, key=lambda r: r["created_at"])

    def _prune(self, records: list[dict]) -> None:
        live = {r["jwk"]["kid"] for r in self._live(records)}
        for record in records:
            if record["jwk"]["kid"] not in live:
                (self.directory / f"{record['jwk']['kid']}.json").unlink(missing_ok=True)

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _public(jwk: dict) -> dict:
    public = {k: v for k, v in jwk.items() if k != "d"}
    return {**public, "use": "sig", "alg": ALGORITHM}
