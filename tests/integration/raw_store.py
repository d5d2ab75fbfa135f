"""Direct access to the stored rows, as a database administrator would have it:
what tamper and leak tests use to go around the application."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from uuid import UUID

from store.database import libpq_url, postgres_schema, sqlite_path


@contextmanager
def connection(url: str):
    if url.startswith("sqlite:"):
        conn = sqlite3.connect(sqlite_path(url), isolation_level=None)
        try:
            yield conn, "stored_events", "?", lambda case_id: UUID(str(case_id)).hex
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        yield conn, f"{postgres_schema(url)}.cases_events", "%s", lambda case_id: UUID(str(case_id))


def rows(url: str, case_id) -> list[tuple[int, str, bytes]]:
    with connection(url) as (conn, table, p, key):
        cur = conn.execute(f"SELECT originator_version, topic, state FROM {table} WHERE originator_id = {p} "
                           "ORDER BY originator_version", (key(case_id),))
        return [(v, t, bytes(s)) for v, t, s in cur.fetchall()]


def set_state(url: str, case_id, version: int, state: bytes) -> None:
    with connection(url) as (conn, table, p, key):
        conn.execute(f"UPDATE {table} SET state = {p} WHERE originator_id = {p} AND originator_version = {p}",
                     (state, key(case_id), version))


def delete(url: str, case_id, version: int) -> None:
    with connection(url) as (conn, table, p, key):
        conn.execute(f"DELETE FROM {table} WHERE originator_id = {p} AND originator_version = {p}",
                     (key(case_id), version))


def insert(url: str, case_id, version: int, topic: str, state: bytes) -> None:
    with connection(url) as (conn, table, p, key):
        conn.execute(f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
                     f"VALUES ({p}, {p}, {p}, {p})", (key(case_id), version, topic, state))


def flip_byte(state: bytes, at: int = -2) -> bytes:
    data = bytearray(state)
    data[at] ^= 0x01
    return bytes(data)
