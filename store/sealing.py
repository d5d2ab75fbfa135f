"""The sealed row format and its hash chain (DESIGN.md, Integrity).

A stored event's `state` column holds

    b"CT1" | prev_hash (32 bytes) | hash (32 bytes) | body (JSON, personal values encrypted)

and  hash = SHA-256("casetrail.event.v1" | prev_hash | originator id | version | topic | body),
each variable part length-prefixed so no two rows can encode to the same input.
The first event of a case chains from GENESIS. Because the hash covers the stored
body (ciphertext included) and the row's place (id, version, topic), editing,
deleting, swapping or inserting a row breaks the chain at that version; only a
rewrite of the chain from there to the head goes unseen, and that is what signed
checkpoints catch. This module is pure: no keys, no database.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Any, Iterable
from uuid import UUID

MAGIC = b"CT1"
HASH_SIZE = 32
GENESIS = bytes(HASH_SIZE)
_HEADER = len(MAGIC) + 2 * HASH_SIZE
_DOMAIN = b"casetrail.event.v1"


class MalformedRow(ValueError):
    """The stored bytes are not in the sealed format at all."""


@dataclass(frozen=True)
class Seal:
    prev_hash: bytes
    hash: bytes
    body: bytes


def canonical_id(originator_id: Any) -> str:
    """A case id as hashed and as keys are filed: SQLite hands ids back as bare hex."""
    if isinstance(originator_id, UUID):
        return str(originator_id)
    try:
        return str(UUID(str(originator_id)))
    except ValueError:
        return str(originator_id)


def chain_hash(prev_hash: bytes, originator_id: Any, version: int, topic: str, body: bytes) -> bytes:
    h = hashlib.sha256(_DOMAIN)
    h.update(prev_hash)
    for part in (canonical_id(originator_id).encode(), struct.pack(">Q", version), topic.encode()):
        h.update(struct.pack(">I", len(part)))
        h.update(part)
    h.update(body)
    return h.digest()


def pack(prev_hash: bytes, digest: bytes, body: bytes) -> bytes:
    return MAGIC + prev_hash + digest + body


def unpack(state: bytes) -> Seal:
    state = bytes(state)  # PostgreSQL hands back memoryview
    if len(state) < _HEADER or not state.startswith(MAGIC):
        raise MalformedRow("not a sealed event row")
    return Seal(state[3:3 + HASH_SIZE], state[3 + HASH_SIZE:_HEADER], state[_HEADER:])


def seal(prev_hash: bytes, originator_id: Any, version: int, topic: str, body: bytes) -> bytes:
    return pack(prev_hash, chain_hash(prev_hash, originator_id, version, topic, body), body)


@dataclass(frozen=True)
class ChainReport:
    valid: bool
    events: int
    head_version: int
    head_hash: str | None
    first_bad_version: int | None
    problem: str | None = None

    def as_dict(self) -> dict:
        return {"valid": self.valid, "events": self.events, "head_hash": self.head_hash,
                "first_bad_version": self.first_bad_version}


def verify_rows(rows: Iterable[Any], stop_at_version: int | None = None) -> ChainReport:
    """Recompute the chain over one case's rows (objects with originator_id,
    originator_version, topic, state), in version order, up to `stop_at_version`.

    The first version whose row is missing, out of place, unparseable, or whose
    stored hashes disagree with the recomputed ones is reported as first_bad_version.
    """
    expected_prev, version, count = GENESIS, 0, 0
    for row in rows:
        if stop_at_version is not None and row.originator_version > stop_at_version:
            break
        count += 1
        version += 1
        if row.originator_version != version:  # a row deleted or inserted out of sequence
            return ChainReport(False, count, version - 1, expected_prev.hex(), version, "version sequence broken")
        try:
            parsed = unpack(row.state)
        except MalformedRow:
            return ChainReport(False, count, version - 1, expected_prev.hex(), version, "row not sealed")
        if parsed.prev_hash != expected_prev:
            return ChainReport(False, count, version - 1, expected_prev.hex(), version, "predecessor hash differs")
        digest = chain_hash(parsed.prev_hash, row.originator_id, version, row.topic, parsed.body)
        if digest != parsed.hash:
            return ChainReport(False, count, version - 1, expected_prev.hex(), version, "row content changed")
        expected_prev = digest
    return ChainReport(True, count, version, expected_prev.hex() if count else None, None)
