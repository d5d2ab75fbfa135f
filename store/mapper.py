"""The event store's mapper: encrypts personal values with the case key, then
seals the row into the case's hash chain (see `sealing` for the row format).

The predecessor's hash: the mapper remembers the hash of every row it reads or
writes, keyed by (case, version). A command always loads the case before saving
it (`Cases._execute`, retries included), so the head's hash is known when the next
event is stored; when it is not (memory evicted), the predecessor row is read
back. Rows are immutable, so a remembered hash cannot go stale; a hash remembered
for a write that then lost a version race is overwritten when the retry reloads.
"""
from __future__ import annotations

import base64
import logging
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent, Transcoder, find_id_convertor
from eventsourcing.utils import get_topic, resolve_topic

from domain.vocabulary import ERASED, PERSONAL_EVENT_PATHS
from store import sealing
from store.case_keys import CaseKeyDestroyed, CaseKeys

log = logging.getLogger("casetrail.storage")
CIPHERTEXT = "_ct_"
UNREADABLE = "[unreadable]"


class BrokenChain(RuntimeError):
    """The predecessor row of an event being stored is missing or not sealed."""


def event_type(topic: str) -> str:
    return topic.rsplit(".", 1)[-1].rsplit(":", 1)[-1]


def personal_paths(topic: str) -> tuple[tuple[str, ...], ...]:
    return PERSONAL_EVENT_PATHS.get(event_type(topic), ())


class SealingMapper(Mapper):
    def __init__(self, transcoder: Transcoder, case_keys: CaseKeys, memory: int = 20_000):
        super().__init__(transcoder)
        self.case_keys = case_keys
        self.recorder: Any = None  # bound by the application once it has built it
        self._hashes: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._memory = memory
        self._lock = threading.Lock()

    def bind(self, recorder: Any) -> None:
        self.recorder = recorder

    # ---- writing -----------------------------------------------------------
    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        topic = get_topic(type(domain_event))
        if "Snapshot" in event_type(topic):
            raise NotImplementedError("snapshots are not sealed; leave snapshotting off")
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        case_id = sealing.canonical_id(originator_id)
        paths = personal_paths(topic)
        if version == 1:
            key = self.case_keys.key_for_new_case(case_id)
        elif paths and any(_get(state, p) is not None for p in paths):
            key = self.case_keys.key(case_id)
            if key is None:
                raise CaseKeyDestroyed(case_id)
        else:
            key = None
        for path in paths:
            state = _encrypt_at(state, path, key, self.transcoder, case_id, version)
        body = self.transcoder.encode(state)
        prev = sealing.GENESIS if version == 1 else self._predecessor_hash(originator_id, version)
        row = sealing.seal(prev, case_id, version, topic, body)
        self._remember(case_id, version, sealing.unpack(row).hash)
        return StoredEvent(originator_id=originator_id, originator_version=version, topic=topic, state=row)

    def _predecessor_hash(self, originator_id: Any, version: int) -> bytes:
        known = self.remembered(sealing.canonical_id(originator_id), version - 1)
        if known is not None:
            return known
        rows = list(self.recorder.select_events(originator_id, gt=version - 2, lte=version - 1)) \
            if self.recorder is not None else []
        if not rows:
            raise BrokenChain(f"case {originator_id}: no stored version {version - 1} to chain onto")
        try:
            return sealing.unpack(rows[0].state).hash
        except sealing.MalformedRow:
            raise BrokenChain(f"case {originator_id}: version {version - 1} is not sealed") from None

    # ---- reading -----------------------------------------------------------
    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        cls = resolve_topic(stored_event.topic)
        case_id = sealing.canonical_id(stored_event.originator_id)
        try:
            parsed = sealing.unpack(stored_event.state)
            state: dict[str, Any] = self.decode_body(stored_event.topic, parsed.body, case_id,
                                                     stored_event.originator_version)
        except Exception as exc:
            raise MapperDeserialisationError(
                f"cannot read stored event {stored_event.originator_version} of case {case_id}: "
                f"{type(exc).__name__}") from exc
        self._remember(case_id, stored_event.originator_version, parsed.hash)
        convert = find_id_convertor(cls, type(stored_event.originator_id))
        state["originator_id"] = convert(stored_event.originator_id)
        state["originator_version"] = stored_event.originator_version
        class_version = getattr(cls, "class_version", 1)
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", state)
        return domain_event

    def decode_body(self, topic: str, body: bytes, case_id: str, version: int) -> dict[str, Any]:
        """The event state with personal values decrypted, or ERASED once the key is gone."""
        state = self.transcoder.decode(body)
        paths = personal_paths(topic)
        sealed = [p for p in paths if isinstance(_get(state, p), dict) and CIPHERTEXT in _get(state, p)]
        if sealed:
            key = self.case_keys.key(case_id)
            for path in sealed:
                _set(state, path, _decrypt(key, _get(state, path)[CIPHERTEXT], self.transcoder,
                                           case_id, version, path))
        return state

    # ---- the remembered hashes ------------------------------------------------
    def remembered(self, case_id: str, version: int) -> bytes | None:
        with self._lock:
            return self._hashes.get((case_id, version))

    def _remember(self, case_id: str, version: int, digest: bytes) -> None:
        with self._lock:
            self._hashes[(case_id, version)] = digest
            self._hashes.move_to_end((case_id, version))
            while len(self._hashes) > self._memory:
                self._hashes.popitem(last=False)

    def close(self) -> None:
        self.case_keys.close()


def _aad(case_id: str, version: int, path: tuple[str, ...]) -> bytes:
    # Binds a ciphertext to its case, event and field: moved elsewhere, it will not decrypt.
    return f"casetrail.field|{case_id}|{version}|{'.'.join(path)}".encode()


def _encrypt_at(state: dict, path: tuple[str, ...], key: bytes | None, transcoder: Transcoder,
                case_id: str, version: int) -> dict:
    value = _get(state, path)
    if value is None:
        return state  # absent, or an explicit None: nothing personal to hide
    if key is None:
        raise CaseKeyDestroyed(case_id)
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(key).encrypt(nonce, transcoder.encode(value), _aad(case_id, version, path))
    # Copy each container on the path: the event's dicts are the aggregate's own state.
    top = dict(state)
    node = top
    for name in path[:-1]:
        node[name] = dict(node[name])
        node = node[name]
    node[path[-1]] = {CIPHERTEXT: base64.b64encode(nonce + sealed).decode()}
    return top


def _decrypt(key: bytes | None, token: str, transcoder: Transcoder, case_id: str, version: int,
             path: tuple[str, ...]) -> Any:
    if key is None:
        return ERASED
    raw = base64.b64decode(token)
    try:
        return transcoder.decode(_aesgcm(key).decrypt(raw[:12], raw[12:], _aad(case_id, version, path)))
    except InvalidTag:
        # A tampered or moved ciphertext; integrity reports where. Never logs the value.
        log.warning("personal field %s of case %s version %s does not decrypt", ".".join(path), case_id, version)
        return UNREADABLE


_CIPHERS: dict[bytes, tuple[AESGCM, float]] = {}


def _aesgcm(key: bytes) -> AESGCM:
    """One cipher object per case key while a replay decrypts its many fields. Kept
    no longer than the case keys themselves (CaseKeys.CACHE_SECONDS), so a shredded
    key does not live on in this cache."""
    now = time.monotonic()
    cached = _CIPHERS.get(key)
    if cached is not None and cached[1] > now:
        return cached[0]
    if len(_CIPHERS) > 256:
        _CIPHERS.clear()
    cipher = AESGCM(key)
    _CIPHERS[key] = (cipher, now + CaseKeys.CACHE_SECONDS)
    return cipher


def _get(state: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        if not isinstance(state, dict):
            return None
        state = state.get(name)
    return state


def _set(state: dict, path: tuple[str, ...], value: Any) -> None:
    for name in path[:-1]:
        state = state[name]
    state[path[-1]] = value

