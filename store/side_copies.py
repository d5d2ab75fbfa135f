"""Copies of case responses kept outside the event store (the idempotency replay
store keeps the first response for 24 h): sealed with the case's own key, so
they are unreadable at rest and shredded with the case on erasure."""
from __future__ import annotations

import base64
import json
import secrets
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from store.case_keys import CaseKeyDestroyed, CaseKeys

PREFIX = "ct1:"


def seal_response(case_keys: CaseKeys, owner: str, key: str, body: str) -> str:
    """The body sealed with the key of the case it shows (its `id`); bodies that
    show no case carry no personal data and are kept as they are."""
    case_id = _case_id(body)
    data_key = case_keys.key(case_id) if case_id else None
    if data_key is None:
        return body
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(data_key).encrypt(nonce, body.encode(), _aad(case_id, owner, key))
    return f"{PREFIX}{case_id}:{base64.b64encode(nonce + sealed).decode()}"


def open_response(case_keys: CaseKeys, owner: str, key: str, stored: str | None) -> str | None:
    """The body as first sent; CaseKeyDestroyed (409 case-erased) once the case was erased."""
    if not stored or not stored.startswith(PREFIX):
        return stored
    case_id, token = stored[len(PREFIX):].split(":", 1)
    data_key = case_keys.key(case_id)
    if data_key is None:
        raise CaseKeyDestroyed(case_id)
    raw = base64.b64decode(token)
    return AESGCM(data_key).decrypt(raw[:12], raw[12:], _aad(case_id, owner, key)).decode()


def _case_id(body: str) -> str | None:
    try:
        value: Any = json.loads(body)
    except ValueError:
        return None
    if isinstance(value, dict) and isinstance(value.get("id"), str) and "person" in value:
        return value["id"]
    return None


def _aad(case_id: str, owner: str, key: str) -> bytes:
    return f"casetrail.idempotency|{case_id}|{owner}|{key}".encode()
