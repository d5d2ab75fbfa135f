"""The embedded issuer's signing keys, kept under `<var>/keys/`.

Generated on first start; private key files are mode 0600. The newest key signs;
older keys stay published (for verification) until tokens they signed expire.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from joserfc.jwk import ECKey, KeySet

ALGORITHM = "ES256"


class SigningKeys:
    def __init__(self, directory: Path, token_ttl_seconds: int = 900):
        self.directory = Path(directory)
        self.token_ttl_seconds = token_ttl_seconds
        self._lock = threading.Lock()
        self._keys: list[dict] = []
        self._loaded_at = 0.0
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self._read():
            self.rotate()

    def rotate(self) -> str:
        """Make a new active key; the previous one keeps verifying until its tokens expire."""
        key = ECKey.generate_key("P-256", auto_kid=True)
        record = {"created_at": time.time(), "jwk": key.as_dict(private=True)}
        path = self.directory / f"{key.kid}.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(record, f)
        self._read()
        return key.kid

    def _read(self) -> list[dict]:
        with self._lock:
            records = []
            for path in sorted(self.directory.glob("*.json")):
                try:
                    records.append(json.loads(path.read_text()))
                except (OSError, ValueError):
                    continue
            records.sort(key=lambda r: r["created_at"])
            self._keys = records
            self._loaded_at = time.time()
            return records

    def _current(self) -> list[dict]:
        # Other processes (gunicorn workers, the CLI) may rotate: re-read now and then.
        if time.time() - self._loaded_at > 30:
            self._read()
        return self._keys

    def active(self) -> ECKey:
        return ECKey.import_key(self._current()[-1]["jwk"])

    def published(self) -> KeySet:
        """Public keys that may still have valid tokens: the active one, and older
        ones retired less than a token lifetime (plus a margin) ago."""
        records = self._current()
        now = time.time()
        keep = [records[-1]]
        for older, newer in zip(records, records[1:]):
            if now - newer["created_at"] < self.token_ttl_seconds + 60:
                keep.append(older)
        return KeySet([ECKey.import_key(_public(r["jwk"])) for r in keep])

    def refresh(self) -> None:
        self._read()


def _public(jwk: dict) -> dict:
    return {k: v for k, v in jwk.items() if k != "d"}
