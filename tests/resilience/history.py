"""What the store holds after a fault, checked from the store itself (not from the
API): every stream, every case's history re-run event by event on a fresh
aggregate with the rules checked before each event, and the views against a
rebuild."""
from __future__ import annotations

import copy
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator
from uuid import UUID

from application.cases import Cases
from domain import rules
from domain.actor import Actor
from domain.vocabulary import ASYLUM_TRANSITIONS
from projections import all_projections
from projections.positions import positions
from service.cli.views import rebuild_views
from store import case_keys_for
from store.database import Database, persistence_env


@contextmanager
def store(database_url: str, var_dir: Path) -> Iterator[tuple]:
    """The server's event store and side tables, opened in the test process with the
    server's master key (under its var dir)."""

    database = Database(database_url)
    cases = Cases(env=persistence_env(database_url), case_keys=case_keys_for(database_url, None, None, var_dir,
                                                                             database))
    try:
        yield database, cases
    finally:
        cases.close()
        database.close()


def streams(cases) -> dict[UUID, list[tuple[int, str]]]:
    """Every stored event, by stream, from the notification log (so an event of a
    stream nobody asked about is seen too): (version, topic) in log order."""
    found: dict[UUID, list[tuple[int, str]]] = defaultdict(list)
    start, head = 1, cases.recorder.max_notification_id() or 0
    while start <= head:
        batch = cases.recorder.select_notifications(start=start, limit=1000)
        if not batch:
            break
        for n in batch:
            found[n.originator_id].append((n.originator_version, n.topic))
        start = batch[-1].id + 1
    return found


def check_streams(found: dict) -> list[str]:
    """Whole streams only: versions 1..n without gaps, the opening first."""
    problems = []
    for case_id, events in found.items():
        versions = [v for v, _ in events]
        if sorted(versions) != list(range(1, len(versions) + 1)):
            problems.append(f"{case_id}: versions {versions[:5]}... are not 1..{len(versions)}")
        if not events or not events[0][1].endswith("CaseOpened") or events[0][0] != 1:
            problems.append(f"{case_id}: does not start with its opening event")
    return problems


def check_acknowledged(cases, found: dict, writes: list) -> dict:
    """Every acknowledged opening and note (workload.Load) is stored, once."""
    from collections import Counter

    acknowledged_cases = {w.case_id for w in writes if w.kind == "open" and w.answer.status == 201}
    acknowledged_notes = [w for w in writes if w.kind == "note" and w.answer.status == 200]
    missing = {c for c in acknowledged_cases if UUID(c) not in found}
    assert not missing, f"{len(missing)} acknowledged cases lost"
    notes = {case_id: cases.get_case(case_id).notes for case_id in found}
    for write in acknowledged_notes:
        assert any(n["text"] == write.text for n in notes[UUID(write.case_id)]), f"note lost: {write.text}"
    # A command whose commit landed just before a crash is not recorded twice by a
    # reconnecting retry (service/cases.py, _save).
    texts = Counter(n["text"] for listed in notes.values() for n in listed)
    twice = [t for t, k in texts.items() if k > 1 and t.startswith("load note")]
    assert not twice, f"notes recorded twice: {twice[:5]}"
    return {"acknowledged_cases": len(acknowledged_cases), "acknowledged_notes": len(acknowledged_notes),
            "streams_stored": len(found), "unacknowledged_but_stored_cases": len(found) - len(acknowledged_cases)}


def _day(event) -> datetime:
    return event.timestamp.astimezone(timezone.utc).date()


def _guard(before, event, reflection_days: int) -> None:
    """The rules the command behind `event` had to pass, checked on the state the
    event was applied to (raises the rule's DomainError if the history breaks one)."""
    name = type(event).__name__
    actor = Actor(**event.actor) if hasattr(event, "actor") else None
    if name == "CaseReopened":
        assert before.status == "closed", "reopened a case that was not closed"
        return
    if name == "CaseErased":
        assert before.status != "erased", "erased twice"
        return
    rules.check_accepts_commands(before)  # rule 7: closed or erased cases take nothing else
    if name == "AsylumEventRecorded":
        assert event.asylum_event in ASYLUM_TRANSITIONS[before.asylum_status], \
            f"asylum {event.asylum_event} after {before.asylum_status}"
    elif name == "ReturnInitiated":
        assert not any(r["status"] == "initiated" for r in before.returns.values()), "two returns under way"
        rules.check_return_allowed(before, event.kind, _day(event), reflection_days, actor.org)
    elif name == "ReturnCompleted":
        ret = before.returns[event.return_id]
        rules.check_return_allowed(before, ret["kind"], _day(event), reflection_days, ret["org"])
    elif name == "ReferralMade" and event.share_personal_data:
        rules.check_referral_sharing(before, event.to_org, event.legal_basis)
    elif name in ("ReferralAccepted", "ReferralDeclined"):
        referral = before.referrals[event.referral_id]
        rules.check_referral_receiver(referral, actor)
        assert referral["status"] == "pending", f"{name} of a {referral['status']} referral"
    elif name == "ReferralCompleted":
        referral = before.referrals[event.referral_id]
        rules.check_referral_receiver(referral, actor)
        assert referral["status"] == "accepted", f"completed a {referral['status']} referral"
    elif name == "ReferralWithdrawn":
        rules.check_referral_sender(before.referrals[event.referral_id], actor)
    elif name in ("TransferAccepted", "TransferRejected"):
        rules.check_transfer_receiver(before, actor)
    elif name == "RegularizationApplied":
        assert not (before.regularization and before.regularization["status"] == "applied"), "applied twice"


def replay_under_rules(cases, case_id: UUID, reflection_days: int = 30) -> int:
    """Re-run the stored history of one case on a fresh aggregate, one event at a
    time, checking before each event the rules its command had to pass; the result
    must equal the case as the repository loads it. Returns the number of events."""
    case = None
    events = list(cases.repository.event_store.get(case_id))
    for event in events:
        if case is not None:
            _guard(copy.deepcopy(case), event, reflection_days)
        case = event.mutate(case)
    loaded = cases.get_case(case_id)
    assert case is not None and case.version == loaded.version == len(events)
    assert case.state() == loaded.state(), f"{case_id}: replay differs from the loaded case"
    return len(events)


def view_rows(database) -> dict[str, list[tuple]]:
    """Every row of every read view (not the tracking times), in a fixed order."""

    out = {}
    with database.transaction() as cur:
        for projection in all_projections():
            for table in projection.tables:
                out[table] = sorted(tuple("" if v is None else str(v) for v in row)
                                    for row in cur.execute(f"SELECT * FROM {table}").fetchall())
    return out


def views_equal_a_rebuild(database, cases, wait_seconds: float = 120.0) -> dict:
    """Wait until the live views have applied the whole log, then rebuild them from
    the event store and compare row for row. Returns figures."""
    head = cases.recorder.max_notification_id() or 0
    deadline = time.monotonic() + wait_seconds
    started = time.monotonic()
    while min(positions(database).values(), default=-1) < head:
        assert time.monotonic() < deadline, f"views stuck at {positions(database)} < {head}"
        time.sleep(0.1)
    caught_up = time.monotonic() - started
    live = view_rows(database)
    started = time.monotonic()
    rebuild_views(database, cases)
    rebuilt_in = time.monotonic() - started
    rebuilt = view_rows(database)
    for table in live:
        assert live[table] == rebuilt[table], f"view {table} differs from a rebuild"
    return {"view_catch_up_s": round(caught_up, 2), "rebuild_s": round(rebuilt_in, 2),
            "view_rows": {t: len(rows) for t, rows in live.items()}}
