"""Recomputing the hash chains of the stored rows: one case, every case, and the
heads of all streams at a notification-log position (what a checkpoint signs)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator
from uuid import UUID

from store.recorder import safe_horizon
from store.sealing import ChainReport, canonical_id, verify_rows

_PAGE = 1000


def verify_case(cases: Any, case_id: UUID, up_to_version: int | None = None) -> ChainReport | None:
    """The chain report of one case, or None when it has no stored rows at all."""
    rows = cases.recorder.select_events(case_id, lte=up_to_version)
    if not rows:
        return None
    return verify_rows(rows, stop_at_version=up_to_version)


def notifications(cases: Any, stop: int | None = None) -> Iterator[Any]:
    """Every row in the order it was committed (the notification log), up to `stop`."""
    start = 1
    while True:
        page = cases.recorder.select_notifications(start, _PAGE, stop=stop)
        yield from page
        if len(page) < _PAGE:
            return
        start = page[-1].id + 1


@dataclass(frozen=True)
class StoreSnapshot:
    position: int                    # notification id the snapshot reaches (0: empty store)
    versions: dict[str, int]         # case id -> highest version committed up to `position`
    events: int                      # rows committed up to `position`


def snapshot(cases: Any, position: int | None = None) -> StoreSnapshot:
    """Which cases reached which version by `position` (default: now). The default
    is the store's safe horizon (store/recorder.py): no transaction still
    in flight holds an id below it, so everything up to it is a consistent cut."""
    if position is None:
        position = safe_horizon(cases.recorder)
    versions: dict[str, int] = {}
    events = 0
    for notification in (notifications(cases, stop=position) if position else ()):
        events += 1
        case_id = canonical_id(notification.originator_id)
        versions[case_id] = max(versions.get(case_id, 0), notification.originator_version)
    return StoreSnapshot(position, versions, events)


def verify_store(cases: Any) -> Iterator[tuple[str, ChainReport]]:
    """Each case's chain report, cases in the order they were first stored."""
    for case_id in snapshot(cases).versions:
        report = verify_case(cases, UUID(case_id))
        if report is not None:
            yield case_id, report


def heads(cases: Any, at: StoreSnapshot) -> tuple[dict[str, list], list[tuple[str, ChainReport]]]:
    """{case id: [version, head hash]} at the snapshot, and the cases whose chain
    is broken up to there (a checkpoint must not vouch for those)."""
    result: dict[str, list] = {}
    broken = []
    for case_id, version in at.versions.items():
        report = verify_case(cases, UUID(case_id), up_to_version=version)
        if report is None or not report.valid or report.head_version != version:
            broken.append((case_id, report))
            continue
        result[case_id] = [version, report.head_hash]
    return result, broken
