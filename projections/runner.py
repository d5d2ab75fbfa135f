"""Follow the Cases notification log and keep read views up to date, exactly once.

Why a runner of our own instead of the library's `ProjectionRunner`: SQLite has no
`subscribe()`, so the library's runner cannot follow the embedded default. We poll
`recorder.select_notifications` instead (LISTEN/NOTIFY on PostgreSQL is only a
wake-up, see `projections.service`), and apply up to `batch_size` events per view
transaction, because round trips, not Python, dominate the projection path.

Why our own `projection_tracking` table instead of the library's TrackingRecorder:
its recorders open their own connections (their datastore), so the view rows could
share its transaction only through the private `_insert_tracking(cursor, ...)` and
view SQL written twice (sqlite3 and psycopg cursors). Its tracking key is the
*application* name, so three views of one application in one schema would collide,
and it keeps no time for the lag in seconds. The table lives in the same database
as the views and is written in the same transaction as their rows.

Exactly once: a batch reads its position, computes, then inside ONE transaction
re-reads the position (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE holds the
write lock), applies the events and moves the position. If another runner moved it
meanwhile, the batch rolls back and nothing is counted twice; if the process dies,
the transaction never commits and the next run starts from the committed position.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from store.database import Database
from store.recorder import safe_horizon

log = logging.getLogger("casetrail.projections")

TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS projection_tracking ("
    " projection TEXT PRIMARY KEY,"
    " notification_id BIGINT NOT NULL,"
    " event_recorded_at TEXT,"  # when the last applied event was recorded (lag in seconds)
    " updated_at TEXT)"
)


def utc_text(moment: datetime) -> str:
    """One fixed-width text form for every time in the views, so that ordering and
    keyset comparison are the same on SQLite (no timestamp type) and PostgreSQL."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def handles(*event_names: str) -> Callable:
    """Mark a projection method as THE handler of these event class names."""
    def mark(fn: Callable) -> Callable:
        fn._handles = event_names
        return fn
    return mark


class Projection:
    """One read model. Subclasses name their tables (`tables`, dropped on rebuild),
    their DDL (portable between SQLite and PostgreSQL), and one `@handles` method
    per event type. Events nobody handles still move the position."""

    name: str = ""
    tables: tuple[str, ...] = ()
    ddl: tuple[str, ...] = ()
    _handlers: dict[str, Callable] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers = {}
        for klass in reversed(cls.__mro__):
            for fn in vars(klass).values():
                for event_name in getattr(fn, "_handles", ()):
                    if event_name in cls._handlers and klass is cls:
                        raise TypeError(f"{cls.__name__}: two handlers for {event_name}")
                    cls._handlers[event_name] = fn

    def begin(self, cur: Any) -> None:
        """Called at the start of each batch transaction (reset per-batch caches)."""

    def flush(self, cur: Any) -> None:
        """Called at the end of each batch, inside the same transaction."""

    def apply(self, cur: Any, event: Any) -> None:
        handler = self._handlers.get(type(event).__name__)
        if handler is not None:
            handler(self, cur, event)


class PositionMoved(Exception):
    """Another runner applied these events first; this batch was rolled back."""


class Runner:
    """Applies the notification log to one projection, a batch at a time."""

    def __init__(self, database: Database, application: Any, projection: Projection, batch_size: int = 500,
                 decode: Callable[[list], list] | None = None):
        self.database = database
        self.application = application
        self.projection = projection
        self.batch_size = batch_size
        # Runners of one process share one decoder (projections.service.SharedDecoder),
        # so three views of a batch decrypt and parse its events once, not three times.
        self._decode = decode or (lambda notifications: [application.mapper.to_domain_event(n)
                                                         for n in notifications])
        self._gap_seen: tuple[int, float] | None = None  # (position, first seen) of a gap after it

    @property
    def name(self) -> str:
        return self.projection.name

    def ensure_tables(self) -> None:
        ensure_tables(self.database, [self.projection])

    def position(self) -> int:
        with self.database.transaction() as cur:
            row = cur.execute("SELECT notification_id FROM projection_tracking WHERE projection = %s",
                              (self.name,)).fetchone()
        return row[0] if row else 0

    def run_batch(self, gap_grace: float = 0.0) -> int:
        """Apply the next batch; return how many events it held (0: caught up).

        Only events no slower transaction can still precede are applied (ids on
        PostgreSQL are not assigned in commit order, service/storage/recorder.py):
        the contiguous run of ids after the position, or, at a gap, everything up to
        the store's safe horizon. A gap younger than `gap_grace` seconds is most
        likely a commit about to land: the batch then waits for it (returns 0)
        rather than hold up the writers with the horizon's brief table lock."""
        start = self.position()
        recorder = self.application.recorder
        notifications = recorder.select_notifications(start, self.batch_size, inclusive_of_start=False)
        if not notifications:
            self._gap_seen = None
            return 0
        contiguous = _contiguous(start, notifications)
        if contiguous:
            notifications = contiguous
            self._gap_seen = None
        else:
            now = time.monotonic()
            if self._gap_seen is None or self._gap_seen[0] != start:
                self._gap_seen = (start, now)
            if now - self._gap_seen[1] < gap_grace:
                return 0
            horizon = safe_horizon(recorder)
            notifications = recorder.select_notifications(start, self.batch_size, stop=horizon,
                                                          inclusive_of_start=False) if horizon > start else []
            if not notifications:
                return 0
            self._gap_seen = None
        # Decoding happens before the transaction so the write lock is held briefly;
        # the batch's case keys are read in one query, not one per case.
        mapper = self.application.mapper
        prefetch = getattr(getattr(mapper, "case_keys", None), "prefetch", None)
        if prefetch is not None:
            prefetch({str(n.originator_id) for n in notifications})
        events = self._decode(notifications)
        lock = " FOR UPDATE" if self.database.kind == "postgres" else ""
        with self.database.transaction(pipeline=True) as cur:
            row = cur.execute("SELECT notification_id FROM projection_tracking WHERE projection = %s" + lock,
                              (self.name,)).fetchone()
            if row is None or row[0] != start:
                raise PositionMoved(f"{self.name}: position moved from {start}")
            self.projection.begin(cur)
            for event in events:
                self.projection.apply(cur, event)
            self.projection.flush(cur)
            cur.execute("UPDATE projection_tracking SET notification_id = %s, event_recorded_at = %s,"
                        " updated_at = %s WHERE projection = %s",
                        (notifications[-1].id, utc_text(events[-1].timestamp),
                         utc_text(datetime.now(timezone.utc)), self.name))
        return len(notifications)

    def catch_up(self) -> int:
        total = 0
        while True:
            try:
                applied = self.run_batch()
            except PositionMoved:
                continue  # someone else applied them: read the new position and go on
            if not applied:
                return total
            total += applied


def _contiguous(start: int, notifications: list) -> list:
    """The leading notifications whose ids follow `start` without a gap."""
    expected = start + 1
    for index, notification in enumerate(notifications):
        if notification.id != expected:
            return notifications[:index]
        expected += 1
    return notifications


def ensure_tables(database: Database, projections: Iterable[Projection]) -> None:
    """Create the views and their tracking rows if missing (idempotent)."""
    with database.transaction() as cur:
        if database.kind == "postgres":
            # Several processes may start at once: CREATE ... IF NOT EXISTS alone races.
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':casetrail-views'))")
        cur.execute(TRACKING_DDL)
        for projection in projections:
            for statement in projection.ddl:
                cur.execute(statement)
            cur.execute("INSERT INTO projection_tracking (projection, notification_id) VALUES (%s, 0)"
                        " ON CONFLICT (projection) DO NOTHING", (projection.name,))


def reset(database: Database, projection: Projection) -> None:
    """Drop a view's tables and set its position to 0, in one transaction: whichever
    runner leads then rebuilds it from the first event."""
    lock = " FOR UPDATE" if database.kind == "postgres" else ""
    with database.transaction() as cur:
        cur.execute(TRACKING_DDL)
        # Taking the tracking row first queues us behind a batch in flight.
        cur.execute("SELECT notification_id FROM projection_tracking WHERE projection = %s" + lock,
                    (projection.name,))
        for table in projection.tables:
            cur.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in projection.ddl:
            cur.execute(statement)
        cur.execute("INSERT INTO projection_tracking (projection, notification_id) VALUES (%s, 0)"
                    " ON CONFLICT (projection) DO UPDATE SET notification_id = 0,"
                    " event_recorded_at = NULL, updated_at = NULL", (projection.name,))
