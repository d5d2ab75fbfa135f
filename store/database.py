"""The database named by CASETRAIL_DATABASE_URL: the eventsourcing settings for
the event store, and plain connections for the side tables (organisations,
clients, idempotency keys, access log) on SQLite or PostgreSQL alike."""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, unquote, urlencode, urlparse, urlunparse

import psycopg
from psycopg_pool import ConnectionPool

from store.recorder import RECORDER_TOPIC


class UnsupportedDatabaseURL(ValueError):
    pass


def persistence_env(url: str) -> dict[str, str]:
    """Map a database URL onto the eventsourcing library's settings."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = sqlite_path(url)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path,
                "SQLITE_LOCK_TIMEOUT": "10"}
    if parsed.scheme in ("postgresql", "postgres"):
        schema = postgres_schema(url)
        return {**({"POSTGRES_SCHEMA": schema} if schema else {}),
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": parsed.path.lstrip("/") or "postgres",
            "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parsed.port or 5432),
            "POSTGRES_USER": unquote(parsed.username or "postgres"),
            # The library insists on the key even when trust auth needs none.
            "POSTGRES_PASSWORD": unquote(parsed.password or ""),
            # Also the wait for a pooled connection, and the library retries that wait
            # ten times: with the database down, 1 s here answers 503 in ~12 s, not ~50.
            "POSTGRES_CONNECT_TIMEOUT": "1",
            "POSTGRES_POOL_SIZE": "5",
            "POSTGRES_MAX_OVERFLOW": "10",
            "POSTGRES_LOCK_TIMEOUT": "5",
            # Saves without the library's table lock, so commits flush together; the
            # log's followers wait at gaps instead (service/storage/recorder.py).
            "APPLICATION_RECORDER_TOPIC": RECORDER_TOPIC,
        }
    raise UnsupportedDatabaseURL(f"unsupported database URL scheme {parsed.scheme!r}")


def postgres_schema(url: str) -> str | None:
    """`?schema=NAME` puts every table in that schema (tests use one per test)."""
    return (parse_qs(urlparse(url).query).get("schema") or [None])[0]


def libpq_url(url: str) -> str:
    """The URL as libpq takes it: without our own `schema` parameter."""
    parsed = urlparse(url)
    query = {k: v for k, v in parse_qs(parsed.query).items() if k != "schema"}
    return urlunparse(parsed._replace(query=urlencode(query, doseq=True)))


def sqlite_path(url: str) -> str:
    # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy spells them.
    return url[len("sqlite:///"):]


class Database:
    """Side-table access with one SQL dialect: write `%s` placeholders; on SQLite
    they become `?`. `transaction()` yields a cursor-like object and commits on
    success, rolls back on error."""

    def __init__(self, url: str):
        self.url = url
        self.kind = "sqlite" if url.startswith("sqlite:") else "postgres"
        self._pool = None
        self._local = threading.local()
        if self.kind == "postgres":
            # timeout: the wait for a connection; with the database down it is the
            # time to a 503, so a few seconds, not the time a client would wait. Not
            # less: `casetrail project` failed to start at 3 s on a machine at load 12.
            self._pool = ConnectionPool(libpq_url(url), min_size=1, max_size=10, open=True, timeout=5,
                                        kwargs=self._connect_kwargs())
        else:
            Path(sqlite_path(url)).parent.mkdir(parents=True, exist_ok=True)

    def _connect_kwargs(self) -> dict:
        kwargs: dict[str, Any] = {"connect_timeout": 5}
        schema = postgres_schema(self.url)
        if schema:
            kwargs["options"] = f"-c search_path={schema}"
        return kwargs

    def session(self):
        """A PostgreSQL connection of its own, outside the pool, in autocommit: for
        session state that must outlive any transaction (advisory locks, LISTEN).
        The caller closes it."""
        return psycopg.connect(libpq_url(self.url), autocommit=True, **self._connect_kwargs())

    @contextmanager
    def transaction(self, pipeline: bool = False) -> Iterator[_Cursor]:
        """`pipeline=True` (PostgreSQL): statements are sent without waiting for
        their answers until a result is read or the transaction ends, so a batch of
        writes costs one round trip, not one each; an error then surfaces at the
        next read or at the end, and the whole transaction is rolled back."""
        if self._pool is not None:
            if pipeline:
                with self._pool.connection() as conn, conn.pipeline(), conn.transaction():
                    yield _Cursor(conn.cursor(), "%s", pipelined=True)
                return
            with self._pool.connection() as conn, conn.transaction():
                yield _Cursor(conn.cursor(), "%s")
            return
        conn = self._sqlite_connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield _Cursor(conn.cursor(), "?")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def write(self, sql: str, params: tuple | list = ()) -> tuple | None:
        """One statement in a transaction of its own, committed before this returns;
        on PostgreSQL that is one round trip (the statement alone, in autocommit, is
        its own transaction) instead of three (BEGIN, statement, COMMIT). Returns the
        statement's first row (RETURNING), if any."""
        if self._pool is None:
            with self.transaction() as cur:
                cur.execute(sql, params)
                return cur.fetchone() if cur._cursor.description else None
        with self._pool.connection() as conn:
            conn.autocommit = True
            try:
                cursor = conn.execute(sql, params)
                return cursor.fetchone() if cursor.description else None
            finally:
                if not conn.closed:
                    conn.autocommit = False

    def _sqlite_connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(sqlite_path(self.url), timeout=10, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=10000")
            self._local.conn = conn
        return conn

    def ping(self) -> None:
        with self.transaction() as cur:
            cur.execute("SELECT 1")

    @property
    def closed(self) -> bool:
        """True once `close()` ran (a runner thread checks it to end quietly)."""
        return bool(self._pool is not None and self._pool.closed)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


class _Cursor:
    def __init__(self, cursor: Any, placeholder: str, pipelined: bool = False):
        self._cursor = cursor
        self._placeholder = placeholder
        # In a pipeline, one driver cursor reused for several queued statements may
        # hand a later fetch another statement's result ("the last operation didn't
        # produce records"): each statement gets a cursor of its own there.
        self._pipelined = pipelined

    def execute(self, sql: str, params: tuple | list = ()) -> _Cursor:
        if self._placeholder != "%s":
            sql = sql.replace("%s", self._placeholder)
        if self._pipelined:
            self._cursor = self._cursor.connection.cursor()
        self._cursor.execute(sql, params)
        return self

    def executemany(self, sql: str, rows: list) -> None:
        """One statement for many rows: psycopg pipelines it, sqlite3 loops in C."""
        if rows:
            self._cursor.executemany(sql.replace("%s", self._placeholder), rows)

    def select(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        """The rows of a query, read on a driver cursor of its own.

        In a pipelined transaction, `fetchall()` on the cursor that also queued the
        batch's INSERT/UPDATEs sometimes returned an INSERT's status instead of the
        rows (psycopg: "the last operation didn't produce records", seen at 20,000
        cases in bench/projection_catchup.py). A cursor of its own gets its own
        result, in the same transaction, so it also sees the batch's own writes."""
        if self._placeholder != "%s":  # SQLite: no pipeline
            return self.execute(sql, params).fetchall()
        with self._cursor.connection.cursor() as own:
            own.execute(sql, params)
            return own.fetchall()

    def fetchone(self) -> tuple | None:
        return self._cursor.fetchone()

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount
