"""The PostgreSQL event store recorder: the library's, without the two things that
made every save wait for every other save's disk flush.

The library (eventsourcing 9.5.6) takes `LOCK TABLE ... IN EXCLUSIVE MODE` and
sends `NOTIFY` inside every insert transaction. Both are held until the commit has
been flushed to disk (PostgreSQL also serialises the commits of all NOTIFYing
transactions of a database with one lock), so saves committed one flush after
another: with a 1-6 ms fsync, a few hundred saves per second whatever the number of
writers (docs/benchmarks.md). Here saves take only the row locks of their inserts,
so PostgreSQL flushes concurrent commits together (group commit).

What the table lock bought is kept another way. It made notification ids follow
commit order, so a follower of the log never passed an id that a slower
transaction would commit later. Now an id may become visible after a higher one.
So a follower (projections/runner.py) applies only the *contiguous* run of ids
after its position: every id in it is committed, and no transaction still in flight
can hold an id below its end. At a gap it asks for `safe_horizon()`: a brief
`LOCK TABLE ... IN SHARE MODE` waits for every transaction that has drawn an id
(an insert holds ROW EXCLUSIVE from before it draws one until its commit) and
reads the maximum id; every id up to that maximum is then final, a gap below it is
an aborted or conflicting insert (sequence values are consumed by those too) and
is passed. Positions taken for checkpoints use the same horizon (integrity.snapshot).

The wake-up for followers is sent after the commit, in its own transaction with
`synchronous_commit = off`: it carries no data, so it needs no flush, and a lost
one only makes the follower wait for its next poll.
"""
from __future__ import annotations

import logging
from typing import Any, Sequence

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import get_topic, retry
from psycopg.sql import SQL, Identifier, Literal

log = logging.getLogger("casetrail.storage")


class CasesRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        table = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        # Bound the wait on a conflicting row (another writer's same version) as the
        # library bounded the wait for its table lock.
        self.lock_table_statements = [SQL("SET LOCAL lock_timeout = '{0}s'").format(self.datastore.lock_timeout)]
        self._horizon_statements = [
            SQL("SET LOCAL lock_timeout = '{0}s'").format(self.datastore.lock_timeout),
            SQL("LOCK TABLE {0} IN SHARE MODE").format(table),
        ]
        self._wake_statement = SQL("SELECT set_config('synchronous_commit', 'off', true), pg_notify({0}, '')").format(
            Literal(self.channel_name))

    def _notify_channel(self, curs: Any) -> None:
        """Not inside the insert transaction: see `_wake_followers`."""

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if not stored_events or any(v is not None for v in kwargs.values()):  # tracking: the library's path
            return super().insert_events(stored_events, **kwargs)
        ids = self._insert_in_one_statement(stored_events)
        self._wake_followers()
        return ids

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_in_one_statement(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        """Every event of the save in ONE statement, which in autocommit mode is its
        own transaction: one round trip, instead of the library's BEGIN / lock /
        insert / COMMIT with a pipeline sync at each step. All or none are stored."""
        rows = [self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
                for e in stored_events]
        with self.datastore.get_connection() as conn:
            assert conn.autocommit
            if not getattr(conn, "_casetrail_lock_timeout", False):
                # Bounds the wait on another writer's uncommitted row (same version).
                conn.execute(self.lock_table_statements[0].as_string(conn).replace("SET LOCAL", "SET"))
                conn._casetrail_lock_timeout = True
            with conn.cursor() as curs:
                curs.execute(self.insert_events_statement, (rows,), prepare=True)
                return sorted(row["notification_id"] for row in curs.fetchall())

    def _wake_followers(self) -> None:
        try:
            with self.datastore.get_connection() as conn:
                conn.execute(self._wake_statement, prepare=True)
        except Exception:  # noqa: BLE001 - the events are committed; the follower polls anyway
            log.warning("could not notify the projection runner", exc_info=True)

    def safe_horizon(self) -> int:
        """The highest notification id below which no id can appear any more."""
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            for statement in self._horizon_statements:
                curs.execute(statement, prepare=True)
            curs.execute(self.max_notification_id_statement)
            row = curs.fetchone()
            return (row["max"] if row else None) or 0


def safe_horizon(recorder: Any) -> int:
    """The position up to which the notification log is final. On SQLite (one
    writer at a time, ids in commit order) that is simply the highest id."""
    horizon = getattr(recorder, "safe_horizon", None)
    if horizon is not None:
        return horizon()
    return recorder.max_notification_id() or 0


RECORDER_TOPIC = get_topic(CasesRecorder)
