"""Master keys: they wrap (encrypt) the per-case data keys and nothing else.

Configured as CASETRAIL_MASTER_KEY (base64 of 32 random bytes); keys being
rotated out go in CASETRAIL_RETIRED_MASTER_KEYS (comma-separated) until
`casetrail rotate-master-key` has re-wrapped every case key. Without
configuration (the embedded default) keys live in `<var>/master-keys/`, one file
each, mode 0600; the newest wraps, older ones only unwrap until rotation retires
them. A key is named by a short fingerprint (its id), never by its value.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import time
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_SIZE = 32


class MasterKeyError(ValueError):
    """A master key is missing, malformed, or not the one a case key was wrapped with."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"casetrail.master-key-id" + key).hexdigest()[:16]


def parse_key(text: str) -> bytes:
    text = text.strip()
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if ("-" in text or "_" in text) else None,
                               validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError("a master key must be base64 of 32 bytes") from None
    if len(key) != KEY_SIZE:
        raise MasterKeyError("a master key must be base64 of 32 bytes")
    return key


def new_key_text() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_SIZE)).decode()


class MasterKeys:
    """The active master key (first) and retired ones, by id."""

    def __init__(self, keys: list[bytes], directory: Path | None = None):
        if not keys:
            raise MasterKeyError("no master key")
        self.active_id = key_id(keys[0])
        self._by_id = {key_id(k): k for k in keys}
        self.directory = directory  # set when keys are files we manage (embedded default)

    @property
    def ids(self) -> list[str]:
        return list(self._by_id)

    def wrap(self, case_id: str, data_key: bytes) -> tuple[str, str]:
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self._by_id[self.active_id]).encrypt(nonce, data_key, _aad(case_id))
        return self.active_id, base64.b64encode(nonce + sealed).decode()

    def unwrap(self, case_id: str, kid: str, wrapped: str) -> bytes:
        master = self._by_id.get(kid)
        if master is None:
            raise MasterKeyError(f"case key wrapped by master key {kid}, which is not configured")
        raw = base64.b64decode(wrapped)
        return AESGCM(master).decrypt(raw[:12], raw[12:], _aad(case_id))

    # ---- where the keys come from ------------------------------------------
    @classmethod
    def from_settings(cls, active: str | None, retired: str | None, var_dir: Path) -> MasterKeys:
        if active:
            keys = [parse_key(active)] + [parse_key(k) for k in (retired or "").split(",") if k.strip()]
            return cls(keys)
        directory = Path(var_dir) / "master-keys"
        keys = _read_directory(directory)
        if not keys:
            generate_key_file(directory)
            keys = _read_directory(directory)
        return cls(keys, directory)


def generate_key_file(directory: Path) -> str:
    """Write a new master key file (it becomes the active key); return its id."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(KEY_SIZE)
    path = directory / f"{time.time_ns():020d}.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(key).decode())
    return key_id(key)


def retire_key_files(directory: Path, keep_id: str) -> int:
    """Delete every key file but the active one (after all case keys were re-wrapped)."""
    removed = 0
    for path in directory.glob("*.key"):
        if key_id(parse_key(path.read_text())) != keep_id:
            path.unlink()
            removed += 1
    return removed


def _read_directory(directory: Path) -> list[bytes]:
    if not directory.is_dir():
        return []
    # Newest first: file names are creation times.
    return [parse_key(p.read_text()) for p in sorted(directory.glob("*.key"), reverse=True)]


def _aad(case_id: str) -> bytes:
    # Binds a wrapped key to its case: a row copied onto another case will not unwrap.
    return b"casetrail.case-key|" + str(case_id).encode()
