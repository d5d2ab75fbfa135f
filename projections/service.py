"""Run the projection runners: as `casetrail project` (its own process, production)
or in a background thread of the app (the embedded default).

Only one runner per projection is active: on PostgreSQL each projection is led by
whoever holds its session advisory lock (`pg_try_advisory_lock`) on a dedicated
connection; the others poll for it and take over when the holder's connection
dies with it. (The tracking compare-and-set in `Runner.run_batch` keeps the view
exact even if two ever ran at once, e.g. two runners on one SQLite file.)
"""
from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

import psycopg
from eventsourcing.persistence import ConnectionPoolClosedError
from psycopg import sql

from projections import all_projections
from projections.runner import PositionMoved, Runner, ensure_tables
from store.database import Database, postgres_schema

log = logging.getLogger("casetrail.projections")


class Leadership:
    """Who runs which projection. Without PostgreSQL every runner leads."""

    def __init__(self, database: Database):
        self.database = database
        self._conn: Any = None
        self._held: set[str] = set()
        self._listening: Any = None  # the connection LISTENing, if any

    def _key(self, name: str) -> int:
        scope = f"{postgres_schema(self.database.url) or 'public'}:{name}"
        return int.from_bytes(hashlib.sha256(scope.encode()).digest()[:8], "big", signed=True)

    def lead(self, name: str) -> bool:
        if self.database.kind != "postgres":
            if name not in self._held:
                self._held.add(name)
                log.info("leading projection %s", name)
            return True
        try:
            if self._conn is None or self._conn.closed:
                self._held.clear()
                self._conn = self.database.session()
            if name in self._held:
                self._conn.execute("SELECT 1")  # a dead connection means the lock is gone too
                return True
            if self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key(name),)).fetchone()[0]:
                self._held.add(name)
                log.info("leading projection %s", name)
                return True
        except psycopg.Error:
            self.release()
        return False

    @property
    def session_pid(self) -> int | None:
        """The server process of the session holding the locks (None: no session)."""
        return self._conn.info.backend_pid if self._conn is not None and not self._conn.closed else None

    def wait_for_wakeup(self, channel: str | None, timeout: float) -> bool:
        """Wait up to `timeout` for a NOTIFY on `channel`, on the leadership
        connection (one extra connection per runner process, not two). False at
        once when there is no such connection (SQLite, or not leading yet)."""
        conn = self._conn
        if not channel or conn is None or conn.closed:
            return False
        try:
            if self._listening is not conn:
                conn.execute(sql.SQL("LISTEN {0}").format(sql.Identifier(channel)))
                self._listening = conn
            for _ in conn.notifies(timeout=timeout, stop_after=1):
                break
            return True
        except psycopg.Error:
            self.release()  # a broken connection: reconnect (and re-lead) next pass
            return False

    def release(self) -> None:
        self._held.clear()
        self._listening = None
        if self._conn is not None:
            try:
                self._conn.close()  # closing the session releases its advisory locks
            except Exception:  # noqa: BLE001 - it may be dead already
                pass
            self._conn = None


class SharedDecoder:
    """Decoded events by notification id, kept for the last few batches: the
    runners of one process read the same batches, and decoding (decryption, JSON)
    is most of a batch's Python time. Events are only read by the projections."""

    def __init__(self, application: Any, keep: int = 2000):
        self.application = application
        self.keep = keep
        self._events: dict[int, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, notifications: list) -> list:
        with self._lock:
            known = {n.id: self._events.get(n.id) for n in notifications}
        missing = [n for n in notifications if known[n.id] is None]
        if missing:
            decoded = [self.application.mapper.to_domain_event(n) for n in missing]
            with self._lock:
                for n, event in zip(missing, decoded):
                    known[n.id] = self._events[n.id] = event
                while len(self._events) > self.keep:
                    del self._events[next(iter(self._events))]  # the oldest first
        return [known[n.id] for n in notifications]


class ProjectionService:
    def __init__(self, database: Database, application: Any, batch_size: int = 500,
                 poll_interval: float = 0.05):
        self.database = database
        self.application = application
        self.decoder = SharedDecoder(application, keep=4 * batch_size)
        self.runners = [Runner(database, application, p, batch_size, self.decoder) for p in all_projections()]
        self.poll_interval = poll_interval
        self.gap_grace = 0.02
        self.leadership = Leadership(database)
        self.stop_event = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- one pass, or until stopped ------------------------------------------
    def run_once(self) -> dict[str, int]:
        """Catch up every projection this process may lead; others are skipped."""
        ensure_tables(self.database, [r.projection for r in self.runners])
        try:
            # A batch of each view in turn (not one view to the end, then the next),
            # so the views decode each batch of events once between them.
            led = [r for r in self.runners if self.leadership.lead(r.name)]
            applied = {r.name: 0 for r in led}
            while led:
                for runner in list(led):
                    try:
                        done = runner.run_batch()
                    except PositionMoved:
                        continue  # someone else applied them: read the new position and go on
                    if done:
                        applied[runner.name] += done
                    else:
                        led.remove(runner)
            return applied
        finally:
            # One pass leads only while it runs: a runner that is alive takes over.
            self.leadership.release()

    def run(self) -> None:
        ensure_tables(self.database, [r.projection for r in self.runners])
        failures = 0
        while not self.stop_event.is_set() and not self._database_closed():
            try:
                applied = self._pass()
                failures = 0
            except ConnectionPoolClosedError:
                break  # the application was closed under us (shutdown): nothing to report
            except Exception:  # noqa: BLE001 - a bad moment must not end the runner
                failures += 1
                log.exception("projection pass failed")
                self.stop_event.wait(min(5.0, 0.1 * 2 ** min(failures, 6)))
                continue
            if not applied:
                self._wait_for_events()
        self._close()

    def _pass(self) -> int:
        applied = 0
        head = self.application.recorder.max_notification_id() or 0
        for runner in self.runners:
            if self.stop_event.is_set() or not self.leadership.lead(runner.name):
                continue
            if runner.position() >= head:
                continue
            try:
                # A gap is usually a commit landing in a moment (its NOTIFY wakes us):
                # only an older one is worth the horizon's table lock.
                applied += runner.run_batch(gap_grace=self.gap_grace)
            except PositionMoved:
                applied += 1  # someone else moved it: look again at once
        return applied

    def _wait_for_events(self) -> None:
        """Sleep until the next poll, or earlier when PostgreSQL says events arrived."""
        channel = getattr(self.application.recorder, "channel_name", None)
        if not self.leadership.wait_for_wakeup(channel, max(self.poll_interval, 0.5)):
            self.stop_event.wait(self.poll_interval)

    def _database_closed(self) -> bool:
        # An app closed without `embedded.stop` (a test, a script) must not leave
        # this thread holding connections until the process ends.
        return self.database.closed

    # ---- the background thread of the embedded default ------------------------
    @property
    def running(self) -> bool:
        """True while the background thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self.run, name="casetrail-projections", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if not self._thread.is_alive():  # else `running` keeps telling the truth
                self._thread = None

    def _close(self) -> None:
        self.leadership.release()
