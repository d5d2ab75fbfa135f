"""A case's history as stored: every event with its seal (hash, prev_hash), its
data decrypted where the key still exists ("[erased]" where it does not)."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from store import sealing
from store.mapper import event_type

MAX_PAGE = 500
# Bookkeeping the history shows under its own names (or not at all), not in `data`.
_NOT_DATA = {"timestamp", "actor", "effective_at", "originator_topic", "originator_id", "originator_version"}


def history_page(cases: Any, case_id: UUID, after_version: int = 0, limit: int = 50) -> tuple[list[dict], int | None]:
    """Up to `limit` events after `after_version`, and the version to continue
    after (None at the end). Rows that no longer decode are shown as such, with
    their seal, rather than hiding the rest of the history."""
    limit = max(1, min(limit, MAX_PAGE))
    rows = cases.recorder.select_events(case_id, gt=after_version, limit=limit + 1)
    items = [_item(cases, row) for row in rows[:limit]]
    more = len(rows) > limit
    return items, (items[-1]["version"] if more else None)


def _item(cases: Any, row: Any) -> dict:
    case_id = sealing.canonical_id(row.originator_id)
    item = {"version": row.originator_version, "type": event_type(row.topic), "recorded_at": None,
            "effective_at": None, "actor": None, "data": None, "hash": None, "prev_hash": None}
    try:
        seal = sealing.unpack(row.state)
        item["hash"], item["prev_hash"] = seal.hash.hex(), seal.prev_hash.hex()
        state = cases.mapper.decode_body(row.topic, seal.body, case_id, row.originator_version)
    except Exception:  # noqa: BLE001 - a tampered row: integrity says where, history goes on
        item["type"] = "unreadable"
        return item
    timestamp = state.get("timestamp")
    item["recorded_at"] = timestamp.isoformat() if hasattr(timestamp, "isoformat") else timestamp
    item["effective_at"] = state.get("effective_at")
    item["actor"] = state.get("actor")
    item["data"] = {k: v for k, v in state.items() if k not in _NOT_DATA}
    return item
